#include "core/busy_histogram.hpp"

#include <cstring>
#include <limits>

#include <gtest/gtest.h>

using poolopt::core::BusyHistogram;

namespace {

BusyHistogram empty_histogram() {
    BusyHistogram histogram;
    histogram.reset();
    return histogram;
}

BusyHistogram uniform_1_to_1000() {
    BusyHistogram histogram = empty_histogram();
    for (uint32_t value = 1; value <= 1000; ++value) histogram.add(value);
    return histogram;
}

}  // namespace

TEST(BusyHistogram, EmptyReportsZeroEverywhere) {
    const BusyHistogram histogram = empty_histogram();
    EXPECT_EQ(histogram.samples(), 0u);
    EXPECT_EQ(histogram.sum(), 0u);
    EXPECT_EQ(histogram.max(), 0u);
    EXPECT_EQ(histogram.mean(), 0.0);
    EXPECT_EQ(histogram.percentile(0.0), 0u);
    EXPECT_EQ(histogram.percentile(0.5), 0u);
    EXPECT_EQ(histogram.percentile(1.0), 0u);
}

TEST(BusyHistogram, ZeroedMemoryIsAnEmptyHistogram) {
    alignas(BusyHistogram) unsigned char memory[sizeof(BusyHistogram)];
    std::memset(memory, 0, sizeof(memory));
    BusyHistogram *histogram = reinterpret_cast<BusyHistogram *>(memory);
    EXPECT_EQ(histogram->samples(), 0u);
    histogram->add(7);
    EXPECT_EQ(histogram->samples(), 1u);
    EXPECT_EQ(histogram->percentile(0.5), 7u);
}

TEST(BusyHistogram, ResetForgetsEverything) {
    BusyHistogram histogram = uniform_1_to_1000();
    histogram.reset();
    EXPECT_EQ(histogram.samples(), 0u);
    EXPECT_EQ(histogram.sum(), 0u);
    EXPECT_EQ(histogram.max(), 0u);
    EXPECT_EQ(histogram.percentile(0.99), 0u);
    for (uint32_t i = 0; i < BusyHistogram::kBucketCount; ++i) {
        EXPECT_EQ(histogram.bucket_count(i), 0u);
    }
}

TEST(BusyHistogram, LayoutFitsAboutOneKibibyte) {
    EXPECT_EQ(BusyHistogram::kBucketCount, 256u);
    EXPECT_LE(sizeof(BusyHistogram), 1056u);
}

TEST(BusyHistogram, ValuesBelow64HaveExactBuckets) {
    for (uint32_t value = 0; value < 64; ++value) {
        EXPECT_EQ(BusyHistogram::bucket_index(value), value);
        EXPECT_EQ(BusyHistogram::bucket_lower_bound(value), value);
        EXPECT_EQ(BusyHistogram::bucket_upper_bound(value), value);
    }
}

TEST(BusyHistogram, PercentilesAreExactBelow64) {
    BusyHistogram histogram = empty_histogram();
    for (uint32_t value = 0; value < 64; ++value) histogram.add(value);
    // Nearest rank over 64 samples: rank = ceil(q * 64), value = rank - 1.
    EXPECT_EQ(histogram.percentile(0.0), 0u);
    EXPECT_EQ(histogram.percentile(0.5), 31u);
    EXPECT_EQ(histogram.percentile(0.95), 60u);
    EXPECT_EQ(histogram.percentile(0.99), 63u);
    EXPECT_EQ(histogram.percentile(1.0), 63u);
    EXPECT_DOUBLE_EQ(histogram.mean(), 31.5);
    EXPECT_EQ(histogram.max(), 63u);
}

TEST(BusyHistogram, SmallPoolDistributionIsExact) {
    // A pool of 10 busy 90 % of the time at 3 connections and 10 % at 9.
    BusyHistogram histogram = empty_histogram();
    for (int i = 0; i < 90; ++i) histogram.add(3);
    for (int i = 0; i < 10; ++i) histogram.add(9);
    EXPECT_EQ(histogram.percentile(0.5), 3u);
    EXPECT_EQ(histogram.percentile(0.90), 3u);
    EXPECT_EQ(histogram.percentile(0.91), 9u);
    EXPECT_EQ(histogram.percentile(0.99), 9u);
    EXPECT_DOUBLE_EQ(histogram.mean(), 3.6);
}

TEST(BusyHistogram, BucketBoundsAreContiguousAndCoverEveryValue) {
    EXPECT_EQ(BusyHistogram::bucket_lower_bound(0), 0u);
    for (uint32_t i = 0; i + 1 < BusyHistogram::kBucketCount; ++i) {
        EXPECT_EQ(BusyHistogram::bucket_upper_bound(i) + 1,
                  BusyHistogram::bucket_lower_bound(i + 1))
            << "bucket " << i;
    }
    // Spot checks of the log-linear part: 16 sub-buckets per power of two.
    EXPECT_EQ(BusyHistogram::bucket_index(64), 64u);
    EXPECT_EQ(BusyHistogram::bucket_lower_bound(64), 64u);
    EXPECT_EQ(BusyHistogram::bucket_upper_bound(64), 67u);
    EXPECT_EQ(BusyHistogram::bucket_index(127), 79u);
    EXPECT_EQ(BusyHistogram::bucket_index(128), 80u);
    EXPECT_EQ(BusyHistogram::bucket_upper_bound(80), 135u);
    EXPECT_EQ(BusyHistogram::bucket_index(500), 64u + 2 * 16 + 15);
    EXPECT_EQ(BusyHistogram::bucket_lower_bound(255), 253952u);
    EXPECT_EQ(BusyHistogram::bucket_index(262143), 255u);
}

TEST(BusyHistogram, EveryValueLiesInItsBucketWithinOneSixteenth) {
    for (uint32_t value = 0; value <= BusyHistogram::kTopValue; ++value) {
        const uint32_t index = BusyHistogram::bucket_index(value);
        ASSERT_LT(index, BusyHistogram::kBucketCount);
        const uint32_t lower = BusyHistogram::bucket_lower_bound(index);
        const uint32_t upper = index + 1 == BusyHistogram::kBucketCount
                                   ? BusyHistogram::kTopValue
                                   : BusyHistogram::bucket_upper_bound(index);
        ASSERT_LE(lower, value);
        ASSERT_GE(upper, value);
        // Reporting the upper bound overstates by at most 1/16 of the value.
        ASSERT_LE(static_cast<uint64_t>(upper - value) * 16, value) << value;
    }
}

TEST(BusyHistogram, UniformOneToThousandPercentiles) {
    const BusyHistogram histogram = uniform_1_to_1000();
    EXPECT_EQ(histogram.samples(), 1000u);
    EXPECT_EQ(histogram.sum(), 500500u);
    EXPECT_EQ(histogram.max(), 1000u);
    EXPECT_DOUBLE_EQ(histogram.mean(), 500.5);
    // Rank 1 is the exact value 1.
    EXPECT_EQ(histogram.percentile(0.0), 1u);
    // Rank 500 falls in [496, 511].
    EXPECT_EQ(histogram.percentile(0.50), 511u);
    // Rank 900 falls in [896, 927].
    EXPECT_EQ(histogram.percentile(0.90), 927u);
    // Rank 950 falls in [928, 959].
    EXPECT_EQ(histogram.percentile(0.95), 959u);
    // Rank 990 falls in [960, 991].
    EXPECT_EQ(histogram.percentile(0.99), 991u);
    // Rank 999 falls in [992, 1023], clamped to the largest sample.
    EXPECT_EQ(histogram.percentile(0.999), 1000u);
    EXPECT_EQ(histogram.percentile(1.0), 1000u);

    // And every reported percentile is within the bucket's relative error of the truth.
    for (double q : {0.5, 0.9, 0.95, 0.99}) {
        const double truth = q * 1000;
        EXPECT_GE(histogram.percentile(q), truth);
        EXPECT_LE(histogram.percentile(q), truth * (1 + 1.0 / 16)) << q;
    }
}

TEST(BusyHistogram, PercentileIsClampedToMax) {
    BusyHistogram histogram = empty_histogram();
    for (int i = 0; i < 10; ++i) histogram.add(100);
    // 100 lies in [100, 103]; only 100 was seen.
    EXPECT_EQ(histogram.percentile(0.5), 100u);
    EXPECT_EQ(histogram.percentile(1.0), 100u);
}

TEST(BusyHistogram, OutOfRangeQuantilesAreClamped) {
    const BusyHistogram histogram = uniform_1_to_1000();
    EXPECT_EQ(histogram.percentile(-1.0), 1u);
    EXPECT_EQ(histogram.percentile(2.0), 1000u);
    EXPECT_EQ(histogram.percentile(std::numeric_limits<double>::quiet_NaN()), 1u);
}

TEST(BusyHistogram, ValuesAboveTopClampIntoLastBucketButKeepTrueMaxAndSum) {
    BusyHistogram histogram = empty_histogram();
    histogram.add(BusyHistogram::kTopValue + 1);
    histogram.add(1000000);
    histogram.add(UINT32_MAX);
    EXPECT_EQ(histogram.bucket_count(BusyHistogram::kBucketCount - 1), 3u);
    EXPECT_EQ(histogram.samples(), 3u);
    EXPECT_EQ(histogram.max(), UINT32_MAX);
    EXPECT_EQ(histogram.sum(), uint64_t{262144} + 1000000 + UINT32_MAX);
    // The last bucket has no upper bound, so its percentiles report the maximum.
    EXPECT_EQ(histogram.percentile(0.5), UINT32_MAX);

    BusyHistogram single = empty_histogram();
    single.add(1000000);
    EXPECT_EQ(single.percentile(0.99), 1000000u);
}

TEST(BusyHistogram, MergeEqualsAddingEverythingToOne) {
    BusyHistogram low = empty_histogram();
    BusyHistogram high = empty_histogram();
    BusyHistogram both = empty_histogram();
    for (uint32_t value = 1; value <= 1000; ++value) {
        (value <= 400 ? low : high).add(value);
        both.add(value);
    }
    low.merge(high);
    EXPECT_EQ(low.samples(), both.samples());
    EXPECT_EQ(low.sum(), both.sum());
    EXPECT_EQ(low.max(), both.max());
    for (uint32_t i = 0; i < BusyHistogram::kBucketCount; ++i) {
        EXPECT_EQ(low.bucket_count(i), both.bucket_count(i)) << "bucket " << i;
    }
    EXPECT_EQ(low.percentile(0.95), 959u);
}

TEST(BusyHistogram, MergeWithEmptyChangesNothing) {
    BusyHistogram histogram = uniform_1_to_1000();
    histogram.merge(empty_histogram());
    EXPECT_EQ(histogram.samples(), 1000u);
    EXPECT_EQ(histogram.percentile(0.99), 991u);

    BusyHistogram empty = empty_histogram();
    empty.merge(uniform_1_to_1000());
    EXPECT_EQ(empty.samples(), 1000u);
    EXPECT_EQ(empty.max(), 1000u);
    EXPECT_EQ(empty.percentile(0.5), 511u);
}

TEST(BusyHistogram, CopyIsIndependentSnapshot) {
    BusyHistogram live = uniform_1_to_1000();
    BusyHistogram snapshot;
    std::memcpy(static_cast<void *>(&snapshot), &live, sizeof(live));
    live.add(5000);
    EXPECT_EQ(snapshot.samples(), 1000u);
    EXPECT_EQ(snapshot.max(), 1000u);
    EXPECT_EQ(live.samples(), 1001u);
}

TEST(BusyHistogram, TakenTogetherEqualsMergedForManyShapes) {
    // Deterministic pseudo-random histograms: small pools, large pools, one empty side.
    uint64_t state = 12345;
    auto next = [&state] {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        return uint32_t(state >> 33);
    };
    const double quantiles[] = {0.0, 0.01, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0};
    for (int round = 0; round < 200; ++round) {
        BusyHistogram a = empty_histogram(), b = empty_histogram();
        const uint32_t range = round % 4 == 0   ? 8
                               : round % 4 == 1 ? 64
                               : round % 4 == 2 ? 5000
                                                : 300000;
        const int a_count = round % 7 == 0 ? 0 : int(next() % 500);
        const int b_count = round % 11 == 0 ? 0 : int(next() % 500);
        for (int i = 0; i < a_count; ++i) a.add(next() % range);
        for (int i = 0; i < b_count; ++i) b.add(next() % range);
        BusyHistogram merged = a;
        merged.merge(b);
        const BusyHistogram *parts[] = {&a, &b};
        EXPECT_EQ(BusyHistogram::samples_of(parts, 2), merged.samples());
        EXPECT_EQ(BusyHistogram::sum_of(parts, 2), merged.sum());
        EXPECT_EQ(BusyHistogram::max_of(parts, 2), merged.max());
        for (double q : quantiles)
            EXPECT_EQ(BusyHistogram::percentile_of(parts, 2, q), merged.percentile(q))
                << "round " << round << " q " << q;
        EXPECT_EQ(BusyHistogram::percentile_of(parts, 1, 0.95), a.percentile(0.95));
    }
}

TEST(BusyHistogram, TakenTogetherSaturatesEachBucketLikeMerge) {
    BusyHistogram a = empty_histogram();
    a.add(3);
    BusyHistogram b = a;
    for (int i = 0; i < 40; ++i) b.merge(b);  // bucket 3 saturates at UINT32_MAX
    BusyHistogram merged = a;
    merged.merge(b);
    const BusyHistogram *parts[] = {&a, &b};
    EXPECT_EQ(BusyHistogram::percentile_of(parts, 2, 1.0), merged.percentile(1.0));
    EXPECT_EQ(BusyHistogram::percentile_of(parts, 2, 0.5), merged.percentile(0.5));
    const BusyHistogram *none[] = {nullptr};
    EXPECT_EQ(BusyHistogram::percentile_of(none, 0, 0.5), 0u);
}
