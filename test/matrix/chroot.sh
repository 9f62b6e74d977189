# shellcheck shell=bash
# Debian chroots for the version matrix, sourced by test/matrix/run.sh.
# One chroot per Debian suite, built with debootstrap and kept in $MATRIX_CACHE; it is
# rebuilt only when the suite or its package list changes (a stamp file holds both).

MATRIX_CACHE=${POOL_OPTIMIZER_MATRIX_CACHE:-/var/cache/pool_optimizer-matrix}
MATRIX_MIRROR=${POOL_OPTIMIZER_MATRIX_MIRROR:-http://deb.debian.org/debian}

# Debian suite that ships each PostgreSQL major version.
suite_for_version() {
    case $1 in
        13) echo bullseye ;;
        17) echo trixie ;;
        18) echo sid ;;
        *) return 1 ;;
    esac
}

# Building and testing needs; postgresql-server-dev-N depends on the clang and llvm
# that its PGXS uses for bitcode, so the chroot builds bitcode just as the host does.
chroot_packages() {
    local extra=""
    [ "$1" -lt 14 ] && extra=" libssl-dev"  # libpq-be.h includes openssl/ssl.h up to 13
    echo "postgresql-$1 postgresql-server-dev-$1 make g++ libboost-dev libkrb5-dev libipc-run-perl libyaml-libyaml-perl$extra"
}

# Runs a command in ROOT with /proc, /sys and /dev mounted (the extension reads /proc,
# cgroup and sysfs files; PostgreSQL needs /dev/shm), for at most $MATRIX_STEP_TIMEOUT.
# The command runs in its own mount and PID namespaces: when it ends, however it ends
# (timeout, kill -9 of this script), the kernel kills every process left inside (a
# stray postmaster) and drops the mounts, so nothing stays mounted or running on the host.
MATRIX_STEP_TIMEOUT=${POOL_OPTIMIZER_MATRIX_STEP_TIMEOUT:-40m}
in_chroot() {
    local root=$1; shift
    # shellcheck disable=SC2016  # the inner script expands its own arguments
    timeout -k 30s "$MATRIX_STEP_TIMEOUT" \
        unshare --mount --pid --fork --kill-child --propagation private -- bash -c '
        set -e
        r=$1; shift
        mount -t proc proc "$r/proc"
        mount --rbind /sys "$r/sys"
        mount --rbind /dev "$r/dev"
        exec chroot "$r" /usr/bin/env -i HOME=/root LC_ALL=C.UTF-8 \
            PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"' _ "$root" "$@"
}

# Installs debootstrap on the host when missing.
ensure_debootstrap() {
    command -v debootstrap >/dev/null && return 0
    echo "matrix: installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap
}

# Prints the root of the chroot for PostgreSQL VERSION, building it when absent or stale.
# Concurrent runs wait for each other's build (flock) and never see a half-built tree.
ensure_chroot() {
    local version=$1 suite packages stamp root
    suite=$(suite_for_version "$version") || { echo "matrix: no Debian suite for PostgreSQL $version" >&2; return 1; }
    packages=$(chroot_packages "$version")
    stamp="$suite $packages"
    root=$MATRIX_CACHE/$suite
    mkdir -p "$MATRIX_CACHE"
    (
        flock 9
        [ "$(cat "$root/.matrix-stamp" 2>/dev/null)" = "$stamp" ] && exit 0
        # Same suite, another package list: install the list into the cached tree rather
        # than bootstrapping it again (minutes instead of ten).
        if [ -d "$root" ] && [ "$(cut -d' ' -f1 "$root/.matrix-stamp" 2>/dev/null)" = "$suite" ]; then
            echo "matrix: updating the packages of the $suite chroot" >&2
            # shellcheck disable=SC2086  # the package list is words
            if in_chroot "$root" sh -c "export DEBIAN_FRONTEND=noninteractive &&
                apt-get update -qq && apt-get install -y -qq --no-install-recommends $packages &&
                apt-get clean" >>"$MATRIX_CACHE/$suite.log" 2>&1; then
                echo "$stamp" >"$root/.matrix-stamp"
                exit 0
            fi
            echo "matrix: updating failed, building the $suite chroot afresh" >&2
        fi
        ensure_debootstrap >&2
        echo "matrix: building the $suite chroot for PostgreSQL $version in $root" >&2
        rm -rf "$root.new"
        timeout 30m debootstrap --variant=minbase "$suite" "$root.new" "$MATRIX_MIRROR" >"$MATRIX_CACHE/$suite.log" 2>&1 ||
            { tail -20 "$MATRIX_CACHE/$suite.log" >&2; exit 1; }
        # Packages must not start services or create a cluster inside the chroot.
        printf '#!/bin/sh\nexit 101\n' >"$root.new/usr/sbin/policy-rc.d"
        chmod 755 "$root.new/usr/sbin/policy-rc.d"
        mkdir -p "$root.new/etc/postgresql-common"
        echo "create_main_cluster = false" >"$root.new/etc/postgresql-common/createcluster.conf"
        cp /etc/resolv.conf "$root.new/etc/resolv.conf"
        # The mirror may serve a dated snapshot whose Release files have expired (sid's
        # are valid for a week); their signatures are still checked.
        echo 'Acquire::Check-Valid-Until "false";' >"$root.new/etc/apt/apt.conf.d/99matrix-snapshot"
        # shellcheck disable=SC2086  # the package list is words
        in_chroot "$root.new" sh -c "export DEBIAN_FRONTEND=noninteractive &&
            apt-get update -qq && apt-get install -y -qq --no-install-recommends $packages &&
            apt-get clean" >>"$MATRIX_CACHE/$suite.log" 2>&1 ||
            { tail -20 "$MATRIX_CACHE/$suite.log" >&2; exit 1; }
        echo "$stamp" >"$root.new/.matrix-stamp"
        rm -rf "$root"
        mv "$root.new" "$root"
    ) 9>"$MATRIX_CACHE/$suite.lock" || return 1
    echo "$root"
}
