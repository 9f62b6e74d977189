-- Setting recommendations. recommend_settings() is deterministic: its rows for described
-- machines are printed in full. setting_recommendations() and pool_health() depend on the
-- host: only their shape and the invariants that hold on any host are checked.

-- The worked example of PGTune (reference/tuning-anchors.md): web, 16GB, 4 CPUs, SSD.
SELECT name, value, unit, setting FROM recommend_settings('16GB', 4, 'ssd', 'web');
SELECT name, reason, alter_system FROM recommend_settings('16GB', 4)
WHERE name IN ('shared_buffers', 'work_mem', 'huge_pages') ORDER BY name;

-- A desktop: 4GB, 2 CPUs, a spinning disk. Below 4 CPUs no parallel settings.
SELECT name, value, reason FROM recommend_settings('4GB', 2, 'hdd', 'desktop');

-- A warehouse: 64GB, 16 CPUs, NVMe, 100 connections, 500GB of data.
SELECT name, value FROM recommend_settings('64GB', 16, 'nvme', 'dw', 100, '500GB');

-- Deterministic, and the arguments are read as PostgreSQL reads sizes.
SELECT count(*) AS differing_rows FROM (
    (SELECT * FROM recommend_settings('16GB', 4) EXCEPT ALL
     SELECT * FROM recommend_settings('16 GB', 4, 'SSD', 'Web'))
    UNION ALL
    (SELECT * FROM recommend_settings('16 GB', 4, 'SSD', 'Web') EXCEPT ALL
     SELECT * FROM recommend_settings('16GB', 4))) d;
SELECT name, value FROM recommend_settings('1TB', 64, data_size => '200GB')
WHERE name IN ('shared_buffers', 'maintenance_work_mem', 'work_mem', 'random_page_cost')
ORDER BY name;

-- Bad arguments are refused, naming what is allowed.
SELECT * FROM recommend_settings('16 gigs', 4);
SELECT * FROM recommend_settings('-1GB', 4);
SELECT * FROM recommend_settings('16', 4);
SELECT * FROM recommend_settings('512kB', 4);
SELECT * FROM recommend_settings(NULL, 4);
SELECT * FROM recommend_settings('16GB', 0);
SELECT * FROM recommend_settings('16GB', 100000);
SELECT * FROM recommend_settings('16GB', 4, 'floppy');
SELECT * FROM recommend_settings('16GB', 4, 'ssd', 'game');
SELECT * FROM recommend_settings('16GB', 4, 'ssd', 'web', 0);
SELECT * FROM recommend_settings('16GB', 4, data_size => 'huge');

-- setting_recommendations(), with the workload and storage set so that the rows that do
-- not depend on the host's memory and CPUs are the same everywhere.
SET pool_optimizer.workload = 'web';
SET pool_optimizer.storage = 'ssd';
CREATE TEMP TABLE recommendations AS SELECT * FROM setting_recommendations();
SELECT name FROM recommendations
WHERE name NOT IN ('max_worker_processes', 'max_parallel_workers_per_gather',
                   'max_parallel_workers', 'max_parallel_maintenance_workers')
ORDER BY name;
SELECT name, recommended_value, recommended_setting, unit, context FROM recommendations
WHERE name IN ('checkpoint_completion_target', 'default_statistics_target',
               'effective_io_concurrency', 'min_wal_size', 'max_wal_size', 'random_page_cost')
ORDER BY name;

-- Invariants: statuses and priorities from their sets, a statement exactly for changes,
-- units and contexts as pg_settings has them, every value inside pg_settings' bounds.
SELECT bool_and(status IN ('change', 'fine')) AS statuses_known,
       bool_and((alter_system IS NOT NULL) = (status = 'change')) AS statement_iff_change,
       bool_and((priority IS NOT NULL) = (status = 'change')) AS priority_iff_change,
       bool_and(priority IS NULL OR priority IN ('high', 'medium', 'low')) AS priorities_known,
       bool_and(alter_system IS NULL OR
                alter_system = format('ALTER SYSTEM SET %s = %L;', name, recommended_value))
           AS statements_set_the_recommendation,
       bool_and(reason <> '') AS reasons_given,
       bool_and(NOT pending_restart AND pending_value IS NULL) AS nothing_pending
FROM recommendations;
SELECT r.name, r.unit, s.unit, r.context, s.context FROM recommendations r
JOIN pg_settings s USING (name)
WHERE r.unit IS DISTINCT FROM s.unit
   OR r.context <> CASE s.context WHEN 'postmaster' THEN 'restart' ELSE 'reload' END;
SELECT r.name, r.recommended_setting, s.min_val, s.max_val FROM recommendations r
JOIN pg_settings s USING (name)
WHERE s.vartype IN ('integer', 'real')
  AND NOT r.recommended_setting::numeric BETWEEN s.min_val::numeric AND s.max_val::numeric;
SELECT r.name, r.recommended_setting, s.enumvals FROM recommendations r
JOIN pg_settings s USING (name)
WHERE s.vartype = 'enum' AND NOT r.recommended_setting = ANY (s.enumvals);
-- The current value is the server's, as SHOW prints it.
SELECT r.name, r.current_value, current_setting(r.name) FROM recommendations r
WHERE r.current_value <> current_setting(r.name);
-- Settings a session may SET read back as recommended: value and setting agree.
CREATE FUNCTION pg_temp.reads_back(setting_name text, value text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config(setting_name, value, true);
  RETURN (SELECT setting FROM pg_settings WHERE name = setting_name);
END $$;
WITH settable AS MATERIALIZED (
    SELECT name, recommended_value, recommended_setting FROM recommendations
    WHERE name IN (SELECT name FROM pg_settings WHERE context = 'user'))
SELECT name, recommended_value, recommended_setting FROM settable
WHERE pg_temp.reads_back(name, recommended_value) <> recommended_setting;
SELECT count(*) > 5 AS several_settable FROM recommendations
WHERE name IN (SELECT name FROM pg_settings WHERE context = 'user');
-- Hardware rules never ask for more than a medium priority on a quiet server.
SELECT name, priority, reason FROM recommendations
WHERE priority = 'high' AND name NOT IN ('work_mem', 'max_wal_size', 'shared_buffers',
                                         'max_connections', 'idle_in_transaction_session_timeout');
-- Reasons say what the workload and the storage were taken to be.
SELECT name, reason LIKE '%workload web set by pool_optimizer.workload%' AS workload_named,
       reason LIKE '%storage ssd set by pool_optimizer.storage%' AS storage_named
FROM recommendations
WHERE name IN ('work_mem', 'random_page_cost', 'effective_io_concurrency', 'wal_buffers')
ORDER BY name;

-- A SET in this session is not the server's value.
SET work_mem = '64kB';
SELECT current_value <> '64kB' AS server_wide FROM setting_recommendations()
WHERE name = 'work_mem';
RESET work_mem;

-- Another workload, another row.
SET pool_optimizer.workload = 'dw';
SELECT recommended_value FROM setting_recommendations()
WHERE name = 'default_statistics_target';
SET pool_optimizer.workload = 'web';

-- A value written by ALTER SYSTEM and not yet reloaded is pending, and counts.
ALTER SYSTEM SET min_wal_size = '1GB';
SELECT name, current_value, pending_value, recommended_value, status, alter_system
FROM setting_recommendations() WHERE name = 'min_wal_size';
ALTER SYSTEM RESET min_wal_size;
SELECT pending_value, status FROM setting_recommendations() WHERE name = 'min_wal_size';
RESET pool_optimizer.workload;
RESET pool_optimizer.storage;

-- pool_health(): every check, in a fixed order, with a known status and a threshold.
SELECT check_name, status IN ('ok', 'warning', 'critical') AS status_known, unit,
       threshold IS NOT NULL AS has_threshold, detail <> '' AS has_detail
FROM pool_health();
-- On this quiet instance the worker runs and nothing was refused or dropped.
SELECT check_name, status, value FROM pool_health()
WHERE check_name IN ('worker_running', 'refused_connections', 'events_dropped')
ORDER BY check_name;
