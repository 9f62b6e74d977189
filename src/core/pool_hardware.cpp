// Pool sizes from the hardware alone (declared in pool_engine.hpp): the row before any
// traffic, and the rule-of-thumb baselines the engine is measured against.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/pool_client_settings.hpp"
#include "core/pool_engine.hpp"
#include "core/pool_support.hpp"
#include "core/queueing.hpp"

namespace poolopt::core {

using pool_support::finite_non_negative;
using pool_support::Notes;
using pool_support::number;
using pool_support::whole_cores;

PoolRecommendation recommend_from_hardware(const PoolIdentity &identity, const ServerFacts &server,
                                           const PoolPolicy &requested_policy) {
    const PoolPolicy policy = effective_policy(requested_policy);
    PoolRecommendation row;
    row.identity = identity;
    row.from_hardware_only = true;
    row.confidence = RecommendationConfidence::low;
    Notes notes;

    const int32_t cores = whole_cores(server.usable_cpus);
    const double memory_gb =
        static_cast<double>(server.usable_memory_bytes) / (1024.0 * 1024.0 * 1024.0);
    // Unknown memory must not shrink the pool to the floor: the CPUs alone decide then.
    const int32_t formula =
        original_formula_pool_size(cores, memory_gb > 0.0 ? memory_gb : HUGE_VAL);
    if (memory_gb > 0.0) {
        notes.add("no traffic seen yet: sized from the hardware alone by the original formula min(",
                  cores, " CPUs × 3, ", number(memory_gb), " GB × 2) = ", formula,
                  ", bounded 5–50");
    } else {
        notes.add(
            "no traffic seen yet: sized from the hardware alone by the original formula with "
            "memory unknown, ",
            cores, " CPUs × 3 bounded 5–50 = ", formula);
    }
    row.pool_size = std::clamp(formula, policy.min_pool_size, policy.max_pool_size);
    if (row.pool_size != formula) {
        notes.add(row.pool_size > formula ? "raised to min_pool_size " : "held to max_pool_size ",
                  row.pool_size);
    }
    // With no burst seen, the least overflow the original allowed: the formula is generous
    // already, three connections per CPU.
    row.max_overflow = pool_client_settings::overflow_floor(row.pool_size);
    notes.add("max_overflow ", row.max_overflow, ", 20 % of it rounded up: no burst seen yet");
    row.pool_timeout_seconds = pool_client_settings::kDefaultPoolTimeoutSeconds;
    notes.add("pool_timeout ", row.pool_timeout_seconds, " s");
    pool_client_settings::SessionEndings endings;
    endings.idle_session_timeout_seconds = finite_non_negative(server.idle_session_timeout_seconds);
    pool_client_settings::plan_recycle(row, endings, std::nullopt, notes);
    notes.add("confidence low until samples arrive");
    row.reason = notes.take();
    return row;
}

int32_t original_formula_pool_size(double cpus, double memory_gb) noexcept {
    const double by_cpu = 3.0 * whole_cores(cpus);
    const double by_memory = memory_gb > 0.0 ? 2.0 * memory_gb : 0.0;  // NaN counts as 0
    const double formula = std::floor(std::min(by_cpu, by_memory));
    return static_cast<int32_t>(std::clamp(formula, 5.0, 50.0));
}

int32_t cores_times_two_plus_one(double cpus) noexcept {
    return cores_times_two_plus_spindles(cpus, 1);
}

int32_t cores_times_two_plus_spindles(double cpus, int32_t effective_spindles) noexcept {
    const int64_t connections =
        2 * static_cast<int64_t>(whole_cores(cpus)) + std::max<int32_t>(effective_spindles, 0);
    return static_cast<int32_t>(std::min<int64_t>(connections, kMaxServers));
}

}  // namespace poolopt::core
