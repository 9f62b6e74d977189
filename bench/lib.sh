# Shared by the benchmarks in bench/: a private PostgreSQL install with the freshly built
# extension (scripts/common.sh) and one throw-away cluster per benchmark run.
# Usage: . bench/lib.sh; bench_setup; pg_start "extra conf lines"; ...; pg_stop
set -euo pipefail
BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$BENCH_ROOT"
. scripts/common.sh
BENCH_PORT=${BENCH_PORT:-55499}

bench_setup() {
    make -s -j2 PG_CONFIG="$SYSTEM_PG_CONFIG" >/dev/null
    BENCH_DIR=$(make_scratch_dir)
    make_private_install "$BENCH_DIR/install"
    DATA=$BENCH_DIR/data
    trap bench_cleanup EXIT
    as_test_user "$PG_BINDIR/initdb" -D "$DATA" -A trust -U postgres >/dev/null
    cp "$DATA/postgresql.conf" "$DATA/postgresql.conf.base"
}

bench_cleanup() {
    pg_stop
    [ -n "${KEEP_BENCH_DIR:-}" ] || rm -rf "$BENCH_DIR"
}

# pg_start "conf lines": rewrites postgresql.conf from the base plus these lines, starts.
pg_start() {
    cp "$DATA/postgresql.conf.base" "$DATA/postgresql.conf"
    cat >>"$DATA/postgresql.conf" <<CONF
listen_addresses = ''
port = $BENCH_PORT
unix_socket_directories = '$BENCH_DIR'
shared_buffers = 256MB
$1
CONF
    chown "$RUN_USER" "$DATA/postgresql.conf" 2>/dev/null || true
    as_test_user "$PG_BINDIR/pg_ctl" -D "$DATA" -l "$BENCH_DIR/server.log" -w -t 120 start >/dev/null
}

pg_stop() {
    as_test_user "$PG_BINDIR/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null 2>&1 || true
}

# Clients run as the invoking user (the socket is world-accessible, authentication is trust).
bpsql() { "$PG_BINDIR/psql" -X -q -At -h "$BENCH_DIR" -p "$BENCH_PORT" -U postgres -d postgres "$@"; }
bpgbench() { "$PG_BINDIR/pgbench" -h "$BENCH_DIR" -p "$BENCH_PORT" -U postgres "$@" postgres; }

# Machine line for RESULTS.md.
machine_info() {
    echo "date $(date -u +%Y-%m-%dT%H:%MZ); nproc $(nproc); memory $(free -g | awk '/Mem:/{print $2}') GB;" \
         "kernel $(uname -r); $("$PG_BINDIR/postgres" --version)"
}

# median / min / max of numbers on stdin
stats() { sort -g | awk '{a[NR]=$1} END{ if(NR==0){print "n/a"; exit} m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.4g (min %.4g, max %.4g, n=%d)\n", m, a[1], a[NR], NR}'; }
