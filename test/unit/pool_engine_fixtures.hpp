// Groups, servers and policies the pool engine's tests build their cases from, most of them
// figures measured in the benchmark (bench/RESULTS.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/pool_engine.hpp"

namespace pool_engine_fixtures {

using namespace poolopt::core;

inline constexpr uint64_t kGiB = 1024ull * 1024 * 1024;
inline constexpr uint64_t kMiB = 1024ull * 1024;

// A full default window: 300 samples over 300 s.
inline PoolGroupFacts measured_group(const std::string &application, double transactions_per_second,
                                     double mean_hold_seconds, int32_t connections) {
    PoolGroupFacts facts;
    facts.identity = {"shop", "app", application, "10.0.0.7"};
    facts.connections = connections;
    facts.transactions_per_second = transactions_per_second;
    facts.mean_hold_seconds = mean_hold_seconds;
    facts.busy_mean = transactions_per_second * mean_hold_seconds;
    facts.window_samples = 300;
    facts.window_seconds = 300;
    return facts;
}

inline void set_busy(PoolGroupFacts &facts, double mean, uint32_t p95, uint32_t p99, uint32_t max,
                     double saturation) {
    facts.busy_mean = mean;
    facts.busy_p95 = p95;
    facts.busy_p99 = p99;
    facts.busy_max = max;
    facts.saturation_share = saturation;
}

inline ServerFacts server_with(double cpus, double cpu_utilisation) {
    ServerFacts server;
    server.usable_cpus = cpus;
    server.usable_memory_bytes = 24 * kGiB;
    server.memory_available_bytes = 16 * kGiB;
    server.per_connection_memory_bytes = 10 * kMiB;
    server.cpu_utilisation = cpu_utilisation;
    server.max_connections = 200;
    server.reserved_connections = 3;
    return server;
}

inline PoolRecommendation only_row(const PoolGroupFacts &facts, const ServerFacts &server,
                                   const PoolPolicy &policy = {}) {
    const PoolRecommendations result = recommend_pools({facts}, server, policy);
    EXPECT_EQ(result.pools.size(), 1u);
    return result.pools.at(0);
}

// 96 connections on 2 cores, all busy on CPU, host CPU at 98 %.
inline PoolGroupFacts cpu_bound_oversized_pool() {
    PoolGroupFacts facts = measured_group("checkout", 4000, 0.024, 96);
    set_busy(facts, 96, 96, 96, 96, 1.0);
    facts.on_cpu_share = 1.0;
    return facts;
}

// The pool bounds of the benchmark's cluster (bench/pool_quality.sh): 1 to 96.
inline PoolPolicy benchmark_policy() {
    PoolPolicy policy;
    policy.min_pool_size = 1;
    policy.max_pool_size = 96;
    return policy;
}

// The sleep workload (a transaction sleeping 5 ms inside) with pgbench on the same host: a
// pool whose connections all come into use, as measured at one step of the benchmark.
inline PoolGroupFacts local_sleep_pool(double transactions_per_second, double mean_hold_seconds,
                                       int32_t connections, double busy_mean, double saturation,
                                       double idle_in_transaction_share, double on_cpu_share) {
    PoolGroupFacts facts =
        measured_group("sleep", transactions_per_second, mean_hold_seconds, connections);
    facts.identity.client_addr = "";
    const auto all = static_cast<uint32_t>(connections);
    set_busy(facts, busy_mean, all, all, all, saturation);
    facts.idle_in_transaction_share = idle_in_transaction_share;
    facts.on_cpu_share = on_cpu_share;
    return facts;
}

// Three groups of load 20 (pool 29, overflow 6: 35 each), two of them on one
// (database, role) pair; 25 connections open in each.
inline std::vector<PoolGroupFacts> three_busy_groups() {
    std::vector<PoolGroupFacts> groups;
    for (const char *role : {"app", "app", "reporting"}) {
        PoolGroupFacts facts = measured_group(std::string("svc-") + role, 1000, 0.02, 25);
        facts.identity.role = role;
        facts.identity.application += std::to_string(groups.size());
        set_busy(facts, 20, 22, 30, 30, 0.01);
        groups.push_back(facts);
    }
    return groups;
}

}  // namespace pool_engine_fixtures
