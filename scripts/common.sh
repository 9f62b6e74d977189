# Shared by scripts/test.sh and scripts/demo.sh: where PostgreSQL is, and who runs it.
PG_MAJOR=${PG_MAJOR:-15}
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/$PG_MAJOR/bin/pg_config}
PG_BINDIR=$("$PG_CONFIG" --bindir)
PGXS_DIR=$(dirname "$("$PG_CONFIG" --pgxs)")/..

# initdb and pg_regress refuse to run as root: as root, PostgreSQL runs as this user.
if [ "$(id -u)" -eq 0 ]; then
    RUN_USER=${POOL_OPTIMIZER_TEST_USER:-postgres}
    as_test_user() { runuser -u "$RUN_USER" -- "$@"; }
    SUDO=""
else
    RUN_USER=$(id -un)
    as_test_user() { "$@"; }
    SUDO="sudo"
fi

# A scratch directory the test user owns, removed on exit.
make_scratch_dir() {
    local dir
    dir=$(mktemp -d /tmp/pool_optimizer.XXXXXX)
    chmod 755 "$dir"
    [ "$(id -u)" -eq 0 ] && chown "$RUN_USER" "$dir"
    echo "$dir"
}
