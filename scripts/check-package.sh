#!/usr/bin/env bash
# Packaging checks, run by scripts/test.sh: META.json against the PGXN spec and the tree;
# debian/control up to date with control.in; `make dist` holds exactly the tracked files
# (less what .gitattributes leaves out); the extracted tarball with debian/ builds
# postgresql-<major>-pool-optimizer with dpkg-buildpackage; the package's files land in
# PostgreSQL's directories; and the pg_regress suites pass against the packaged extension
# (debian/tests/installcheck on a private copy of PostgreSQL with the .deb unpacked in it).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
. scripts/common.sh

SCRATCH=$(make_scratch_dir)
trap 'rm -rf "$SCRATCH"' EXIT
fail() { echo "check-package: $*" >&2; exit 1; }

echo "--- META.json"
prove test/packaging/check_meta.pl

echo "--- debian/control generated from debian/control.in"
pg_buildext checkcontrol || fail "debian/control is stale: run pg_buildext updatecontrol"

echo "--- make dist"
make -s dist DIST_DIR="$SCRATCH" 2>&1 | grep -v '^dist: uncommitted' || true
version=$(perl -MJSON::PP -0777 -ne 'print decode_json($_)->{version}' META.json)
tarball=$SCRATCH/pool_optimizer-$version.tar.gz
[ -f "$tarball" ] || fail "make dist made no $tarball"
# What the tarball should hold: every committed file but those marked export-ignore.
git ls-tree -r --name-only HEAD | git check-attr --stdin export-ignore |
    awk -F': ' '$3 != "set" { print "pool_optimizer-'"$version"'/" $1 }' | sort >"$SCRATCH/expected"
tar -tzf "$tarball" | grep -v '/$' | sort >"$SCRATCH/actual"
diff -u "$SCRATCH/expected" "$SCRATCH/actual" || fail "the tarball does not hold the tracked files"
for f in META.json pool_optimizer.control Makefile $(sed -n 's/^DATA *= *//p' Makefile); do
    grep -qx "pool_optimizer-$version/$f" "$SCRATCH/actual" || fail "tarball lacks $f"
done
! grep -q "/debian/" "$SCRATCH/actual" || fail "debian/ belongs to the Debian packaging, not the tarball"
echo "$(wc -l <"$SCRATCH/actual") files in $(basename "$tarball")"

echo "--- dpkg-buildpackage from the extracted tarball"
build=$SCRATCH/build
mkdir -p "$build"
tar -xzf "$tarball" -C "$build"
cp "$tarball" "$build/pool-optimizer_${version}.orig.tar.gz"
src=$build/pool_optimizer-$version
cp -a debian "$src/"
start=$(date +%s)
(cd "$src" && DEB_BUILD_OPTIONS="parallel=$(nproc) nocheck" dpkg-buildpackage -us -uc -b \
    >"$build/build.log" 2>&1) || { tail -60 "$build/build.log"; fail "dpkg-buildpackage failed"; }
echo "built in $(($(date +%s) - start)) s"

pkg=postgresql-$PG_MAJOR-pool-optimizer
deb=$(ls "$build/${pkg}_${version}"-*_*.deb)
dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's:^\./:/:' >"$SCRATCH/contents"
libdir=$("$SYSTEM_PG_CONFIG" --pkglibdir)
extdir=$("$SYSTEM_PG_CONFIG" --sharedir)/extension
for f in "$libdir/pool_optimizer.so" "$extdir/pool_optimizer.control" \
    $(sed -n 's/^DATA *= *//p' Makefile | tr ' ' '\n' | sed "s:^:$extdir/:") \
    "$libdir/bitcode/pool_optimizer.index.bc" "/usr/share/doc/$pkg/README.md.gz"; do
    grep -qx "$f" "$SCRATCH/contents" || fail "$(basename "$deb") lacks $f"
done
stray=$(grep -v -e "^$libdir/" -e "^$extdir/" -e "^/usr/share/doc/$pkg/" "$SCRATCH/contents" |
    grep -v '/$' || true)
[ -z "$stray" ] || fail "files outside PostgreSQL's directories: $stray"
[ "$(dpkg-deb -f "$deb" Package)" = "$pkg" ] || fail "package name"
dpkg-deb -f "$deb" Depends | grep -q "postgresql-$PG_MAJOR" || fail "no dependency on postgresql-$PG_MAJOR"
echo "$(basename "$deb"): $(grep -vc '/$' "$SCRATCH/contents") files, depends on $(dpkg-deb -f "$deb" Depends)"

echo "--- pg_regress against the packaged extension"
make_private_install "$SCRATCH/install" "$deb"
PG_CONFIGS=$PG_CONFIG debian/tests/installcheck
