-- Only pg_monitor members read the figures; only superusers reset them.
CREATE ROLE pool_outsider LOGIN;
CREATE ROLE pool_watcher LOGIN IN ROLE pg_monitor;

SET ROLE pool_outsider;
SELECT * FROM recommend_settings('16GB', 4);
SELECT * FROM setting_recommendations();
SELECT * FROM pool_health();
SELECT * FROM pool_metrics();
SELECT * FROM pool_samples();
SELECT * FROM pool_database_stats();
SELECT * FROM host_resources();
SELECT * FROM pool_optimizer_status();
SELECT * FROM pool_recommendations();
SELECT * FROM pool_budget();
SELECT * FROM pool_config('sqlalchemy');
SELECT * FROM pool_size_for(100, '10 ms');
SELECT * FROM pool_adjustments();
SELECT * FROM pool_overview();
SELECT pool_optimizer_reset();
RESET ROLE;

SET ROLE pool_watcher;
SELECT count(*) = 17 AS can_read FROM recommend_settings('16GB', 4);
SELECT count(*) > 10 AS can_read, bool_and(pending_value IS NULL) AS files_unread
FROM setting_recommendations();
SELECT count(*) = 10 AS can_read FROM pool_health();
SELECT count(*) > 0 AS can_read FROM pool_metrics();
SELECT count(*) > 0 AS can_read FROM pool_samples();
SELECT count(*) > 0 AS can_read FROM pool_database_stats();
SELECT count(*) = 1 AS can_read FROM host_resources();
SELECT count(*) = 1 AS can_read FROM pool_optimizer_status();
SELECT count(*) > 0 AS can_read FROM pool_recommendations();
SELECT count(*) = 1 AS can_read FROM pool_budget();
SELECT count(*) > 0 AS can_read FROM pool_config('pgbouncer');
SELECT pool_size AS can_read FROM pool_size_for(100, '10 ms');
SELECT count(*) >= 0 AS can_read FROM pool_adjustments();
SELECT count(*) = 1 AS can_read FROM pool_overview();
SELECT pool_optimizer_reset();
RESET ROLE;

-- Granted explicitly, reset still checks for a superuser.
GRANT EXECUTE ON FUNCTION pool_optimizer_reset() TO pool_watcher;
SET ROLE pool_watcher;
SELECT pool_optimizer_reset();
RESET ROLE;
REVOKE EXECUTE ON FUNCTION pool_optimizer_reset() FROM pool_watcher;

DROP ROLE pool_outsider;
DROP ROLE pool_watcher;
