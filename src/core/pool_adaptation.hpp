// Adaptation: the original application's auto-scaling, kept and bounded. Every
// evaluation_interval each group's running pool size may move one bounded step toward the
// engine's recommendation, when the measured utilisation confirms the direction. Pure, like
// the engine; the caller stamps each change with the time and group and keeps the history.
//
// Errors: std::bad_alloc (the reason text) and nothing else; odd figures are corrected as
// in pool_engine.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/pool_engine.hpp"

namespace poolopt::core {

struct AdaptationFacts {
    // The size the previous evaluation settled on: the extension's own running value for the
    // group, since the server cannot see the size configured in a client's pool. 0 (or less)
    // means there is none yet: adopt the recommendation.
    int32_t current_pool_size = 0;
    // The engine's pool_size and cpu_bound flag for the group at this evaluation.
    int32_t recommended_pool_size = 0;
    bool cpu_bound = false;
    // Measured over the window that just ended.
    double busy_mean = 0;
    double saturation_share = 0;
    uint64_t connections_refused = 0;
    uint64_t statement_timeouts = 0;
};

AdaptationFacts adaptation_facts(const PoolGroupFacts &facts,
                                 const PoolRecommendation &recommendation,
                                 int32_t current_pool_size);

struct PoolAdjustment {
    int32_t old_pool_size = 0;
    int32_t new_pool_size = 0;
    std::string reason;
};

struct AdaptationResult {
    int32_t pool_size = 0;                     // after this evaluation
    std::optional<PoolAdjustment> adjustment;  // empty when the size stays
    std::string note;                          // why it changed, or why it stayed
};

// Raises when utilisation (busy mean / current size) is above 80 % and pressure was seen:
// saturation in more than target_wait_probability of the samples (the sampled P(wait)),
// refused connections or statement timeouts. Lowers when utilisation is below 30 % and no
// pressure was seen, or when the group is CPU-bound and the recommendation is smaller (the
// original rule would raise such a pool: it looks busy, but its connections queue for the
// CPU). Moves toward the recommendation by at most +50 % or −25 % of the current size per
// evaluation (at least 1), within [min_pool_size, max_pool_size], and only when the
// recommendation lies outside a dead band of ±10 % around the current size.
//
// It cannot oscillate on a steady load: a raise (from above 80 %, by at most 1.5×) leaves
// utilisation above 53 %, a lowering (from below 30 %, by at most 0.75×, or by one at sizes
// below 4) leaves it below 60 %; neither reaches the opposite trigger unless the load moves.
AdaptationResult adapt_pool_size(const AdaptationFacts &facts, const PoolPolicy &policy);

}  // namespace poolopt::core
