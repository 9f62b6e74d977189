// The sizes a group held: the ring, what counts as held, and how the worker's windows fill it
// and the facts read it (the engine's use of it is in test_pool_history.cpp).

#include "core/size_history.hpp"

#include <vector>

#include <gtest/gtest.h>

#include "core/pool_facts.hpp"
#include "slot_readings.hpp"

using namespace poolopt::core;

namespace {

constexpr int64_t kSecond = 1'000'000;

SizeOutcome outcome(int64_t end_seconds, int32_t connections, double tps) {
    SizeOutcome o{};
    o.window_end_micros = end_seconds * kSecond;
    o.connections = connections;
    o.transactions_per_second = tps;
    o.busy_share = 1.0;
    return o;
}

BackendObservation busy(int32_t pid) {
    return BackendObservation{
        make_group_key("db", "role", "app", ""), pid, SessionState::active, false, true, false};
}

// One group on a 10-second window, sampled every second: `connections(second)` busy backends,
// each counter slot completing 5 transactions a second.
GroupTableHeader one_entry_header() {
    GroupTableHeader header{};
    header.capacity = 1;
    return header;
}

struct Worker {
    GroupTableHeader header = one_entry_header();
    std::vector<GroupEntry> entries = std::vector<GroupEntry>(1);
    GroupTableWriter writer{&header, entries.data()};
    uint64_t transactions = 0;

    template <typename Connections>
    void run(int from_second, int to_second, Connections connections) {
        for (int second = from_second; second <= to_second; ++second) {
            const int64_t now = second * kSecond;
            writer.begin_sample(now, 10 * kSecond);
            std::vector<BackendObservation> backends;
            std::vector<SlotReading> slots;
            for (int32_t pid = 1; pid <= connections(second); ++pid) {
                backends.push_back(busy(pid));
                slots.push_back(slot_reading(pid, transactions, 0));
            }
            transactions += 5;
            const std::vector<SlotHolds> holds(slots.size());
            writer.record_sample(backends.data(), backends.size(),
                                 {slots.data(), holds.data(), slots.size()}, now);
        }
    }
    std::vector<SizeOutcome> held(int64_t now_seconds) const {
        return recent_outcomes(entries[0].sizes_held, now_seconds * kSecond);
    }
};

}  // namespace

TEST(SizeHistory, HeldConnectionsAllowATenthOfDipFromTen) {
    EXPECT_EQ(held_connections(96, 96), 96);
    EXPECT_EQ(held_connections(87, 96), 96);  // 9 ≤ 96 / 10
    EXPECT_EQ(held_connections(86, 96), 0);
    EXPECT_EQ(held_connections(9, 10), 10);
    EXPECT_EQ(held_connections(8, 9), 0);  // below 10 a pool must hold exactly
    EXPECT_EQ(held_connections(2, 2), 2);
    EXPECT_EQ(held_connections(0, 57), 0);  // a sample without any connection: replaced
    EXPECT_EQ(held_connections(0, 0), 0);
    EXPECT_EQ(held_connections(5, 4), 0);  // nonsense
}

TEST(SizeHistory, ANewSizeReplacesTheOneHeldLongestAgo) {
    SizeHistory history{};
    EXPECT_TRUE(recent_outcomes(history, 100 * kSecond).empty());  // zeroed memory is empty
    for (int i = 1; i <= 10; ++i) history.record(outcome(100 + i, i, 100.0 * i));
    const std::vector<SizeOutcome> recent = recent_outcomes(history, 200 * kSecond);
    ASSERT_EQ(recent.size(), kSizeHistoryLength);
    EXPECT_EQ(recent.front().connections, 3);  // 1 and 2 overwritten
    EXPECT_EQ(recent.back().connections, 10);
    for (size_t i = 1; i < recent.size(); ++i)
        EXPECT_LT(recent[i - 1].window_end_micros, recent[i].window_end_micros);
}

TEST(SizeHistory, WindowsAtOneSizeShareASlotAndKeepTheOtherSizes) {
    SizeHistory history{};
    history.record(outcome(100, 57, 5400));
    for (int i = 1; i <= 20; ++i) history.record(outcome(100 + 10 * i, 76, i == 1 ? 6000 : 5900));
    const std::vector<SizeOutcome> recent = recent_outcomes(history, 400 * kSecond);
    ASSERT_EQ(recent.size(), 2u);  // twenty windows at 76 did not push 57 out
    EXPECT_EQ(recent[0].connections, 57);
    EXPECT_EQ(recent[1].connections, 76);
    EXPECT_EQ(recent[1].windows, 20u);
    EXPECT_EQ(recent[1].window_end_micros, 300 * kSecond);  // the latest window's time
    // Past 8 windows each new one weighs 1/8: of the first window's 100 tx/s above the rest,
    // 100 × (7/8)^12 ÷ 2 is left after twenty.
    EXPECT_NEAR(recent[1].transactions_per_second, 5902.5, 0.1);

    SizeHistory two{};
    two.record(outcome(100, 76, 6000));
    two.record(outcome(110, 76, 5800));
    EXPECT_DOUBLE_EQ(recent_outcomes(two, 200 * kSecond)[0].transactions_per_second, 5900);
}

TEST(SizeHistory, OutcomesOlderThanAnHourOrFromTheFutureAreLeftOut) {
    SizeHistory history{};
    history.record(outcome(1000, 20, 100));
    history.record(outcome(4000, 30, 200));
    history.record(outcome(5000, 40, 300));
    const std::vector<SizeOutcome> recent = recent_outcomes(history, 4700 * kSecond);
    ASSERT_EQ(recent.size(), 1u);  // 1000 s is 3700 s old; 5000 s has not happened yet
    EXPECT_EQ(recent[0].connections, 30);
    EXPECT_EQ(recent_outcomes(history, 4600 * kSecond).size(), 2u);  // exactly an hour is kept
}

TEST(SizeHistory, AWindowHeldAtOneSizeIsRecordedWhenItCloses) {
    Worker worker;
    worker.run(100, 120, [](int) { return 4; });  // windows 100–110 and 110–120 close
    const std::vector<SizeOutcome> held = worker.held(121);
    ASSERT_EQ(held.size(), 1u);
    EXPECT_EQ(held[0].window_end_micros, 120 * kSecond);
    EXPECT_EQ(held[0].connections, 4);
    EXPECT_EQ(held[0].windows, 2u);
    EXPECT_DOUBLE_EQ(held[0].busy_share, 1.0);
    // 4 slots × 5 transactions a second; the first reading of each slot is its baseline, so
    // the first window credits 9 seconds of 10 (18 tx/s) and the second all 10 (20 tx/s).
    EXPECT_DOUBLE_EQ(held[0].transactions_per_second, 19.0);
}

TEST(SizeHistory, AWindowInWhichThePoolWasReplacedOrAppearedIsNotRecorded) {
    Worker worker;
    // 105 s: first seen mid-window (the window began at 100 s with another sample).
    worker.writer.begin_sample(100 * kSecond, 10 * kSecond);
    worker.writer.record_sample(nullptr, 0, {}, 100 * kSecond);
    worker.run(105, 110, [](int) { return 4; });
    EXPECT_TRUE(worker.held(111).empty());
    // 110–120 held at 4; 120–130 resized from 4 to 8 at 125; 130–140 held at 8.
    worker.run(111, 140, [](int second) { return second < 125 ? 4 : 8; });
    const std::vector<SizeOutcome> held = worker.held(141);
    ASSERT_EQ(held.size(), 2u);
    EXPECT_EQ(held[0].connections, 4);
    EXPECT_EQ(held[1].connections, 8);
    EXPECT_EQ(held[1].window_end_micros, 140 * kSecond);
}

TEST(SizeHistory, TheFactsCarryTheSpanHeldAndTheEarlierWindowsOnly) {
    Worker worker;
    worker.run(100, 115, [](int second) { return second < 110 ? 4 : 6; });
    const GroupTableHeader &header = worker.header;
    const GroupEntry &entry = worker.entries[0];

    // The completed window (100–110) held 4; it is the span itself, so not among the earlier.
    PoolGroupFacts completed =
        pool_group_facts(entry, header, FactsWindow::completed, 115 * kSecond, {});
    EXPECT_EQ(completed.held_connections, 4);
    EXPECT_TRUE(completed.sizes_held.empty());
    // The recent span (100–115) went from 4 to 6: not held.
    PoolGroupFacts recent = pool_group_facts(entry, header, FactsWindow::recent, 115 * kSecond, {});
    EXPECT_EQ(recent.held_connections, 0);

    worker.run(116, 125, [](int) { return 6; });  // 110–120 held 6; 120– held 6 so far
    recent = pool_group_facts(entry, header, FactsWindow::recent, 125 * kSecond, {});
    EXPECT_EQ(recent.held_connections, 6);
    ASSERT_EQ(recent.sizes_held.size(), 1u);  // 100–110 at 4; 110–120 lies inside the span
    EXPECT_EQ(recent.sizes_held[0].connections, 4);
    EXPECT_DOUBLE_EQ(recent.sizes_held[0].transactions_per_second, 18.0);
    EXPECT_DOUBLE_EQ(recent.sizes_held[0].busy_share, 1.0);
}
