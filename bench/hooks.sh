#!/usr/bin/env bash
# Per-transaction cost of the backend hooks, in instructions (callgrind Ir), which do not
# drift with the machine's load.
#  1. postgres --single running N "SELECT 1;" with and without the library preloaded.
#     In single-user mode ClientAuthentication is never called, so the backend has no
#     counter slot and the transaction callback returns at its first test: this measures
#     the disabled path only.
#  2. The enabled path: the whole server runs under callgrind (forked children are
#     followed), one psql session runs N and then 2N "SELECT 1;" (each its own
#     transaction); the marginal Ir per transaction of that backend, with and without the
#     library, and the inclusive Ir of on_transaction_end per call.
#   bench/hooks.sh [N=2000]
. "$(dirname "$0")/lib.sh"
N=${1:-2000}
command -v valgrind >/dev/null || { echo "valgrind is needed"; exit 1; }
bench_setup
OUT=$BENCH_DIR/cg; mkdir -p "$OUT"; chown "$RUN_USER" "$OUT" 2>/dev/null || true
batch() { for _ in $(seq "$1"); do echo "SELECT 1;"; done; }
batch "$N" >"$BENCH_DIR/batch.sql"
total_ir() { awk '/^(summary|totals):/{print $2; exit}' "$1"; }
echo "== $(machine_info); $(valgrind --version)"

echo "== 1. postgres --single, $N x SELECT 1 (disabled path: no slot in single-user mode)"
single() {  # preload-or-empty, repeat, statements file
    local pre=$1 f=$OUT/single.$2.${1:-none}
    as_test_user valgrind --tool=callgrind --callgrind-out-file="$f" \
        "$PG_BINDIR/postgres" --single -D "$DATA" -c shared_buffers=16MB \
        ${pre:+-c shared_preload_libraries=$pre} postgres <"$3" >/dev/null 2>&1
    total_ir "$f"
}
batch $((2 * N)) >"$BENCH_DIR/batch2.sql"
for r in $(seq "${SINGLE_ROUNDS:-3}"); do
    a=$(single "" $r "$BENCH_DIR/batch.sql"); b=$(single pool_optimizer $r "$BENCH_DIR/batch.sql")
    a2=$(single "" $r "$BENCH_DIR/batch2.sql"); b2=$(single pool_optimizer $r "$BENCH_DIR/batch2.sql")
    echo "round $r: $N statements: none $a Ir, pool_optimizer $b Ir (ratio $(echo "$b/$a" | bc -l | xargs printf '%.5f'));" \
         "marginal per statement: none $(( (a2 - a) / N )) Ir, pool_optimizer $(( (b2 - b) / N )) Ir"
done

echo "== 2. server under callgrind, one client backend: marginal Ir per transaction"
backend_ir() {  # preload, statements file -> Ir of that session's backend
    local pre=$1 pid
    pid=$(bpsql -f "$2" -c "SELECT pg_backend_pid()" | tail -1)
    sleep 2   # the backend writes its profile as it exits
    total_ir "$OUT/cg.$pid"
    if [ "${3:-}" = keep ]; then cp "$OUT/cg.$pid" "$OUT/backend.${pre:-none}"; fi
}
for pre in "" pool_optimizer; do
    cp "$DATA/postgresql.conf.base" "$DATA/postgresql.conf"
    cat >>"$DATA/postgresql.conf" <<CONF
listen_addresses = ''
port = $BENCH_PORT
unix_socket_directories = '$BENCH_DIR'
shared_buffers = 16MB
autovacuum = off
${pre:+shared_preload_libraries = '$pre'}
CONF
    as_test_user valgrind --tool=callgrind --trace-children=yes --callgrind-out-file="$OUT/cg.%p" \
        "$PG_BINDIR/postgres" -D "$DATA" >"$BENCH_DIR/vg.${pre:-none}.log" 2>&1 &
    for _ in $(seq 120); do bpsql -c "SELECT 1" >/dev/null 2>&1 && break; sleep 1; done
    bpsql -f "$BENCH_DIR/batch.sql" >/dev/null   # warm the caches
    for r in 1 2 3; do
        i1=$(backend_ir "$pre" "$BENCH_DIR/batch.sql"); i2=$(backend_ir "$pre" "$BENCH_DIR/batch2.sql" keep)
        echo "${pre:-none} round $r: session of $N: $i1 Ir, of $((2 * N)): $i2 Ir, marginal per transaction $(( (i2 - i1) / N )) Ir"
    done
    as_test_user "$PG_BINDIR/pg_ctl" -D "$DATA" -m fast -w -t 300 stop >/dev/null
done
echo "== on_transaction_end, inclusive, in the last pool_optimizer session of $((2 * N)) statements"
callgrind_annotate --inclusive=yes "$OUT/backend.pool_optimizer" 2>/dev/null | grep -E "on_transaction_end|CallXactCallbacks|GetCurrentTimestamp|PROGRAM TOTALS" | head -8
