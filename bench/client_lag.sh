#!/usr/bin/env bash
# Where a fixed-rate p95 comes from: the server's holds or the clients' schedule. Select-only
# at a fixed rate (pgbench -R, -j 2), alternating client counts for some rounds; for each run
# pgbench's p95 latency and p95 schedule lag from its per-transaction log, beside what the
# extension measured for that application_name (pool_metrics() read 1 s before the end):
# throughput, mean / p50 / p95 / p99 hold, busy mean and p95, saturation.
#   bench/client_lag.sh [rate=11900] [rounds=5] [clients="2 6"]
# bench/RESULTS.md session 28: with 2 clients the p95 was pgbench's schedule lag while the
# server held each transaction 0.06 ms.
. "$(dirname "$0")/lib.sh"
RATE=${1:-11900}; ROUNDS=${2:-5}; CLIENTS=${3:-2 6}; SECONDS_PER_RUN=14
bench_setup
# A 60 s evaluation window covers each run whole: pool_metrics() reads that window.
pg_start "shared_preload_libraries = 'pool_optimizer'
max_connections = 150
pool_optimizer.sample_interval = 100
pool_optimizer.evaluation_interval = 60"
bpsql -c "CREATE EXTENSION pool_optimizer"
bpgbench -i -q -s 10 >/dev/null 2>&1
echo "== $(machine_info); select-only at $RATE tx/s, $SECONDS_PER_RUN s per run"

# p95 of column $1 of pgbench's per-transaction logs, in ms (microseconds in the log)
log_p95_ms() {
    awk -v col="$1" '{print $col}' "${@:2}" | sort -n |
        awk '{a[NR]=$1} END{i=int(0.95*NR); if (i < 0.95*NR) i++; printf "%.2f", a[i]/1000}'
}

for round in $(seq "$ROUNDS"); do
    for clients in $CLIENTS; do
        app="lag_c${clients}_r${round}"
        (cd "$BENCH_DIR" && PGAPPNAME=$app bpgbench -n -S -c "$clients" -j 2 -T "$SECONDS_PER_RUN" \
            -R "$RATE" --log --log-prefix "$BENCH_DIR/$app" >/dev/null 2>&1) &
        sleep $((SECONDS_PER_RUN - 1))
        server=$(bpsql -F ' ' -c "SELECT round(transactions_per_second),
                round(mean_hold_time_ms::numeric, 3), round(hold_p50_ms::numeric, 3),
                round(hold_p95_ms::numeric, 3), round(hold_p99_ms::numeric, 3),
                round(busy_mean::numeric, 2), busy_p95, round(saturation::numeric, 2)
            FROM pool_metrics() WHERE application_name = '$app'")
        wait
        # log columns: client, transaction, latency us, script, epoch s, us, schedule lag us
        echo "clients $clients round $round: pgbench p95 $(log_p95_ms 3 "$BENCH_DIR/$app".*) ms," \
             "schedule lag p95 $(log_p95_ms 7 "$BENCH_DIR/$app".*) ms | server: tx/s, hold mean," \
             "p50, p95, p99 ms, busy mean, busy p95, saturation: $server"
    done
done
