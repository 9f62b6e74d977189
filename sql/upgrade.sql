-- An installation of 1.0 updated step by step with ALTER EXTENSION ... UPDATE ends with
-- exactly the objects of a fresh install of the current version (signatures, definitions,
-- volatility, configuration, privileges, comments), and its functions work at each step.
-- A fresh install runs the same scripts (pool_optimizer--1.0.sql, then the updates) in one
-- go; should a later version ship a script of its own, this catches it drifting.
SELECT extversion AS fresh_version FROM pg_extension WHERE extname = 'pool_optimizer';
SELECT source, target, path FROM pg_extension_update_paths('pool_optimizer')
WHERE path IS NOT NULL ORDER BY source, target;

-- Every member of the extension, described as the catalogs hold it.
CREATE TEMP VIEW extension_objects AS
SELECT pg_describe_object(d.classid, d.objid, d.objsubid) AS object,
       pg_get_function_result(p.oid) AS result,
       md5(pg_get_functiondef(p.oid)) AS definition,
       p.proconfig::text AS config,
       p.proacl::text AS acl,
       obj_description(d.objid, d.classid::regclass::name) AS description
FROM pg_depend d
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'pool_optimizer'
LEFT JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND p.oid = d.objid
WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e';

CREATE TEMP TABLE fresh_install AS SELECT * FROM extension_objects;
SELECT count(*) AS fresh_objects FROM fresh_install;

DROP EXTENSION pool_optimizer;
CREATE EXTENSION pool_optimizer VERSION '1.0';
SELECT extversion AS installed_version FROM pg_extension WHERE extname = 'pool_optimizer';
SELECT to_regprocedure('pool_overview()') IS NULL AS no_overview_in_1_0,
       count(*) AS objects_in_1_0 FROM extension_objects;
SELECT count(*) > 0 AS works_in_1_0 FROM pool_metrics();

-- 1.1 keeps 1.0's pool_metrics() shape: the library answers each version in its own.
ALTER EXTENSION pool_optimizer UPDATE TO '1.1';
SELECT extversion AS intermediate_version FROM pg_extension WHERE extname = 'pool_optimizer';
SELECT count(*) > 0 AS works_in_1_1 FROM pool_metrics();
SELECT pg_get_function_arguments('pool_metrics()'::regprocedure) ~ 'OUT last_seen timestamp with time zone$'
    AS ends_at_last_seen_in_1_1;

-- 1.3 keeps 1.2's pool_metrics() shape.
ALTER EXTENSION pool_optimizer UPDATE TO '1.3';
SELECT count(*) > 0 AS works_in_1_3 FROM pool_metrics();
SELECT pg_get_function_arguments('pool_metrics()'::regprocedure) ~ 'OUT waiting_on_lwlock integer$'
    AS ends_at_waiting_on_lwlock_in_1_3;

ALTER EXTENSION pool_optimizer UPDATE;
SELECT extversion AS updated_version FROM pg_extension WHERE extname = 'pool_optimizer';

-- Whatever differs between the update and the fresh install, in either direction.
(SELECT 'only after update' AS side, * FROM extension_objects
 EXCEPT SELECT 'only after update', * FROM fresh_install)
UNION ALL
(SELECT 'only in fresh install', * FROM fresh_install
 EXCEPT SELECT 'only in fresh install', * FROM extension_objects)
ORDER BY 1, 2;

-- 1.3's pool_sizes_held() answers, with sizes and shares in range (none held yet here is
-- fine: the TAP test 011_sizes_held holds some).
SELECT count(*) FILTER (WHERE pool_size < 1 OR windows < 1 OR busy_share NOT BETWEEN 0 AND 1
                        OR transactions_per_second <= 0) AS sizes_held_out_of_range
FROM pool_sizes_held();

-- pool_metrics() has its 1.2 and 1.4 columns, and answers them.
SELECT bool_and(on_cpu BETWEEN 0 AND active) AS on_cpu_within_active,
       bool_and(waiting_on_lwlock BETWEEN 0 AND active) AS lwlock_within_active,
       bool_and(hold_p50_ms <= hold_p99_ms) IS NOT FALSE AS hold_percentiles_ordered
FROM pool_metrics();

-- The new and re-created functions keep the privilege model: pg_monitor reads, PUBLIC
-- does not.
SELECT has_function_privilege('pg_monitor', 'pool_overview()', 'EXECUTE') AS monitor_executes,
       has_function_privilege('public', 'pool_overview()', 'EXECUTE') AS public_executes,
       has_function_privilege('pg_monitor', 'pool_metrics()', 'EXECUTE') AS monitor_reads_metrics,
       has_function_privilege('public', 'pool_metrics()', 'EXECUTE') AS public_reads_metrics,
       has_function_privilege('pg_monitor', 'pool_sizes_held()', 'EXECUTE')
           AS monitor_reads_sizes_held,
       has_function_privilege('public', 'pool_sizes_held()', 'EXECUTE')
           AS public_reads_sizes_held,
       has_function_privilege('pg_monitor', 'pool_optimizer_reset()', 'EXECUTE')
           AS monitor_resets;

-- And works after the update, for a member of pg_monitor. First wait (up to 10 s) for a
-- sample taken since this session connected: the latest one may predate it.
DO $$
BEGIN
    FOR i IN 1 .. 200 LOOP
        EXIT WHEN (SELECT client_connections >= 1 FROM pool_overview());
        PERFORM pg_sleep(0.05);
    END LOOP;
END $$;
CREATE ROLE pool_upgrade_watcher LOGIN IN ROLE pg_monitor;
SET ROLE pool_upgrade_watcher;
SELECT last_sample IS NOT NULL AS sampled, samples_taken > 0 AS counted,
       client_connections >= 1 AS sees_itself, connection_headroom > 0 AS headroom,
       health_status IN ('ok', 'warning', 'critical') AS health_known,
       health_level = CASE health_status WHEN 'ok' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END
           AS level_matches,
       settings_to_change >= settings_high_priority AS settings_consistent,
       recommended_pool_connections >= 0 AS pools_counted,
       budget_fits IS NOT NULL AS budget_known
FROM pool_overview();
-- Its counts are those of the functions it summarises.
SELECT o.health_warnings = (SELECT count(*) FROM pool_health() WHERE status = 'warning')
           AS warnings_match,
       o.health_criticals = (SELECT count(*) FROM pool_health() WHERE status = 'critical')
           AS criticals_match,
       o.budget_fits = (SELECT fits FROM pool_budget()) AS budget_matches
FROM pool_overview() AS o;
RESET ROLE;
DROP ROLE pool_upgrade_watcher;

-- A version between installs the same way: 1.0's script, then the updates up to it.
DROP EXTENSION pool_optimizer;
CREATE EXTENSION pool_optimizer VERSION '1.1';
SELECT extversion AS installed_version FROM pg_extension WHERE extname = 'pool_optimizer';
SELECT to_regprocedure('pool_overview()') IS NOT NULL AS overview_in_1_1;
DROP EXTENSION pool_optimizer;
CREATE EXTENSION pool_optimizer;
