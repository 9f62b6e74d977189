-- Configuration: documented defaults, and bad values refused with the allowed range.
SELECT name, setting, unit, context, min_val, max_val, enumvals
FROM pg_settings WHERE name LIKE 'pool_optimizer.%' ORDER BY name;

-- Out of range, malformed, and unknown values are refused; nothing is written.
ALTER SYSTEM SET pool_optimizer.sample_interval = 5;
ALTER SYSTEM SET pool_optimizer.sample_interval = '2 hours';
ALTER SYSTEM SET pool_optimizer.sample_interval = 'often';
ALTER SYSTEM SET pool_optimizer.evaluation_interval = 0;
ALTER SYSTEM SET pool_optimizer.history_size = 10;
ALTER SYSTEM SET pool_optimizer.max_pools = 0;
ALTER SYSTEM SET pool_optimizer.enabled = 'perhaps';
SET pool_optimizer.storage = 'floppy';
SET pool_optimizer.workload = 'game';
SET pool_optimizer.no_such_setting = 1;
-- Reload-only and restart-only settings cannot be changed in a session.
SET pool_optimizer.sample_interval = 500;
SET pool_optimizer.history_size = 100;
SELECT name, setting FROM pg_settings
WHERE name IN ('pool_optimizer.sample_interval', 'pool_optimizer.history_size') ORDER BY name;
