-- Pool sizing: Erlang C on its own, the recommendations' shape, and bad input.

-- Wait (at most 30 s) until the worker has seen this session.
DO $$
BEGIN
  FOR i IN 1..300 LOOP
    EXIT WHEN EXISTS (SELECT FROM pool_metrics()
                      WHERE application_name = current_setting('application_name')
                        AND connections >= 1);
    PERFORM pg_sleep(0.1);
  END LOOP;
END $$;

-- Erlang C: 400 tx/s of 50 ms is 20 erlangs; 5 % waiting needs 29 connections.
SELECT pool_size, offered_load, round(wait_probability::numeric, 4) AS wait_probability,
       round(mean_wait_ms::numeric, 3) AS mean_wait_ms
FROM pool_size_for(400, '50 ms', 0.05);
-- The published table value: 2 erlangs on 3 servers wait with probability 4/9.
SELECT pool_size, round(wait_probability::numeric, 4) AS wait_probability
FROM pool_size_for(40, '50 ms', 0.45);
-- Stricter targets need more connections; the default target is the setting's (5 %).
SELECT t AS target, (SELECT pool_size FROM pool_size_for(1000, '20 ms', t)) AS pool_size
FROM unnest(ARRAY[0.5, 0.2, 0.05, 0.01, 0.001]) AS t;
SELECT pool_size FROM pool_size_for(1000, '20 ms');
SET pool_optimizer.target_wait_probability = 0.5;
SELECT pool_size FROM pool_size_for(1000, '20 ms');
RESET pool_optimizer.target_wait_probability;
-- No load needs no connection; large loads stay exact.
SELECT pool_size, offered_load FROM pool_size_for(0, '10 ms');
SELECT pool_size, offered_load FROM pool_size_for(100000, '50 ms', 0.05);

-- Bad input is refused with what is allowed.
SELECT * FROM pool_size_for(-1, '10 ms');
SELECT * FROM pool_size_for('NaN', '10 ms');
SELECT * FROM pool_size_for(100, '-10 ms');
SELECT * FROM pool_size_for(100, '1 day');
SELECT * FROM pool_size_for(100, '10 ms', 0);
SELECT * FROM pool_size_for(100, '10 ms', 1.5);
SELECT * FROM pool_size_for(NULL, '10 ms');
SELECT * FROM pool_size_for(1e9, '1 s');

-- Recommendations for every group seen (at least this session's), within the bounds.
SELECT count(*) >= 1 AS has_rows,
       bool_and(pool_size BETWEEN 5 AND 50) AS within_bounds,
       bool_and(max_overflow BETWEEN ceil(pool_size * 0.2) AND floor(pool_size * 0.5)) AS overflow_20_to_50,
       bool_and(pool_timeout >= 30) AS timeout_at_least_30s,
       bool_and(confidence IN ('low', 'medium', 'high')) AS confidence_known,
       bool_and(length(reason) > 40) AS reasons_given
FROM pool_recommendations();
SELECT connections >= 1 AS this_session_counted
FROM pool_recommendations() WHERE application_name = current_setting('application_name');
-- The bounds follow the settings.
SET pool_optimizer.min_pool_size = 7;
SET pool_optimizer.max_pool_size = 9;
SELECT bool_and(pool_size BETWEEN 7 AND 9) AS within_new_bounds FROM pool_recommendations();
RESET pool_optimizer.min_pool_size;
RESET pool_optimizer.max_pool_size;
SET pool_optimizer.max_pool_size = 4;
SET pool_optimizer.min_pool_size = 60;
SET pool_optimizer.target_wait_probability = 0;

-- The budget covers the pools.
SELECT fits, pool_connections = (SELECT sum(pool_size + max_overflow) FROM pool_recommendations()) AS sums_pools,
       required_connections = pool_connections + reserved_connections + other_connections AS adds_up,
       max_connections = current_setting('max_connections')::int AS knows_max_connections,
       advice LIKE 'The pools need%' AS advice_given
FROM pool_budget();

-- Ready-to-paste configuration, one block per group.
SELECT count(*) = (SELECT count(*) FROM pool_recommendations()) AS one_block_per_group,
       bool_and(config LIKE '# pool group: %' AND config LIKE '%create_engine(url, pool_size=%') AS sqlalchemy
FROM pool_config('sqlalchemy');
SELECT bool_and(config LIKE '%maximumPoolSize=%' AND config LIKE '%maxLifetime=%') AS hikaricp
FROM pool_config('HikariCP');
SELECT bool_and(config LIKE '; pgbouncer pool: %[databases]%pool_size=%[pgbouncer]%server_lifetime = %') AND bool_and(application_name IS NULL) AS pgbouncer
FROM pool_config('pgbouncer');
SELECT * FROM pool_config('django');

-- The adaptation history is readable (the worker evaluates every evaluation_interval).
SELECT count(*) >= 0 AS readable FROM pool_adjustments();
