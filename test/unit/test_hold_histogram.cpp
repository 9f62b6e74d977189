#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/hold_histogram.hpp"

using namespace poolopt::core;

namespace {

HoldCounts counts_of(std::initializer_list<std::pair<uint64_t, uint64_t>> holds_and_times) {
    HoldCounts counts{};
    for (auto [micros, times] : holds_and_times) counts.buckets[hold_bucket(micros)] += times;
    return counts;
}

}  // namespace

TEST(HoldHistogram, BucketsArePowersOfTwoOfMicroseconds) {
    EXPECT_EQ(hold_bucket(0), 0);
    EXPECT_EQ(hold_bucket(1), 0);
    EXPECT_EQ(hold_bucket(2), 1);
    EXPECT_EQ(hold_bucket(3), 1);
    EXPECT_EQ(hold_bucket(4), 2);
    EXPECT_EQ(hold_bucket(1023), 9);
    EXPECT_EQ(hold_bucket(1024), 10);
    EXPECT_EQ(hold_bucket((uint64_t(1) << 31) - 1), 30);
    EXPECT_EQ(hold_bucket(uint64_t(1) << 31), kHoldBuckets - 1);
    EXPECT_EQ(hold_bucket(std::numeric_limits<uint64_t>::max()), kHoldBuckets - 1);
}

TEST(HoldHistogram, NoHoldsHaveNoPercentile) {
    EXPECT_FALSE(hold_percentile_micros(HoldCounts{}, 0.5).has_value());
}

TEST(HoldHistogram, PercentilesStayWithinTheirBucket) {
    // Every hold 1000 µs: bucket [512, 1024); each percentile lies inside it.
    HoldCounts same = counts_of({{1000, 500}});
    for (double q : {0.0, 0.5, 0.95, 0.99, 1.0}) {
        double p = *hold_percentile_micros(same, q);
        EXPECT_GE(p, 512.0) << q;
        EXPECT_LT(p, 1024.0) << q;
    }
    // Ranks place themselves in order through the bucket.
    EXPECT_LT(*hold_percentile_micros(same, 0.1), *hold_percentile_micros(same, 0.9));
}

TEST(HoldHistogram, AFewLongHoldsShowInTheP99NotInTheMedian) {
    // 980 transactions of 300 µs, 20 of 2 s: the mean (40 ms) describes neither; the median
    // is about 300 µs and the p99 about 2 s, each within a factor of 2.
    HoldCounts holds = counts_of({{300, 980}, {2'000'000, 20}});
    double p50 = *hold_percentile_micros(holds, 0.50);
    double p95 = *hold_percentile_micros(holds, 0.95);
    double p99 = *hold_percentile_micros(holds, 0.99);
    EXPECT_GE(p50, 150.0);
    EXPECT_LE(p50, 600.0);
    EXPECT_LE(p95, 600.0);
    EXPECT_GE(p99, 1'000'000.0);
    EXPECT_LE(p99, 4'000'000.0);
}

TEST(HoldHistogram, OutOfRangeQuantilesAreClamped) {
    HoldCounts holds = counts_of({{10, 1}, {10'000, 1}});
    EXPECT_EQ(*hold_percentile_micros(holds, -1.0), *hold_percentile_micros(holds, 0.0));
    EXPECT_EQ(*hold_percentile_micros(holds, 7.0), *hold_percentile_micros(holds, 1.0));
    EXPECT_EQ(*hold_percentile_micros(holds, std::nan("")), *hold_percentile_micros(holds, 1.0));
    EXPECT_GE(*hold_percentile_micros(holds, 1.0), 8192.0);
}

TEST(HoldHistogram, TheLastBucketReportsItsLowerBound) {
    HoldCounts holds = counts_of({{uint64_t(1) << 40, 3}});
    EXPECT_DOUBLE_EQ(*hold_percentile_micros(holds, 0.99), std::ldexp(1.0, kHoldBuckets - 1));
}

TEST(HoldHistogram, DifferencesAndSums) {
    HoldCounts earlier = counts_of({{100, 5}, {5000, 1}});
    HoldCounts later = counts_of({{100, 8}, {5000, 1}, {20, 2}});
    HoldCounts since = hold_counts_since(later, earlier);
    EXPECT_EQ(hold_total(since), 5u);
    EXPECT_EQ(since.buckets[hold_bucket(100)], 3u);
    EXPECT_EQ(since.buckets[hold_bucket(20)], 2u);
    // A bucket that went backwards (a reset in between) counts from 0.
    EXPECT_EQ(hold_counts_since(earlier, later).buckets[hold_bucket(100)], 5u);
    add_hold_counts(since, earlier);
    EXPECT_EQ(hold_total(since), 11u);
}
