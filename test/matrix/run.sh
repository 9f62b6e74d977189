#!/usr/bin/env bash
# The version matrix: builds the extension and runs the pg_regress and TAP suites on
# several PostgreSQL major versions, each but the host's in a cached Debian chroot
# (test/matrix/chroot.sh), and prints one summary line per version.
#
#   test/matrix/run.sh [15|17|18|13|all]...     (as root; default: all)
#
#   15  the host's PostgreSQL (Debian 12), suites only (scripts/test.sh runs the rest)
#   17  Debian trixie chroot, built and tested
#   18  Debian sid chroot, built and tested
#   13  Debian bullseye chroot, the library compiled only (objects, .so, bitcode): a
#       check of compat.hpp; PostgreSQL 13 lacks the PostgreSQL::Test::Cluster module of the TAP tests
# Cache: /var/cache/pool_optimizer-matrix (POOL_OPTIMIZER_MATRIX_CACHE); remove a suite's
# directory there to rebuild its chroot with newer packages.
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/matrix/chroot.sh
renice -n 19 $$ >/dev/null  # builds and tests yield to everything else on the machine

[ "$(id -u)" -eq 0 ] || { echo "matrix: run as root (debootstrap, chroot)" >&2; exit 1; }
versions=("$@")
[ ${#versions[@]} -eq 0 ] || [ "${versions[*]}" = all ] && versions=(15 17 18 13)

# Copies the working tree (tracked and untracked files, not build outputs) into a fresh
# directory of the chroot owned by its postgres user; prints the path inside the chroot.
copy_source() {
    local root=$1 dir
    dir=$(mktemp -d "$root/tmp/pool_optimizer-src.XXXXXX")
    git ls-files -z -co --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$dir"
    in_chroot "$root" chown -R postgres: "${dir#"$root"}"
    echo "${dir#"$root"}"
}

test_in_chroot() {
    local version=$1 root src status=0 mode=${2:-test}
    root=$(ensure_chroot "$version") || return 1
    src=$(copy_source "$root")
    local pg_config=/usr/lib/postgresql/$version/bin/pg_config
    if [ "$mode" = build ]; then
        # The whole library (objects, shared object and bitcode), never run: PostgreSQL 13
        # lacks the PostgreSQL::Test::Cluster module the TAP tests use.
        in_chroot "$root" runuser -u postgres -- sh -c "cd $src && make -s -j$(nproc) PG_CONFIG=$pg_config" || status=$?
    else
        in_chroot "$root" runuser -u postgres -- env PG_MAJOR="$version" \
            bash "$src/scripts/test.sh" --postgres-only || status=$?
    fi
    rm -rf "${root:?}$src"
    return "$status"
}

results=() failed=0
for v in "${versions[@]}"; do
    echo "=== matrix: PostgreSQL $v"
    start=$SECONDS status=0
    case $v in
        15) scripts/install-deps.sh && PG_MAJOR=15 scripts/test.sh --postgres-only || status=$? ;;
        13) test_in_chroot 13 build || status=$? ;;
        17 | 18) test_in_chroot "$v" || status=$? ;;
        *) echo "matrix: unknown version $v (known: 13 15 17 18 all)" >&2; status=2 ;;
    esac
    if [ "$status" -eq 0 ]; then outcome=ok; else outcome="FAILED (exit $status)"; failed=$((failed + 1)); fi
    [ "$v" = 13 ] && outcome="$outcome, compiled only"
    results+=("PostgreSQL $v: $outcome in $((SECONDS - start)) s")
done

echo
printf 'matrix: %s\n' "${results[@]}"
[ "$failed" -eq 0 ]
