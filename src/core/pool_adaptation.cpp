#include "core/pool_adaptation.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/pool_support.hpp"

namespace poolopt::core {

using pool_support::finite_non_negative;
using pool_support::join;
using pool_support::largest_raise;
using pool_support::number;
using pool_support::percent;
using pool_support::share;
using pool_support::text;

namespace {

constexpr double kRaiseAboveUtilisation = 0.8;
constexpr double kLowerBelowUtilisation = 0.3;
constexpr double kDeadBandShare = 0.1;

int32_t largest_cut(int32_t current) {
    return std::max(1, current / 4);  // −25 %
}

AdaptationResult unchanged(int32_t size, std::string note) {
    AdaptationResult result;
    result.pool_size = size;
    result.note = std::move(note);
    return result;
}

AdaptationResult changed(int32_t old_size, int32_t new_size, std::string reason) {
    AdaptationResult result;
    result.pool_size = new_size;
    result.note = reason;
    result.adjustment = PoolAdjustment{old_size, new_size, std::move(reason)};
    return result;
}

}  // namespace

AdaptationFacts adaptation_facts(const PoolGroupFacts &facts,
                                 const PoolRecommendation &recommendation,
                                 int32_t current_pool_size) {
    AdaptationFacts adaptation;
    adaptation.current_pool_size = current_pool_size;
    adaptation.recommended_pool_size = recommendation.pool_size;
    adaptation.cpu_bound = recommendation.cpu_bound;
    adaptation.busy_mean = facts.busy_mean;
    adaptation.saturation_share = facts.saturation_share;
    adaptation.connections_refused = facts.connections_refused;
    adaptation.statement_timeouts = facts.statement_timeouts;
    return adaptation;
}

AdaptationResult adapt_pool_size(const AdaptationFacts &facts, const PoolPolicy &requested_policy) {
    const PoolPolicy policy = effective_policy(requested_policy);
    const int32_t target =
        std::clamp(facts.recommended_pool_size, policy.min_pool_size, policy.max_pool_size);
    const int32_t current = facts.current_pool_size;
    if (current <= 0) {
        return changed(current, target,
                       text("first evaluation: starting from the recommendation ", target));
    }
    if (current < policy.min_pool_size || current > policy.max_pool_size) {
        const int32_t bounded = std::clamp(current, policy.min_pool_size, policy.max_pool_size);
        return changed(current, bounded,
                       text(current, " is outside the policy bounds ", policy.min_pool_size, "–",
                            policy.max_pool_size));
    }

    const double busy = finite_non_negative(facts.busy_mean);
    const double utilisation = busy / current;
    const double saturation = share(facts.saturation_share);
    std::vector<std::string> pressure;
    if (saturation > policy.target_wait_probability) {
        pressure.push_back(text("saturation in ", percent(saturation), " of samples"));
    }
    if (facts.connections_refused > 0) {
        pressure.push_back(text(facts.connections_refused, " connections refused"));
    }
    if (facts.statement_timeouts > 0) {
        pressure.push_back(text(facts.statement_timeouts, " statement timeouts"));
    }
    const std::string load = text("utilisation ", percent(utilisation), " (busy mean ",
                                  number(busy), " of ", current, ")");

    if (std::abs(target - current) <= kDeadBandShare * current) {
        return unchanged(current, text("stays at ", current, ": the recommendation ", target,
                                       " is within ±10 %"));
    }
    const bool raise = utilisation > kRaiseAboveUtilisation && !pressure.empty();
    const bool lower_idle = utilisation < kLowerBelowUtilisation && pressure.empty();
    const bool lower_cpu = facts.cpu_bound && target < current;

    if (raise && target > current) {
        const int32_t next = std::min(target, current + largest_raise(current));
        return changed(current, next,
                       text("raised ", current, " → ", next, ": ", load, " with ",
                            join(pressure, ", "), "; recommendation ", target,
                            next < target ? ", at most +50 % per evaluation" : ""));
    }
    if ((lower_idle || lower_cpu) && target < current) {
        const int32_t next = std::max(target, current - largest_cut(current));
        const std::string why =
            lower_cpu
                ? text("CPU-bound, more connections only queue inside the server (", load, ")")
                : text(load, " with no saturation, refusals or timeouts");
        return changed(current, next,
                       text("lowered ", current, " → ", next, ": ", why, "; recommendation ",
                            target, next > target ? ", at most −25 % per evaluation" : ""));
    }
    return unchanged(current,
                     text("stays at ", current, ": ", load,
                          pressure.empty() ? std::string() : text(" with ", join(pressure, ", ")),
                          " does not confirm the recommendation ", target));
}

}  // namespace poolopt::core
