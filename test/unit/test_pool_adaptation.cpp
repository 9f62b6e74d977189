#include "core/pool_adaptation.hpp"

#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "core/queueing.hpp"
#include "text_assertions.hpp"

using namespace poolopt::core;

namespace {

AdaptationFacts facts_for(int32_t current, int32_t recommended, double busy_mean,
                          double saturation) {
    AdaptationFacts facts;
    facts.current_pool_size = current;
    facts.recommended_pool_size = recommended;
    facts.busy_mean = busy_mean;
    facts.saturation_share = saturation;
    return facts;
}

// What the worker would measure over one window with a steady offered load served by a pool
// of `pool_size` connections: M/M/c figures, the share of saturated samples being P(wait).
PoolGroupFacts steady_window(double offered_load, double hold_seconds, int32_t pool_size) {
    PoolGroupFacts facts;
    facts.identity = {"shop", "app", "web", ""};
    facts.connections = pool_size;
    const double served = std::min(offered_load, static_cast<double>(pool_size));
    facts.busy_mean = served;
    facts.transactions_per_second = served / hold_seconds;
    facts.mean_hold_seconds = hold_seconds;
    const auto peak = static_cast<uint32_t>(std::ceil(served + 1.645 * std::sqrt(served)));
    facts.busy_p95 = std::min<uint32_t>(peak, pool_size);
    facts.busy_p99 = std::min<uint32_t>(peak + 1, pool_size);
    facts.busy_max = std::min<uint32_t>(peak + 2, pool_size);
    facts.saturation_share = erlang_c_wait_probability(offered_load, pool_size);
    facts.window_samples = 300;
    facts.window_seconds = 300;
    return facts;
}

ServerFacts quiet_server() {
    ServerFacts server;
    server.usable_cpus = 8;
    server.usable_memory_bytes = 32ull << 30;
    server.cpu_utilisation = 0.2;
    server.max_connections = 500;
    return server;
}

}  // namespace

TEST(PoolAdaptation, IdlePoolShrinksTowardTheMinimumInBoundedSteps) {
    std::vector<int32_t> sizes{40};
    for (int evaluation = 0; evaluation < 12; ++evaluation) {
        const AdaptationResult result =
            adapt_pool_size(facts_for(sizes.back(), 5, 0.4, 0.0), PoolPolicy{});
        if (result.adjustment) {
            EXPECT_EQ(result.adjustment->old_pool_size, sizes.back());
            EXPECT_EQ(result.adjustment->new_pool_size, result.pool_size);
        }
        sizes.push_back(result.pool_size);
    }
    // At most −25 % (at least 1) per evaluation, down to min_pool_size and no further.
    const std::vector<int32_t> expected{40, 30, 23, 18, 14, 11, 9, 7, 6, 5, 5, 5, 5};
    EXPECT_EQ(sizes, expected);
}

TEST(PoolAdaptation, RaisesOnlyUnderPressureAndAtMostHalfAgain) {
    AdaptationFacts facts = facts_for(10, 25, 9.5, 0.4);
    AdaptationResult result = adapt_pool_size(facts, PoolPolicy{});
    EXPECT_EQ(result.pool_size, 15);
    ASSERT_TRUE(result.adjustment.has_value());
    EXPECT_EQ(result.adjustment->reason,
              "raised 10 → 15: utilisation 95 % (busy mean 9.5 of 10) with saturation in 40 % of "
              "samples; recommendation 25, at most +50 % per evaluation");

    facts.saturation_share = 0.01;  // busy, but checkouts did not wait: no evidence
    result = adapt_pool_size(facts, PoolPolicy{});
    EXPECT_EQ(result.pool_size, 10);
    EXPECT_FALSE(result.adjustment.has_value());

    facts.connections_refused = 2;  // refusals are evidence enough
    EXPECT_EQ(adapt_pool_size(facts, PoolPolicy{}).pool_size, 15);

    facts = facts_for(10, 12, 9.5, 0.4);  // the recommendation is within one step
    EXPECT_EQ(adapt_pool_size(facts, PoolPolicy{}).pool_size, 12);
    facts = facts_for(40, 60, 38, 0.9);  // never past max_pool_size
    EXPECT_EQ(adapt_pool_size(facts, PoolPolicy{}).pool_size, 50);
    facts = facts_for(48, 60, 45, 0.9);  // 50 is within the dead band of 48
    EXPECT_EQ(adapt_pool_size(facts, PoolPolicy{}).pool_size, 48);
}

TEST(PoolAdaptation, CpuBoundPoolIsLoweredDespiteFullUtilisation) {
    PoolPolicy policy;
    policy.max_pool_size = 100;
    AdaptationFacts facts = facts_for(96, 5, 96, 1.0);
    EXPECT_EQ(adapt_pool_size(facts, policy).pool_size, 96);  // the original rule alone: stuck
    facts.cpu_bound = true;
    const AdaptationResult result = adapt_pool_size(facts, policy);
    EXPECT_EQ(result.pool_size, 72);
    ASSERT_TRUE(result.adjustment.has_value());
    EXPECT_CONTAINS(result.adjustment->reason, "lowered 96 → 72: CPU-bound");
}

TEST(PoolAdaptation, SmallDifferencesStayInTheDeadBand) {
    const AdaptationResult result = adapt_pool_size(facts_for(20, 22, 18, 0.5), PoolPolicy{});
    EXPECT_EQ(result.pool_size, 20);
    EXPECT_FALSE(result.adjustment.has_value());
    EXPECT_EQ(result.note, "stays at 20: the recommendation 22 is within ±10 %");
}

TEST(PoolAdaptation, FirstEvaluationAndPolicyBounds) {
    AdaptationResult result = adapt_pool_size(facts_for(0, 12, 5, 0), PoolPolicy{});
    EXPECT_EQ(result.pool_size, 12);
    ASSERT_TRUE(result.adjustment.has_value());
    EXPECT_EQ(result.adjustment->old_pool_size, 0);

    result = adapt_pool_size(facts_for(80, 30, 20, 0), PoolPolicy{});
    EXPECT_EQ(result.pool_size, 50);
    ASSERT_TRUE(result.adjustment.has_value());
    EXPECT_EQ(result.adjustment->reason, "80 is outside the policy bounds 5–50");
}

TEST(PoolAdaptation, SteadyLoadSettlesWithoutOscillating) {
    // A closed loop: each window is measured with the size the previous evaluation chose, the
    // engine recommends from it, and adaptation moves. Load 13 erlangs, starting undersized.
    const double offered_load = 13.0, hold = 0.05;
    int32_t size = 5;
    std::vector<int32_t> sizes{size};
    int adjustments_in_last_ten = 0;
    for (int evaluation = 0; evaluation < 20; ++evaluation) {
        const PoolGroupFacts window = steady_window(offered_load, hold, size);
        const PoolRecommendations recommended = recommend_pools({window}, quiet_server(), {});
        const AdaptationResult result =
            adapt_pool_size(adaptation_facts(window, recommended.pools.at(0), size), PoolPolicy{});
        if (evaluation >= 10 && result.adjustment) ++adjustments_in_last_ten;
        size = result.pool_size;
        sizes.push_back(size);
    }
    for (size_t i = 1; i < sizes.size(); ++i) {
        EXPECT_GE(sizes[i], sizes[i - 1]) << "evaluation " << i;  // never turns back
    }
    EXPECT_EQ(adjustments_in_last_ten, 0);
    // It settles on Erlang C's answer for the true load: 21 for P(wait) ≤ 5 %.
    EXPECT_EQ(sizes.back(), smallest_servers_for_wait_probability(offered_load, 0.05));
    EXPECT_EQ(sizes.back(), 21);
    EXPECT_EQ(sizes[1], 7);  // +50 % steps while saturated: 5, 7, 10, 15, 21
    EXPECT_EQ(sizes[4], 21);
}

TEST(PoolAdaptation, JitterAroundASteadyLoadChangesNothing) {
    for (int32_t start : {6, 20, 40}) {
        int32_t size = start;
        for (int evaluation = 0; evaluation < 20; ++evaluation) {
            const double wobble = (evaluation % 2 == 0) ? 1.05 : 0.95;
            const int32_t recommended = start + (evaluation % 3 == 0 ? 1 : 0);
            const AdaptationResult result = adapt_pool_size(
                facts_for(size, recommended, 0.6 * start * wobble, 0.02), PoolPolicy{});
            EXPECT_FALSE(result.adjustment.has_value()) << start << " at " << evaluation;
            size = result.pool_size;
        }
        EXPECT_EQ(size, start);
    }
}
