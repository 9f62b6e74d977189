-- pool_optimizer 1.0 -> 1.1: pool_overview(), one row per server for fleet monitoring.
\echo Use "ALTER EXTENSION pool_optimizer UPDATE TO '1.1'" to load this file. \quit

-- One row for the whole server: the figures a fleet dashboard shows for each instance, in one
-- call. The latest sample, the worst health check, the settings and pools worth changing, and
-- whether the recommended pools fit max_connections. A SQL-standard body binds the functions
-- it calls when it is created, so neither the caller's search_path nor a later ALTER
-- EXTENSION SET SCHEMA changes what it calls.
CREATE FUNCTION pool_overview(
    OUT last_sample timestamptz,
    OUT samples_taken bigint,
    OUT client_connections integer,
    OUT active integer,
    OUT idle_in_transaction integer,
    OUT waiting_on_lock integer,
    OUT connection_headroom integer,
    OUT groups integer,
    OUT cpu_utilisation double precision,
    OUT transactions_per_second double precision,
    OUT health_status text,
    OUT health_level integer,
    OUT health_warnings integer,
    OUT health_criticals integer,
    OUT settings_to_change integer,
    OUT settings_high_priority integer,
    OUT recommended_pool_connections integer,
    OUT pools_over_recommendation integer,
    OUT pools_transaction_pooling integer,
    OUT budget_fits boolean,
    OUT budget_shortfall integer)
RETURNS record
LANGUAGE sql VOLATILE PARALLEL RESTRICTED
BEGIN ATOMIC
    SELECT st.last_sample, st.samples_taken,
           s.client_connections, s.active, s.idle_in_transaction, s.waiting_on_lock,
           s.connection_headroom, s.groups, s.cpu_utilisation,
           (s.xact_commit + s.xact_rollback) * 1000.0 / nullif(s.interval_ms, 0),
           CASE h.level WHEN 2 THEN 'critical' WHEN 1 THEN 'warning' ELSE 'ok' END,
           h.level, h.warnings, h.criticals,
           sr.to_change, sr.high_priority,
           pr.connections, pr.over_recommendation, pr.transaction_pooling,
           b.fits, b.shortfall
    FROM pool_optimizer_status() AS st
    LEFT JOIN LATERAL (
        SELECT * FROM pool_samples(st.last_sample) ORDER BY sample_time DESC LIMIT 1
    ) AS s ON true
    CROSS JOIN (
        SELECT coalesce(max(CASE status WHEN 'critical' THEN 2 WHEN 'warning' THEN 1 ELSE 0 END),
                        0) AS level,
               count(*) FILTER (WHERE status = 'warning')::integer AS warnings,
               count(*) FILTER (WHERE status = 'critical')::integer AS criticals
        FROM pool_health()
    ) AS h
    CROSS JOIN (
        SELECT count(*) FILTER (WHERE status = 'change')::integer AS to_change,
               count(*) FILTER (WHERE status = 'change' AND priority = 'high')::integer
                   AS high_priority
        FROM setting_recommendations()
    ) AS sr
    CROSS JOIN (
        SELECT coalesce(sum(pool_size + max_overflow), 0)::integer AS connections,
               count(*) FILTER (WHERE connections > pool_size + max_overflow)::integer AS over_recommendation,
               count(*) FILTER (WHERE transaction_pooling)::integer AS transaction_pooling
        FROM pool_recommendations()
    ) AS pr
    LEFT JOIN pool_budget() AS b ON true;
END;

REVOKE ALL ON FUNCTION pool_overview() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pool_overview() TO pg_monitor;
