-- The extension installs, and its functions have the declared signatures.
CREATE EXTENSION pool_optimizer;

SELECT p.proname, pg_get_function_arguments(p.oid) AS arguments,
       pg_get_function_result(p.oid) AS result
FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'pool_optimizer'
ORDER BY p.proname;

-- Wait (at most 30 s) until the worker has taken two samples.
DO $$
BEGIN
  FOR i IN 1..300 LOOP
    EXIT WHEN (SELECT samples_taken >= 2 FROM pool_optimizer_status());
    PERFORM pg_sleep(0.1);
  END LOOP;
END $$;
SELECT samples_taken >= 2 AS sampling FROM pool_optimizer_status();
