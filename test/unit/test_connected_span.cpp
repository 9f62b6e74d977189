#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/connected_span.hpp"

using namespace poolopt::core;

namespace {

constexpr int64_t kSecond = 1'000'000;

// A group over a span starting at 100 s: seen from `start` (s) with `transactions` in it;
// `connections` open now, last seen at `last_seen` (s).
GroupSpan group(int64_t start, int64_t last_seen, int32_t connections, uint64_t transactions) {
    GroupSpan span{};
    span.connections = connections;
    span.start_micros = start * kSecond;
    span.end_micros = 120 * kSecond;
    span.last_seen_micros = last_seen * kSecond;
    span.from.transactions = 1000;
    span.to.transactions = 1000 + transactions;
    return span;
}

const MicrosSpan kWindow{100 * kSecond, 120 * kSecond};

ServerSample sample(int64_t time_ms, int64_t interval_ms, double cpu) {
    ServerSample reading{};
    reading.time_micros = time_ms * 1000;
    reading.interval_micros = interval_ms * 1000;
    reading.cpu_utilisation = cpu;
    return reading;
}

}  // namespace

TEST(ConnectedSpan, StartsWhereTheLastPoolOpenedOrClosed) {
    // The benchmark's step: the pool of 96 ran until 103 s and closed; the pool of 15 opened at
    // 107 s.
    const std::vector<GroupSpan> replaced = {group(100, 103, 0, 4000), group(107, 120, 15, 20000)};
    const std::optional<MicrosSpan> part = connected_span(replaced.data(), 2, kWindow);
    ASSERT_TRUE(part);
    EXPECT_EQ(part->start_micros, 107 * kSecond);
    EXPECT_EQ(part->end_micros, 120 * kSecond);

    // A pool that closed after the other opened still ran beside it until then.
    const std::vector<GroupSpan> overlapping = {group(100, 108, 0, 4000),
                                                group(105, 120, 15, 20000)};
    EXPECT_EQ(connected_span(overlapping.data(), 2, kWindow)->start_micros, 108 * kSecond);
}

TEST(ConnectedSpan, NothingWhenEveryPoolRanThroughTheWindow) {
    const std::vector<GroupSpan> steady = {group(100, 120, 20, 30000), group(100, 120, 4, 900)};
    EXPECT_FALSE(connected_span(steady.data(), 2, kWindow));
    // A pool last seen before the window began changes nothing in it.
    const std::vector<GroupSpan> gone_before = {group(100, 90, 0, 0), group(100, 120, 20, 30000)};
    EXPECT_FALSE(connected_span(gone_before.data(), 2, kWindow));
}

TEST(ConnectedSpan, APsqlSessionOrAScrapeDoesNotMoveIt) {
    // 1 % of the transactions each: a session that opened at 105 s, and one that closed at
    // 104 s.
    const std::vector<GroupSpan> with_readers = {group(100, 120, 20, 30000),
                                                 group(105, 120, 1, 300), group(100, 104, 0, 300)};
    EXPECT_FALSE(connected_span(with_readers.data(), 3, kWindow));
    // At 2 % and more it counts.
    const std::vector<GroupSpan> with_a_job = {group(100, 120, 20, 30000), group(100, 104, 0, 700)};
    EXPECT_EQ(connected_span(with_a_job.data(), 2, kWindow)->start_micros, 104 * kSecond);
}

TEST(ConnectedSpan, NothingWhenTheChangeIsTooRecentOrTheSpanEmpty) {
    // A pool that opened 9 s before the end of a 20 s span: less than half of it.
    const std::vector<GroupSpan> recent = {group(100, 111, 0, 30000), group(111, 120, 15, 9000)};
    EXPECT_FALSE(connected_span(recent.data(), 2, kWindow));
    const std::vector<GroupSpan> half = {group(100, 110, 0, 30000), group(110, 120, 15, 9000)};
    EXPECT_EQ(connected_span(half.data(), 2, kWindow)->start_micros, 110 * kSecond);
    EXPECT_FALSE(connected_span(half.data(), 2, MicrosSpan{120 * kSecond, 120 * kSecond}));
    EXPECT_FALSE(connected_span(nullptr, 0, kWindow));
    const std::vector<GroupSpan> idle = {group(100, 110, 0, 0), group(110, 120, 15, 0)};
    EXPECT_FALSE(connected_span(idle.data(), 2, kWindow));
}

TEST(SpanCpuAverage, WeighsTheSamplesWithinTheSpanByTheirIntervals) {
    SpanCpuAverage average(MicrosSpan{10'000 * 1000, 11'000 * 1000});
    average.add(sample(10'000, 100, 0.1));  // covers 9.9–10 s: before the span
    average.add(sample(10'100, 100, 0.9));
    average.add(sample(10'400, 300, 0.5));
    average.add(sample(10'500, 100, NAN));  // unknown: skipped
    average.add(sample(10'600, 100, 1.5));  // clamped to 1
    average.add(sample(10'900, 300, 0.7));
    average.add(sample(11'100, 200, 0.0));  // ends after the span
    // (0.9 × 100 + 0.5 × 300 + 1 × 100 + 0.7 × 300) ÷ 800 ms covered of 1000.
    ASSERT_TRUE(average.mean(0.8));
    EXPECT_DOUBLE_EQ(*average.mean(0.8), (0.09 + 0.15 + 0.1 + 0.21) / 0.8);
    EXPECT_FALSE(average.mean(0.81));  // the ring no longer held enough of the span
}

TEST(SpanCpuAverage, NothingWithoutSamplesOrWithAnEmptySpan) {
    EXPECT_FALSE(SpanCpuAverage(MicrosSpan{0, 1000}).mean(0.0));
    SpanCpuAverage empty(MicrosSpan{1000, 1000});
    empty.add(sample(1, 0, 0.5));
    EXPECT_FALSE(empty.mean(0.0));
    SpanCpuAverage first(MicrosSpan{0, 10'000'000});
    first.add(sample(5000, 0, 0.5));  // the first sample after a start has no interval
    EXPECT_FALSE(first.mean(0.0));
}
