#!/usr/bin/env bash
# Installs what is needed, builds the extension, and runs every test suite: C++ unit tests
# (plain and sanitized), pg_regress suites and TAP integration tests against throw-away
# instances of a private copy of PostgreSQL with the extension installed. Works as root
# (PostgreSQL then runs as the postgres user) and as an ordinary user (sudo is needed only
# when packages are missing).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# --postgres-only: the pg_regress and TAP suites alone, packages already installed (the
# version matrix runs this inside its chroots, test/matrix/run.sh).
postgres_only=false
[ "${1:-}" = --postgres-only ] && postgres_only=true

$postgres_only || scripts/install-deps.sh
. scripts/common.sh

make -s -j"$(nproc)" PG_CONFIG="$SYSTEM_PG_CONFIG"

passed=0 failed=0
run_suite() {
    local name=$1; shift
    echo "=== $name"
    if "$@"; then passed=$((passed + 1)); echo "=== $name: ok"
    else failed=$((failed + 1)); echo "=== $name: FAILED"; fi
}

SCRATCH=$(make_scratch_dir)
trap 'rm -rf "$SCRATCH"' EXIT
make_private_install "$SCRATCH/install"

micro_bench_smoke() {
    make -s micro-bench && test/build/micro/aggregation --benchmark_min_time=0.01 >/dev/null
}

if ! $postgres_only; then
    run_suite "unit tests" make -s -j"$(nproc)" unittest
    run_suite "unit tests (AddressSanitizer, UndefinedBehaviorSanitizer)" make -s -j"$(nproc)" unittest-sanitized
    # Every parser target for FUZZ_SECONDS each (20 s keeps CI short; run longer by hand).
    run_suite "fuzzing (libFuzzer)" make -s -j"$(nproc)" fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-20}"
    # Built and run once, briefly, so that the benchmark cannot rot unnoticed; its figures
    # are read only in bench/aggregation.sh, never judged here.
    run_suite "micro-benchmark (builds and runs)" micro_bench_smoke
fi

regress() {
    as_test_user make -s installcheck PG_CONFIG="$PG_CONFIG" \
        REGRESS_INSTANCE="$SCRATCH/regress_instance" \
        EXTRA_REGRESS_OPTS="--outputdir=$SCRATCH/regress" || {
        cat "$SCRATCH/regress/regression.diffs" 2>/dev/null | head -200
        return 1
    }
}
run_suite "pg_regress" regress

integration() {
    as_test_user mkdir -p "$SCRATCH/tap/tmp_check/log"
    as_test_user env PATH="$PG_BINDIR:$PATH" \
        PERL5LIB="$PGXS_DIR/src/test/perl" \
        TESTDIR="$SCRATCH/tap" PG_REGRESS="$PGXS_DIR/src/test/regress/pg_regress" \
        prove --timer -v "$ROOT"/test/integration/t/*.pl
}
run_suite "integration (TAP)" integration

# META.json, make dist, and the .deb built from the tarball, unpacked and regression-tested.
$postgres_only || run_suite "packaging" scripts/check-package.sh

# The version matrix (README, Versions), one suite per version, on request: a cold run
# (chroots built from nothing) takes longer than every other suite together.
if ! $postgres_only && [ "${POOL_OPTIMIZER_MATRIX:-0}" = 1 ]; then
    for v in 17 18; do run_suite "PostgreSQL $v (test/matrix)" test/matrix/run.sh "$v"; done
fi

echo
echo "summary: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
