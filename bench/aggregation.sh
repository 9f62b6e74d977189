#!/usr/bin/env bash
# Google Benchmark of the sampling core (bench/micro/aggregation.cpp): the cost of
# aggregating one sample of 10, 100 and 1000 backends into the group table, per sample and
# per backend, outside PostgreSQL. Median of REPETITIONS (5) repetitions.
#   bench/aggregation.sh
set -euo pipefail
cd "$(dirname "$0")/.."
make -s micro-bench
echo "== date $(date -u +%Y-%m-%dT%H:%MZ); nproc $(nproc); kernel $(uname -r); $(g++ --version | head -1)"
test/build/micro/aggregation --benchmark_repetitions="${REPETITIONS:-5}" \
    --benchmark_report_aggregates_only=true --benchmark_min_time=0.5
