#include "core/queueing.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include <gtest/gtest.h>

using namespace poolopt::core;

namespace {

// The textbook formula, summed term by term in long double: A^c/c! · c/(c−A) over
// Σ_{k<c} A^k/k! plus that same term. Independent of the recurrence under test, and exact
// enough for small c where the factorials do not overflow.
long double direct_erlang_c(long double load, int servers) {
    long double term = 1.0L;  // A^k / k!
    long double below = 0.0L;
    for (int k = 0; k < servers; ++k) {
        below += term;
        term *= load / static_cast<long double>(k + 1);
    }
    const long double waiting = term * servers / (servers - load);
    return waiting / (below + waiting);
}

// The same in log space, via the Poisson distribution: B = pmf(c) / cdf(c), for servers in
// the thousands, where the direct sums overflow.
long double log_space_erlang_c(long double load, int servers) {
    auto log_term = [&](int k) { return k * std::log(load) - std::lgamma(k + 1.0L); };
    const long double peak = log_term(servers < load ? servers : static_cast<int>(load));
    long double cdf = 0.0L;
    for (int k = 0; k <= servers; ++k) cdf += std::exp(log_term(k) - peak);
    const long double b = std::exp(log_term(servers) - peak) / cdf;
    return servers * b / (servers - load * (1.0L - b));
}

// The finite-source queue's stationary distribution summed term by term in long double:
// t(n) = N! / (N − n)! · r^n / (n! for n ≤ c, c! · c^(n−c) beyond), r = service / think.
long double direct_finite_source_utilisation(int population, long double think, long double service,
                                             int servers) {
    long double term = 1.0L;
    long double total = 1.0L;
    long double busy = 0.0L;
    for (int n = 1; n <= population; ++n) {
        const int working = n < servers ? n : servers;
        term *= (population - n + 1) * (service / think) / working;
        total += term;
        busy += working * term;
    }
    return busy / (total * servers);
}

}  // namespace

TEST(ErlangC, MatchesPublishedTableValues) {
    // A = 2, c = 3: 4/9. A = 10, c = 12: 0.4494 (and 0.6821 with one server fewer).
    EXPECT_NEAR(erlang_c_wait_probability(2.0, 3), 4.0 / 9.0, 1e-12);
    EXPECT_NEAR(erlang_c_wait_probability(10.0, 12), 0.449388224298, 1e-10);
    EXPECT_NEAR(erlang_c_wait_probability(10.0, 11), 0.682118204689, 1e-10);
    EXPECT_NEAR(erlang_c_wait_probability(5.0, 8), 0.167266506662, 1e-10);
    EXPECT_NEAR(erlang_c_wait_probability(1.0, 2), 1.0 / 3.0, 1e-12);
    EXPECT_NEAR(erlang_c_wait_probability(100.0, 110), 0.237007500285, 1e-10);
}

TEST(ErlangC, OneServerWaitsWithProbabilityEqualToTheLoad) {
    for (double load : {0.01, 0.25, 0.5, 0.9, 0.999}) {
        EXPECT_NEAR(erlang_c_wait_probability(load, 1), load, 1e-12) << load;
    }
}

TEST(ErlangC, AgreesWithTheDirectFormulaForSmallPools) {
    for (int servers = 1; servers <= 60; ++servers) {
        for (double utilisation : {0.05, 0.3, 0.6, 0.85, 0.97}) {
            const double load = servers * utilisation;
            const long double expected = direct_erlang_c(load, servers);
            EXPECT_NEAR(erlang_c_wait_probability(load, servers), static_cast<double>(expected),
                        1e-12 + 1e-10 * static_cast<double>(expected))
                << "A=" << load << " c=" << servers;
        }
    }
}

TEST(ErlangC, AgreesWithLogSpacePoissonForLargePools) {
    struct Case {
        double load;
        int servers;
    };
    for (const Case &c : {Case{5000, 5100}, Case{9900, 10000}, Case{2000, 2050}}) {
        const double expected = static_cast<double>(log_space_erlang_c(c.load, c.servers));
        EXPECT_GT(expected, 1e-6);  // a case where the answer is not trivially 0 or 1
        EXPECT_NEAR(erlang_c_wait_probability(c.load, c.servers), expected, 1e-9 + 1e-7 * expected)
            << "A=" << c.load << " c=" << c.servers;
    }
}

TEST(ErlangC, LargeAndExtremeInputsStayFiniteAndFast) {
    const auto start = std::chrono::steady_clock::now();
    const double half_loaded = erlang_c_wait_probability(5000.0, 10000);
    const double nearly_full = erlang_c_wait_probability(9999.5, 10000);
    const double at_the_limit = erlang_c_wait_probability(kMaxServers - 1.0, kMaxServers);
    const int32_t servers = smallest_servers_for_wait_probability(5000.0, 0.05);
    const auto elapsed = std::chrono::steady_clock::now() - start;

    EXPECT_TRUE(std::isfinite(half_loaded));
    EXPECT_GE(half_loaded, 0.0);
    EXPECT_LT(half_loaded, 1e-100);  // 5000 idle servers: nobody waits
    EXPECT_TRUE(std::isfinite(nearly_full));
    EXPECT_GT(nearly_full, 0.99);
    EXPECT_LE(nearly_full, 1.0);
    EXPECT_GT(at_the_limit, 0.99);
    EXPECT_LE(at_the_limit, 1.0);
    // Square-root staffing: about A + 1.6·√A for 5 %, so a little over 5100.
    EXPECT_GT(servers, 5050);
    EXPECT_LT(servers, 5150);
    EXPECT_LE(erlang_c_wait_probability(5000.0, servers), 0.05);
    EXPECT_GT(erlang_c_wait_probability(5000.0, servers - 1), 0.05);
    // Generous bound even for sanitizer builds: each call is a few hundred thousand steps.
    EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count(), 1000);
}

TEST(ErlangC, LoadAtOrAboveServersAlwaysWaits) {
    EXPECT_EQ(erlang_c_wait_probability(3.0, 3), 1.0);
    EXPECT_EQ(erlang_c_wait_probability(7.5, 3), 1.0);
    EXPECT_EQ(erlang_c_wait_probability(0.5, 0), 1.0);
    EXPECT_EQ(erlang_c_wait_probability(std::numeric_limits<double>::infinity(), 100), 1.0);
}

TEST(ErlangC, NoLoadNeverWaits) {
    EXPECT_EQ(erlang_c_wait_probability(0.0, 0), 0.0);
    EXPECT_EQ(erlang_c_wait_probability(0.0, 5), 0.0);
    EXPECT_EQ(erlang_c_wait_probability(-3.0, 5), 0.0);
    EXPECT_EQ(erlang_c_wait_probability(std::nan(""), 5), 0.0);
}

TEST(ErlangC, FallsWithServersAndRisesWithLoad) {
    for (double load : {0.5, 3.0, 20.0, 150.0}) {
        double previous = 1.0;
        for (int servers = static_cast<int>(load) + 1; servers < static_cast<int>(load) + 80;
             ++servers) {
            const double probability = erlang_c_wait_probability(load, servers);
            EXPECT_LT(probability, previous) << "A=" << load << " c=" << servers;
            previous = probability;
        }
    }
    for (int servers : {1, 4, 30}) {
        double previous = 0.0;
        for (double load = 0.1; load < servers; load += 0.1) {
            const double probability = erlang_c_wait_probability(load, servers);
            EXPECT_GT(probability, previous) << "A=" << load << " c=" << servers;
            previous = probability;
        }
    }
}

TEST(ErlangB, MatchesTheDefinition) {
    EXPECT_NEAR(erlang_b(2.0, 3), 4.0 / 19.0, 1e-12);
    EXPECT_NEAR(erlang_b(10.0, 12), 0.119739188445, 1e-10);
    EXPECT_EQ(erlang_b(5.0, 0), 1.0);
    EXPECT_EQ(erlang_b(0.0, 0), 1.0);
    EXPECT_EQ(erlang_b(0.0, 4), 0.0);
    EXPECT_EQ(erlang_b(std::numeric_limits<double>::infinity(), 4), 1.0);
    EXPECT_EQ(erlang_b(1.0, 2000), 0.0);  // underflows to its true value, never NaN
}

TEST(SmallestServers, MeetsTheTargetWithOneServerLess) {
    // Reference results computed with exact rational arithmetic.
    EXPECT_EQ(smallest_servers_for_wait_probability(2.0, 0.05), 6);
    EXPECT_EQ(smallest_servers_for_wait_probability(4.0, 0.05), 9);
    EXPECT_EQ(smallest_servers_for_wait_probability(10.0, 0.05), 17);
    EXPECT_EQ(smallest_servers_for_wait_probability(20.0, 0.05), 29);
    EXPECT_EQ(smallest_servers_for_wait_probability(20.0, 0.2), 26);
    EXPECT_EQ(smallest_servers_for_wait_probability(50.0, 0.01), 68);
    EXPECT_EQ(smallest_servers_for_wait_probability(96.0, 0.05), 114);
    for (double load : {0.3, 1.7, 12.0, 33.3, 400.0}) {
        for (double target : {0.001, 0.05, 0.5}) {
            const int32_t servers = smallest_servers_for_wait_probability(load, target);
            EXPECT_LE(erlang_c_wait_probability(load, servers), target);
            EXPECT_GT(erlang_c_wait_probability(load, servers - 1), target);
        }
    }
}

TEST(SmallestServers, EdgeCasesAreDocumented) {
    EXPECT_EQ(smallest_servers_for_wait_probability(0.0, 0.05), 0);
    EXPECT_EQ(smallest_servers_for_wait_probability(-1.0, 0.05), 0);
    EXPECT_EQ(smallest_servers_for_wait_probability(std::nan(""), 0.05), 0);
    EXPECT_EQ(smallest_servers_for_wait_probability(0.01, 0.05), 1);
    // A target of 1 accepts any finite queue: the fewest servers above the load.
    EXPECT_EQ(smallest_servers_for_wait_probability(3.0, 1.0), 4);
    EXPECT_EQ(smallest_servers_for_wait_probability(3.5, 7.0), 4);
    // Beyond the limit: limit + 1, without iterating to the true answer.
    EXPECT_EQ(smallest_servers_for_wait_probability(96.0, 0.05, 50), 51);
    EXPECT_EQ(smallest_servers_for_wait_probability(45.0, 0.05, 50), 51);
    EXPECT_EQ(smallest_servers_for_wait_probability(1e12, 0.05), kMaxServers + 1);
    EXPECT_EQ(smallest_servers_for_wait_probability(2.0, 0.05, -4), 1);
    // The target is clamped to 1e-9, so 0 and NaN still terminate with a finite pool.
    const int32_t strictest = smallest_servers_for_wait_probability(2.0, 1e-9);
    EXPECT_EQ(smallest_servers_for_wait_probability(2.0, 0.0), strictest);
    EXPECT_EQ(smallest_servers_for_wait_probability(2.0, std::nan("")), strictest);
    EXPECT_LT(strictest, 30);
}

TEST(MeanWait, FollowsErlangC) {
    // A = 10 (100/s × 0.1 s), c = 12: C·W/(c − A) = 0.449388 × 0.1 / 2.
    EXPECT_NEAR(erlang_c_mean_wait_seconds(100.0, 0.1, 12), 0.0224694112149, 1e-12);
    EXPECT_EQ(erlang_c_mean_wait_seconds(0.0, 0.1, 12), 0.0);
    EXPECT_EQ(erlang_c_mean_wait_seconds(100.0, 0.0, 12), 0.0);
    EXPECT_TRUE(std::isinf(erlang_c_mean_wait_seconds(120.0, 0.1, 12)));
    EXPECT_TRUE(std::isinf(erlang_c_mean_wait_seconds(500.0, 0.1, 12)));
}

TEST(LittlesLaw, RelatesLoadRateAndTime) {
    EXPECT_DOUBLE_EQ(littles_law_mean_in_system(412.0, 0.0078), 3.2136);
    EXPECT_DOUBLE_EQ(littles_law_mean_seconds(3.2136, 412.0), 0.0078);
    EXPECT_DOUBLE_EQ(littles_law_arrivals_per_second(3.2136, 0.0078), 412.0);
    EXPECT_EQ(littles_law_mean_in_system(-1.0, 2.0), 0.0);
    EXPECT_EQ(littles_law_mean_in_system(std::numeric_limits<double>::infinity(), 0.0), 0.0);
    EXPECT_EQ(littles_law_mean_seconds(3.0, 0.0), 0.0);
    EXPECT_EQ(littles_law_mean_seconds(std::nan(""), 2.0), 0.0);
    EXPECT_EQ(littles_law_arrivals_per_second(3.0, 0.0), 0.0);
}

TEST(FiniteSource, AgreesWithTheDirectProductForm) {
    for (int servers : {1, 2, 8}) {
        for (int population : {1, 2, 5, 20, 47, 90}) {
            for (double think : {0.0071, 0.05}) {
                EXPECT_NEAR(finite_source_utilisation(population, think, 0.000313, servers),
                            direct_finite_source_utilisation(population, think, 0.000313L, servers),
                            1e-12)
                    << servers << " " << population << " " << think;
            }
        }
    }
}

TEST(FiniteSource, OneServerIdlesWithTheErlangBProbability) {
    // With one server, P(idle) is Erlang B with the population as servers and think ÷
    // service as the load (the machine-repairman identity).
    for (int population : {1, 3, 10, 40}) {
        const double idle = 1.0 - finite_source_utilisation(population, 0.006, 0.0004, 1);
        EXPECT_NEAR(idle, erlang_b(0.006 / 0.0004, population), 1e-12) << population;
    }
}

TEST(FiniteSource, NoQueueUpToOneConnectionPerServer) {
    // Up to `servers` connections never queue: each is at a CPU for D out of every Z + D.
    for (int population : {1, 2, 3, 4}) {
        EXPECT_NEAR(finite_source_utilisation(population, 0.0055, 0.0003, 4),
                    population * 0.0003 / 0.0058 / 4, 1e-12);
    }
}

TEST(FiniteSource, LargePopulationsStayFiniteAndSaturate) {
    const double huge = finite_source_utilisation(kMaxServers, 1.0, 0.001, 64);
    EXPECT_TRUE(std::isfinite(huge));
    EXPECT_NEAR(huge, 1.0, 1e-9);
    // Far below the knee N* = c·(Z + D)/D ≈ 64 064, the CPUs serve every connection at once.
    EXPECT_NEAR(finite_source_utilisation(6400, 1.0, 0.001, 64), 6400 * 0.001 / 1.001 / 64, 1e-3);
}

TEST(FiniteSource, EdgeCasesAreDocumented) {
    EXPECT_EQ(finite_source_utilisation(0, 0.005, 0.0003, 2), 0.0);
    EXPECT_EQ(finite_source_utilisation(-3, 0.005, 0.0003, 2), 0.0);
    EXPECT_EQ(finite_source_utilisation(10, 0.005, 0.0, 2), 0.0);
    EXPECT_EQ(finite_source_utilisation(10, 0.005, std::nan(""), 2), 0.0);
    EXPECT_EQ(finite_source_utilisation(10, std::numeric_limits<double>::infinity(), 0.0003, 2),
              0.0);
    EXPECT_EQ(finite_source_utilisation(1, 0.0, 0.0003, 2), 0.5);
    EXPECT_EQ(finite_source_utilisation(10, -1.0, 0.0003, 2), 1.0);
    EXPECT_EQ(finite_source_utilisation(1, 0.005, std::numeric_limits<double>::infinity(), 2), 0.5);
    // Think time negligible beside the service time: every connection at the CPUs.
    EXPECT_EQ(finite_source_utilisation(10, 1e-60, 1.0, 2), 1.0);
    const double extreme = finite_source_utilisation(kMaxServers, 1e-40, 1.0, kMaxServers - 1);
    EXPECT_TRUE(std::isfinite(extreme));
    EXPECT_NEAR(extreme, 1.0, 1e-9);
    EXPECT_EQ(finite_source_utilisation(3, 0.005, 0.0003, 0),
              finite_source_utilisation(3, 0.005, 0.0003, 1));
}

TEST(SmallestPopulation, IsTheFirstToReachTheTarget) {
    // The sleep workload at 96 clients on 2 cores: 0.313 ms of CPU and 7.1 ms away from it
    // per transaction. The knee N* = 2 × 7.413 / 0.313 ≈ 47; 95 % busy needs 52.
    EXPECT_EQ(smallest_population_for_utilisation(0.0071, 0.000313, 2, 0.95), 52);
    for (double target : {0.5, 0.9, 0.95, 0.99}) {
        for (int servers : {1, 2, 16}) {
            const int32_t population =
                smallest_population_for_utilisation(0.0055, 0.0003, servers, target);
            EXPECT_GE(finite_source_utilisation(population, 0.0055, 0.0003, servers), target);
            if (population > 1) {
                EXPECT_LT(finite_source_utilisation(population - 1, 0.0055, 0.0003, servers),
                          target);
            }
        }
    }
}

TEST(SmallestPopulation, EdgeCasesAreDocumented) {
    EXPECT_EQ(smallest_population_for_utilisation(0.0071, 0.000313, 2, 0.95, 40), 41);
    EXPECT_EQ(smallest_population_for_utilisation(0.0071, 0.000313, 2, 1.0, 100), 101);
    const int32_t rounded = smallest_population_for_utilisation(0.0071, 0.000313, 2, 1.0);
    EXPECT_GT(rounded, 100);
    EXPECT_EQ(finite_source_utilisation(rounded, 0.0071, 0.000313, 2), 1.0);
    EXPECT_EQ(smallest_population_for_utilisation(0.0, 0.000313, 2, 1.0), 2);
    EXPECT_EQ(smallest_population_for_utilisation(0.0071, 0.0, 2, 0.5, 100), 101);
    EXPECT_EQ(smallest_population_for_utilisation(0.0071, 0.000313, 2, 0.0), 1);
    EXPECT_EQ(smallest_population_for_utilisation(0.0071, 0.000313, 2, std::nan(""), 60), 61);
    EXPECT_EQ(smallest_population_for_utilisation(0.0071, 0.000313, 2, 0.95, -5), 2);
}

namespace {

// E[min(K, c)] ÷ c for K ~ Binomial(n, p), summed over every k in long double.
long double direct_independent_utilisation(int population, long double think, long double service,
                                           int servers) {
    const long double p = service / (think + service);
    long double busy = 0;
    for (int k = 0; k <= population; ++k) {
        const long double ways = std::exp(std::lgamma(population + 1.0L) - std::lgamma(k + 1.0L) -
                                          std::lgamma(population - k + 1.0L));
        busy += std::min(k, servers) * ways * std::pow(p, k) * std::pow(1 - p, population - k);
    }
    return busy / servers;
}

}  // namespace

TEST(IndependentSources, AgreesWithTheDirectBinomialSum) {
    for (int servers : {1, 2, 8}) {
        for (int population : {1, 2, 5, 20, 47, 90, 300}) {
            for (double think : {0.0071, 0.05}) {
                EXPECT_NEAR(independent_sources_utilisation(population, think, 0.000313, servers),
                            direct_independent_utilisation(population, think, 0.000313L, servers),
                            1e-12)
                    << servers << " " << population << " " << think;
            }
        }
    }
    // Three connections each wanting one of 2 cores half the time: P(K = 0) = 1/8, P(K = 1) =
    // 3/8, so E[min(K, 2)] = 3/8 + 2 × 4/8 and 11/16 of the cores are busy.
    EXPECT_NEAR(independent_sources_utilisation(3, 0.001, 0.001, 2), 11.0 / 16, 1e-15);
}

TEST(IndependentSources, FillTheCoresMoreSlowlyThanTheFiniteSourceQueue) {
    // The sleep workload at 48 connections in a transaction on 2 cores, 315 µs of host CPU and
    // 6.38 ms of sampled waits per transaction (bench/RESULTS.md, run 42): the host read 83.9
    // %; independent sources put it at 78.4 %, the finite-source queue at 96 %.
    EXPECT_NEAR(independent_sources_utilisation(48, 0.00638, 0.000315, 2), 0.7838, 1e-4);
    EXPECT_GT(finite_source_utilisation(48, 0.00638, 0.000315, 2), 0.96);
    for (int population : {3, 10, 48, 96, 500})
        EXPECT_LT(independent_sources_utilisation(population, 0.00638, 0.000315, 2),
                  finite_source_utilisation(population, 0.00638, 0.000315, 2))
            << population;
    // Up to one connection per core the two agree: nobody queues.
    for (int population : {1, 2})
        EXPECT_NEAR(independent_sources_utilisation(population, 0.00638, 0.000315, 2),
                    finite_source_utilisation(population, 0.00638, 0.000315, 2), 1e-15);
    // 98 % busy takes 109 of them, where the finite-source queue says 51.
    EXPECT_EQ(smallest_population_for_utilisation(0.00638, 0.000315, 2, 0.98, kMaxServers,
                                                  CpuQueueModel::independent_sources),
              109);
    EXPECT_EQ(smallest_population_for_utilisation(0.00638, 0.000315, 2, 0.98), 51);
}

TEST(IndependentSources, LargePopulationsAndManyCoresStayFinite) {
    // (1 − p)^10000 underflows at p = 0.4; the terms below the 5000 cores do not matter and
    // the mean, 4000 wanting, is what the cores serve.
    EXPECT_NEAR(independent_sources_utilisation(10000, 0.6, 0.4, 5000), 0.8, 1e-9);
    EXPECT_NEAR(independent_sources_utilisation(10000, 10.0, 1e-6, 2), 10000 * 1e-6 / 10.000001 / 2,
                1e-9);
    const double saturated = independent_sources_utilisation(kMaxServers, 0.005, 0.001, 64);
    EXPECT_TRUE(std::isfinite(saturated));
    EXPECT_NEAR(saturated, 1.0, 1e-9);
    const auto started = std::chrono::steady_clock::now();
    EXPECT_GT(smallest_population_for_utilisation(1.0, 0.001, kMaxServers, 0.98, kMaxServers,
                                                  CpuQueueModel::independent_sources),
              kMaxServers);
    // Generous: a few hundred thousand logarithms.
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

TEST(IndependentSources, EdgeCasesAreDocumented) {
    const double inf = std::numeric_limits<double>::infinity();
    EXPECT_EQ(independent_sources_utilisation(0, 0.005, 0.0003, 2), 0.0);
    EXPECT_EQ(independent_sources_utilisation(-3, 0.005, 0.0003, 2), 0.0);
    EXPECT_EQ(independent_sources_utilisation(10, 0.005, 0.0, 2), 0.0);
    EXPECT_EQ(independent_sources_utilisation(10, 0.005, std::nan(""), 2), 0.0);
    EXPECT_EQ(independent_sources_utilisation(10, inf, 0.0003, 2), 0.0);
    EXPECT_EQ(independent_sources_utilisation(1, 0.0, 0.0003, 2), 0.5);
    EXPECT_EQ(independent_sources_utilisation(10, -1.0, 0.0003, 2), 1.0);
    EXPECT_EQ(independent_sources_utilisation(1, 0.005, inf, 2), 0.5);
    // Think time negligible beside the service time: every connection wants a core.
    EXPECT_EQ(independent_sources_utilisation(10, 1e-60, 1.0, 2), 1.0);
    EXPECT_EQ(independent_sources_utilisation(3, 0.005, 0.0003, 0),
              independent_sources_utilisation(3, 0.005, 0.0003, 1));
    EXPECT_EQ(smallest_population_for_utilisation(0.0, 0.000313, 2, 1.0, 100,
                                                  CpuQueueModel::independent_sources),
              2);
    EXPECT_EQ(smallest_population_for_utilisation(0.0071, 0.000313, 2, 0.98, 40,
                                                  CpuQueueModel::independent_sources),
              41);
}
