#!/usr/bin/env bash
# The demo: installs what is needed, builds pool_optimizer into a private copy of
# PostgreSQL, starts a throw-away PostgreSQL cluster with the library preloaded (temporary directory, its own
# port and socket, run by an unprivileged user), drives real pgbench load from two
# differently named applications, and prints what the extension measured.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
. scripts/common.sh

make -s -j"$(nproc)" PG_CONFIG="$SYSTEM_PG_CONFIG"
DEMO=$(make_scratch_dir)
make_private_install "$DEMO/install"
PORT=${DEMO_PORT:-55432}
DATA=$DEMO/data
stop() {
    as_test_user "$PG_BINDIR/pg_ctl" -D "$DATA" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$DEMO"
}
trap stop EXIT

echo "== throw-away cluster in $DATA (port $PORT, user $RUN_USER)"
as_test_user "$PG_BINDIR/initdb" -D "$DATA" -A trust -U postgres >/dev/null
cat >>"$DATA/postgresql.conf" <<CONF
listen_addresses = ''
port = $PORT
unix_socket_directories = '$DEMO'
shared_preload_libraries = 'pool_optimizer'
pool_optimizer.sample_interval = 250
max_connections = 100
CONF
as_test_user "$PG_BINDIR/pg_ctl" -D "$DATA" -l "$DEMO/server.log" -w start >/dev/null

psql_demo() { as_test_user "$PG_BINDIR/psql" -X -h "$DEMO" -p "$PORT" -U postgres "$@"; }
psql_demo -q -d postgres -c "CREATE EXTENSION pool_optimizer"
as_test_user "$PG_BINDIR/pgbench" -h "$DEMO" -p "$PORT" -U postgres -i -s 5 -q postgres 2>&1 | tail -1

echo "== load: 'checkout-service' (8 clients, TPC-B-like) and 'reporting' (3 clients, select-only), 15 s"
as_test_user env PGAPPNAME=checkout-service "$PG_BINDIR/pgbench" -h "$DEMO" -p "$PORT" \
    -U postgres -n -c 8 -j 2 -T 15 postgres >"$DEMO/checkout.txt" 2>&1 &
as_test_user env PGAPPNAME=reporting "$PG_BINDIR/pgbench" -h "$DEMO" -p "$PORT" \
    -U postgres -n -S -c 3 -j 1 -T 15 postgres >"$DEMO/reporting.txt" 2>&1 &
sleep 12

echo "== pool_metrics() while the load runs"
psql_demo -d postgres -c "
SELECT application_name, connections, active, idle, idle_in_transaction AS idle_in_tx,
       waiting_on_lock AS lock_wait, busy_mean::numeric(6,2), busy_p95, busy_max,
       round(saturation::numeric, 2) AS saturation, round(transactions_per_second::numeric) AS tps,
       round(mean_hold_time_ms::numeric, 2) AS hold_ms, connections_accepted AS accepted
FROM pool_metrics() ORDER BY application_name"
wait
grep -h "^tps\|number of transactions actually" "$DEMO/checkout.txt" "$DEMO/reporting.txt" | sed 's/^/   pgbench: /'

echo "== host_resources()"
psql_demo -d postgres -x -c "SELECT * FROM host_resources()"
echo "== pool_samples(): the last five samples"
psql_demo -d postgres -c "
SELECT sample_time::time(0), client_connections AS clients, active, idle, idle_in_transaction AS idle_in_tx,
       round(cpu_utilisation::numeric, 2) AS cpu, xact_commit, blks_hit, temp_files
FROM pool_samples() ORDER BY sample_time DESC LIMIT 5"
echo "== pool_recommendations(): what each pool should be"
psql_demo -d postgres -c "
SELECT application_name, connections, round(offered_load::numeric, 2) AS offered_load,
       pool_size, max_overflow, pool_timeout, pool_recycle, pre_ping, confidence
FROM pool_recommendations() WHERE application_name IN ('checkout-service', 'reporting')
ORDER BY application_name"
psql_demo -d postgres -At -c "
SELECT application_name || ': ' || reason FROM pool_recommendations()
WHERE application_name IN ('checkout-service', 'reporting') ORDER BY application_name"
echo "== pool_config('sqlalchemy')"
psql_demo -d postgres -At -c "
SELECT config FROM pool_config('sqlalchemy')
WHERE application_name IN ('checkout-service', 'reporting') ORDER BY application_name"
echo "== setting_recommendations(): the settings worth changing"
psql_demo -d postgres -c "
SELECT name, current_value, recommended_value, priority, alter_system
FROM setting_recommendations() WHERE status = 'change'"
echo "== pool_health()"
psql_demo -d postgres -c "SELECT * FROM pool_health()"
echo "== pool_optimizer_status()"
psql_demo -d postgres -x -c "SELECT * FROM pool_optimizer_status()"
