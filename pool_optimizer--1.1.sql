-- pool_optimizer 1.1 (a fresh install; pool_optimizer--1.0--1.1.sql updates 1.0 to the same objects)
\echo Use "CREATE EXTENSION pool_optimizer" to load this file. \quit

-- Live per-group figures. Groups are (database, role, application_name, client_addr).
CREATE FUNCTION pool_metrics(
    OUT database text,
    OUT role text,
    OUT application_name text,
    OUT client_addr inet,
    OUT connections integer,
    OUT active integer,
    OUT idle integer,
    OUT idle_in_transaction integer,
    OUT idle_in_transaction_aborted integer,
    OUT waiting_on_lock integer,
    OUT sessions_started_last_minute bigint,
    OUT sessions_ended_last_minute bigint,
    OUT busy_mean double precision,
    OUT busy_p95 integer,
    OUT busy_p99 integer,
    OUT busy_max integer,
    OUT saturation double precision,
    OUT window_samples bigint,
    OUT connections_accepted bigint,
    OUT authentication_failures bigint,
    OUT connections_refused bigint,
    OUT statement_timeouts bigint,
    OUT idle_in_transaction_timeouts bigint,
    OUT idle_session_timeouts bigint,
    OUT transactions_per_second double precision,
    OUT mean_hold_time_ms double precision,
    OUT transactions bigint,
    OUT first_seen timestamptz,
    OUT last_seen timestamptz)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'pool_metrics'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

-- Server-wide sample history from the shared-memory ring, oldest first.
CREATE FUNCTION pool_samples(
    since timestamptz DEFAULT NULL,
    OUT sample_time timestamptz,
    OUT client_connections integer,
    OUT active integer,
    OUT idle integer,
    OUT idle_in_transaction integer,
    OUT waiting_on_lock integer,
    OUT background_processes integer,
    OUT connection_headroom integer,
    OUT groups integer,
    OUT cpu_utilisation double precision,
    OUT cpu_iowait double precision,
    OUT load_1min double precision,
    OUT memory_available bigint,
    OUT interval_ms double precision,
    OUT xact_commit bigint,
    OUT xact_rollback bigint,
    OUT active_time_ms double precision,
    OUT idle_in_transaction_time_ms double precision,
    OUT session_time_ms double precision,
    OUT sessions bigint,
    OUT sessions_abandoned bigint,
    OUT sessions_fatal bigint,
    OUT sessions_killed bigint,
    OUT temp_files bigint,
    OUT temp_bytes bigint,
    OUT blks_hit bigint,
    OUT blks_read bigint,
    OUT checkpoints_timed bigint,
    OUT checkpoints_requested bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'pool_samples'
LANGUAGE C CALLED ON NULL INPUT VOLATILE PARALLEL RESTRICTED;

-- pg_stat_database counters of the databases the worker watches: cumulative, and their
-- change over the last sample interval.
CREATE FUNCTION pool_database_stats(
    OUT datid oid,
    OUT database text,
    OUT interval_ms double precision,
    OUT xact_commit bigint,
    OUT xact_rollback bigint,
    OUT active_time_ms double precision,
    OUT idle_in_transaction_time_ms double precision,
    OUT session_time_ms double precision,
    OUT sessions bigint,
    OUT sessions_abandoned bigint,
    OUT sessions_fatal bigint,
    OUT sessions_killed bigint,
    OUT temp_files bigint,
    OUT temp_bytes bigint,
    OUT blks_hit bigint,
    OUT blks_read bigint,
    OUT delta_xact_commit bigint,
    OUT delta_xact_rollback bigint,
    OUT delta_active_time_ms double precision,
    OUT delta_idle_in_transaction_time_ms double precision,
    OUT delta_session_time_ms double precision,
    OUT delta_sessions bigint,
    OUT delta_sessions_abandoned bigint,
    OUT delta_sessions_fatal bigint,
    OUT delta_sessions_killed bigint,
    OUT delta_temp_files bigint,
    OUT delta_temp_bytes bigint,
    OUT delta_blks_hit bigint,
    OUT delta_blks_read bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'pool_database_stats'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

-- What the server may use: CPUs (affinity, cgroup quota), memory (cgroup aware), load,
-- CPU utilisation over the worker's last interval, and the data directory's storage.
CREATE FUNCTION host_resources(
    OUT usable_cpus double precision,
    OUT affinity_cpus integer,
    OUT online_cpus integer,
    OUT cpu_quota double precision,
    OUT memory_total bigint,
    OUT memory_available bigint,
    OUT memory_limit bigint,
    OUT usable_memory bigint,
    OUT load_1min double precision,
    OUT load_5min double precision,
    OUT load_15min double precision,
    OUT cpu_utilisation double precision,
    OUT cpu_iowait double precision,
    OUT cgroup_version text,
    OUT storage text,
    OUT storage_source text,
    OUT problems text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'host_resources'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

-- The worker and the collector's own figures.
CREATE FUNCTION pool_optimizer_status(
    OUT worker_pid integer,
    OUT worker_started timestamptz,
    OUT samples_taken bigint,
    OUT sample_cost_mean_us double precision,
    OUT sample_cost_last_us double precision,
    OUT sample_backends_last bigint,
    OUT last_sample timestamptz,
    OUT sample_interval_ms integer,
    OUT ring_capacity integer,
    OUT ring_fill integer,
    OUT groups_tracked integer,
    OUT groups_capacity integer,
    OUT groups_evicted bigint,
    OUT events_received bigint,
    OUT events_dropped bigint,
    OUT event_queue_capacity integer,
    OUT evaluations bigint,
    OUT last_evaluation timestamptz,
    OUT shared_memory_bytes bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'pool_optimizer_status'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

-- Pool settings per pool group, from the figures of the last evaluation window and the
-- current one, with the reason in plain English.
CREATE FUNCTION pool_recommendations(
    OUT database text,
    OUT role text,
    OUT application_name text,
    OUT client_addr inet,
    OUT connections integer,
    OUT busy_mean double precision,
    OUT busy_p95 integer,
    OUT busy_max integer,
    OUT saturation double precision,
    OUT transactions_per_second double precision,
    OUT mean_hold_time_ms double precision,
    OUT offered_load double precision,
    OUT pool_size integer,
    OUT max_overflow integer,
    OUT pool_timeout integer,
    OUT pool_recycle integer,
    OUT pre_ping boolean,
    OUT erlang_pool_size integer,
    OUT wait_probability double precision,
    OUT cpu_bound boolean,
    OUT transaction_pooling boolean,
    OUT pgbouncer_default_pool_size integer,
    OUT adapted_pool_size integer,
    OUT confidence text,
    OUT reason text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'pool_recommendations'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

-- Whether the recommended pools fit in max_connections, and what to change when not.
CREATE FUNCTION pool_budget(
    OUT fits boolean,
    OUT pool_connections integer,
    OUT reserved_connections integer,
    OUT other_connections integer,
    OUT required_connections integer,
    OUT max_connections integer,
    OUT shortfall integer,
    OUT raise_max_connections_to integer,
    OUT memory_allows_raise boolean,
    OUT pgbouncer_default_pool_size integer,
    OUT advice text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'pool_budget'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

-- The recommendations as configuration to paste: sqlalchemy, hikaricp or pgbouncer.
CREATE FUNCTION pool_config(
    format text,
    OUT database text,
    OUT role text,
    OUT application_name text,
    OUT client_addr inet,
    OUT config text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'pool_config'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

-- Erlang C: the smallest pool for a throughput and hold time with a checkout waiting at
-- most with the target probability (default pool_optimizer.target_wait_probability).
CREATE FUNCTION pool_size_for(
    throughput double precision,
    hold_time interval,
    target_wait_probability double precision DEFAULT NULL,
    OUT pool_size integer,
    OUT offered_load double precision,
    OUT wait_probability double precision,
    OUT mean_wait_ms double precision)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'pool_size_for'
LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE;

-- Every change the worker's adaptation made, oldest first.
CREATE FUNCTION pool_adjustments(
    OUT adjusted_at timestamptz,
    OUT database text,
    OUT role text,
    OUT application_name text,
    OUT client_addr inet,
    OUT old_pool_size integer,
    OUT new_pool_size integer,
    OUT reason text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'pool_adjustments'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

-- Clears every collected figure (applied by the worker at its next sample).
CREATE FUNCTION pool_optimizer_reset()
RETURNS void
AS 'MODULE_PATHNAME', 'pool_optimizer_reset'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

-- PGTune's hardware rules for a machine the caller describes: deterministic, for planning.
-- Sizes are written as PostgreSQL reads them ('16GB', '512MB'); data_size is the size of
-- the data, NULL when unknown.
CREATE FUNCTION recommend_settings(
    memory text,
    cpus integer,
    storage text DEFAULT 'ssd',
    workload text DEFAULT 'web',
    max_connections integer DEFAULT NULL,
    data_size text DEFAULT NULL,
    OUT name text,
    OUT value text,
    OUT unit text,
    OUT setting text,
    OUT reason text,
    OUT alter_system text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'recommend_settings'
LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE;

-- Settings of the running server worth reviewing: the hardware rules on what the server may
-- use and the workload rules on its telemetry, held against pg_settings.
CREATE FUNCTION setting_recommendations(
    OUT name text,
    OUT current_value text,
    OUT recommended_value text,
    OUT unit text,
    OUT context text,
    OUT pending_restart boolean,
    OUT priority text,
    OUT status text,
    OUT reason text,
    OUT alter_system text,
    OUT pending_value text,
    OUT recommended_setting text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'setting_recommendations'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

-- The checks an operator would otherwise run by hand, each ok, warning or critical.
CREATE FUNCTION pool_health(
    OUT check_name text,
    OUT status text,
    OUT value double precision,
    OUT threshold double precision,
    OUT unit text,
    OUT detail text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'pool_health'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

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

-- Monitoring roles read; nobody else does. Reset stays with superusers.
REVOKE ALL ON FUNCTION pool_metrics(), pool_samples(timestamptz), pool_database_stats(),
    host_resources(), pool_optimizer_status(), pool_optimizer_reset(),
    pool_recommendations(), pool_budget(), pool_config(text),
    pool_size_for(double precision, interval, double precision), pool_adjustments(),
    recommend_settings(text, integer, text, text, integer, text), setting_recommendations(),
    pool_health(), pool_overview() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pool_metrics(), pool_samples(timestamptz), pool_database_stats(),
    host_resources(), pool_optimizer_status(),
    pool_recommendations(), pool_budget(), pool_config(text),
    pool_size_for(double precision, interval, double precision), pool_adjustments(),
    recommend_settings(text, integer, text, text, integer, text), setting_recommendations(),
    pool_health(), pool_overview() TO pg_monitor;
