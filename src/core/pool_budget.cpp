// The connection budget across pool groups (declared in pool_engine.hpp).
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <utility>

#include "core/pool_engine.hpp"
#include "core/pool_support.hpp"
#include "core/queueing.hpp"

namespace poolopt::core {

using pool_support::bytes;
using pool_support::clamp_to_int32;
using pool_support::plural;
using pool_support::text;

namespace {

// A raise of max_connections is advised when the extra backends fit in this share of the
// memory available now; the rest stays for work_mem, maintenance and the page cache.
constexpr double kMemoryShareForNewBackends = 0.5;

struct PairDemand {
    double measured_load = 0;  // Σ sizing_load of the pair's measured groups
    int64_t unmeasured = 0;    // Σ pool_size of its hardware-only groups: no load known
    int64_t pool_sizes = 0;    // Σ pool_size
};

uint64_t saturating_product(uint64_t count, uint64_t each) {
    if (count != 0 && each > std::numeric_limits<uint64_t>::max() / count) {
        return std::numeric_limits<uint64_t>::max();
    }
    return count * each;
}

// default_pool_size for PgBouncer transaction pooling. Behind it a (database, role) pair's
// groups share one server pool, so Erlang C sizes it for their combined load, which needs
// fewer connections than the groups apart; never more than the pools it replaces.
int64_t pgbouncer_pool_needed(
    const std::map<std::pair<std::string, std::string>, PairDemand> &pairs,
    double target_wait_probability) {
    int64_t needed = 1;
    for (const auto &entry : pairs) {
        const PairDemand &demand = entry.second;
        const int64_t for_load = demand.measured_load > 0.0
                                     ? smallest_servers_for_wait_probability(
                                           demand.measured_load, target_wait_probability)
                                     : 0;
        needed = std::max(needed, std::min(demand.pool_sizes, demand.unmeasured + for_load));
    }
    return needed;
}

}  // namespace

PoolBudgetVerdict check_pool_budget(const std::vector<PoolRecommendation> &pools,
                                    const ServerFacts &server, const PoolPolicy &requested_policy) {
    const PoolPolicy policy = effective_policy(requested_policy);
    PoolBudgetVerdict budget;
    budget.max_connections = std::max<int32_t>(server.max_connections, 0);
    budget.reserved_connections = std::max<int32_t>(server.reserved_connections, 0);
    budget.other_connections = std::max<int32_t>(server.other_connections, 0);

    int64_t pool_connections = 0;
    int64_t open_now = budget.other_connections;
    std::map<std::pair<std::string, std::string>, PairDemand> pairs;
    for (const PoolRecommendation &pool : pools) {
        const int64_t size = std::max<int32_t>(pool.pool_size, 0);
        pool_connections += size + std::max<int32_t>(pool.max_overflow, 0);
        open_now += std::max<int32_t>(pool.connections, 0);
        PairDemand &demand = pairs[{pool.identity.database, pool.identity.role}];
        demand.pool_sizes += size;
        if (pool.from_hardware_only) {
            demand.unmeasured += size;
        } else {
            demand.measured_load += pool.sizing_load;
        }
    }
    const int64_t required =
        pool_connections + budget.reserved_connections + budget.other_connections;
    budget.pool_connections = clamp_to_int32(pool_connections);
    budget.required_connections = clamp_to_int32(required);
    budget.fits = required <= budget.max_connections;
    const std::string need =
        text("The pools need ", budget.required_connections, " connections (",
             budget.pool_connections, " for pool_size + max_overflow, ",
             budget.reserved_connections, " reserved, ", budget.other_connections, " other)");
    if (budget.fits) {
        budget.advice = text(need, " of max_connections ", budget.max_connections, ".");
        return budget;
    }

    budget.shortfall = clamp_to_int32(required - budget.max_connections);
    budget.raise_max_connections_to = budget.required_connections;
    const uint64_t extra_backends =
        static_cast<uint64_t>(std::max<int64_t>(required - open_now, 0));
    budget.raise_memory_bytes =
        saturating_product(extra_backends, server.per_connection_memory_bytes);
    if (server.per_connection_memory_bytes > 0 && server.memory_available_bytes > 0) {
        budget.memory_allows_raise =
            static_cast<double>(budget.raise_memory_bytes) <=
            kMemoryShareForNewBackends * static_cast<double>(server.memory_available_bytes);
    }

    budget.database_role_pairs = clamp_to_int32(static_cast<int64_t>(pairs.size()));
    const int64_t needed = pgbouncer_pool_needed(pairs, policy.target_wait_probability);
    const int64_t room = static_cast<int64_t>(budget.max_connections) -
                         budget.reserved_connections - budget.other_connections;
    const int64_t fits_per_pair = pairs.empty() ? 0 : room / static_cast<int64_t>(pairs.size());
    budget.pgbouncer_default_pool_size =
        clamp_to_int32(std::max<int64_t>(1, std::min(needed, fits_per_pair)));
    budget.pgbouncer_max_client_conn = budget.pool_connections;

    std::string advice = text(need, " but max_connections is ", budget.max_connections, ": ",
                              budget.shortfall, " short. ");
    const std::string memory_figures =
        text("about ", bytes(budget.raise_memory_bytes), " more at peak at ",
             bytes(server.per_connection_memory_bytes), " per connection");
    const std::string half_available =
        text("half of the ", bytes(server.memory_available_bytes), " available");
    if (!budget.memory_allows_raise) {
        advice +=
            text("Raise max_connections to ", budget.raise_max_connections_to,
                 " (restart) if memory allows ", extra_backends, " more backends at peak; or ");
    } else if (*budget.memory_allows_raise) {
        advice += text("Raise max_connections to ", budget.raise_max_connections_to,
                       " (restart): ", memory_figures, ", within ", half_available, "; or ");
    } else {
        advice +=
            text("Raising max_connections to ", budget.raise_max_connections_to, " would need ",
                 memory_figures, ", more than ", half_available, "; instead ");
    }
    advice +=
        text("put PgBouncer in front in transaction pooling mode with default_pool_size = ",
             budget.pgbouncer_default_pool_size, " for each of the ", budget.database_role_pairs,
             " database/role pair", plural(budget.database_role_pairs),
             " and max_client_conn = ", budget.pgbouncer_max_client_conn);
    if (needed > budget.pgbouncer_default_pool_size) {
        advice += text(" (the load asks for ", needed, " per pair; ",
                       budget.pgbouncer_default_pool_size, " is what fits)");
    }
    const int64_t bouncer_required =
        static_cast<int64_t>(budget.pgbouncer_default_pool_size) * budget.database_role_pairs +
        budget.reserved_connections + budget.other_connections;
    if (bouncer_required > budget.max_connections) {
        advice += text("; even then max_connections must be at least ", bouncer_required);
    }
    budget.advice = advice + ".";
    return budget;
}

}  // namespace poolopt::core
