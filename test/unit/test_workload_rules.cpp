// Workload rules on scripted counters: each rule changes a setting only when its figures
// call for it, and its reason names those figures.
#include <string>

#include <gtest/gtest.h>

#include "core/workload_rules.hpp"

namespace poolopt::core {
namespace {

constexpr double kHour = 3600;

template <typename T>
const T &ok(const ValueOrError<T> &result) {
    EXPECT_TRUE(result.ok()) << result.error;
    static const T empty{};
    return result.value ? *result.value : empty;
}

bool contains(const std::string &text, const std::string &part) {
    return text.find(part) != std::string::npos;
}

void expect_unchanged(const SettingRecommendation &setting) {
    ASSERT_TRUE(setting.value.has_value());
    ASSERT_TRUE(setting.current_value.has_value());
    EXPECT_DOUBLE_EQ(*setting.value, *setting.current_value) << setting.reason;
}

// ---- work_mem ----

// The brief's example: 412 temp files (3.1GB) in the last hour.
WorkMemTelemetry spilling_web_server() {
    WorkMemTelemetry t;
    t.interval_seconds = kHour;
    t.temp_files = 412;
    t.temp_bytes = 3328599654;  // 3.1GB, an average of 7.7MB
    t.peak_busy_connections = 12;
    t.current_work_mem_bytes = 4 * kMegabyte;
    t.shared_buffers_bytes = 4 * kGigabyte;
    t.usable_memory_bytes = 20 * kGigabyte;
    return t;
}

TEST(WorkMemRule, SpillsRaiseWorkMemWithTheFiguresInTheReason) {
    SettingRecommendation setting = ok(recommend_work_mem(spilling_web_server()));
    EXPECT_EQ(setting.name, "work_mem");
    EXPECT_EQ(setting.display, "16MB");
    EXPECT_DOUBLE_EQ(*setting.value, 16384);
    EXPECT_DOUBLE_EQ(*setting.current_value, 4096);
    EXPECT_EQ(setting.unit, "kB");
    EXPECT_EQ(setting.reason,
              "412 temp files (3.1GB) in the last hour, average spill 7.7MB: work_mem 4MB → 16MB; "
              "peak busy 12 × 16MB × 2 = 384MB + 4GB shared_buffers fits in 20GB usable memory");
}

TEST(WorkMemRule, NoSpillsNoChange) {
    WorkMemTelemetry t = spilling_web_server();
    t.temp_files = 0;
    t.temp_bytes = 0;
    SettingRecommendation setting = ok(recommend_work_mem(t));
    expect_unchanged(setting);
    EXPECT_EQ(setting.display, "4MB");
    EXPECT_TRUE(contains(setting.reason, "no temp files in the last hour")) << setting.reason;
}

TEST(WorkMemRule, RareSpillsAreNotWorthMoreMemory) {
    WorkMemTelemetry t = spilling_web_server();
    t.temp_files = 5;
    t.temp_bytes = 5 * 8 * kMegabyte;
    SettingRecommendation setting = ok(recommend_work_mem(t));
    expect_unchanged(setting);
    EXPECT_TRUE(contains(setting.reason, "5.0 per hour: fewer than 10")) << setting.reason;
    // The same 5 spills in 20 minutes are 15 per hour: worth it.
    t.interval_seconds = 1200;
    setting = ok(recommend_work_mem(t));
    EXPECT_EQ(setting.display, "16MB");
    EXPECT_TRUE(contains(setting.reason, "in the last 20 min")) << setting.reason;
    // The same 5 spills in 45 s are a burst: 5 within the hour, not 400 an hour.
    t.interval_seconds = 45;
    setting = ok(recommend_work_mem(t));
    expect_unchanged(setting);
    EXPECT_TRUE(contains(setting.reason, "at least 5.0 per hour: fewer than 10")) << setting.reason;
}

TEST(WorkMemRule, MemoryThreatLowersWorkMemEvenWithSpills) {
    WorkMemTelemetry t = spilling_web_server();
    t.peak_busy_connections = 80;
    t.current_work_mem_bytes = 64 * kMegabyte;
    t.usable_memory_bytes = 12 * kGigabyte;
    SettingRecommendation setting = ok(recommend_work_mem(t));
    // (12GB - 4GB) / (80 × 2) = 51.2MB, whole MB down.
    EXPECT_EQ(setting.display, "51MB");
    EXPECT_DOUBLE_EQ(*setting.current_value, 65536);
    EXPECT_TRUE(contains(setting.reason,
                         "peak busy 80 × 64MB × 2 = 10GB + 4GB shared_buffers "
                         "exceeds 12GB usable memory: work_mem 64MB → 51MB"))
        << setting.reason;
    EXPECT_TRUE(contains(setting.reason, "412 temp files")) << setting.reason;
}

TEST(WorkMemRule, MemoryThreatWithSharedBuffersAboveMemoryFallsToTheMinimum) {
    WorkMemTelemetry t = spilling_web_server();
    t.shared_buffers_bytes = 24 * kGigabyte;
    SettingRecommendation setting = ok(recommend_work_mem(t));
    EXPECT_EQ(setting.display, "64kB");
}

TEST(WorkMemRule, GrowsAtMostFourTimesPerStep) {
    WorkMemTelemetry t = spilling_web_server();
    t.temp_bytes = t.temp_files * 100 * kMegabyte;  // 100MB average: 256MB wanted
    SettingRecommendation setting = ok(recommend_work_mem(t));
    EXPECT_EQ(setting.display, "16MB");
    EXPECT_TRUE(contains(setting.reason, "256MB wanted, at most 4 × per step")) << setting.reason;
}

TEST(WorkMemRule, HalvesTheRaiseUntilItFitsInMemory) {
    WorkMemTelemetry t = spilling_web_server();
    t.peak_busy_connections = 100;
    t.usable_memory_bytes = 6 * kGigabyte;  // 100 × 16MB × 2 + 4GB = 7.1GB does not fit
    SettingRecommendation setting = ok(recommend_work_mem(t));
    EXPECT_EQ(setting.display, "8MB");
    EXPECT_TRUE(contains(setting.reason, "16MB would not fit")) << setting.reason;
    EXPECT_TRUE(contains(setting.reason,
                         "peak busy 100 × 8MB × 2 = 1.6GB + 4GB shared_buffers "
                         "fits in 6GB usable memory"))
        << setting.reason;

    t.usable_memory_bytes = 5 * kGigabyte;  // 8MB does not fit either
    setting = ok(recommend_work_mem(t));
    expect_unchanged(setting);
    EXPECT_TRUE(contains(setting.reason, "memory does not allow more than work_mem 4MB"))
        << setting.reason;
}

TEST(WorkMemRule, SpillsSmallerThanWorkMemPointElsewhere) {
    WorkMemTelemetry t = spilling_web_server();
    t.current_work_mem_bytes = 64 * kMegabyte;
    SettingRecommendation setting = ok(recommend_work_mem(t));
    expect_unchanged(setting);
    EXPECT_TRUE(contains(setting.reason, "for those sessions only")) << setting.reason;
}

TEST(WorkMemRule, RefusesNonsense) {
    WorkMemTelemetry t = spilling_web_server();
    t.interval_seconds = 0;
    EXPECT_NE(recommend_work_mem(t).error.find("interval_seconds must be positive"),
              std::string::npos);
    t = spilling_web_server();
    t.temp_files = -1;
    EXPECT_FALSE(recommend_work_mem(t).ok());
    t = spilling_web_server();
    t.current_work_mem_bytes = 1024;
    EXPECT_FALSE(recommend_work_mem(t).ok());
}

// ---- max_wal_size ----

CheckpointTelemetry forced_checkpoints() {
    CheckpointTelemetry t;
    t.interval_seconds = kHour;
    t.checkpoints_timed = 4;
    t.checkpoints_requested = 30;
    t.current_max_wal_size_bytes = kGigabyte;
    return t;
}

TEST(MaxWalSizeRule, RequestedOutnumberingTimedDoublesIt) {
    SettingRecommendation setting = ok(recommend_max_wal_size(forced_checkpoints()));
    EXPECT_EQ(setting.name, "max_wal_size");
    EXPECT_EQ(setting.display, "2GB");
    EXPECT_DOUBLE_EQ(*setting.value, 2048);
    EXPECT_DOUBLE_EQ(*setting.current_value, 1024);
    EXPECT_EQ(setting.unit, "MB");
    EXPECT_TRUE(contains(setting.reason, "30 requested checkpoints vs 4 timed in the last hour"))
        << setting.reason;
    EXPECT_TRUE(contains(setting.reason, "max_wal_size 1GB → 2GB")) << setting.reason;

    // The next window still shows forced checkpoints: another doubling.
    CheckpointTelemetry next = forced_checkpoints();
    next.current_max_wal_size_bytes = 2 * kGigabyte;
    EXPECT_EQ(ok(recommend_max_wal_size(next)).display, "4GB");
}

TEST(MaxWalSizeRule, TimedCheckpointsKeepIt) {
    CheckpointTelemetry t = forced_checkpoints();
    t.checkpoints_requested = 4;
    t.checkpoints_timed = 12;
    SettingRecommendation setting = ok(recommend_max_wal_size(t));
    expect_unchanged(setting);
    EXPECT_TRUE(contains(setting.reason, "checkpoint_timeout paces checkpoints")) << setting.reason;
    // One requested checkpoint (a manual CHECKPOINT) against none timed proves nothing.
    t.checkpoints_requested = 1;
    t.checkpoints_timed = 0;
    expect_unchanged(ok(recommend_max_wal_size(t)));
}

TEST(MaxWalSizeRule, WalDiskCapsTheRaise) {
    CheckpointTelemetry t = forced_checkpoints();
    t.current_max_wal_size_bytes = 2 * kGigabyte;
    t.wal_disk_bytes = 5 * kGigabyte;  // 60 % = 3GB
    SettingRecommendation setting = ok(recommend_max_wal_size(t));
    EXPECT_EQ(setting.display, "3GB");
    EXPECT_TRUE(contains(setting.reason, "capped at 60 % of the 5GB WAL disk")) << setting.reason;

    t.wal_disk_bytes = 2 * kGigabyte;  // 60 % = 1.2GB, below the current 2GB
    setting = ok(recommend_max_wal_size(t));
    expect_unchanged(setting);
    EXPECT_TRUE(contains(setting.reason, "allows no more")) << setting.reason;
}

TEST(MaxWalSizeRule, RefusesNonsense) {
    CheckpointTelemetry t = forced_checkpoints();
    t.checkpoints_timed = -1;
    EXPECT_FALSE(recommend_max_wal_size(t).ok());
    t = forced_checkpoints();
    t.wal_disk_bytes = 0;
    EXPECT_FALSE(recommend_max_wal_size(t).ok());
}

// ---- shared_buffers ----

CacheTelemetry missing_oltp() {
    CacheTelemetry t;
    t.blks_hit = 950000;
    t.blks_read = 50000;
    t.workload = Workload::oltp;
    t.current_shared_buffers_bytes = 2 * kGigabyte;
    t.usable_memory_bytes = 16 * kGigabyte;
    t.available_memory_bytes = 10 * kGigabyte;
    return t;
}

TEST(SharedBuffersRule, LowHitRatioOnOltpGrowsToRamQuarter) {
    SettingRecommendation setting = ok(recommend_shared_buffers(missing_oltp()));
    EXPECT_EQ(setting.name, "shared_buffers");
    EXPECT_EQ(setting.display, "4GB");
    EXPECT_DOUBLE_EQ(*setting.value, 524288);
    EXPECT_DOUBLE_EQ(*setting.current_value, 262144);
    EXPECT_TRUE(contains(setting.reason, "hit ratio 0.950 (950000 hits, 50000 reads) below 0.99"))
        << setting.reason;
    EXPECT_TRUE(contains(setting.reason, "shared_buffers 2GB → 4GB (RAM/4 of 16GB usable memory)"))
        << setting.reason;
    EXPECT_TRUE(contains(setting.reason, "restart")) << setting.reason;
}

TEST(SharedBuffersRule, FromRamQuarterGrowsToRamFourTenthsAndNoFurther) {
    CacheTelemetry t = missing_oltp();
    t.current_shared_buffers_bytes = 4 * kGigabyte;
    SettingRecommendation setting = ok(recommend_shared_buffers(t));
    EXPECT_EQ(setting.display, "6553MB");  // 16GB × 0.4, whole MB down
    EXPECT_TRUE(contains(setting.reason, "RAM·0.4 of 16GB")) << setting.reason;

    t.current_shared_buffers_bytes = 6553 * kMegabyte;
    setting = ok(recommend_shared_buffers(t));
    expect_unchanged(setting);
    EXPECT_TRUE(contains(setting.reason, "already reaches RAM·0.4")) << setting.reason;
}

TEST(SharedBuffersRule, GoodHitRatioKeepsIt) {
    CacheTelemetry t = missing_oltp();
    t.blks_hit = 995000;
    t.blks_read = 5000;
    SettingRecommendation setting = ok(recommend_shared_buffers(t));
    expect_unchanged(setting);
    EXPECT_TRUE(contains(setting.reason, "hit ratio 0.995")) << setting.reason;
}

TEST(SharedBuffersRule, AnalyticalWorkloadsAreLeftToTheOsCache) {
    for (Workload workload : {Workload::dw, Workload::mixed, Workload::desktop}) {
        CacheTelemetry t = missing_oltp();
        t.workload = workload;
        SettingRecommendation setting = ok(recommend_shared_buffers(t));
        expect_unchanged(setting);
        EXPECT_TRUE(contains(setting.reason, workload_name(workload))) << setting.reason;
    }
    CacheTelemetry web = missing_oltp();
    web.workload = Workload::web;
    EXPECT_EQ(ok(recommend_shared_buffers(web)).display, "4GB");
}

TEST(SharedBuffersRule, GrowsOnlyAsFarAsAvailableMemoryAllows) {
    CacheTelemetry t = missing_oltp();
    t.available_memory_bytes = 2 * kGigabyte;  // keeps 1.6GB available: 409.6MB of room
    SettingRecommendation setting = ok(recommend_shared_buffers(t));
    EXPECT_EQ(setting.display, "2457MB");
    EXPECT_TRUE(contains(setting.reason, "as far as memory allows: 2GB available, of which 1.6GB"))
        << setting.reason;

    t.available_memory_bytes = 1700 * kMegabyte;  // under 5 % of room: not worth a restart
    setting = ok(recommend_shared_buffers(t));
    expect_unchanged(setting);
    EXPECT_TRUE(contains(setting.reason, "no room")) << setting.reason;
}

TEST(SharedBuffersRule, TooFewAccessesProveNothing) {
    CacheTelemetry t = missing_oltp();
    t.blks_hit = 900;
    t.blks_read = 100;
    SettingRecommendation setting = ok(recommend_shared_buffers(t));
    expect_unchanged(setting);
    EXPECT_TRUE(contains(setting.reason, "1000 block accesses are too few")) << setting.reason;
    t.blks_read = -1;
    EXPECT_FALSE(recommend_shared_buffers(t).ok());
}

// ---- idle_in_transaction_session_timeout ----

IdleInTransactionTelemetry idle_pool() {
    IdleInTransactionTelemetry t;
    t.mean_idle_in_transaction = 7.2;
    t.mean_pool_connections = 40;
    t.p99_transaction_hold_seconds = 2.3;
    t.current_timeout_ms = 0;
    return t;
}

TEST(IdleInTransactionRule, NotableShareGetsATimeout) {
    SettingRecommendation setting = ok(recommend_idle_in_transaction_timeout(idle_pool()));
    EXPECT_EQ(setting.name, "idle_in_transaction_session_timeout");
    EXPECT_EQ(setting.display, "1min");
    EXPECT_DOUBLE_EQ(*setting.value, 60000);
    EXPECT_DOUBLE_EQ(*setting.current_value, 0);
    EXPECT_EQ(setting.unit, "ms");
    EXPECT_TRUE(contains(setting.reason, "held 18 % of 40 pooled connections on average (7.2)"))
        << setting.reason;
    EXPECT_TRUE(contains(setting.reason, "max(1min, 10 × p99 hold time 2.3s) = 1min"))
        << setting.reason;
}

TEST(IdleInTransactionRule, SlowTransactionsGetTenTimesTheirP99) {
    IdleInTransactionTelemetry t = idle_pool();
    t.p99_transaction_hold_seconds = 30;
    EXPECT_EQ(ok(recommend_idle_in_transaction_timeout(t)).display, "5min");
    t.p99_transaction_hold_seconds = 6.25;  // 62.5 s, rounded up to whole seconds
    EXPECT_EQ(ok(recommend_idle_in_transaction_timeout(t)).display, "63s");
}

TEST(IdleInTransactionRule, SmallShareKeepsTheCurrentTimeout) {
    IdleInTransactionTelemetry t = idle_pool();
    t.mean_idle_in_transaction = 2;  // 5 %
    SettingRecommendation setting = ok(recommend_idle_in_transaction_timeout(t));
    expect_unchanged(setting);
    EXPECT_TRUE(contains(setting.reason, "below 10 %")) << setting.reason;
}

TEST(IdleInTransactionRule, KeepsATighterTimeoutAndLowersALooserOne) {
    IdleInTransactionTelemetry t = idle_pool();
    t.current_timeout_ms = 30000;
    SettingRecommendation setting = ok(recommend_idle_in_transaction_timeout(t));
    expect_unchanged(setting);
    EXPECT_TRUE(contains(setting.reason, "30s is already at or below")) << setting.reason;
    t.current_timeout_ms = 3600000;
    setting = ok(recommend_idle_in_transaction_timeout(t));
    EXPECT_EQ(setting.display, "1min");
    EXPECT_TRUE(contains(setting.reason, "(was 1h)")) << setting.reason;
}

TEST(IdleInTransactionRule, NoConnectionsOrNonsense) {
    IdleInTransactionTelemetry t = idle_pool();
    t.mean_pool_connections = 0;
    expect_unchanged(ok(recommend_idle_in_transaction_timeout(t)));
    t.mean_pool_connections = -1;
    EXPECT_FALSE(recommend_idle_in_transaction_timeout(t).ok());
}

// ---- max_connections ----

ConnectionBudget three_pools() {
    ConnectionBudget budget;
    budget.pools = {{20, 10}, {20, 5}, {10, 5}};
    budget.other_connections = 5;
    budget.superuser_reserved_connections = 3;
    budget.current_max_connections = 100;
    return budget;
}

TEST(MaxConnectionsRule, SumsThePoolBudgetWithMarginAndReserve) {
    SettingRecommendation setting = ok(recommend_max_connections(three_pools()));
    EXPECT_EQ(setting.name, "max_connections");
    EXPECT_DOUBLE_EQ(*setting.value, 86);  // 70 + 5 = 75, + 8 margin + 3 reserved
    EXPECT_DOUBLE_EQ(*setting.current_value, 100);
    EXPECT_EQ(setting.reason,
              "3 pools: 50 pool_size + 20 max_overflow + 5 other connections = 75, + 8 margin "
              "(10 %, at least 2) + 3 superuser_reserved_connections = 86");
}

TEST(MaxConnectionsRule, NeverBelowTheObservedPeak) {
    ConnectionBudget budget = three_pools();
    budget.peak_client_connections = 120;
    budget.reserved_connections = 2;
    SettingRecommendation setting = ok(recommend_max_connections(budget));
    EXPECT_DOUBLE_EQ(*setting.value, 137);  // 120 + 12 + 3 + 2
    EXPECT_TRUE(contains(setting.reason, "below the 120 client connections seen at peak"))
        << setting.reason;
    EXPECT_TRUE(contains(setting.reason, "+ 2 reserved_connections")) << setting.reason;
}

TEST(MaxConnectionsRule, SmallBudgetsKeepTheMinimumMargin) {
    ConnectionBudget budget;
    budget.pools = {{5, 0}};
    EXPECT_DOUBLE_EQ(*ok(recommend_max_connections(budget)).value, 10);  // 5 + 2 + 3
}

TEST(MaxConnectionsRule, RefusesEmptyNegativeAndImpossibleBudgets) {
    EXPECT_NE(recommend_max_connections(ConnectionBudget{}).error.find("no pool budget"),
              std::string::npos);
    ConnectionBudget budget = three_pools();
    budget.pools[0].max_overflow = -1;
    EXPECT_FALSE(recommend_max_connections(budget).ok());
    budget = three_pools();
    budget.pools = {{200000, 100000}};
    EXPECT_NE(recommend_max_connections(budget).error.find("PgBouncer"), std::string::npos);
}

}  // namespace
}  // namespace poolopt::core
