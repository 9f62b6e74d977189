#include "pg/warm_start.hpp"

#include <string>

#include "core/pool_config.hpp"
#include "core/pool_engine.hpp"
#include "core/settings_advisor.hpp"

namespace poolopt::pg {

namespace {

// Two groups, one of them CPU-bound, on a saturated two-core host: the paths with the most
// kinds of reason text.
core::PoolRecommendations sample_recommendations() {
    std::vector<core::PoolGroupFacts> groups(2);
    for (size_t i = 0; i < groups.size(); ++i) {
        core::PoolGroupFacts &facts = groups[i];
        facts.identity = {"postgres", "postgres", i ? "warm-start-application" : "warm", ""};
        facts.connections = i ? 40 : 4;
        facts.busy_mean = i ? 30.5 : 3.5;
        facts.busy_p95 = facts.busy_p99 = facts.busy_max = uint32_t(facts.connections);
        facts.saturation_share = 0.9;
        facts.window_samples = 300;
        facts.window_seconds = 300;
        facts.transactions_per_second = 1234.5;
        facts.mean_hold_seconds = i ? 0.0123 : 2.5;
        facts.sessions_killed = 1;
        facts.lock_wait_share = 0.2;
        facts.on_cpu_share = i ? 0.9 : 0.1;
    }
    core::ServerFacts server;
    server.usable_cpus = 2;
    server.usable_memory_bytes = uint64_t(8) << 30;
    server.memory_available_bytes = uint64_t(4) << 30;
    server.per_connection_memory_bytes = uint64_t(14) << 20;
    server.cpu_utilisation = 0.95;
    server.max_connections = 20;
    server.idle_session_timeout_seconds = 600;
    return core::recommend_pools(groups, server, core::PoolPolicy{});
}

}  // namespace

void warm_lazy_bindings() noexcept {
    try {
        core::PoolRecommendations pools = sample_recommendations();
        for (core::PoolConfigFormat format :
             {core::PoolConfigFormat::sqlalchemy, core::PoolConfigFormat::hikaricp,
              core::PoolConfigFormat::pgbouncer})
            (void)core::format_pool_config(format, pools.pools.front());
        (void)core::combine_for_pgbouncer(pools.pools);
        core::LiveServer server;
        server.usable_memory_bytes = uint64_t(8) << 30;
        server.usable_cpus = 2;
        for (const core::PoolRecommendation &pool : pools.pools)
            server.pools.push_back(core::PoolAllowance{pool.pool_size, pool.max_overflow});
        (void)core::recommend_live_settings(server);
        // What the settings rules do with names beyond the calls above: libstdc++'s own
        // operator+ and compare, which reach strlen, reserve, _M_append and memcmp.
        std::string name = "pool_" + pools.pools.front().identity.application;
        (void)name.compare("pool_warm");
    } catch (...) {
        // Nothing is lost: the first call of each session binds what is left.
    }
}

}  // namespace poolopt::pg
