#include "core/hold_histogram.hpp"

#include <cmath>

namespace poolopt::core {

HoldCounts hold_counts_since(const HoldCounts &later, const HoldCounts &earlier) {
    HoldCounts delta{};
    for (int b = 0; b < kHoldBuckets; ++b) {
        const uint64_t now = later.buckets[b], before = earlier.buckets[b];
        delta.buckets[b] = now >= before ? now - before : now;
    }
    return delta;
}

void add_hold_counts(HoldCounts &into, const HoldCounts &delta) {
    for (int b = 0; b < kHoldBuckets; ++b) into.buckets[b] += delta.buckets[b];
}

uint64_t hold_total(const HoldCounts &counts) {
    uint64_t total = 0;
    for (uint64_t count : counts.buckets) total += count;
    return total;
}

std::optional<double> hold_percentile_micros(const HoldCounts &counts, double q) {
    const uint64_t total = hold_total(counts);
    if (total == 0) return std::nullopt;
    if (!(q <= 1.0)) q = 1.0;
    if (q < 0.0) q = 0.0;
    // Rank 1..total; the cast cannot overflow, total is at most 2^64 - 1 and q <= 1.
    uint64_t rank = static_cast<uint64_t>(std::ceil(q * double(total)));
    if (rank < 1) rank = 1;
    if (rank > total) rank = total;
    uint64_t below = 0;
    for (int b = 0; b < kHoldBuckets; ++b) {
        const uint64_t count = counts.buckets[b];
        if (below + count < rank) {
            below += count;
            continue;
        }
        const double low = b == 0 ? 1.0 : std::ldexp(1.0, b);
        if (b == kHoldBuckets - 1) return low;
        // The holds of a bucket taken as spread evenly over its log scale; the rank's place
        // among them, at the middle of its share.
        const double within = (double(rank - below) - 0.5) / double(count);
        return low * std::exp2(within);
    }
    return std::ldexp(1.0, kHoldBuckets - 1);  // not reached: the ranks add up to total
}

HoldSummary summarise_holds(const HoldCounts &later, const HoldCounts &earlier) {
    const HoldCounts holds = hold_counts_since(later, earlier);
    HoldSummary summary;
    summary.counted = hold_total(holds);
    summary.p50_micros = hold_percentile_micros(holds, 0.50).value_or(0.0);
    summary.p95_micros = hold_percentile_micros(holds, 0.95).value_or(0.0);
    summary.p99_micros = hold_percentile_micros(holds, 0.99).value_or(0.0);
    return summary;
}

}  // namespace poolopt::core
