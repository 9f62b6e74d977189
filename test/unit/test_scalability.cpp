// The Universal Scalability Law fitted to measured (connections, throughput) points.

#include "core/scalability.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

using namespace poolopt::core;

namespace {

double usl(double lambda, double sigma, double kappa, double n) {
    return lambda * n / (1.0 + sigma * (n - 1.0) + kappa * n * (n - 1.0));
}

}  // namespace

TEST(Scalability, RecoversTheLawFromPointsOnIt) {
    // σ 0.02, κ 0.0001: the peak at √(0.98 ÷ 0.0001) = 98.99 connections. The smallest point
    // is 4, not 1: λ is never measured.
    std::vector<ThroughputPoint> points;
    for (int32_t n : {4, 16, 32, 48}) points.push_back({n, usl(170, 0.02, 0.0001, n)});
    const auto fit = fit_scalability(points);
    ASSERT_TRUE(fit);
    EXPECT_NEAR(fit->contention, 0.02, 1e-9);
    EXPECT_NEAR(fit->coherency, 0.0001, 1e-12);
    ASSERT_TRUE(fit->peak_connections);
    EXPECT_NEAR(*fit->peak_connections, 98.99, 0.01);
    EXPECT_NEAR(relative_throughput(*fit, 32) / relative_throughput(*fit, 16),
                usl(170, 0.02, 0.0001, 32) / usl(170, 0.02, 0.0001, 16), 1e-9);
}

TEST(Scalability, TheSleepingTransactionOnTheIntelVm) {
    // Run 32 (bench/RESULTS.md, session 14): 2, 30 and 49 connections served 343, 4453 and
    // 6157 tx/s, and the best of the sweep was 92.
    const auto fit = fit_scalability({{2, 343}, {30, 4453}, {49, 6157}});
    ASSERT_TRUE(fit && fit->peak_connections);
    EXPECT_NEAR(*fit->peak_connections, 92.5, 0.1);
    EXPECT_GT(fit->contention, 0.0);

    // Two points fit κ alone, which puts the peak lower: 74.7.
    const auto two = fit_scalability({{2, 343}, {30, 4453}});
    ASSERT_TRUE(two && two->peak_connections);
    EXPECT_EQ(two->contention, 0.0);
    EXPECT_NEAR(*two->peak_connections, 74.7, 0.1);
    EXPECT_LT(*two->peak_connections, *fit->peak_connections);
}

TEST(Scalability, ANegativeContentionIsRefittedAsNone) {
    // Run 31: 20 connections served nearly in proportion to 2 (3257 against 10 × 340), 41
    // less so: the two-parameter fit wants σ < 0, which the law does not allow.
    const auto fit = fit_scalability({{2, 340}, {20, 3257}, {41, 5136}});
    ASSERT_TRUE(fit && fit->peak_connections);
    EXPECT_EQ(fit->contention, 0.0);
    EXPECT_GT(fit->coherency, 0.0);
    EXPECT_NEAR(*fit->peak_connections, 68.5, 0.1);
}

TEST(Scalability, ThroughputThatNeverFallsHasNoPeak) {
    // In proportion to the connections.
    const auto linear = fit_scalability({{2, 340}, {20, 3400}, {40, 6800}});
    ASSERT_TRUE(linear);
    EXPECT_FALSE(linear->peak_connections);
    // Contention alone (Amdahl): rising toward λ ÷ σ, never falling.
    std::vector<ThroughputPoint> amdahl;
    for (int32_t n : {2, 8, 32}) amdahl.push_back({n, usl(100, 0.05, 0.0, n)});
    const auto fit = fit_scalability(amdahl);
    ASSERT_TRUE(fit);
    EXPECT_NEAR(fit->contention, 0.05, 1e-9);
    EXPECT_NEAR(fit->coherency, 0.0, 1e-12);
    if (fit->peak_connections) {
        EXPECT_GT(*fit->peak_connections, 1e4);
    }
}

TEST(Scalability, TooFewUsablePointsFitNothing) {
    EXPECT_FALSE(fit_scalability({}));
    EXPECT_FALSE(fit_scalability({{10, 1000}}));
    EXPECT_FALSE(fit_scalability({{10, 1000}, {10, 1100}}));
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    EXPECT_FALSE(fit_scalability({{10, 1000}, {20, nan}, {0, 500}, {-4, 700}, {30, 0}, {40, inf}}));
    // The unusable ones are dropped, the rest fitted.
    EXPECT_TRUE(fit_scalability({{10, 1000}, {20, nan}, {30, 2500}}));
}
