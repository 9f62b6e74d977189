#include "core/cpu_knee.hpp"

#include <algorithm>
#include <cmath>

#include "core/pool_support.hpp"
#include "core/queueing.hpp"

namespace poolopt::core {

namespace {
// Bisection steps for the fitted away time: 2^-40 of the bracket, far below what the host's
// CPU figure resolves.
constexpr int kFitSteps = 40;
}  // namespace

HostCpuCost host_cpu_cost(std::optional<double> host_cpu, double usable_cpus,
                          double transactions_per_second,
                          std::optional<double> connected_transactions_per_second) noexcept {
    HostCpuCost cost;
    cost.cores = pool_support::whole_cores(usable_cpus);
    const std::optional<double> utilisation = pool_support::known_share(host_cpu);
    cost.host_cpu = utilisation.value_or(0.0);
    cost.transactions_per_second = pool_support::finite_non_negative(transactions_per_second);
    if (cost.host_cpu > 0.0 && cost.transactions_per_second > 0.0)
        cost.seconds_per_transaction = cost.host_cpu * cost.cores / cost.transactions_per_second;
    cost.connected_transactions_per_second = pool_support::finite_non_negative(
        connected_transactions_per_second.value_or(cost.transactions_per_second));
    cost.connected_utilisation = cost.known()
                                     ? std::min(1.0, cost.connected_transactions_per_second *
                                                         cost.seconds_per_transaction / cost.cores)
                                     : cost.host_cpu;
    return cost;
}

int32_t cpu_knee_connections(double away_seconds, const HostCpuCost &cost, int32_t limit,
                             CpuQueueModel model) noexcept {
    limit = std::clamp<int32_t>(limit, 1, kMaxServers);
    if (!cost.known()) return limit + 1;
    return smallest_population_for_utilisation(pool_support::finite_non_negative(away_seconds),
                                               cost.seconds_per_transaction, cost.cores,
                                               kKneeCpuBusyShare, limit, model);
}

int32_t proportional_knee_connections(int32_t connections, double own_utilisation,
                                      double other_utilisation, int32_t limit) noexcept {
    limit = std::clamp<int32_t>(limit, 1, kMaxServers);
    connections = std::clamp<int32_t>(connections, 1, limit);
    const double own = pool_support::finite_non_negative(own_utilisation);
    const double room = kKneeCpuBusyShare - pool_support::finite_non_negative(other_utilisation);
    if (!(own > 0.0)) return limit + 1;
    if (!(room > own)) return connections;
    const double needed = connections * room / own;
    if (needed > limit) return limit + 1;
    // Rounded up: the CPU a pool uses grows less than in proportion as the cores fill, so
    // the proportion is the fewest connections that could reach the knee. TPC-B at 2 clients
    // on 2 cores kept the host 78.4 % busy: 2.5 connections' worth, and 2 (the nearest, down)
    // held the pool at 0.94 of the best throughput and 5.6 times its p95 where 4 met both
    // (bench/RESULTS.md, run 39). The 1e-9 absorbs rounding error only: a whole number computed
    // a hair above itself (50.000000000001) stays that number.
    return std::max<int32_t>(connections, static_cast<int32_t>(std::ceil(needed - 1e-9)));
}

double saturation_point_connections(double away_seconds, const HostCpuCost &cost) noexcept {
    if (!cost.known()) return 0.0;
    const double service = cost.seconds_per_transaction;
    return cost.cores * (pool_support::finite_non_negative(away_seconds) + service) / service;
}

int32_t saturation_bound_connections(double away_seconds, const HostCpuCost &cost, int32_t open,
                                     int32_t limit) noexcept {
    limit = std::clamp<int32_t>(limit, 1, kMaxServers);
    if (!cost.known()) return limit + 1;
    const double bound = kSaturationMargin * saturation_point_connections(away_seconds, cost);
    if (!(bound <= limit)) return limit + 1;
    if (saturation_margin_rounds_onto_open(bound, open)) return open + 1;
    return std::max<int32_t>(1, static_cast<int32_t>(std::llround(bound)));
}

bool saturation_margin_rounds_onto_open(double margin, int32_t open) noexcept {
    return margin > open && std::llround(margin) <= open;
}

double away_seconds_fitted_to_host_cpu(double sampled_away_seconds, int32_t connections,
                                       const HostCpuCost &cost) noexcept {
    const double sampled = pool_support::finite_non_negative(sampled_away_seconds);
    if (!cost.known() || connections < 1) return sampled;
    const int32_t population = std::min(connections, kMaxServers);
    const double service = cost.seconds_per_transaction;
    const auto utilisation = [&](double away) {
        return finite_source_utilisation(population, away, service, cost.cores);
    };
    const double target = cost.connected_utilisation;
    if (!(target > 0.0) || utilisation(sampled) <= target) return sampled;
    // Each connection completes at most one transaction per away + service time, so the
    // utilisation is at most N·D / (c·(Z + D)): at the Z where that bound equals the
    // measured utilisation the model is at or below it. Bisection between the two.
    double low = sampled;
    double high = std::max(sampled, population * service / (cost.cores * target) - service);
    for (int step = 0; step < kFitSteps; ++step) {
        const double middle = low + (high - low) / 2;
        if (utilisation(middle) > target)
            low = middle;
        else
            high = middle;
    }
    return high;
}

double away_seconds_fitted_down_to_host_cpu(double sampled_away_seconds, int32_t in_transaction,
                                            const HostCpuCost &cost) noexcept {
    const double sampled = pool_support::finite_non_negative(sampled_away_seconds);
    if (!cost.known() || in_transaction < 1) return sampled;
    const double service = cost.seconds_per_transaction;
    const auto utilisation = [&](double away) {
        return independent_sources_utilisation(in_transaction, away, service, cost.cores);
    };
    // A host at the knee or past it reads as the knee: its plateau says the connections in a
    // transaction are enough, not that each wants a core all the time.
    const double target = std::min(cost.connected_utilisation, kKneeCpuBusyShare);
    if (utilisation(sampled) >= target) return sampled;
    if (utilisation(0.0) <= target) return 0.0;
    double low = 0.0;  // reads at least the target
    double high = sampled;
    for (int step = 0; step < kFitSteps; ++step) {
        const double middle = low + (high - low) / 2;
        if (utilisation(middle) >= target)
            low = middle;
        else
            high = middle;
    }
    return low;
}

}  // namespace poolopt::core
