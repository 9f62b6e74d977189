-- Security: who may call what, what the functions reveal, and search_path safety.
-- Every function of the extension is found through its dependency on the extension, so a
-- new function is covered without editing this file; the sample arguments below make a
-- valid call (a function with required arguments and no sample shows up as missing).
CREATE TABLE extension_calls AS
SELECT p.oid::regprocedure AS function, p.proname::text AS name,
       p.proname || '(' || coalesce(a.arguments, '') || ')' AS call,
       a.arguments IS NOT NULL OR p.pronargs = p.pronargdefaults AS has_arguments,
       p.prorettype = 'void'::regtype AS returns_void,
       p.provolatile = 'i' AS deterministic
FROM pg_proc p
JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'pool_optimizer'
LEFT JOIN (VALUES ('recommend_settings', $$'16GB', 4, 'ssd', 'web', 200, '10GB'$$),
                  ('pool_config', $$'pgbouncer'$$),
                  ('pool_size_for', $$100, '10 ms', 0.05$$),
                  ('pool_samples', $$'2000-01-01 00:00:00+00'$$)) AS a(name, arguments)
  ON a.name = p.proname;
GRANT SELECT ON extension_calls TO PUBLIC;
SELECT name AS lacks_sample_arguments FROM extension_calls WHERE NOT has_arguments;
SELECT count(*) >= 14 AS functions_found FROM extension_calls;
-- No function runs with its owner's rights.
SELECT name AS security_definer FROM extension_calls JOIN pg_proc p ON p.oid = function
WHERE p.prosecdef;

-- Calls a function as the current role; the outcome in one line.
CREATE FUNCTION try_call(call text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
BEGIN
  EXECUTE 'SELECT pg_catalog.count(*) FROM ' || call INTO n;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- ---- Privileges: only pg_monitor members read the figures; only superusers reset them.
CREATE ROLE pool_outsider LOGIN;
CREATE ROLE pool_watcher LOGIN IN ROLE pg_monitor;

SET ROLE pool_outsider;
SELECT name, try_call(call) AS outcome FROM extension_calls ORDER BY name;
RESET ROLE;

SET ROLE pool_watcher;
SELECT name, try_call(call) AS outcome FROM extension_calls ORDER BY name;
-- pg_monitor cannot read the configuration files (pg_file_settings) through us.
SELECT count(*) > 10 AS can_read, bool_and(pending_value IS NULL) AS files_unread
FROM setting_recommendations();
RESET ROLE;

-- Granted explicitly, reset still checks for a superuser.
GRANT EXECUTE ON FUNCTION pool_optimizer_reset() TO pool_watcher;
SET ROLE pool_watcher;
SELECT pool_optimizer_reset();
RESET ROLE;
REVOKE EXECUTE ON FUNCTION pool_optimizer_reset() FROM pool_watcher;

-- ---- No function reveals query text.
-- Every text column the functions return, for review: none of them is a query.
SELECT name, string_agg(column_name, ', ' ORDER BY position) AS text_columns
FROM extension_calls JOIN pg_proc p ON p.oid = function,
     unnest(p.proargnames, p.proallargtypes, p.proargmodes)
       WITH ORDINALITY AS c(column_name, column_type, mode, position)
WHERE c.mode IN ('o', 't') AND c.column_type = 'text'::regtype
GROUP BY name ORDER BY name;

-- A query carrying a marker runs while the worker samples (every 100 ms); then no row of
-- any function holds the marker. The query that checks holds it too, so a function showing
-- the current query of any session would be caught as well.
SELECT 'qtext-marker-' || '7c1e' AS marker, pg_sleep(0.5) IS NOT NULL AS slept
WHERE 'qtext-marker-7c1e' IS NOT NULL;
CREATE FUNCTION rows_holding(call text, marker text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
BEGIN
  EXECUTE 'SELECT pg_catalog.count(*) FROM ' || call || ' AS r WHERE r::text LIKE $1' INTO n
    USING '%' || marker || '%';
  RETURN n;
END $$;
SELECT name, rows_holding(call, 'qtext-marker-7c1e') AS rows_with_query_text
FROM extension_calls WHERE NOT returns_void ORDER BY name;

-- ---- search_path: every function is C code, or, if it is SQL, has a SQL-standard body
-- (BEGIN ATOMIC: what it calls is bound when it is created) or pins search_path.
SELECT name, l.lanname, p.proconfig
FROM extension_calls JOIN pg_proc p ON p.oid = function
JOIN pg_language l ON l.oid = p.prolang
WHERE l.lanname NOT IN ('c', 'internal')
  AND p.prosqlbody IS NULL
  AND NOT coalesce(array_to_string(p.proconfig, ',') LIKE '%search_path=%', false);
SELECT name, l.lanname, p.prosqlbody IS NOT NULL AS bound_at_creation
FROM extension_calls JOIN pg_proc p ON p.oid = function
JOIN pg_language l ON l.oid = p.prolang
WHERE l.lanname NOT IN ('c', 'internal');

-- A hostile schema ahead of pg_catalog, with look-alikes of what queries use: operators,
-- an aggregate, functions and types. Calling any of them raises an error, so a function
-- that runs SQL under the caller's search_path would fail.
CREATE SCHEMA evil;
CREATE FUNCTION evil.trap() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'hostile code ran';
END $$;
CREATE FUNCTION evil.text_eq(text, text) RETURNS boolean LANGUAGE sql AS 'SELECT evil.trap()';
CREATE OPERATOR evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.text_eq);
CREATE FUNCTION evil.int_ne(integer, integer) RETURNS boolean LANGUAGE sql
  AS 'SELECT evil.trap()';
CREATE OPERATOR evil.<> (LEFTARG = integer, RIGHTARG = integer, FUNCTION = evil.int_ne);
CREATE FUNCTION evil.ts_minus(timestamptz, timestamptz) RETURNS interval LANGUAGE sql
  AS 'SELECT CASE WHEN evil.trap() THEN interval ''1 s'' END';
CREATE OPERATOR evil.- (LEFTARG = timestamptz, RIGHTARG = timestamptz,
                        FUNCTION = evil.ts_minus);
CREATE FUNCTION evil.sum_step(bigint, bigint) RETURNS bigint LANGUAGE sql
  AS 'SELECT CASE WHEN evil.trap() THEN 0::bigint END';
CREATE AGGREGATE evil.sum(bigint) (SFUNC = evil.sum_step, STYPE = bigint);
CREATE FUNCTION evil.lower(text) RETURNS text LANGUAGE sql
  AS 'SELECT CASE WHEN evil.trap() THEN $1 END';
CREATE FUNCTION evil.now() RETURNS timestamptz LANGUAGE sql
  AS 'SELECT CASE WHEN evil.trap() THEN pg_catalog.now() END';
CREATE DOMAIN evil.float8 AS pg_catalog.float8 CHECK (evil.trap());
CREATE DOMAIN evil.int8 AS pg_catalog.int8 CHECK (evil.trap());

-- Deterministic results under the normal search_path, to hold the hostile ones against.
CREATE FUNCTION result_of(call text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  result text;
BEGIN
  EXECUTE 'SELECT pg_catalog.string_agg(r::pg_catalog.text, E''\n'' ORDER BY r::pg_catalog.text) FROM '
    || call || ' AS r' INTO result;
  RETURN result;
END $$;
CREATE TABLE safe_results AS
SELECT name, result_of(call) AS result FROM extension_calls WHERE deterministic;

SET search_path = evil, pg_catalog, public;
SELECT name, try_call(call) AS outcome FROM extension_calls
WHERE NOT returns_void ORDER BY name;
CREATE TABLE public.hostile_results AS
SELECT name, result_of(call) AS result FROM extension_calls WHERE deterministic;
-- The functions pin search_path only while their queries run: the caller's is back.
SHOW search_path;
RESET search_path;
SELECT s.name, s.result = h.result AS same_result
FROM safe_results s JOIN hostile_results h USING (name) ORDER BY s.name;

DROP TABLE safe_results, hostile_results, extension_calls;
DROP FUNCTION try_call(text), rows_holding(text, text), result_of(text);
DROP SCHEMA evil CASCADE;
DROP ROLE pool_outsider;
DROP ROLE pool_watcher;
