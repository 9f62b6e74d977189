#include "core/busy_histogram.hpp"

#include <cmath>
#include <cstring>

namespace poolopt::core {

namespace {

uint32_t saturating_add(uint32_t a, uint32_t b) {
    const uint32_t result = a + b;
    return result < a ? UINT32_MAX : result;
}

}  // namespace

void BusyHistogram::reset() {
    std::memset(static_cast<void *>(this), 0, sizeof(*this));
}

void BusyHistogram::add(uint32_t value) {
    uint32_t &count = counts_[bucket_index(value)];
    count = saturating_add(count, 1);
    ++samples_;
    sum_ += value;
    if (value > max_) max_ = value;
}

void BusyHistogram::merge(const BusyHistogram &other) {
    for (uint32_t i = 0; i < kBucketCount; ++i) {
        counts_[i] = saturating_add(counts_[i], other.counts_[i]);
    }
    samples_ += other.samples_;
    sum_ += other.sum_;
    if (other.max_ > max_) max_ = other.max_;
}

double BusyHistogram::mean() const {
    if (samples_ == 0) return 0.0;
    return static_cast<double>(sum_) / static_cast<double>(samples_);
}

uint32_t BusyHistogram::percentile(double q) const {
    const BusyHistogram *self = this;
    return percentile_of(&self, 1, q);
}

uint64_t BusyHistogram::samples_of(const BusyHistogram *const *parts, size_t count) {
    uint64_t samples = 0;
    for (size_t p = 0; p < count; ++p) samples += parts[p]->samples_;
    return samples;
}

uint64_t BusyHistogram::sum_of(const BusyHistogram *const *parts, size_t count) {
    uint64_t sum = 0;
    for (size_t p = 0; p < count; ++p) sum += parts[p]->sum_;
    return sum;
}

uint32_t BusyHistogram::max_of(const BusyHistogram *const *parts, size_t count) {
    uint32_t max = 0;
    for (size_t p = 0; p < count; ++p)
        if (parts[p]->max_ > max) max = parts[p]->max_;
    return max;
}

uint32_t BusyHistogram::percentile_of(const BusyHistogram *const *parts, size_t count, double q) {
    const uint64_t samples = samples_of(parts, count);
    const uint32_t max = max_of(parts, count);
    if (samples == 0) return 0;
    if (!(q > 0.0)) q = 0.0;
    if (q > 1.0) q = 1.0;

    // The tolerance keeps q = 0.95 of 1000 samples at rank 950 even when q * n lands a
    // rounding error above the integer.
    const double n = static_cast<double>(samples);
    uint64_t rank = static_cast<uint64_t>(std::ceil(q * n - 1e-9));
    if (rank < 1) rank = 1;
    if (rank > samples) rank = samples;

    uint64_t seen = 0;
    for (uint32_t i = 0; i < kBucketCount; ++i) {
        // Saturating per bucket, as merge() counts.
        uint32_t bucket = 0;
        for (size_t p = 0; p < count; ++p) bucket = saturating_add(bucket, parts[p]->counts_[i]);
        seen += bucket;
        if (seen >= rank) {
            const uint32_t upper = bucket_upper_bound(i);
            return upper < max ? upper : max;
        }
    }
    // Only reachable once a bucket count saturated; the largest value is the safe answer.
    return max;
}

}  // namespace poolopt::core
