#!/usr/bin/env bash
# Installs what building, testing and the demo need on Debian 12 (PostgreSQL 15).
# Runs apt-get only when something is missing; uses sudo when not root.
set -euo pipefail

PG_MAJOR=${PG_MAJOR:-15}
packages=(
    make g++ clang-14 llvm-14 pkg-config
    "postgresql-$PG_MAJOR" "postgresql-client-$PG_MAJOR" "postgresql-server-dev-$PG_MAJOR"
    libkrb5-dev          # libpq-be.h includes gssapi/gssapi.h
    libboost-dev         # Boost.Lockfree, header-only
    libgtest-dev         # C++ unit tests
    libbenchmark-dev     # bench/aggregation.sh (Google Benchmark)
    valgrind bc          # bench/: callgrind instruction counts (hooks.sh, latency.sh), arithmetic
    libclang-rt-14-dev   # libFuzzer and the sanitizer runtimes of clang-14 (make fuzz)
    libipc-run-perl      # TAP integration tests (PostgreSQL::Test::Cluster)
    libyaml-libyaml-perl # TAP test of contrib/postgres_exporter (YAML::XS)
    debhelper postgresql-server-dev-all  # scripts/check-package.sh: dpkg-buildpackage, pg_buildext
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
