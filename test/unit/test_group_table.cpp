#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "core/group_table.hpp"
#include "slot_readings.hpp"

using namespace poolopt::core;

namespace {

constexpr int64_t kSecond = 1'000'000;

struct Table {
    explicit Table(uint32_t capacity) : entries(capacity) {
        header.capacity = capacity;
        writer = std::make_unique<GroupTableWriter>(&header, entries.data());
    }
    GroupTableHeader header{};
    std::vector<GroupEntry> entries;
    std::unique_ptr<GroupTableWriter> writer;

    const GroupEntry *find(const char *application) const {
        for (const GroupEntry &e : entries)
            if (e.in_use && std::string(e.key.application) == application) return &e;
        return nullptr;
    }
    // The slots' hold buckets stay zero unless `holds` gives them.
    void sample(int64_t now, const std::vector<BackendObservation> &backends,
                const std::vector<SlotReading> &slots = {}, std::vector<SlotHolds> holds = {}) {
        holds.resize(slots.size());
        writer->begin_sample(now, 300 * kSecond);
        writer->record_sample(backends.data(), backends.size(),
                              {slots.data(), holds.data(), slots.size()}, now);
    }
};

BackendObservation backend(const char *application, int32_t pid, SessionState state,
                           bool waiting = false) {
    const bool on_cpu = state == SessionState::active && !waiting;
    return BackendObservation{
        make_group_key("db", "role", application, ""), pid, state, waiting, on_cpu, false};
}

// A counter slot whose owner has had it from the start: nothing below belongs to another.
SlotReading slot(int32_t pid, uint64_t transactions, uint64_t busy_micros) {
    return slot_reading(pid, transactions, busy_micros);
}

BackendObservation on_lwlock(const char *application, int32_t pid) {
    return BackendObservation{make_group_key("db", "role", application, ""),
                              pid,
                              SessionState::active,
                              false,
                              false,
                              true};
}

}  // namespace

TEST(GroupKey, EqualIdentitiesAreEqualBytesAndLongNamesTruncate) {
    GroupKey a = make_group_key("db", "role", "app", "10.0.0.1");
    GroupKey b = make_group_key(std::string("db"), "role", "app", "10.0.0.1");
    EXPECT_EQ(a, b);
    EXPECT_EQ(GroupKeyHash{}(a), GroupKeyHash{}(b));
    EXPECT_NE(a, make_group_key("db", "role", "app", "10.0.0.2"));
    GroupKey long_name = make_group_key(std::string(200, 'x'), "r", "a", "");
    EXPECT_EQ(std::string(long_name.database).size(), kNameBytes - 1);
}

TEST(GroupTable, CountsStatesPerGroup) {
    Table t(8);
    t.sample(10 * kSecond,
             {backend("a", 1, SessionState::active), backend("a", 2, SessionState::idle),
              backend("a", 3, SessionState::idle_in_transaction),
              backend("a", 4, SessionState::active, true),
              backend("b", 5, SessionState::idle_in_transaction_aborted),
              backend("b", 6, SessionState::starting), on_lwlock("b", 7)});
    const GroupEntry *a = t.find("a");
    const GroupEntry *b = t.find("b");
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->now.connections, 4);
    EXPECT_EQ(a->now.active, 2);
    EXPECT_EQ(a->now.idle, 1);
    EXPECT_EQ(a->now.idle_in_transaction, 1);
    EXPECT_EQ(a->now.waiting_on_lock, 1);
    EXPECT_EQ(a->now.on_cpu, 1);
    EXPECT_EQ(a->current.on_cpu_sum, 1u);
    EXPECT_EQ(a->current.waiting_on_lock_sum, 1u);
    EXPECT_EQ(a->current.idle_in_transaction_sum, 1u);
    EXPECT_EQ(a->now.busy(), 3);
    EXPECT_EQ(a->now.waiting_on_lwlock, 0);
    EXPECT_EQ(b->now.connections, 3);
    EXPECT_EQ(b->now.idle_in_transaction_aborted, 1);
    EXPECT_EQ(b->now.starting, 1);
    EXPECT_EQ(b->now.waiting_on_lwlock, 1);
    EXPECT_EQ(b->now.on_cpu, 0);
    EXPECT_EQ(b->current.waiting_on_lwlock_sum, 1u);
    EXPECT_EQ(b->now.busy(), 2);
    EXPECT_EQ(t.header.in_use, 2u);
}

TEST(GroupTable, BusyStatisticsAndSaturationOverTheWindow) {
    Table t(4);
    // Two connections; busy 0, 1, 2, 2 over four samples: saturated in two of them.
    SessionState states[4][2] = {{SessionState::idle, SessionState::idle},
                                 {SessionState::active, SessionState::idle},
                                 {SessionState::active, SessionState::active},
                                 {SessionState::active, SessionState::idle_in_transaction}};
    for (int i = 0; i < 4; ++i)
        t.sample((i + 1) * kSecond, {backend("a", 1, states[i][0]), backend("a", 2, states[i][1])});
    GroupFigures f = figures_of(*t.find("a"), 4 * kSecond);
    EXPECT_EQ(f.window_samples, 4u);
    EXPECT_DOUBLE_EQ(f.busy_mean, 5.0 / 4.0);
    EXPECT_EQ(f.busy_max, 2u);
    EXPECT_EQ(f.busy_p95, 2u);
    EXPECT_DOUBLE_EQ(f.saturation_share, 0.5);
}

TEST(GroupTable, WindowRollsOverAfterTheEvaluationInterval) {
    Table t(4);
    t.sample(1 * kSecond, {backend("a", 1, SessionState::active)});
    t.sample(2 * kSecond, {backend("a", 1, SessionState::active)});
    t.sample(400 * kSecond, {backend("a", 1, SessionState::idle)});
    const GroupEntry *a = t.find("a");
    EXPECT_EQ(a->previous.busy.samples(), 2u);
    EXPECT_EQ(a->previous.busy.max(), 1u);
    EXPECT_EQ(a->current.busy.samples(), 1u);
    EXPECT_EQ(a->current.busy.max(), 0u);
    EXPECT_EQ(t.header.previous_window_start_micros, 1 * kSecond);
    EXPECT_EQ(t.header.window_start_micros, 400 * kSecond);
}

TEST(GroupTable, SessionsStartedAndEndedFromPidChanges) {
    Table t(4);
    t.sample(1 * kSecond,
             {backend("a", 1, SessionState::idle), backend("a", 2, SessionState::idle)});
    t.sample(2 * kSecond,
             {backend("a", 2, SessionState::idle), backend("a", 3, SessionState::idle)});
    t.sample(3 * kSecond, {});
    const GroupEntry *a = t.find("a");
    EXPECT_EQ(a->totals.sessions_started, 3u);
    EXPECT_EQ(a->totals.sessions_ended, 3u);
    GroupFigures f = figures_of(*a, 3 * kSecond);
    EXPECT_EQ(f.sessions_started_last_minute, 3u);
    EXPECT_EQ(f.sessions_ended_last_minute, 3u);
    // A minute later they no longer count as "last minute".
    EXPECT_EQ(figures_of(*a, 120 * kSecond).sessions_started_last_minute, 0u);
}

TEST(GroupTable, SlotDeltasCreditTheOwnerAndSurviveItsExit) {
    Table t(4);
    // First reading only sets the baseline: history before the worker started is not counted.
    t.sample(1 * kSecond, {backend("a", 10, SessionState::idle)},
             {slot(10, 500, 9000), slot(0, 0, 0)});
    EXPECT_EQ(t.find("a")->totals.transactions, 0u);
    t.sample(2 * kSecond,
             {backend("a", 10, SessionState::idle), backend("b", 11, SessionState::idle)},
             {slot(10, 520, 9400), slot(11, 3, 300)});
    EXPECT_EQ(t.find("a")->totals.transactions, 20u);
    EXPECT_EQ(t.find("a")->totals.busy_micros, 400u);
    EXPECT_EQ(t.find("b")->totals.transactions, 3u);
    // Backend 11 ran two more transactions and exited before the next sample: they still
    // reach its group.
    t.sample(3 * kSecond, {backend("a", 10, SessionState::idle)},
             {slot(10, 520, 9400), slot(11, 5, 500)});
    EXPECT_EQ(t.find("b")->totals.transactions, 5u);
    GroupFigures f = figures_of(*t.find("a"), 3 * kSecond);
    EXPECT_DOUBLE_EQ(f.mean_hold_micros, 20.0);
    EXPECT_DOUBLE_EQ(mean_hold_micros(*t.find("a"), 3 * kSecond), 20.0);
    EXPECT_DOUBLE_EQ(mean_hold_micros(*t.find("a"), 120 * kSecond), 0.0);  // none last minute
    EXPECT_GT(f.transactions_per_second, 0.0);
}

TEST(GroupTable, EventsCountPerKind) {
    Table t(4);
    Event e{make_group_key("db", "role", "a", ""), 5 * kSecond, EventKind::connection_refused};
    t.writer->record_event(e);
    t.writer->record_event(e);
    e.kind = EventKind::statement_timeout;
    t.writer->record_event(e);
    const GroupEntry *a = t.find("a");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->totals.events[int(EventKind::connection_refused)], 2u);
    EXPECT_EQ(a->totals.events[int(EventKind::statement_timeout)], 1u);
    EXPECT_EQ(a->last_seen_micros, 5 * kSecond);
}

TEST(GroupTable, FullTableEvictsTheLeastRecentlySeenIdleGroup) {
    Table t(2);
    t.sample(1 * kSecond, {backend("old", 1, SessionState::idle)});
    t.sample(2 * kSecond, {backend("busy", 2, SessionState::active)});
    // "old" has no connections now and was seen least recently; "busy" keeps its place.
    t.sample(3 * kSecond,
             {backend("busy", 2, SessionState::active), backend("new", 3, SessionState::idle)});
    EXPECT_EQ(t.find("old"), nullptr);
    EXPECT_NE(t.find("busy"), nullptr);
    EXPECT_NE(t.find("new"), nullptr);
    EXPECT_EQ(t.header.evicted, 1u);
    EXPECT_EQ(t.header.in_use, 2u);
}

TEST(GroupTable, ResetEmptiesTheTableAndRebaselinesTheSlots) {
    Table t(4);
    t.sample(1 * kSecond, {backend("a", 10, SessionState::idle)}, {slot(10, 100, 1000)});
    t.sample(2 * kSecond, {backend("a", 10, SessionState::idle)}, {slot(10, 110, 1100)});
    // Five transactions after the last sample and before the reset are not counted after it.
    const SlotReading at_reset = slot(10, 115, 1150);
    const SlotHolds no_holds{};
    t.writer->reset(3 * kSecond, {&at_reset, &no_holds, 1});
    EXPECT_EQ(t.header.in_use, 0u);
    EXPECT_EQ(t.find("a"), nullptr);
    t.sample(4 * kSecond, {backend("a", 10, SessionState::idle)}, {slot(10, 117, 1170)});
    EXPECT_EQ(t.find("a")->totals.transactions, 2u);
}

TEST(GroupTable, WriterRebuildsItsIndexFromExistingEntries) {
    Table t(4);
    t.sample(1 * kSecond, {backend("a", 1, SessionState::idle)});
    // A restarted worker attaches to the entries its predecessor left.
    GroupTableWriter second(&t.header, t.entries.data());
    second.begin_sample(2 * kSecond, 300 * kSecond);
    BackendObservation b = backend("a", 1, SessionState::active);
    second.record_sample(&b, 1, {}, 2 * kSecond);
    EXPECT_EQ(t.header.in_use, 1u);
    EXPECT_EQ(t.find("a")->now.active, 1);
}

TEST(GroupTable, ABackendThatChangesApplicationMovesBetweenGroups) {
    Table t(4);
    t.sample(1 * kSecond, {backend("before", 7, SessionState::idle)});
    t.sample(2 * kSecond, {backend("after", 7, SessionState::idle)});  // SET application_name
    EXPECT_EQ(t.find("before")->totals.sessions_ended, 1u);
    EXPECT_EQ(t.find("before")->now.connections, 0);
    EXPECT_EQ(t.find("after")->totals.sessions_started, 1u);
    EXPECT_EQ(t.find("after")->now.connections, 1);
}

TEST(GroupTable, ASlotTakenOverBetweenSamplesSplitsItsCountsAtTheTakeover) {
    Table t(4);
    t.sample(1 * kSecond, {backend("a", 10, SessionState::idle)}, {slot_reading(10, 100, 1000)});
    // Backend 10 ran 7 more transactions and exited; backend 20 of group "b" took the slot
    // over at 107 and ran 3.
    t.sample(2 * kSecond, {backend("b", 20, SessionState::idle)},
             {slot_reading(20, 110, 1300, 107, 1200)});
    EXPECT_EQ(t.find("a")->totals.transactions, 7u);
    EXPECT_EQ(t.find("a")->totals.busy_micros, 200u);
    EXPECT_EQ(t.find("b")->totals.transactions, 3u);
    EXPECT_EQ(t.find("b")->totals.busy_micros, 100u);
}

TEST(GroupTable, HoldTimesFollowTheirTransactionsToTheOwnersGroup) {
    Table t(4);
    SlotHolds first{};
    first.holds.buckets[hold_bucket(10)] = 100;
    t.sample(1 * kSecond, {backend("a", 10, SessionState::idle)}, {slot(10, 100, 1000)}, {first});
    // Backend 10 ran 5 transactions of about 100 µs and one of about 3 s, then exited;
    // backend 20 of group "b" took the slot over and ran 2 of about 40 ms.
    SlotHolds second{};
    second.owner_base_holds = first.holds;
    second.owner_base_holds.buckets[hold_bucket(100)] += 5;
    second.owner_base_holds.buckets[hold_bucket(3'000'000)] += 1;
    second.holds = second.owner_base_holds;
    second.holds.buckets[hold_bucket(40'000)] += 2;
    t.sample(2 * kSecond, {backend("b", 20, SessionState::idle)},
             {slot_reading(20, 108, 3'081'500, 106, 3'001'500)}, {second});

    const GroupEntry &a = *t.find("a");
    EXPECT_EQ(hold_total(a.hold_totals), 6u);
    EXPECT_EQ(a.hold_totals.buckets[hold_bucket(100)], 5u);
    EXPECT_EQ(a.hold_totals.buckets[hold_bucket(3'000'000)], 1u);
    const GroupEntry &b = *t.find("b");
    EXPECT_EQ(hold_total(b.hold_totals), 2u);
    EXPECT_EQ(b.hold_totals.buckets[hold_bucket(40'000)], 2u);

    GroupFigures f = figures_of(a, 2 * kSecond);
    EXPECT_EQ(f.holds.counted, 6u);
    EXPECT_LT(f.holds.p50_micros, 256.0);
    EXPECT_GE(f.holds.p99_micros, 2'097'152.0);  // the 3 s hold's bucket
    // A window closes: the percentiles the readers see span it and the current one.
    t.writer->begin_sample(400 * kSecond, 300 * kSecond);
    EXPECT_EQ(figures_of(a, 400 * kSecond).holds.counted, 6u);
    // After a second window, the first one's holds are out of the span.
    t.writer->begin_sample(800 * kSecond, 300 * kSecond);
    GroupFigures later = figures_of(a, 800 * kSecond);
    EXPECT_EQ(later.holds.counted, 0u);
    EXPECT_EQ(later.holds.p99_micros, 0.0);
}

TEST(GroupTable, CreditsNeverReachAGroupThatReplacedAnEvictedOne) {
    Table t(1);
    t.sample(1 * kSecond, {backend("a", 10, SessionState::idle)}, {slot(10, 0, 0)});
    // Backend 10 exits; "b" takes the only entry; the slot's late transactions belonged to "a".
    t.sample(2 * kSecond, {backend("b", 11, SessionState::idle)}, {slot(10, 5, 500)});
    EXPECT_EQ(t.find("a"), nullptr);
    EXPECT_EQ(t.find("b")->totals.transactions, 0u);
}

TEST(GroupTable, RecentEventsCountFromTheCurrentOrThePreviousWindow) {
    GroupEntry entry;
    std::memset(&entry, 0, sizeof entry);
    const int refused = int(EventKind::connection_refused);
    entry.totals.events[refused] = 5;
    entry.previous.totals_at_start.events[refused] = 1;
    entry.current.totals_at_start.events[refused] = 3;
    EXPECT_EQ(recent_events(entry, EventKind::connection_refused, false), 2u);
    EXPECT_EQ(recent_events(entry, EventKind::connection_refused, true), 4u);
    EXPECT_EQ(recent_events(entry, EventKind::statement_timeout, true), 0u);
}

TEST(GroupTable, ALoadedTableKeepsTotalsAndStartsFreshWindows) {
    Table before(4);
    before.sample(10 * kSecond, {backend("a", 1, SessionState::active)}, {slot(1, 5, 500)});
    before.sample(11 * kSecond, {backend("a", 1, SessionState::active)}, {slot(1, 9, 900)});
    before.entries[0].adapted_pool_size = 7;
    const GroupTotals totals = before.find("a")->totals;
    ASSERT_EQ(totals.transactions, 4u);

    // What a new server finds in shared memory after loading the saved bytes.
    Table after(4);
    after.header = before.header;
    after.header.in_use = 99;  // recounted, whatever was saved
    after.entries = before.entries;
    restart_loaded_table(&after.header, after.entries.data(), 4);
    EXPECT_EQ(after.header.in_use, 1u);
    EXPECT_EQ(after.header.window_start_micros, 0);
    EXPECT_EQ(after.header.window_samples, 0u);
    const GroupEntry *a = after.find("a");
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->totals.transactions, totals.transactions);
    EXPECT_EQ(a->totals.sessions_started, totals.sessions_started);
    EXPECT_EQ(a->now.connections, 0);
    EXPECT_EQ(a->current.busy.samples(), 0u);
    EXPECT_EQ(a->current.totals_at_start.transactions, totals.transactions);
    EXPECT_EQ(a->adapted_pool_size, 7);

    // A worker on the new server finds the group again and adds to its totals; the
    // counter slots of the new server start from zero and only set the baseline first.
    after.writer = std::make_unique<GroupTableWriter>(&after.header, after.entries.data());
    after.sample(100 * kSecond, {backend("a", 50, SessionState::idle)}, {slot(50, 1, 10)});
    after.sample(101 * kSecond, {backend("a", 50, SessionState::idle)}, {slot(50, 3, 30)});
    EXPECT_EQ(after.header.in_use, 1u);
    EXPECT_EQ(after.find("a")->totals.transactions, totals.transactions + 2);
    EXPECT_EQ(after.find("a")->now.connections, 1);
}
