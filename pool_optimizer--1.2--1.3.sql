-- pool_optimizer 1.2 -> 1.3: pool_sizes_held(), the sizes each pool group held steady through
-- an evaluation window and what they served: the measured points the pool engine weighs
-- against its models.
\echo Use "ALTER EXTENSION pool_optimizer UPDATE TO '1.3'" to load this file. \quit

-- One row per (group, size held). Groups are (database, role, application_name,
-- client_addr); a size counts for the engine for an hour after last_held, when busy_share is
-- 0.8 or more.
CREATE FUNCTION pool_sizes_held(
    OUT database text,
    OUT role text,
    OUT application_name text,
    OUT client_addr inet,
    OUT pool_size integer,
    OUT windows bigint,
    OUT transactions_per_second double precision,
    OUT busy_share double precision,
    OUT last_held timestamptz)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'pool_sizes_held'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

REVOKE ALL ON FUNCTION pool_sizes_held() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pool_sizes_held() TO pg_monitor;
