#!/usr/bin/env bash
# The extension's own cost, measured directly:
#  - worker CPU (utime+stime from /proc/<pid>/stat, and run time from /proc/<pid>/schedstat)
#    over a window, as % of one core, at 10/100/200/1000 idle connections, 200 busy ones,
#    and at 200 idle connections for sample_interval 100 ms and 10 ms;
#  - the sampling cost per sample from pool_optimizer_status() (median of the samples
#    taken in the window), and the marginal cost per backend between 10 and 1000.
#   bench/cost.sh [window_seconds=60]
. "$(dirname "$0")/lib.sh"
WINDOW=${1:-60}
bench_setup
pg_start "shared_preload_libraries = 'pool_optimizer'
max_connections = 1100"
bpsql -c "CREATE EXTENSION pool_optimizer"
bpgbench -i -s 1 -q >/dev/null 2>&1
# pgbench keeps \sleep in int microseconds: 3600 s overflows and does not sleep at all.
echo '\sleep 2000 s' >"$BENCH_DIR/idle.sql"
HOLDER=
hold() {  # hold N connections: idle (sleep script) or busy (rate-limited select-only)
    local n
    release
    if [ "$2" = idle ]; then
        "$PG_BINDIR/pgbench" -h "$BENCH_DIR" -p "$BENCH_PORT" -U postgres -n -c "$1" -j 2 -t 1 \
            -f "$BENCH_DIR/idle.sql" postgres >/dev/null 2>&1 &
    else
        "$PG_BINDIR/pgbench" -h "$BENCH_DIR" -p "$BENCH_PORT" -U postgres -n -S -c "$1" -j 2 \
            -R "${BUSY_RATE:-2000}" -T 100000 postgres >/dev/null 2>&1 &
    fi
    HOLDER=$!
    for _ in $(seq 120); do
        n=$(bpsql -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type='client backend'")
        [ "$n" -ge "$1" ] && break; sleep 1
    done
    sleep 3
}
release() {
    if [ -n "$HOLDER" ]; then kill "$HOLDER" 2>/dev/null || true; wait "$HOLDER" 2>/dev/null || true; HOLDER=; sleep 2; fi
}
set_interval() {
    bpsql -c "ALTER SYSTEM SET pool_optimizer.sample_interval = $1" -c "SELECT pg_reload_conf()" >/dev/null
    sleep 2
}
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
run_ns() { awk '{print $1}' "/proc/$1/schedstat"; }
measure() {  # label: worker CPU over WINDOW seconds and the sampling cost of its samples
    local label=$1 pid t0 r0 s0 t1 r1 costs
    pid=$(bpsql -c "SELECT worker_pid FROM pool_optimizer_status()")
    : >"$BENCH_DIR/costs"
    t0=$(cpu_ticks "$pid"); r0=$(run_ns "$pid"); s0=$(date +%s.%N)
    local end=$(( $(date +%s) + WINDOW ))
    while [ "$(date +%s)" -lt "$end" ]; do
        bpsql -F ' ' -c "SELECT samples_taken, sample_cost_last_us, sample_backends_last FROM pool_optimizer_status()" >>"$BENCH_DIR/costs"
        sleep 0.7
    done
    t1=$(cpu_ticks "$pid"); r1=$(run_ns "$pid"); s1=$(date +%s.%N)
    local el; el=$(echo "$s1 - $s0" | bc -l)
    local backends; backends=$(sort -u -k1,1n "$BENCH_DIR/costs" | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
    printf '%-28s backends %5s  worker CPU %%core: stat %.3f  schedstat %.3f  sample cost us: ' \
        "$label" "$backends" "$(echo "($t1-$t0)/$(getconf CLK_TCK)/$el*100" | bc -l)" \
        "$(echo "($r1-$r0)/1000000000/$el*100" | bc -l)"
    sort -u -k1,1n "$BENCH_DIR/costs" | awk '{print $2}' | stats
    sort -u -k1,1n "$BENCH_DIR/costs" | awk '{print $2}' | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}' >"$BENCH_DIR/median.$label"
}
echo "== $(machine_info)"
echo "== window ${WINDOW}s; busy = pgbench -S rate-limited to ${BUSY_RATE:-2000} tps in total"
for n in 10 100 200; do hold $n idle; measure "idle$n@1000ms"; done
set_interval 100; measure "idle200@100ms"
set_interval 10;  measure "idle200@10ms"
set_interval 1000
hold 200 busy; measure "busy200@1000ms"
hold 1000 idle; measure "idle1000@1000ms"
set_interval 10; measure "idle1000@10ms"
release
c10=$(cat "$BENCH_DIR/median.idle10@1000ms"); c100=$(cat "$BENCH_DIR/median.idle100@1000ms"); c1000=$(cat "$BENCH_DIR/median.idle1000@1000ms")
echo "marginal sampling cost per backend (10 -> 1000, default interval): $(echo "($c1000-$c10)/990" | bc -l | xargs printf '%.3f') us"
echo "marginal sampling cost per backend (10 -> 100):  $(echo "($c100-$c10)/90" | bc -l | xargs printf '%.3f') us"
echo "marginal sampling cost per backend (100 -> 1000): $(echo "($c1000-$c100)/900" | bc -l | xargs printf '%.3f') us"
