// The pool engine: sizing from the offered load, censored and lock-bound pools, overflow,
// timeouts, recycling, confidence, the hardware-only row and the reasons.

#include "core/pool_engine.hpp"

#include "core/pool_support.hpp"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "pool_engine_fixtures.hpp"
#include "text_assertions.hpp"

using namespace poolopt::core;
using namespace pool_engine_fixtures;

TEST(PoolEngine, CpuBoundOversizedPoolShrinksAndNamesCpu) {
    const PoolRecommendations result =
        recommend_pools({cpu_bound_oversized_pool()}, server_with(2, 0.98), PoolPolicy{});
    ASSERT_EQ(result.pools.size(), 1u);
    const PoolRecommendation &row = result.pools[0];
    EXPECT_TRUE(result.host_cpu_saturated);
    // Every busy connection on CPU: 2 running, none in overlapping waits, 0 spindles.
    EXPECT_EQ(result.cpu_capacity_connections, 2);
    EXPECT_TRUE(row.cpu_bound);
    EXPECT_FALSE(row.demand_censored);
    EXPECT_EQ(row.pool_size, 5);  // the CPU share 2, raised to min_pool_size
    EXPECT_EQ(row.max_overflow, 1);
    EXPECT_CONTAINS(row.reason,
                    "CPU is the bottleneck: host CPU at 98 % with 100 % of busy "
                    "connections on CPU");
    EXPECT_CONTAINS(row.reason,
                    "2 usable CPUs serve about 2 busy connections at once (2 running, + 0 in "
                    "overlapping waits, + 0 spindles; HikariCP's 2 × cores + spindles assumes "
                    "as many waiting as running)");
    EXPECT_CONTAINS(row.reason, "share by offered load is 2, down from 96");
    EXPECT_CONTAINS(row.reason, "raised to min_pool_size 5");
    EXPECT_TRUE(row.transaction_pooling_advised);
    EXPECT_EQ(row.pgbouncer_default_pool_size, 2);
    EXPECT_CONTAINS(row.reason,
                    "96 client connections share 2 CPUs: put PgBouncer in front "
                    "in transaction pooling mode, default_pool_size = 2");
    EXPECT_EQ(row.confidence, RecommendationConfidence::high);

    PoolPolicy no_floor;
    no_floor.min_pool_size = 1;
    EXPECT_EQ(only_row(cpu_bound_oversized_pool(), server_with(2, 0.98), no_floor).pool_size, 2);
}

TEST(PoolEngine, LatencyBoundSaturatedPoolGrows) {
    // Every connection busy, CPU at 10 %, 400 tx/s × 50 ms: A = 20 served, demand unknown.
    PoolGroupFacts facts = measured_group("reports", 400, 0.05, 20);
    set_busy(facts, 20, 20, 20, 20, 1.0);
    facts.on_cpu_share = 0.05;
    PoolPolicy roomy;
    roomy.max_pool_size = 200;
    const PoolRecommendation row = only_row(facts, server_with(2, 0.10), roomy);
    EXPECT_FALSE(row.cpu_bound);
    EXPECT_TRUE(row.demand_censored);
    EXPECT_DOUBLE_EQ(row.offered_load, 20.0);
    EXPECT_EQ(row.erlang_pool_size, 29);
    EXPECT_EQ(row.pool_size, 80);
    EXPECT_CONTAINS(row.reason,
                    "every connection was busy in 100 % of samples while the "
                    "host CPU was at 10 %");
    EXPECT_CONTAINS(row.reason, "growing to 80, 4 times the 20 open connections");
    EXPECT_EQ(only_row(facts, server_with(2, 0.10)).pool_size, 50);  // max_pool_size

    // Mostly on CPU, at 60 % host CPU the headroom, floor(20 × 0.85 / 0.6) = 28, stops the
    // growth; Erlang C's 29 stands.
    facts.on_cpu_share = 0.6;
    const PoolRecommendation busier = only_row(facts, server_with(2, 0.60));
    EXPECT_EQ(busier.pool_size, 29);
    EXPECT_LACKS(busier.reason, "growing to");
}

TEST(PoolEngine, HighUtilisationCountsAsCensoredBelowTheSaturationShare) {
    // The sleep workload from a pool of 2: 79 % of samples saw both busy (just under the
    // saturation share) but 1.9 of 2 were busy on average: the pool still set the ceiling.
    PoolGroupFacts facts = measured_group("sleepy", 189, 0.0101, 2);
    set_busy(facts, 1.9, 2, 2, 2, 0.79);
    facts.on_cpu_share = 0.1;
    PoolPolicy policy;
    policy.min_pool_size = 1;
    const PoolRecommendation row = only_row(facts, server_with(2, 0.5), policy);
    EXPECT_TRUE(row.demand_censored);
    EXPECT_EQ(row.pool_size, 8);
    EXPECT_CONTAINS(row.reason, "95 % of the 2 connections were busy on average");
    EXPECT_CONTAINS(row.reason, "growing to 8, the knee");

    // 80 % busy and 50 % saturated is an ordinary busy pool, not a ceiling.
    set_busy(facts, 1.6, 2, 2, 2, 0.5);
    EXPECT_FALSE(only_row(facts, server_with(2, 0.5), policy).demand_censored);
}

TEST(PoolEngine, PoolAtItsCeilingWithLockWaitsIsNotGrown) {
    // TPC-B at 11 connections: 93 % busy, 28 % of them waiting on row locks. Growing would
    // add lock waiters, not throughput: Erlang C on the 7.35 doing work gives 13. (The host
    // has CPU to spare, so the CPUs' knee does not cap it.)
    PoolGroupFacts facts = measured_group("ledger", 1048, 0.00947, 11);
    set_busy(facts, 10.23, 11, 11, 11, 0.55);
    facts.lock_wait_share = 0.281;
    facts.on_cpu_share = 0.02;
    PoolPolicy policy;
    policy.min_pool_size = 1;
    const PoolRecommendation row = only_row(facts, server_with(2, 0.8), policy);
    EXPECT_FALSE(row.lock_bound);
    EXPECT_FALSE(row.demand_censored);
    EXPECT_EQ(row.pool_size, row.erlang_pool_size);
    EXPECT_LT(row.pool_size, 16);
    EXPECT_CONTAINS(row.reason,
                    "of the 11 connections were busy on average, but 28.1 % of them "
                    "wait on locks: a larger pool would lengthen the lock queue");
    EXPECT_LACKS(row.reason, "growing to");

    // Below 10 % waiting on locks the same pool is censored and grows.
    facts.lock_wait_share = 0.05;
    EXPECT_TRUE(only_row(facts, server_with(2, 0.8), policy).demand_censored);
}

TEST(PoolEngine, LockBoundPoolDoesNotGrowPastTheLoad) {
    // 20 busy, 70 % of them waiting on locks: sized for the 6 doing work.
    PoolGroupFacts facts = measured_group("ledger", 400, 0.05, 20);
    set_busy(facts, 20, 20, 20, 20, 1.0);
    facts.lock_wait_share = 0.7;
    const PoolRecommendation row = only_row(facts, server_with(2, 0.10));
    EXPECT_TRUE(row.lock_bound);
    EXPECT_FALSE(row.demand_censored);
    EXPECT_DOUBLE_EQ(row.sizing_load, 6.0);
    EXPECT_EQ(row.pool_size, 11);  // Erlang C for 6; the p95 floor is 20 × 30 % = 6
    EXPECT_CONTAINS(row.reason,
                    "70 % of busy connections wait on locks: sizing for the 6 doing work");
    EXPECT_CONTAINS(row.reason, "p95 busy doing work 6");
}

TEST(PoolEngine, OversizedLockContendedPoolShrinksTowardTheWorkingLoad) {
    // TPC-B-like with 96 clients on 10 branches (measured in bench/RESULTS.md, run 1):
    // 1694 tx/s × 54.9 ms = 93 busy, 81 % of them waiting on row locks. Before, Erlang C
    // on 93 and the p95 floor of 96 held the pool at max_pool_size.
    PoolGroupFacts facts = measured_group("tpcb", 1694, 0.0549, 96);
    set_busy(facts, 93.5, 96, 96, 96, 0.25);
    facts.lock_wait_share = 0.813;
    facts.on_cpu_share = 0.1;
    PoolPolicy policy;
    policy.min_pool_size = 1;
    // On a host with CPU to spare, the lock discount alone.
    const PoolRecommendation row = only_row(facts, server_with(2, 0.6), policy);
    EXPECT_FALSE(row.cpu_bound);
    EXPECT_NEAR(row.sizing_load, 93.5 * 0.187, 0.01);
    EXPECT_GE(row.pool_size, 18);  // at least the p95 doing work, ceil(96 × 18.7 %)
    EXPECT_LT(row.pool_size, 30);
    // With the host CPU saturated, little of the busy time (8.7 %) overlaps CPU work: the CPU
    // capacity holds it to 2 running + 93.5 × 8.7 % waiting, 10.
    const PoolRecommendation saturated = only_row(facts, server_with(2, 1.0), policy);
    EXPECT_TRUE(saturated.cpu_bound);
    EXPECT_EQ(saturated.pool_size, 10);
    // Below 10 % the share is noise: no discount.
    facts.lock_wait_share = 0.05;
    EXPECT_DOUBLE_EQ(only_row(facts, server_with(2, 1.0), policy).sizing_load,
                     std::max(1694 * 0.0549, 93.5));
}

TEST(PoolEngine, ReasonNamesTheFiguresUsed) {
    PoolGroupFacts facts = measured_group("web", 412, 0.0078, 10);
    set_busy(facts, 3.1, 5, 6, 7, 0.0);
    const PoolRecommendation row = only_row(facts, server_with(8, 0.3));
    EXPECT_EQ(row.pool_size, 8);
    EXPECT_EQ(row.reason.rfind("offered load 3.21 (412 tx/s × 7.8 ms), sampled busy mean 3.1; "
                               "Erlang C gives 8 connections for P(wait) ≤ 5 %; p95 busy 5; "
                               "P(wait) 1.89 % at 8, mean wait 30.8 µs; max_overflow 2 for "
                               "peaks of 7 busy (p99 6, max 7) over the pool of 8, within 20–50 % "
                               "of it (2–4)",
                               0),
              0u)
        << row.reason;
    EXPECT_CONTAINS(row.reason, "confidence high: 300 samples over 100 % of the 300 s window");
    EXPECT_NEAR(row.wait_probability, 0.0189272, 1e-6);
    EXPECT_EQ(row.pool_timeout_seconds, 30);
    EXPECT_EQ(row.pool_recycle_seconds, 1800);
    EXPECT_FALSE(row.pre_ping);
}

TEST(PoolEngine, P95FloorRaisesTheErlangSize) {
    PoolGroupFacts facts = measured_group("web", 200, 0.02, 20);  // A = 4: Erlang C 9
    set_busy(facts, 4, 12, 14, 15, 0.0);
    const PoolRecommendation row = only_row(facts, server_with(8, 0.3));
    EXPECT_EQ(row.erlang_pool_size, 9);
    EXPECT_EQ(row.pool_size, 12);
    EXPECT_CONTAINS(row.reason, "p95 busy 12 raises it to 12");
}

TEST(PoolEngine, BurstsGetOverflowWithinTwentyToFiftyPercent) {
    PoolGroupFacts facts = measured_group("web", 200, 0.02, 12);  // A = 4: pool 9
    set_busy(facts, 4, 6, 12, 20, 0.02);
    const PoolRecommendation spiky = only_row(facts, server_with(8, 0.3));
    EXPECT_EQ(spiky.pool_size, 9);
    EXPECT_EQ(spiky.max_overflow, 4);  // peak 20 is 11 above, held to 50 % = 4

    set_busy(facts, 4, 6, 10, 11, 0.02);
    EXPECT_EQ(only_row(facts, server_with(8, 0.3)).max_overflow, 2);  // 2 above: inside 2..4

    set_busy(facts, 4, 6, 7, 8, 0.02);
    EXPECT_EQ(only_row(facts, server_with(8, 0.3)).max_overflow, 2);  // no burst: the 20 % floor
}

TEST(PoolEngine, IdlePoolShrinksToTheMinimum) {
    PoolGroupFacts facts = measured_group("batch", 0.5, 0.02, 20);  // A = 0.01
    set_busy(facts, 0.05, 0, 1, 1, 0.0);
    const PoolRecommendation row = only_row(facts, server_with(8, 0.05));
    EXPECT_EQ(row.erlang_pool_size, 1);
    EXPECT_EQ(row.pool_size, 5);
    EXPECT_EQ(row.max_overflow, 1);
    EXPECT_EQ(row.pool_recycle_seconds, 3600);  // low load
    EXPECT_CONTAINS(row.reason, "raised to min_pool_size 5");
    EXPECT_CONTAINS(row.reason, "pool_recycle 3600 s: under low load (utilisation 1 %)");
}

TEST(PoolEngine, KilledSessionsTurnPrePingOnAndShortenRecycle) {
    PoolGroupFacts facts = measured_group("web", 200, 0.02, 12);
    set_busy(facts, 4, 6, 7, 8, 0.0);
    EXPECT_FALSE(only_row(facts, server_with(8, 0.3)).pre_ping);

    facts.sessions_killed = 3;
    const PoolRecommendation killed = only_row(facts, server_with(8, 0.3));
    EXPECT_TRUE(killed.pre_ping);
    EXPECT_EQ(killed.pool_recycle_seconds, 300);
    EXPECT_CONTAINS(killed.reason, "pool_recycle 300 s: sessions were killed (3) or abandoned (0)");

    facts.sessions_killed = 0;
    facts.sessions_abandoned = 2;
    EXPECT_TRUE(only_row(facts, server_with(8, 0.3)).pre_ping);
}

TEST(PoolEngine, RecycleStaysBelowIdleSessionTimeout) {
    PoolGroupFacts facts = measured_group("web", 200, 0.02, 12);
    set_busy(facts, 4, 6, 7, 8, 0.0);
    ServerFacts server = server_with(8, 0.3);
    server.idle_session_timeout_seconds = 600;
    const PoolRecommendation row = only_row(facts, server);
    EXPECT_EQ(row.pool_recycle_seconds, 540);
    EXPECT_TRUE(row.pre_ping);
    EXPECT_CONTAINS(row.reason, "pool_recycle 540 s: below idle_session_timeout 600 s");

    facts.idle_session_timeout_seconds = 120;  // ALTER ROLE ... SET overrides the server
    EXPECT_EQ(only_row(facts, server).pool_recycle_seconds, 108);
    facts.idle_session_timeout_seconds = 1;
    EXPECT_EQ(only_row(facts, server).pool_recycle_seconds, 1);
    facts.idle_session_timeout_seconds = 0;  // off for this role
    EXPECT_EQ(only_row(facts, server).pool_recycle_seconds, 1800);
    EXPECT_FALSE(only_row(facts, server).pre_ping);
}

TEST(PoolEngine, LongHoldsLengthenPoolTimeout) {
    PoolGroupFacts facts = measured_group("etl", 0.4, 5.0, 6);  // A = 2
    set_busy(facts, 2, 3, 4, 4, 0.0);
    EXPECT_EQ(only_row(facts, server_with(8, 0.3)).pool_timeout_seconds, 50);
    facts.p99_hold_seconds = 40;
    const PoolRecommendation row = only_row(facts, server_with(8, 0.3));
    EXPECT_EQ(row.pool_timeout_seconds, 80);
    EXPECT_CONTAINS(row.reason, "pool_timeout 80 s: 2 × the 40 s p99 hold");
    facts.p99_hold_seconds = 1000;
    EXPECT_EQ(only_row(facts, server_with(8, 0.3)).pool_timeout_seconds, 600);
}

TEST(PoolEngine, MismatchedLoadSizesForTheLargerAndLowersConfidence) {
    PoolGroupFacts facts = measured_group("web", 100, 0.01, 10);  // λ·W = 1
    set_busy(facts, 6, 8, 9, 9, 0.0);
    const PoolRecommendation row = only_row(facts, server_with(8, 0.3));
    EXPECT_TRUE(row.load_mismatch);
    EXPECT_DOUBLE_EQ(row.sizing_load, 6.0);
    EXPECT_EQ(row.erlang_pool_size, 11);
    EXPECT_EQ(row.confidence, RecommendationConfidence::medium);
    EXPECT_CONTAINS(row.reason, "disagrees with the sampled busy mean 6: sizing for the larger");
}

TEST(PoolEngine, ConfidenceFollowsSamplesAndCoverage) {
    PoolGroupFacts facts = measured_group("web", 200, 0.02, 12);
    set_busy(facts, 4, 6, 7, 8, 0.0);
    EXPECT_EQ(only_row(facts, server_with(8, 0.3)).confidence, RecommendationConfidence::high);
    facts.window_samples = 30;
    facts.window_seconds = 150;
    EXPECT_EQ(only_row(facts, server_with(8, 0.3)).confidence, RecommendationConfidence::medium);
    facts.window_samples = 10;
    EXPECT_EQ(only_row(facts, server_with(8, 0.3)).confidence, RecommendationConfidence::low);
    facts.window_samples = 300;
    facts.window_seconds = 30;  // 10 % of the window
    EXPECT_EQ(only_row(facts, server_with(8, 0.3)).confidence, RecommendationConfidence::low);
    EXPECT_STREQ(confidence_name(RecommendationConfidence::medium), "medium");
}

TEST(PoolEngine, NoTrafficUsesTheOriginalFormula) {
    const PoolRecommendations result = recommend_pools({}, server_with(2, 0.0), PoolPolicy{});
    ASSERT_EQ(result.pools.size(), 1u);
    const PoolRecommendation &row = result.pools[0];
    EXPECT_TRUE(row.from_hardware_only);
    EXPECT_EQ(row.pool_size, 6);  // min(2 × 3, 24 × 2)
    EXPECT_EQ(row.max_overflow, 2);
    EXPECT_EQ(row.pool_timeout_seconds, 30);
    EXPECT_EQ(row.pool_recycle_seconds, 1800);
    EXPECT_FALSE(row.pre_ping);
    EXPECT_EQ(row.confidence, RecommendationConfidence::low);
    EXPECT_EQ(row.identity.database, "");
    EXPECT_CONTAINS(row.reason,
                    "no traffic seen yet: sized from the hardware alone by the "
                    "original formula min(2 CPUs × 3, 24 GB × 2) = 6");

    // A group seen but not yet sampled keeps its identity.
    PoolGroupFacts fresh;
    fresh.identity = {"shop", "app", "new", ""};
    fresh.connections = 3;
    const PoolRecommendations one = recommend_pools({fresh}, server_with(2, 0.0), PoolPolicy{});
    EXPECT_TRUE(one.pools.at(0).from_hardware_only);
    EXPECT_EQ(one.pools.at(0).identity.application, "new");
    EXPECT_EQ(one.pools.at(0).connections, 3);

    ServerFacts unknown_memory = server_with(2, 0.0);
    unknown_memory.usable_memory_bytes = 0;  // the CPUs alone decide
    EXPECT_EQ(recommend_from_hardware({}, unknown_memory, PoolPolicy{}).pool_size, 6);
    ServerFacts small = server_with(16, 0.0);
    small.usable_memory_bytes = 4 * kGiB;
    EXPECT_EQ(recommend_from_hardware({}, small, PoolPolicy{}).pool_size, 8);
}

TEST(PoolEngine, Baselines) {
    EXPECT_EQ(original_formula_pool_size(2, 24), 6);
    EXPECT_EQ(original_formula_pool_size(32, 64), 50);
    EXPECT_EQ(original_formula_pool_size(1, 1), 5);
    EXPECT_EQ(original_formula_pool_size(1.5, 100), 6);
    EXPECT_EQ(original_formula_pool_size(4, std::nan("")), 5);
    EXPECT_EQ(cores_times_two_plus_one(4), 9);
    EXPECT_EQ(cores_times_two_plus_one(0), 3);
    EXPECT_EQ(cores_times_two_plus_spindles(4, 1), 9);
    EXPECT_EQ(cores_times_two_plus_spindles(4, 0), 8);
    // Rounding error in a quota division is not a third core; a real fraction is.
    EXPECT_EQ(cores_times_two_plus_spindles(2.0 + 1e-12, -2), 4);
    EXPECT_EQ(cores_times_two_plus_spindles(2.0000001, 0), 6);
}

TEST(PoolEngine, GarbageFiguresStillGiveABoundedRow) {
    const double nan = std::nan("");
    PoolGroupFacts facts;
    facts.connections = -4;
    facts.window_samples = 100;
    facts.window_seconds = nan;
    facts.transactions_per_second = std::numeric_limits<double>::infinity();
    facts.mean_hold_seconds = -1;
    facts.busy_mean = nan;
    facts.busy_p95 = UINT32_MAX;
    facts.busy_p99 = UINT32_MAX;
    facts.busy_max = UINT32_MAX;
    facts.saturation_share = 7;
    facts.on_cpu_share = nan;
    facts.idle_in_transaction_share = -3;
    ServerFacts server = server_with(nan, 0.0);
    server.cpu_utilisation = nan;
    server.max_connections = -1;
    PoolPolicy policy;
    policy.min_pool_size = 0;
    policy.max_pool_size = -3;
    policy.target_wait_probability = nan;
    policy.evaluation_window_seconds = nan;
    const PoolRecommendations result = recommend_pools({facts}, server, policy);
    const PoolRecommendation &row = result.pools.at(0);
    EXPECT_EQ(row.pool_size, 1);  // min and max both clamp to 1
    EXPECT_EQ(row.max_overflow, 1);
    EXPECT_TRUE(std::isfinite(row.sizing_load));
    EXPECT_TRUE(std::isfinite(row.wait_probability));
    EXPECT_FALSE(row.reason.empty());
    EXPECT_FALSE(result.budget.fits);

    const PoolPolicy effective = effective_policy(policy);
    EXPECT_EQ(effective.min_pool_size, 1);
    EXPECT_EQ(effective.max_pool_size, 1);
    EXPECT_EQ(effective.target_wait_probability, 0.05);
    EXPECT_EQ(effective.evaluation_window_seconds, 300);
}

TEST(PoolText, FormatsFiguresTheWayReasonsReadThem) {
    using namespace poolopt::core::pool_support;
    EXPECT_EQ(number(3.2136), "3.21");
    EXPECT_EQ(number(412), "412");
    EXPECT_EQ(number(12345.4), "12345");
    EXPECT_EQ(number(2.5e-9), "< 0.001");
    EXPECT_EQ(number(0), "0");
    EXPECT_EQ(number(std::nan("")), "unknown");
    EXPECT_EQ(duration(0.0078), "7.8 ms");
    EXPECT_EQ(duration(3.08e-5), "30.8 µs");
    EXPECT_EQ(duration(600), "600 s");
    EXPECT_EQ(percent(0.05), "5 %");
    EXPECT_EQ(percent(0.333333), "33.3 %");
    EXPECT_EQ(bytes(330 * kMiB), "330 MB");
    EXPECT_EQ(bytes(4 * kGiB), "4 GB");
    EXPECT_EQ(bytes(1536), "1.5 kB");
    EXPECT_EQ(whole_cores(1.5), 2);
    EXPECT_EQ(whole_cores(0), 1);
    EXPECT_EQ(floor_tolerant(20 * 0.85 / 0.1), 170);
}

TEST(PoolEngine, SkippedReasonsLeaveEveryFigureUnchanged) {
    std::vector<PoolGroupFacts> groups = three_busy_groups();
    groups.push_back(cpu_bound_oversized_pool());
    PoolGroupFacts unseen = measured_group("unseen", 0, 0, 0);
    unseen.window_samples = 0;  // hardware-only row
    groups.push_back(unseen);
    for (const ServerFacts &server : {server_with(2, 0.98), server_with(8, 0.2)}) {
        const PoolRecommendations full = recommend_pools(groups, server, PoolPolicy{});
        const PoolRecommendations sizes =
            recommend_pools(groups, server, PoolPolicy{}, Reasons::skipped);
        ASSERT_EQ(full.pools.size(), sizes.pools.size());
        for (size_t i = 0; i < full.pools.size(); ++i) {
            const PoolRecommendation &a = full.pools[i], &b = sizes.pools[i];
            EXPECT_EQ(a.pool_size, b.pool_size);
            EXPECT_EQ(a.max_overflow, b.max_overflow);
            EXPECT_EQ(a.pool_timeout_seconds, b.pool_timeout_seconds);
            EXPECT_EQ(a.pool_recycle_seconds, b.pool_recycle_seconds);
            EXPECT_EQ(a.pre_ping, b.pre_ping);
            EXPECT_EQ(a.confidence, b.confidence);
            EXPECT_EQ(a.pgbouncer_default_pool_size, b.pgbouncer_default_pool_size);
            EXPECT_FALSE(a.reason.empty());
            // Only the hardware-only row keeps its reason.
            EXPECT_EQ(b.reason.empty(), !b.from_hardware_only);
        }
        EXPECT_EQ(full.budget.required_connections, sizes.budget.required_connections);
        EXPECT_EQ(full.budget.advice, sizes.budget.advice);
    }
}
