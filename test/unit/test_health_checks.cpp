// pool_health()'s checks on scripted figures: each turns warning and critical at its
// documented threshold, says so in its detail, and stays ok when there is nothing to judge.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/health_checks.hpp"

namespace poolopt::core {
namespace {

// A quiet, healthy server: 20 of 97 slots, plenty of hits, no spills or refusals.
HealthFacts healthy() {
    HealthFacts f;
    f.window.samples = 300;
    f.window.seconds = 300;
    f.window.mean_client_connections = 20;
    f.window.mean_idle_in_transaction = 1;
    f.window.peak_client_connections = 25;
    f.window.last.client_connections = 20;
    f.window.delta.blks_hit = 999000;
    f.window.delta.blks_read = 1000;
    f.window.delta.checkpoints_timed = 1;
    f.available_connections = 97;
    f.refusal_window_seconds = 300;
    f.worker_running = true;
    f.last_sample_age_seconds = 0.5;
    f.sample_interval_seconds = 1;
    f.events_received = 1000;
    return f;
}

const HealthCheck &find(const std::vector<HealthCheck> &checks, const std::string &name) {
    for (const HealthCheck &c : checks)
        if (c.name == name) return c;
    ADD_FAILURE() << name << " missing";
    static const HealthCheck missing;
    return missing;
}

HealthCheck judged(const HealthFacts &facts, const std::string &name) {
    return find(evaluate_health(facts), name);
}

bool contains(const std::string &text, const std::string &part) {
    return text.find(part) != std::string::npos;
}

TEST(HealthChecks, AHealthyServerIsOkEverywhereInTheDocumentedOrder) {
    std::vector<HealthCheck> checks = evaluate_health(healthy());
    std::vector<std::string> names;
    for (const HealthCheck &c : checks) {
        names.push_back(c.name);
        EXPECT_EQ(c.status, HealthStatus::ok) << c.name << ": " << c.detail;
        EXPECT_FALSE(c.detail.empty()) << c.name;
    }
    EXPECT_EQ(names,
              (std::vector<std::string>{"connection_headroom", "idle_in_transaction",
                                        "long_transactions", "cache_hit_ratio", "temp_spills",
                                        "checkpoint_pressure", "refused_connections",
                                        "worker_running", "last_sample_age", "events_dropped"}));
    EXPECT_STREQ(health_status_name(HealthStatus::ok), "ok");
    EXPECT_STREQ(health_status_name(HealthStatus::warning), "warning");
    EXPECT_STREQ(health_status_name(HealthStatus::critical), "critical");
}

TEST(HealthChecks, ConnectionHeadroomFromThePeakShareOfOpenSlots) {
    HealthFacts f = healthy();
    f.window.peak_client_connections = 77;  // 79 %
    EXPECT_EQ(judged(f, "connection_headroom").status, HealthStatus::ok);
    f.window.peak_client_connections = 78;  // 80.4 %
    HealthCheck c = judged(f, "connection_headroom");
    EXPECT_EQ(c.status, HealthStatus::warning);
    EXPECT_DOUBLE_EQ(c.threshold, kHeadroomWarningShare);
    EXPECT_TRUE(contains(c.detail, "peak 78 of 97 connection slots")) << c.detail;
    f.window.peak_client_connections = 93;  // 95.9 %
    c = judged(f, "connection_headroom");
    EXPECT_EQ(c.status, HealthStatus::critical);
    EXPECT_DOUBLE_EQ(c.threshold, kHeadroomCriticalShare);
}

TEST(HealthChecks, IdleInTransactionFromTheMeanShareOfClientConnections) {
    HealthFacts f = healthy();
    f.window.mean_idle_in_transaction = 2;  // 10 % of 20
    HealthCheck c = judged(f, "idle_in_transaction");
    EXPECT_EQ(c.status, HealthStatus::warning);
    EXPECT_DOUBLE_EQ(*c.value, 0.1);
    EXPECT_TRUE(contains(c.detail, "idle_in_transaction_session_timeout")) << c.detail;
    f.window.mean_idle_in_transaction = 10;
    EXPECT_EQ(judged(f, "idle_in_transaction").status, HealthStatus::critical);
    f.window.mean_client_connections = 0;
    f.window.mean_idle_in_transaction = 0;
    c = judged(f, "idle_in_transaction");
    EXPECT_EQ(c.status, HealthStatus::ok);
    EXPECT_FALSE(c.value.has_value());
}

TEST(HealthChecks, LongTransactionsFromTheOldestOpenOne) {
    HealthFacts f = healthy();
    HealthCheck c = judged(f, "long_transactions");
    EXPECT_EQ(c.status, HealthStatus::ok);
    EXPECT_DOUBLE_EQ(*c.value, 0);
    f.oldest_transaction_seconds = 299;
    EXPECT_EQ(judged(f, "long_transactions").status, HealthStatus::ok);
    f.oldest_transaction_seconds = 300;
    f.oldest_transaction_detail = "pid 42 (batch), idle in transaction";
    c = judged(f, "long_transactions");
    EXPECT_EQ(c.status, HealthStatus::warning);
    EXPECT_TRUE(contains(c.detail, "5min: pid 42 (batch), idle in transaction")) << c.detail;
    f.oldest_transaction_seconds = 7200;
    EXPECT_EQ(judged(f, "long_transactions").status, HealthStatus::critical);
}

TEST(HealthChecks, CacheHitRatioNeedsEnoughAccessesAndWarnsBelowThresholds) {
    HealthFacts f = healthy();
    f.window.delta.blks_hit = 940;
    f.window.delta.blks_read = 60;
    HealthCheck c = judged(f, "cache_hit_ratio");
    EXPECT_EQ(c.status, HealthStatus::ok);
    EXPECT_FALSE(c.value.has_value());
    EXPECT_TRUE(contains(c.detail, "too few to judge")) << c.detail;
    f.window.delta.blks_hit = 94000;
    f.window.delta.blks_read = 6000;
    c = judged(f, "cache_hit_ratio");
    EXPECT_EQ(c.status, HealthStatus::warning);
    EXPECT_DOUBLE_EQ(c.threshold, kHitRatioWarningBelow);
    f.window.delta.blks_read = 16000;
    EXPECT_EQ(judged(f, "cache_hit_ratio").status, HealthStatus::critical);
}

TEST(HealthChecks, TempSpillsPerHour) {
    HealthFacts f = healthy();
    f.window.delta.temp_files = 1;  // 12 per hour over 5 minutes
    f.window.delta.temp_bytes = 8 << 20;
    HealthCheck c = judged(f, "temp_spills");
    EXPECT_EQ(c.status, HealthStatus::warning);
    EXPECT_DOUBLE_EQ(*c.value, 12);
    EXPECT_TRUE(contains(c.detail, "1 temp files (8MB) over the last 5min, 12 per hour"))
        << c.detail;
    f.window.delta.temp_files = 50;
    EXPECT_EQ(judged(f, "temp_spills").status, HealthStatus::critical);
    f.window.seconds = 0;
    EXPECT_FALSE(judged(f, "temp_spills").value.has_value());
}

TEST(HealthChecks, TempSpillsOverAShortWindowAreNotExtrapolated) {
    // pgbench -i's 4 temp files in a 15 s window: 4 within the hour, not 960 an hour.
    HealthFacts f = healthy();
    f.window.seconds = 15;
    f.window.delta.temp_files = 4;
    f.window.delta.temp_bytes = 4 << 20;
    HealthCheck c = judged(f, "temp_spills");
    EXPECT_EQ(c.status, HealthStatus::ok);
    EXPECT_DOUBLE_EQ(*c.value, 4);
    EXPECT_TRUE(contains(c.detail, "at least 4 per hour (a window under 5min is not extrapolated)"))
        << c.detail;
    // A count past the warning threshold warns however short the window.
    f.window.delta.temp_files = 50;
    EXPECT_EQ(judged(f, "temp_spills").status, HealthStatus::warning);
}

TEST(HealthChecks, CheckpointPressureWhenRequestedOutnumberTimed) {
    HealthFacts f = healthy();
    f.window.delta.checkpoints_timed = 1;
    f.window.delta.checkpoints_requested = 1;  // half, and too few
    EXPECT_EQ(judged(f, "checkpoint_pressure").status, HealthStatus::ok);
    f.window.delta.checkpoints_requested = 3;
    EXPECT_EQ(judged(f, "checkpoint_pressure").status, HealthStatus::warning);
    f.window.delta.checkpoints_requested = 9;
    HealthCheck c = judged(f, "checkpoint_pressure");
    EXPECT_EQ(c.status, HealthStatus::critical);
    EXPECT_TRUE(contains(c.detail, "max_wal_size")) << c.detail;
    f.window.delta.checkpoints_timed = 0;
    f.window.delta.checkpoints_requested = 0;
    EXPECT_FALSE(judged(f, "checkpoint_pressure").value.has_value());
}

TEST(HealthChecks, AnyRefusalWarnsAndTenAreCritical) {
    HealthFacts f = healthy();
    f.refused_connections = 1;
    EXPECT_EQ(judged(f, "refused_connections").status, HealthStatus::warning);
    f.refused_connections = 10;
    EXPECT_EQ(judged(f, "refused_connections").status, HealthStatus::critical);
}

TEST(HealthChecks, WorkerRunningAndSampleAge) {
    HealthFacts f = healthy();
    f.last_sample_age_seconds = 2.5;  // warning from max(3 × 1 s, 2 s) = 3 s
    EXPECT_EQ(judged(f, "last_sample_age").status, HealthStatus::ok);
    f.last_sample_age_seconds = 3;
    EXPECT_EQ(judged(f, "last_sample_age").status, HealthStatus::warning);
    f.last_sample_age_seconds = 10;
    EXPECT_EQ(judged(f, "last_sample_age").status, HealthStatus::critical);
    // At 100 ms the floors apply: 2 s and 10 s, not 0.3 s and 1 s.
    f.sample_interval_seconds = 0.1;
    f.last_sample_age_seconds = 1;
    EXPECT_EQ(judged(f, "last_sample_age").status, HealthStatus::ok);
    f.last_sample_age_seconds.reset();
    EXPECT_EQ(judged(f, "last_sample_age").status, HealthStatus::ok);
    f.worker_running = false;
    EXPECT_EQ(judged(f, "last_sample_age").status, HealthStatus::critical);
    HealthCheck c = judged(f, "worker_running");
    EXPECT_EQ(c.status, HealthStatus::critical);
    EXPECT_DOUBLE_EQ(*c.value, 0);
}

TEST(HealthChecks, DroppedEventsWarnAndOnePercentIsCritical) {
    HealthFacts f = healthy();
    f.events_dropped = 1;
    EXPECT_EQ(judged(f, "events_dropped").status, HealthStatus::warning);
    f.events_dropped = 20;  // 20 of 1020
    HealthCheck c = judged(f, "events_dropped");
    EXPECT_EQ(c.status, HealthStatus::critical);
    EXPECT_TRUE(contains(c.detail, "20 of 1020 events dropped")) << c.detail;
}

}  // namespace
}  // namespace poolopt::core
