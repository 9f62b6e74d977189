#!/usr/bin/env bash
# Throughput overhead: pgbench select-only and TPC-B-like on one data directory, with
# interleaved rounds of each configuration (restart between configurations), reported as
# the median TPS ratio to "none" with its min..max spread across rounds.
#   bench/overhead.sh [rounds=5] [seconds=8] [scale=10]
. "$(dirname "$0")/lib.sh"
ROUNDS=${1:-5}; SECS=${2:-8}; SCALE=${3:-10}; WARM=${WARM:-3}
CONFIGS=(none po_default po_10ms pgss)
conf_for() {
    case $1 in
        none) echo "" ;;
        po_default) echo "shared_preload_libraries = 'pool_optimizer'" ;;
        po_10ms) printf "shared_preload_libraries = 'pool_optimizer'\npool_optimizer.sample_interval = 10" ;;
        pgss) echo "shared_preload_libraries = 'pg_stat_statements'" ;;
    esac
}
bench_setup
OUT=$BENCH_DIR/tps.txt; : >"$OUT"
pg_start ""
bpgbench -i -s "$SCALE" -q >/dev/null 2>&1
bpsql -c "VACUUM ANALYZE" ; pg_stop
for r in $(seq "$ROUNDS"); do
    # rotate the order each round so no configuration always follows the same one
    for i in "${!CONFIGS[@]}"; do
        c=${CONFIGS[$(( (i + r) % ${#CONFIGS[@]} ))]}
        pg_start "$(conf_for "$c")"
        for mode in select tpcb; do
            flag=; [ $mode = select ] && flag=-S
            bpgbench -n $flag -c 8 -j 2 -T "$WARM" >/dev/null 2>&1
            tps=$(bpgbench -n $flag -c 8 -j 2 -T "$SECS" 2>&1 | awk '/^tps/{print $3; exit}')
            echo "$r $c $mode $tps" | tee -a "$OUT"
        done
        pg_stop
    done
done
echo "== $(machine_info)"
echo "== rounds $ROUNDS x ${SECS}s, warm-up ${WARM}s, scale $SCALE, -c 8 -j 2"
for mode in select tpcb; do
    for c in "${CONFIGS[@]}"; do
        printf '%-6s %-10s TPS median ' $mode $c
        awk -v m=$mode -v c=$c '$2==c && $3==m {print $4}' "$OUT" | stats
        [ $c = none ] && continue
        printf '%-6s %-10s ratio/none (same round) ' $mode $c
        awk -v m=$mode -v c=$c '$3==m && $2=="none"{n[$1]=$4} $3==m && $2==c {x[$1]=$4} END{for(r in x) if(n[r]>0) print x[r]/n[r]}' "$OUT" | stats
    done
done
