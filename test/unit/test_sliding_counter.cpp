#include "core/sliding_counter.hpp"

#include <cstring>

#include <gtest/gtest.h>

namespace {

constexpr int64_t kSecond = 1000000;
// The last minute in 5-second buckets, as the worker keeps it.
using LastMinute = poolopt::core::SlidingCounter<12, 5 * kSecond>;

LastMinute empty_counter() {
    LastMinute counter;
    counter.reset();
    return counter;
}

}  // namespace

TEST(SlidingCounter, EmptyCountsNothing) {
    const LastMinute counter = empty_counter();
    EXPECT_EQ(counter.sum(0), 0u);
    EXPECT_EQ(counter.sum(1000 * kSecond), 0u);
    EXPECT_EQ(LastMinute::window_micros(), 60 * kSecond);
}

TEST(SlidingCounter, ZeroedMemoryIsAnEmptyCounter) {
    alignas(LastMinute) unsigned char memory[sizeof(LastMinute)];
    std::memset(memory, 0, sizeof(memory));
    LastMinute *counter = reinterpret_cast<LastMinute *>(memory);
    EXPECT_EQ(counter->sum(0), 0u);
    counter->add(1 * kSecond, 2);
    EXPECT_EQ(counter->sum(1 * kSecond), 2u);
}

TEST(SlidingCounter, SumsEventsWithinTheWindow) {
    LastMinute counter = empty_counter();
    const int64_t start = 1700000000 * kSecond;  // an epoch clock
    for (int second = 0; second < 60; ++second) counter.add(start + second * kSecond, 1);
    EXPECT_EQ(counter.sum(start + 59 * kSecond), 60u);
}

TEST(SlidingCounter, OldBucketsExpireAsTheWindowMoves) {
    LastMinute counter = empty_counter();
    counter.add(0, 10);            // bucket [0 s, 5 s)
    counter.add(30 * kSecond, 5);  // bucket [30 s, 35 s)
    EXPECT_EQ(counter.sum(30 * kSecond), 15u);
    // The window ending at 59.999 s still holds bucket [0 s, 5 s).
    EXPECT_EQ(counter.sum(60 * kSecond - 1), 15u);
    // At 60 s the current bucket is [60 s, 65 s): the oldest kept is [5 s, 10 s).
    EXPECT_EQ(counter.sum(60 * kSecond), 5u);
    EXPECT_EQ(counter.sum(90 * kSecond - 1), 5u);
    EXPECT_EQ(counter.sum(90 * kSecond), 0u);
}

TEST(SlidingCounter, ReusedSlotStartsFromZero) {
    LastMinute counter = empty_counter();
    counter.add(2 * kSecond, 7);
    // 60 s later the same slot serves a new bucket; the 7 must not leak into it.
    counter.add(62 * kSecond, 1);
    EXPECT_EQ(counter.sum(62 * kSecond), 1u);
}

TEST(SlidingCounter, LongGapForgetsEverything) {
    LastMinute counter = empty_counter();
    for (int second = 0; second < 60; ++second) counter.add(second * kSecond, 3);
    counter.add(3600 * kSecond, 1);
    EXPECT_EQ(counter.sum(3600 * kSecond), 1u);
}

TEST(SlidingCounter, TimeGoingBackwardsCountsAsLatestTime) {
    LastMinute counter = empty_counter();
    counter.add(100 * kSecond, 5);
    counter.add(50 * kSecond, 3);  // clock stepped back: booked at 100 s
    EXPECT_EQ(counter.sum(100 * kSecond), 8u);
    // A reader with an older clock sees the window ending at the latest time.
    EXPECT_EQ(counter.sum(10 * kSecond), 8u);
    // The 3 events expire with the 100 s bucket, not with the 50 s one.
    EXPECT_EQ(counter.sum(159 * kSecond), 8u);
    EXPECT_EQ(counter.sum(160 * kSecond), 0u);

    // A jump back of more than a window does not wipe or corrupt anything either.
    counter.add(200 * kSecond, 4);
    counter.add(1 * kSecond, 1);
    EXPECT_EQ(counter.sum(200 * kSecond), 5u);
    counter.add(205 * kSecond, 2);
    EXPECT_EQ(counter.sum(205 * kSecond), 7u);
}

TEST(SlidingCounter, NegativeTimesWork) {
    LastMinute counter = empty_counter();
    counter.add(-3 * kSecond, 2);  // bucket [-5 s, 0 s)
    counter.add(1 * kSecond, 1);   // bucket [0 s, 5 s)
    EXPECT_EQ(counter.sum(1 * kSecond), 3u);
    EXPECT_EQ(counter.sum(55 * kSecond), 1u);
}

TEST(SlidingCounter, ResetForgetsEverything) {
    LastMinute counter = empty_counter();
    counter.add(100 * kSecond, 5);
    counter.reset();
    EXPECT_EQ(counter.sum(100 * kSecond), 0u);
    // And the latest time is forgotten too: an earlier time is current again.
    counter.add(10 * kSecond, 1);
    EXPECT_EQ(counter.sum(10 * kSecond), 1u);
    EXPECT_EQ(counter.covered_micros(10 * kSecond, 0), 10 * kSecond);
}

TEST(SlidingCounter, CoveredMicrosGrowsUntilTheWindowIsFull) {
    const LastMinute counter = empty_counter();
    const int64_t first_seen = 1000 * kSecond;
    EXPECT_EQ(counter.covered_micros(first_seen, first_seen), 0);
    EXPECT_EQ(counter.covered_micros(first_seen + 10 * kSecond, first_seen), 10 * kSecond);
    EXPECT_EQ(counter.covered_micros(first_seen + 55 * kSecond, first_seen), 55 * kSecond);
    // Once full it is the span of the summed buckets: the 11 whole buckets before the
    // current one plus the elapsed part of the current one.
    EXPECT_EQ(counter.covered_micros(first_seen + 60 * kSecond, first_seen), 55 * kSecond);
    EXPECT_EQ(counter.covered_micros(first_seen + 64 * kSecond, first_seen), 59 * kSecond);
    EXPECT_EQ(counter.covered_micros(first_seen + 3600 * kSecond + 2 * kSecond, first_seen),
              57 * kSecond);
    // first_seen in the future (clock disagreement) covers nothing.
    EXPECT_EQ(counter.covered_micros(first_seen, first_seen + kSecond), 0);
}

TEST(SlidingCounter, CoveredMicrosTurnsSumIntoAnUnbiasedRate) {
    LastMinute counter = empty_counter();
    // 10 events per second, one every 100 ms, for 10 minutes, checked at every phase of
    // the current bucket. Dividing by the full 60 s window instead would read as low as
    // 9.2 per second right after a bucket boundary.
    const int64_t first_seen = 0;
    for (int64_t now = 0; now < 600 * kSecond; now += kSecond / 10) {
        counter.add(now, 1);
        if (now < 60 * kSecond) continue;
        const double rate = static_cast<double>(counter.sum(now)) * kSecond /
                            static_cast<double>(counter.covered_micros(now, first_seen));
        ASSERT_NEAR(rate, 10.0, 0.2) << "at " << now;
    }
}

TEST(SlidingCounter, CoveredMicrosIgnoresTimeGoingBackwards) {
    LastMinute counter = empty_counter();
    counter.add(30 * kSecond, 1);
    EXPECT_EQ(counter.covered_micros(10 * kSecond, 0), 30 * kSecond);
}

TEST(SlidingCounter, SingleBucketWindow) {
    poolopt::core::SlidingCounter<1, kSecond> counter;
    counter.reset();
    counter.add(0, 1);
    counter.add(kSecond - 1, 1);
    EXPECT_EQ(counter.sum(kSecond - 1), 2u);
    EXPECT_EQ(counter.sum(kSecond), 0u);
    EXPECT_EQ(counter.covered_micros(kSecond + 300, 0), 300);
}
