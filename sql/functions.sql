-- What the functions report on a throw-away instance. Host-dependent figures are checked
-- for presence and range, never for their values.

-- Worker and collector figures; the capacities follow the GUCs of test/regress.conf.
SELECT worker_pid > 0 AS worker_running,
       worker_started <= now() AS started_in_past,
       samples_taken > 0 AS sampled,
       sample_cost_mean_us > 0 AS cost_measured,
       sample_interval_ms, ring_capacity, ring_fill BETWEEN 1 AND ring_capacity AS ring_filling,
       groups_capacity, event_queue_capacity,
       shared_memory_bytes BETWEEN 1000000 AND 16 * 1024 * 1024 AS shared_memory_under_16mb,
       events_dropped
FROM pool_optimizer_status();

-- This session's own group: it is connected, and running this query.
CREATE FUNCTION wait_for_next_samples(n int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE target bigint;
BEGIN
  SELECT samples_taken + n INTO target FROM pool_optimizer_status();
  FOR i IN 1..300 LOOP
    EXIT WHEN (SELECT samples_taken >= target FROM pool_optimizer_status());
    PERFORM pg_sleep(0.05);
  END LOOP;
END $$;
SELECT wait_for_next_samples(2);
SELECT database = current_database() AS database_ok, role = current_user AS role_ok,
       client_addr IS NULL AS unix_socket, connections, active,
       busy_max >= 1 AS busy_seen, connections_accepted >= 1 AS accepted_counted,
       window_samples > 0 AS has_window, first_seen <= last_seen AS times_ordered
FROM pool_metrics() WHERE application_name = current_setting('application_name');

-- Per-backend counters: transactions of this session reach its group.
SELECT transactions AS before_transactions FROM pool_metrics()
WHERE application_name = current_setting('application_name') \gset
SELECT 1; SELECT 2; SELECT 3;
SELECT wait_for_next_samples(2);
SELECT transactions - :before_transactions >= 4 AS transactions_counted,
       mean_hold_time_ms >= 0 AS hold_time_known
FROM pool_metrics() WHERE application_name = current_setting('application_name');

-- Hold times: three transactions of 250 ms (bucket 131-262 ms) reach the p99 of this
-- session's few dozen.
BEGIN; SELECT pg_sleep(0.25); COMMIT;
BEGIN; SELECT pg_sleep(0.25); COMMIT;
BEGIN; SELECT pg_sleep(0.25); COMMIT;
SELECT wait_for_next_samples(2);
SELECT hold_p99_ms >= 131 AS long_holds_in_p99,
       hold_p50_ms <= hold_p95_ms AND hold_p95_ms <= hold_p99_ms AS percentiles_ordered
FROM pool_metrics() WHERE application_name = current_setting('application_name');

-- Sample history: ordered, bounded by `since`, with connections counted.
SELECT count(*) > 0 AS has_samples,
       bool_or(client_connections >= 1) AS sessions_counted,
       bool_and(background_processes >= 1) AS background_apart,
       bool_and(interval_ms >= 0) AS intervals_known
FROM pool_samples();
SELECT count(*) AS future_samples FROM pool_samples(now() + interval '1 hour');
SELECT count(*) = (SELECT count(*) FROM pool_samples()) AS null_means_all FROM pool_samples(NULL);
SELECT bool_and(sample_time >= now() - interval '1 minute') AS recent
FROM pool_samples(now() - interval '1 minute');

-- Database counters of the databases with clients.
SELECT database = current_database() AS watched, xact_commit > 0 AS commits_seen
FROM pool_database_stats() WHERE datid = (SELECT oid FROM pg_database WHERE datname = current_database());

-- Host: usable CPUs and memory are known on Linux; storage follows the override.
SELECT usable_cpus >= 1 AS cpus_known, affinity_cpus >= 1 AS affinity_known,
       usable_memory > 0 AS memory_known,
       usable_memory <= memory_total AS usable_within_total,
       cgroup_version IN ('v1', 'v2', 'none') AS cgroup_known,
       storage IN ('ssd', 'hdd', 'unknown') AS storage_detected
FROM host_resources();
SET pool_optimizer.storage = 'nvme';
SELECT storage, storage_source FROM host_resources();
RESET pool_optimizer.storage;

-- Reset clears every figure; this session then reappears as a fresh group, counting only
-- the few transactions since the reset (it has run dozens before).
SELECT pool_optimizer_reset();
SELECT wait_for_next_samples(2);
SELECT connections_accepted, transactions <= 5 AS counters_restarted
FROM pool_metrics() WHERE application_name = current_setting('application_name');
SELECT ring_fill < 10 AS ring_cleared FROM pool_optimizer_status();

DROP FUNCTION wait_for_next_samples(int);
