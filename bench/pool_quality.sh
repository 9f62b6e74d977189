#!/usr/bin/env bash
# Recommendation quality benchmark (DESIGN.md, Targets): builds the extension into a
# private copy of PostgreSQL, starts a throw-away cluster with the library preloaded and
# short evaluation windows, and runs bench/pool_quality.py against it. See bench/README.md.
#
#   bench/pool_quality.sh [--workloads select,tpcb,sleep] [--sizes 1,2,4,...] [--repeats 3]
#
# Everything after the script name is passed to pool_quality.py. Results (a Markdown table
# and a JSON file) go to stdout and to $POOL_QUALITY_OUT (default bench/out/).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh

make -s -j"$(nproc)" PG_CONFIG="$SYSTEM_PG_CONFIG" >/dev/null
WORK=$(make_scratch_dir)
make_private_install "$WORK/install"
PORT=${BENCH_PORT:-55491}
DATA=$WORK/data
stop() {
    as_test_user "$PG_BINDIR/pg_ctl" -D "$DATA" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap stop EXIT

as_test_user "$PG_BINDIR/initdb" -D "$DATA" -A trust -U postgres >/dev/null
cat >>"$DATA/postgresql.conf" <<CONF
listen_addresses = ''
port = $PORT
unix_socket_directories = '$WORK'
shared_preload_libraries = 'pool_optimizer'
max_connections = 150
shared_buffers = 256MB
pool_optimizer.sample_interval = 100
pool_optimizer.evaluation_interval = 10
pool_optimizer.min_pool_size = ${BENCH_MIN_POOL_SIZE:-1}
pool_optimizer.max_pool_size = ${BENCH_MAX_POOL_SIZE:-96}
CONF
as_test_user "$PG_BINDIR/pg_ctl" -D "$DATA" -l "$WORK/server.log" -w start >/dev/null
as_test_user "$PG_BINDIR/psql" -X -q -h "$WORK" -p "$PORT" -U postgres -d postgres \
    -c "CREATE EXTENSION pool_optimizer"

OUT=${POOL_QUALITY_OUT:-$PWD/bench/out}
mkdir -p "$OUT"
python3 bench/pool_quality.py --bindir "$PG_BINDIR" --host "$WORK" --port "$PORT" \
    --scratch "$WORK" --run-user "$RUN_USER" --out "$OUT" "$@"
