-- pool_optimizer 1.3 -> 1.4: pool_metrics() also shows the percentiles of the transactions'
-- hold times (p50, p95, p99), which the pool timeout and the idle-in-transaction timeout
-- now rest on.
\echo Use "ALTER EXTENSION pool_optimizer UPDATE TO '1.4'" to load this file. \quit

-- A function's result columns cannot change in place: it is dropped and created again (a
-- view of the caller's built on it must be dropped first), with the privileges it had.
DROP FUNCTION pool_metrics();

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
    OUT last_seen timestamptz,
    OUT on_cpu integer,
    OUT waiting_on_lwlock integer,
    OUT hold_p50_ms double precision,
    OUT hold_p95_ms double precision,
    OUT hold_p99_ms double precision)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'pool_metrics_1_4'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

REVOKE ALL ON FUNCTION pool_metrics() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pool_metrics() TO pg_monitor;
