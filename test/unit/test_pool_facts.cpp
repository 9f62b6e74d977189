#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "core/pool_facts.hpp"
#include "slot_readings.hpp"

using namespace poolopt::core;

namespace {

constexpr int64_t kSecond = 1'000'000;

BackendObservation busy_on_cpu(int32_t pid) {
    return BackendObservation{
        make_group_key("db", "role", "app", ""), pid, SessionState::active, false, true, false};
}
BackendObservation busy_on_lwlock(int32_t pid) {
    return BackendObservation{
        make_group_key("db", "role", "app", ""), pid, SessionState::active, false, false, true};
}
BackendObservation idle(int32_t pid) {
    return BackendObservation{
        make_group_key("db", "role", "app", ""), pid, SessionState::idle, false, false, false};
}

}  // namespace

TEST(PoolFacts, CompletedWindowGivesThroughputHoldTimeAndShares) {
    GroupTableHeader header{};
    header.capacity = 2;
    std::vector<GroupEntry> entries(2);
    GroupTableWriter writer(&header, entries.data());
    // Window of 10 s: two connections, one busy on CPU in every sample; 10 transactions per
    // second of 100 ms each (1 s of busy time per second), read from one counter slot.
    uint64_t transactions = 1000, busy = 0;
    for (int second = 0; second <= 10; ++second) {
        int64_t now = (100 + second) * kSecond;
        writer.begin_sample(now, 10 * kSecond);
        BackendObservation backends[] = {busy_on_cpu(1), idle(2)};
        const SlotReading slot = slot_reading(1, transactions, busy);
        const SlotHolds holds{};
        writer.record_sample(backends, 2, {&slot, &holds, 1}, now);
        transactions += 10;
        busy += 1'000'000;
    }
    Event refused{make_group_key("db", "role", "app", ""), 105 * kSecond,
                  EventKind::connection_refused};
    // The window closed at 110 s; an event after it belongs to the current window.
    writer.record_event(refused);

    PoolGroupFacts facts = pool_group_facts(entries[0], header, FactsWindow::completed,
                                            111 * kSecond, DatabaseEndings{2, 1});
    EXPECT_EQ(facts.identity.application, "app");
    EXPECT_EQ(facts.connections, 2);
    EXPECT_EQ(facts.window_samples, 10u);  // 100..109 s: the sample at 110 s opened a new one
    EXPECT_DOUBLE_EQ(facts.window_seconds, 10.0);
    EXPECT_DOUBLE_EQ(facts.busy_mean, 1.0);
    EXPECT_EQ(facts.busy_max, 1u);
    EXPECT_DOUBLE_EQ(facts.saturation_share, 0.0);
    // The first reading (100 s) only sets the slot's baseline; the samples at 101..109 s
    // credit 10 transactions each: 90 over the 10 s window.
    EXPECT_DOUBLE_EQ(facts.transactions_per_second, 9.0);
    EXPECT_DOUBLE_EQ(facts.mean_hold_seconds, 0.1);
    ASSERT_TRUE(facts.on_cpu_share.has_value());
    EXPECT_DOUBLE_EQ(*facts.on_cpu_share, 1.0);
    EXPECT_DOUBLE_EQ(*facts.lock_wait_share, 0.0);
    EXPECT_EQ(facts.connections_refused, 0u);
    EXPECT_EQ(facts.sessions_killed, 2u);
    EXPECT_EQ(facts.sessions_abandoned, 1u);

    PoolGroupFacts recent =
        pool_group_facts(entries[0], header, FactsWindow::recent, 111 * kSecond, DatabaseEndings{});
    EXPECT_EQ(recent.window_samples, 11u);
    EXPECT_EQ(recent.connections_refused, 1u);
    EXPECT_DOUBLE_EQ(recent.window_seconds, 11.0);
}

TEST(PoolFacts, HoldPercentilesCoverTheTransactionsEndedInTheSpan) {
    GroupTableHeader header{};
    header.capacity = 1;
    std::vector<GroupEntry> entries(1);
    GroupTableWriter writer(&header, entries.data());
    // Windows of 10 s; 10 transactions of 100 ms a second, and at 105 s one of 5 s.
    SlotReading slot = slot_reading(1, 0, 0);
    SlotHolds holds{};
    for (int second = 0; second <= 12; ++second) {
        int64_t now = (100 + second) * kSecond;
        writer.begin_sample(now, 10 * kSecond);
        BackendObservation backends[] = {busy_on_cpu(1)};
        writer.record_sample(backends, 1, {&slot, &holds, 1}, now);
        slot.transactions += 10;
        holds.holds.buckets[hold_bucket(100'000)] += 10;
        if (second == 5) {
            slot.transactions += 1;
            holds.holds.buckets[hold_bucket(5'000'000)] += 1;
        }
    }
    // Completed window (100..110 s): 9 seconds of 10 and the long one.
    PoolGroupFacts completed = pool_group_facts(entries[0], header, FactsWindow::completed,
                                                113 * kSecond, DatabaseEndings{});
    ASSERT_TRUE(completed.p99_hold_seconds.has_value());
    EXPECT_GE(*completed.p50_hold_seconds, 0.065536);
    EXPECT_LT(*completed.p50_hold_seconds, 0.131072);
    EXPECT_LT(*completed.p95_hold_seconds, 0.131072);
    EXPECT_GE(*completed.p99_hold_seconds, 4.194304);  // the 5 s hold's bucket
    EXPECT_LT(*completed.p99_hold_seconds, 8.388608);
    GroupSpan span = group_span(entries[0], header, FactsWindow::completed, 113 * kSecond);
    EXPECT_EQ(span.holds.counted, 91u);
    // The recent span adds the current window's (the samples at 110 to 112 s): 30 more.
    GroupSpan recent = group_span(entries[0], header, FactsWindow::recent, 113 * kSecond);
    EXPECT_EQ(recent.holds.counted, 121u);
    // Without any transaction there is no percentile.
    GroupEntry quiet = entries[0];
    quiet.hold_totals = quiet.current.holds_at_start = quiet.previous.holds_at_start;
    EXPECT_FALSE(
        pool_group_facts(quiet, header, FactsWindow::completed, 113 * kSecond, DatabaseEndings{})
            .p99_hold_seconds.has_value());
}

TEST(PoolFacts, LWLockWaitsAreAShareOfTheBusyConnections) {
    GroupTableHeader header{};
    header.capacity = 1;
    std::vector<GroupEntry> entries(1);
    GroupTableWriter writer(&header, entries.data());
    // Three connections: one on CPU in every sample, one on an LWLock in every other one.
    for (int second = 0; second < 10; ++second) {
        int64_t now = (100 + second) * kSecond;
        writer.begin_sample(now, 300 * kSecond);
        BackendObservation backends[] = {busy_on_cpu(1), second % 2 ? busy_on_lwlock(2) : idle(2),
                                         idle(3)};
        writer.record_sample(backends, 3, {}, now);
    }
    PoolGroupFacts facts =
        pool_group_facts(entries[0], header, FactsWindow::recent, 110 * kSecond, DatabaseEndings{});
    EXPECT_DOUBLE_EQ(facts.busy_mean, 1.5);
    ASSERT_TRUE(facts.lwlock_wait_share.has_value());
    EXPECT_DOUBLE_EQ(*facts.lwlock_wait_share, 5.0 / 15.0);
    EXPECT_DOUBLE_EQ(*facts.on_cpu_share, 10.0 / 15.0);
    EXPECT_DOUBLE_EQ(*facts.lock_wait_share, 0.0);
}

TEST(PoolFacts, GroupWithoutSamplesHasNoTraffic) {
    GroupTableHeader header{};
    header.capacity = 1;
    std::vector<GroupEntry> entries(1);
    GroupTableWriter writer(&header, entries.data());
    writer.record_event(
        Event{make_group_key("db", "r", "a", ""), 5 * kSecond, EventKind::authentication_failed});
    PoolGroupFacts facts =
        pool_group_facts(entries[0], header, FactsWindow::recent, 6 * kSecond, DatabaseEndings{});
    EXPECT_EQ(facts.window_samples, 0u);
    EXPECT_DOUBLE_EQ(facts.transactions_per_second, 0.0);
    EXPECT_FALSE(facts.on_cpu_share.has_value());
}

TEST(PoolFacts, SpanSummaryGivesTheSameFactsAsTheMergedWindows) {
    GroupTableHeader header{};
    header.capacity = 1;
    std::vector<GroupEntry> entries(1);
    GroupTableWriter writer(&header, entries.data());
    // Two windows of 10 s with different busy counts, then part of a third.
    for (int second = 0; second <= 25; ++second) {
        int64_t now = (100 + second) * kSecond;
        writer.begin_sample(now, 10 * kSecond);
        std::vector<BackendObservation> backends;
        for (int pid = 1; pid <= 1 + second % 5; ++pid)
            backends.push_back(pid <= 1 + second % 3 ? busy_on_cpu(pid) : idle(pid));
        writer.record_sample(backends.data(), backends.size(), {}, now);
    }
    const GroupEntry &entry = entries[0];
    for (FactsWindow window : {FactsWindow::completed, FactsWindow::recent}) {
        GroupSpan span = group_span(entry, header, window, 126 * kSecond);
        BusyHistogram merged = entry.previous.busy;
        if (window == FactsWindow::recent) merged.merge(entry.current.busy);
        EXPECT_EQ(span.samples, merged.samples());
        EXPECT_EQ(span.busy_sum, merged.sum());
        EXPECT_EQ(span.busy_max, merged.max());
        EXPECT_EQ(span.busy_p95, merged.percentile(0.95));
        EXPECT_EQ(span.busy_p99, merged.percentile(0.99));
        PoolGroupFacts facts = pool_group_facts(span, DatabaseEndings{});
        EXPECT_DOUBLE_EQ(facts.busy_mean, merged.mean());
        EXPECT_EQ(facts.window_samples, merged.samples());
        EXPECT_EQ(facts.identity.application, "app");
        EXPECT_EQ(facts.connections, entry.now.connections);
    }
    EXPECT_EQ(group_span(entry, header, FactsWindow::completed, 0).samples, 10u);
    EXPECT_EQ(group_span(entry, header, FactsWindow::recent, 126 * kSecond).samples, 16u);
}
