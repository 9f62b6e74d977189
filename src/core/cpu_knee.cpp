#include "core/cpu_knee.hpp"

#include <algorithm>
#include <cmath>

#include "core/pool_support.hpp"
#include "core/queueing.hpp"

namespace poolopt::core {

HostCpuCost host_cpu_cost(std::optional<double> host_cpu, double usable_cpus,
                          double transactions_per_second) noexcept {
    HostCpuCost cost;
    cost.cores = pool_support::whole_cores(usable_cpus);
    const std::optional<double> utilisation = pool_support::known_share(host_cpu);
    cost.host_cpu = utilisation.value_or(0.0);
    cost.transactions_per_second = pool_support::finite_non_negative(transactions_per_second);
    if (cost.host_cpu > 0.0 && cost.transactions_per_second > 0.0)
        cost.seconds_per_transaction = cost.host_cpu * cost.cores / cost.transactions_per_second;
    return cost;
}

int32_t cpu_knee_connections(double away_seconds, const HostCpuCost &cost, int32_t limit) noexcept {
    limit = std::clamp<int32_t>(limit, 1, kMaxServers);
    if (!cost.known()) return limit + 1;
    return smallest_population_for_utilisation(pool_support::finite_non_negative(away_seconds),
                                               cost.seconds_per_transaction, cost.cores,
                                               kKneeCpuBusyShare, limit);
}

}  // namespace poolopt::core
