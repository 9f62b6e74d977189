// Histogram of busy-connection counts, sized to live in PostgreSQL shared memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace poolopt::core {

// Distribution of small non-negative integer samples (busy connections per sample, which
// PostgreSQL bounds by MAX_BACKENDS = 2^18 - 1).
//
// Buckets: one per value below 64, so small pools get exact percentiles; above that 16
// log-linear sub-buckets per power of two, so a reported value is at most 1/16 (6.25 %)
// above the true one. The regular buckets end at 2^18 - 1; larger values go to the last
// bucket, whose upper bound is therefore unbounded (percentiles there report max()).
//
// Concurrency protocol: none inside; the owner's lock provides it. Only the worker writes
// (reset, add, merge), holding the owner's LWLock exclusively; readers take that lock
// shared and read or copy the histogram (it is trivially copyable, so a copy is a
// memcpy). No pointers, no constructor: all-zero memory is an empty histogram, and the
// owner still calls reset() once when it initialises shared memory.
class BusyHistogram {
  public:
    static constexpr uint32_t kExactLimit = 64;  // values below get a bucket each
    static constexpr uint32_t kSubBucketBits = 4;
    static constexpr uint32_t kSubBuckets = 1u << kSubBucketBits;
    static constexpr uint32_t kTopPowerOfTwo = 18;
    static constexpr uint32_t kTopValue = (1u << kTopPowerOfTwo) - 1;  // last regular value
    static constexpr uint32_t kBucketCount =
        kExactLimit + (kTopPowerOfTwo - 6 /* log2(kExactLimit) */) * kSubBuckets;

    void reset();
    void add(uint32_t value);
    void merge(const BusyHistogram &other);

    uint64_t samples() const { return samples_; }
    uint64_t sum() const { return sum_; }
    uint32_t max() const { return max_; }
    double mean() const;

    // Nearest-rank percentile, q in [0, 1] (clamped; NaN counts as 0). Exact below
    // kExactLimit; above, the upper bound of the bucket holding that rank, never more
    // than max(). 0 when empty.
    uint32_t percentile(double q) const;

    // Several histograms taken together: what merge() into one and then percentile(),
    // samples(), sum() or max() would give, without building the merged histogram (a
    // reader summarising two windows per group saves the copy and the merge).
    static uint32_t percentile_of(const BusyHistogram *const *parts, size_t count, double q);
    static uint64_t samples_of(const BusyHistogram *const *parts, size_t count);
    static uint64_t sum_of(const BusyHistogram *const *parts, size_t count);
    static uint32_t max_of(const BusyHistogram *const *parts, size_t count);

    uint32_t bucket_count(uint32_t index) const { return counts_[index]; }

    static constexpr uint32_t bucket_index(uint32_t value) {
        if (value < kExactLimit) return value;
        if (value > kTopValue) return kBucketCount - 1;
        const uint32_t power = 31 - static_cast<uint32_t>(__builtin_clz(value));
        const uint32_t width_bits = power - kSubBucketBits;
        const uint32_t sub_bucket = (value >> width_bits) - kSubBuckets;
        return kExactLimit + (power - 6) * kSubBuckets + sub_bucket;
    }
    static constexpr uint32_t bucket_lower_bound(uint32_t index) {
        if (index < kExactLimit) return index;
        const uint32_t log_index = index - kExactLimit;
        const uint32_t width_bits = 6 + log_index / kSubBuckets - kSubBucketBits;
        return (kSubBuckets + log_index % kSubBuckets) << width_bits;
    }
    // Inclusive. The last bucket also holds every clamped value, hence UINT32_MAX.
    static constexpr uint32_t bucket_upper_bound(uint32_t index) {
        if (index < kExactLimit) return index;
        if (index == kBucketCount - 1) return UINT32_MAX;
        return bucket_lower_bound(index + 1) - 1;
    }

  private:
    uint64_t samples_;
    uint64_t sum_;
    uint32_t max_;
    // Saturating: 2^32 samples is over a century at one sample per second, but a merge
    // of many histograms must not wrap into a tiny count.
    uint32_t counts_[kBucketCount];
};

static_assert(std::is_trivially_copyable_v<BusyHistogram>, "lives in shared memory");
static_assert(std::is_trivially_default_constructible_v<BusyHistogram>,
              "usable on zeroed shared memory without construction");
static_assert(std::is_standard_layout_v<BusyHistogram>, "same layout in every process");
static_assert(sizeof(BusyHistogram) <= 1056, "keep the per-group footprint near 1 KiB");
static_assert(BusyHistogram::bucket_index(BusyHistogram::kTopValue) ==
              BusyHistogram::kBucketCount - 1);

}  // namespace poolopt::core
