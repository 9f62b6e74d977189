# Shared by scripts/test.sh and scripts/demo.sh: where PostgreSQL is, who runs it, and a
# private installation of PostgreSQL with this extension for throw-away clusters.
PG_MAJOR=${PG_MAJOR:-15}
SYSTEM_PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/$PG_MAJOR/bin/pg_config}

# initdb and pg_regress refuse to run as root: as root, PostgreSQL runs as this user.
if [ "$(id -u)" -eq 0 ]; then
    RUN_USER=${POOL_OPTIMIZER_TEST_USER:-postgres}
    as_test_user() { runuser -u "$RUN_USER" -- "$@"; }
else
    RUN_USER=$(id -un)
    as_test_user() { "$@"; }
fi

# A scratch directory the test user owns.
make_scratch_dir() {
    local dir
    dir=$(mktemp -d /tmp/pool_optimizer.XXXXXX)
    chmod 755 "$dir"
    if [ "$(id -u)" -eq 0 ]; then chown "$RUN_USER" "$dir"; fi
    echo "$dir"
}

# Copies the system's PostgreSQL into DIR and installs the freshly built extension there,
# as PostgreSQL's own "make check" does: PostgreSQL finds its share and lib directories
# relative to its binaries, so tests need neither root nor a change to the system.
# Sets PG_BINDIR and PG_CONFIG to the private copy. With a .deb as second argument, the
# extension comes from that package instead (any copy of it the system has is removed first).
make_private_install() {
    local dir=$1 deb=${2:-} libdir sharedir
    libdir=$("$SYSTEM_PG_CONFIG" --pkglibdir)
    sharedir=$("$SYSTEM_PG_CONFIG" --sharedir)
    local bindir; bindir=$("$SYSTEM_PG_CONFIG" --bindir)
    mkdir -p "$dir$(dirname "$bindir")" "$dir$(dirname "$sharedir")"
    cp -a "$(dirname "$bindir")/." "$dir$(dirname "$bindir")/"
    cp -a "$sharedir" "$dir$(dirname "$sharedir")/"
    [ -d "$dir$libdir" ] || cp -a "$libdir" "$dir$(dirname "$libdir")/"
    if [ -n "$deb" ]; then
        rm -rf "$dir$libdir"/pool_optimizer.so "$dir$libdir"/bitcode/pool_optimizer* \
            "$dir$sharedir"/extension/pool_optimizer[.-]*
        dpkg-deb -x "$deb" "$dir"
    else
        make -s install PG_CONFIG="$SYSTEM_PG_CONFIG" DESTDIR="$dir" >/dev/null
    fi
    PG_BINDIR=$dir$bindir
    PG_CONFIG=$PG_BINDIR/pg_config
    PGXS_DIR=$(dirname "$(dirname "$(dirname "$("$PG_CONFIG" --pgxs)")")")
}
