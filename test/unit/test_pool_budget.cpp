// The connection budget across pools against max_connections, and what to change when short.
#include "core/pool_engine.hpp"

#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "pool_engine_fixtures.hpp"
#include "text_assertions.hpp"

using namespace poolopt::core;
using namespace pool_engine_fixtures;

namespace {

ServerFacts budget_server(int32_t max_connections, uint64_t available, uint64_t per_connection) {
    ServerFacts server = server_with(8, 0.4);
    server.max_connections = max_connections;
    server.reserved_connections = 3;
    server.other_connections = 5;
    server.memory_available_bytes = available;
    server.per_connection_memory_bytes = per_connection;
    return server;
}

}  // namespace

TEST(PoolBudget, FitsWhenMaxConnectionsSuffices) {
    const PoolRecommendations result =
        recommend_pools(three_busy_groups(), budget_server(200, 4 * kGiB, 10 * kMiB), {});
    for (const PoolRecommendation &row : result.pools) {
        EXPECT_EQ(row.pool_size, 29);
        EXPECT_EQ(row.max_overflow, 6);
    }
    const PoolBudgetVerdict &budget = result.budget;
    EXPECT_TRUE(budget.fits);
    EXPECT_EQ(budget.pool_connections, 105);
    EXPECT_EQ(budget.required_connections, 113);
    EXPECT_EQ(budget.shortfall, 0);
    EXPECT_EQ(budget.advice,
              "The pools need 113 connections (105 for pool_size + max_overflow, 3 "
              "reserved, 5 other) of max_connections 200.");
}

TEST(PoolBudget, OverflowAdvisesRaiseWhenMemoryAllows) {
    const PoolBudgetVerdict budget =
        recommend_pools(three_busy_groups(), budget_server(100, 4 * kGiB, 10 * kMiB), {}).budget;
    EXPECT_FALSE(budget.fits);
    EXPECT_EQ(budget.shortfall, 13);
    EXPECT_EQ(budget.raise_max_connections_to, 113);
    // 113 needed at peak, 80 open now (75 in the groups, 5 other): 33 more backends.
    EXPECT_EQ(budget.raise_memory_bytes, 33 * 10 * kMiB);
    ASSERT_TRUE(budget.memory_allows_raise.has_value());
    EXPECT_TRUE(*budget.memory_allows_raise);
    // Pair (shop, app) carries load 40: Erlang C 52, but (100 − 3 − 5) / 2 = 46 fit per pair.
    EXPECT_EQ(budget.database_role_pairs, 2);
    EXPECT_EQ(budget.pgbouncer_default_pool_size, 46);
    EXPECT_EQ(budget.pgbouncer_max_client_conn, 105);
    EXPECT_EQ(budget.advice,
              "The pools need 113 connections (105 for pool_size + max_overflow, 3 reserved, 5 "
              "other) but max_connections is 100: 13 short. Raise max_connections to 113 "
              "(restart): about 330 MB more at peak at 10 MB per connection, within half of the "
              "4 GB available; or put PgBouncer in front in transaction pooling mode with "
              "default_pool_size = 46 for each of the 2 database/role pairs and max_client_conn "
              "= 105 (the load asks for 52 per pair; 46 is what fits).");
}

TEST(PoolBudget, OverflowPrefersPgBouncerWhenMemoryIsShort) {
    const PoolBudgetVerdict budget =
        recommend_pools(three_busy_groups(), budget_server(110, 512 * kMiB, 20 * kMiB), {}).budget;
    EXPECT_EQ(budget.shortfall, 3);
    ASSERT_TRUE(budget.memory_allows_raise.has_value());
    EXPECT_FALSE(*budget.memory_allows_raise);          // 660 MB > half of 512 MB
    EXPECT_EQ(budget.pgbouncer_default_pool_size, 51);  // (110 − 8) / 2
    EXPECT_CONTAINS(budget.advice,
                    "Raising max_connections to 113 would need about 660 MB "
                    "more at peak at 20 MB per connection, more than half of "
                    "the 512 MB available; instead put PgBouncer");
}

TEST(PoolBudget, UnknownMemoryLeavesTheRaiseConditional) {
    const PoolBudgetVerdict budget =
        recommend_pools(three_busy_groups(), budget_server(100, 4 * kGiB, 0), {}).budget;
    EXPECT_FALSE(budget.memory_allows_raise.has_value());
    EXPECT_CONTAINS(budget.advice,
                    "Raise max_connections to 113 (restart) if memory allows "
                    "33 more backends at peak; or put PgBouncer");
}

TEST(PoolBudget, PgBouncerPoolFollowsCombinedLoadWhenItFits) {
    const PoolBudgetVerdict budget =
        recommend_pools(three_busy_groups(), budget_server(112, 4 * kGiB, 10 * kMiB), {}).budget;
    EXPECT_EQ(budget.shortfall, 1);
    EXPECT_EQ(budget.pgbouncer_default_pool_size, 52);  // (112 − 8) / 2 = 52 fit: all of it
    EXPECT_LACKS(budget.advice, "is what fits");
}
