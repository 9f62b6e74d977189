// Transaction hold times (commit or abort minus the transaction's start, idle-in-transaction
// time included) counted in powers of two of microseconds: the percentiles that the pool
// timeout and the idle-in-transaction timeout rest on, which a mean hides.
#pragma once

#include <cstdint>
#include <optional>
#include <type_traits>

namespace poolopt::core {

// Bucket b >= 1 counts holds in [2^b, 2^(b+1)) µs, bucket 0 those under 2 µs, and the last
// bucket every hold from 2^31 µs (about 36 minutes) up.
inline constexpr int kHoldBuckets = 32;

constexpr int hold_bucket(uint64_t micros) {
    if (micros < 2) return 0;
    const int power = 63 - __builtin_clzll(micros);
    return power < kHoldBuckets - 1 ? power : kHoldBuckets - 1;
}

// Cumulative counts per bucket. No protocol of its own: it lives inside structures whose
// owners state theirs. All-zero memory is an empty histogram.
struct HoldCounts {
    uint64_t buckets[kHoldBuckets];
};
static_assert(std::is_trivially_copyable_v<HoldCounts>);

// What `later` counted since `earlier`, bucket by bucket; a bucket that went backwards (a
// reset in between) counts from 0.
HoldCounts hold_counts_since(const HoldCounts &later, const HoldCounts &earlier);
void add_hold_counts(HoldCounts &into, const HoldCounts &delta);
uint64_t hold_total(const HoldCounts &counts);

// The q-quantile of the counted holds in microseconds, q in [0, 1] (clamped; NaN counts as
// 1): the nearest rank, placed inside its bucket by interpolating on a log scale between the
// bucket's bounds, so it is within a factor of 2 of the true value. A rank in the last
// bucket reports that bucket's lower bound. Nothing when no hold was counted.
std::optional<double> hold_percentile_micros(const HoldCounts &counts, double q);

// The holds counted between two readings of the same cumulative counts, reduced to what the
// readers show: how many, and their percentiles in microseconds (0 when none).
struct HoldSummary {
    uint64_t counted;
    double p50_micros, p95_micros, p99_micros;
};
static_assert(std::is_trivially_copyable_v<HoldSummary>);
HoldSummary summarise_holds(const HoldCounts &later, const HoldCounts &earlier);

}  // namespace poolopt::core
