#!/usr/bin/env bash
# Latency of the SQL functions with a full sample ring and 256 pool groups, and the
# shared memory used at the defaults.
#  - shared memory: pool_optimizer_status().shared_memory_bytes at the default settings;
#  - ring: sample_interval = 10 ms until ring_fill = ring_capacity (history_size 3600);
#  - groups: one session switches application_name 256 times, staying in each long
#    enough to be sampled (groups persist after the session has moved on);
#  - then, back at the default interval, each function is timed with EXPLAIN ANALYZE
#    (server-side execution time, the rows are materialised by the function scan), RUNS
#    times, median with min..max: "execution ms", each call in a fresh session (the
#    figure the targets are judged on), and "warm ms", RUNS calls in one session after a
#    first call that is dropped;
#  - "faults": minor page faults of the backend over one call in a fresh session whose
#    plan is already cached (an EXPLAIN first), from /proc/<pid>/stat: the fresh memory
#    one call touches (its own allocations and the shared-memory pages it reads), median
#    of FAULT_RUNS (5) sessions.
#   bench/latency.sh [runs=21] [groups=256]
# CALLGRIND=1: instead of times, instructions per call (callgrind Ir, collected only inside
# each function: robust on a loaded machine). The server runs under valgrind; per call =
# (Ir of a session of 2N calls - Ir of a session of N calls) / N, N = CALLS (3).
. "$(dirname "$0")/lib.sh"
RUNS=${1:-21}; GROUPS_WANTED=${2:-256}
FUNCTIONS=(pool_recommendations setting_recommendations pool_samples pool_health pool_metrics)
bench_setup
if [ -n "${CALLGRIND:-}" ]; then
    command -v valgrind >/dev/null || { echo "valgrind is needed"; exit 1; }
    CG=$BENCH_DIR/cg; mkdir -p "$CG"; chown "$RUN_USER" "$CG" 2>/dev/null || true
    pg_start "shared_preload_libraries = 'pool_optimizer'"   # writes postgresql.conf
    pg_stop
    as_test_user valgrind --tool=callgrind --trace-children=yes --collect-atstart=no \
        $(printf -- '--toggle-collect=%s ' "${FUNCTIONS[@]}") --callgrind-out-file="$CG/cg.%p" \
        "$PG_BINDIR/postgres" -D "$DATA" >"$BENCH_DIR/valgrind.log" 2>&1 &
    for _ in $(seq 300); do bpsql -c "SELECT 1" >/dev/null 2>&1 && break; sleep 1; done
else
    pg_start "shared_preload_libraries = 'pool_optimizer'"
fi
bpsql -c "CREATE EXTENSION pool_optimizer"
echo "== $(machine_info)"
echo "shared memory at defaults: $(bpsql -c "SELECT shared_memory_bytes, pg_size_pretty(shared_memory_bytes), ring_capacity, groups_capacity FROM pool_optimizer_status()")"
bpsql -c "ALTER SYSTEM SET pool_optimizer.sample_interval = 10" -c "SELECT pg_reload_conf()" >/dev/null
# 256 groups: a transaction and a 40 ms pause under each name (4 samples at 10 ms).
{
    for i in $(seq 1 "$GROUPS_WANTED"); do
        echo "SET application_name = 'bench-app-$i'; SELECT count(*) FROM pg_class; SELECT pg_sleep(0.04);"
    done
} >"$BENCH_DIR/groups.sql"
bpsql -f "$BENCH_DIR/groups.sql" >/dev/null
for _ in $(seq 300); do
    read -r fill cap groups <<<"$(bpsql -F ' ' -c "SELECT ring_fill, ring_capacity, groups_tracked FROM pool_optimizer_status()")"
    [ "$fill" -ge "$cap" ] && break; sleep 1
done
echo "ring fill $fill / $cap, groups tracked $groups"
bpsql -c "ALTER SYSTEM RESET pool_optimizer.sample_interval" -c "SELECT pg_reload_conf()" >/dev/null
sleep 2
if [ -n "${CALLGRIND:-}" ]; then
    CALLS=${CALLS:-3}
    session_ir() {  # function, calls -> Ir inside the function over that session
        local pid
        pid=$(for _ in $(seq "$2"); do echo "SELECT count(*) FROM $1();"; done |
            bpsql -f - -c "SELECT pg_backend_pid()" | tail -1)
        for _ in $(seq 60); do [ -s "$CG/cg.$pid" ] && break; sleep 1; done
        sleep 1
        awk '/^(summary|totals):/{print $2; exit}' "$CG/cg.$pid"
    }
    echo "== $(valgrind --version); instructions per call (Ir), $CALLS and $((2 * CALLS)) calls"
    for f in "${FUNCTIONS[@]}"; do
        a=$(session_ir "$f" "$CALLS"); b=$(session_ir "$f" $((2 * CALLS)))
        printf '%-28s rows %6s  Ir per call %12d\n' "$f()" "$(bpsql -c "SELECT count(*) FROM $f()")" $(( (b - a) / CALLS ))
    done
    as_test_user "$PG_BINDIR/pg_ctl" -D "$DATA" -m immediate -w -t 300 stop >/dev/null || true
    exit 0
fi
minor_faults() {  # pid -> minflt, field 10 of /proc/<pid>/stat (comm may hold spaces)
    local s; s=$(cat "/proc/$1/stat"); s=${s##*) }
    set -- $s; echo "$8"
}
fresh_call_faults() {  # query -> minor faults of a fresh backend over one execution
    local pid before after line
    coproc PSQL { bpsql 2>&1; }
    printf 'SELECT pg_backend_pid();\n' >&"${PSQL[1]}"
    read -r pid <&"${PSQL[0]}"
    printf 'EXPLAIN %s;\n\\echo planned\n' "$1" >&"${PSQL[1]}"
    while read -r line <&"${PSQL[0]}" && [ "$line" != planned ]; do :; done
    before=$(minor_faults "$pid")
    printf 'EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON) %s;\n\\echo done\n' "$1" >&"${PSQL[1]}"
    while read -r line <&"${PSQL[0]}" && [ "$line" != done ]; do :; done
    after=$(minor_faults "$pid")
    exec {PSQL[1]}>&-
    wait "$PSQL_PID" || true
    echo $((after - before))
}
time_fn() {  # label, query
    local q=$2 explain="EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON) $2"
    for _ in $(seq "$RUNS"); do
        bpsql -c "$explain" | awk '/Execution Time/{print $3}'
    done >"$BENCH_DIR/t"
    for _ in $(seq $((RUNS + 1))); do echo "$explain;"; done | bpsql -f - |
        awk '/Execution Time/{print $3}' | tail -n +2 >"$BENCH_DIR/warm"
    for _ in $(seq "${FAULT_RUNS:-5}"); do fresh_call_faults "$q"; done >"$BENCH_DIR/faults"
    printf '%-40s rows %6s  execution ms: %s  warm ms: %s  faults: %s\n' "$1" \
        "$(bpsql -c "SELECT count(*) FROM ($q) s")" "$(stats <"$BENCH_DIR/t")" \
        "$(stats <"$BENCH_DIR/warm")" "$(sort -n "$BENCH_DIR/faults" | awk '{a[NR]=$1} END{print a[int((NR+1)/2)] " (min " a[1] ", max " a[NR] ")"}')"
}
time_fn "pool_recommendations()" "SELECT * FROM pool_recommendations()"
time_fn "setting_recommendations()" "SELECT * FROM setting_recommendations()"
time_fn "pool_health()" "SELECT * FROM pool_health()"
time_fn "pool_samples() (full ring)" "SELECT * FROM pool_samples()"
time_fn "pool_metrics()" "SELECT * FROM pool_metrics()"
time_fn "pool_budget()" "SELECT * FROM pool_budget()"
time_fn "pool_config('pgbouncer')" "SELECT * FROM pool_config('pgbouncer')"
time_fn "pool_optimizer_status()" "SELECT * FROM pool_optimizer_status()"
# PROFILE=1: where the time of the slowest functions goes (perf, cpu-clock sampling; the
# report keeps the server's processes only).
if [ -n "${PROFILE:-}" ]; then
    for q in "pool_recommendations()" "setting_recommendations()" "pool_samples()"; do
        for _ in $(seq 40); do echo "SELECT count(*) FROM $q;"; done >"$BENCH_DIR/prof.sql"
        perf record -q -a -e cpu-clock -F 2000 -o "$BENCH_DIR/perf.data" -- \
            "$PG_BINDIR/psql" -X -q -At -h "$BENCH_DIR" -p "$BENCH_PORT" -U postgres -d postgres -f "$BENCH_DIR/prof.sql" >/dev/null 2>&1
        echo "== perf: 40 x $q, self time by symbol (postgres processes)"
        perf report -i "$BENCH_DIR/perf.data" --comm postgres --percentage relative --sort dso,symbol --stdio 2>/dev/null \
            | grep -E '^ +[0-9]' | head -25 || true
    done
fi
