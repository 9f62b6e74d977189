#include "core/pool_engine.hpp"

#include <algorithm>
#include <cmath>

#include "core/cpu_knee.hpp"
#include "core/pool_assessment.hpp"
#include "core/pool_client_settings.hpp"
#include "core/pool_support.hpp"
#include "core/queueing.hpp"

namespace poolopt::core {

using pool_stages::apply_cpu_capacity;
using pool_stages::apply_cpu_knee;
using pool_stages::assess_bottlenecks;
using pool_stages::assess_load;
using pool_stages::Assessment;
using pool_stages::kCpuSaturation;
using pool_stages::weigh_sizes_held;
using pool_support::duration;
using pool_support::finite_non_negative;
using pool_support::known_share;
using pool_support::Notes;
using pool_support::percent;
using pool_support::share;

namespace {

// Below this utilisation of the recommended pool, connections age slowly: recycle less.
constexpr double kLowLoadUtilisation = 0.3;
constexpr double kIdleInTransactionHintShare = 0.25;

// A nearest-rank p95 needs 20 samples to differ from the maximum; 60 is one sample per
// 5 s over the default 300 s window.
constexpr uint64_t kHighConfidenceSamples = 60;
constexpr double kHighConfidenceCoverage = 0.9;
constexpr uint64_t kMediumConfidenceSamples = 20;
constexpr double kMediumConfidenceCoverage = 0.25;

constexpr double kDefaultTargetWaitProbability = 0.05;
constexpr double kDefaultEvaluationWindowSeconds = 300;

// The host's CPU cost per transaction over the window (cpu_knee.hpp). Each group's rate
// spans the part of the window it was seen in; its transactions, not its rate, add up to
// the window's throughput. A CPU figure of the connected pools' own span is charged to
// their rates alone: each ran through all of it.
HostCpuCost host_cpu_cost_of(const std::vector<PoolGroupFacts> &groups, const ServerFacts &server,
                             const std::optional<double> &host_cpu) {
    double transactions = 0.0, summed_rates = 0.0, connected_rates = 0.0;
    for (const PoolGroupFacts &facts : groups) {
        if (facts.window_samples == 0) continue;
        const double rate = finite_non_negative(facts.transactions_per_second);
        transactions += rate * finite_non_negative(facts.window_seconds);
        summed_rates += rate;
        if (facts.connections > 0) connected_rates += rate;
    }
    if (server.cpu_of_connected_pools_only) {
        HostCpuCost cost = host_cpu_cost(host_cpu, server.usable_cpus, connected_rates);
        cost.since_pools_changed = true;
        return cost;
    }
    const double span = finite_non_negative(server.cpu_window_seconds);
    // Without the span the summed rates stand in, and the connected pools' share is not
    // told apart from the host's.
    if (!(span > 0.0)) return host_cpu_cost(host_cpu, server.usable_cpus, summed_rates);
    return host_cpu_cost(host_cpu, server.usable_cpus, transactions / span, connected_rates);
}

// The server's setting, or the role's or database's own where one is set.
double effective_timeout(const std::optional<double> &group_value, double server_value) {
    return finite_non_negative(group_value ? *group_value : server_value);
}

RecommendationConfidence judge_confidence(Assessment &assessment, const PoolPolicy &policy) {
    const PoolGroupFacts &facts = *assessment.facts;
    const double coverage =
        share(finite_non_negative(facts.window_seconds) / policy.evaluation_window_seconds);
    RecommendationConfidence confidence = RecommendationConfidence::low;
    if (facts.window_samples >= kHighConfidenceSamples && coverage >= kHighConfidenceCoverage) {
        confidence = RecommendationConfidence::high;
    } else if (facts.window_samples >= kMediumConfidenceSamples &&
               coverage >= kMediumConfidenceCoverage) {
        confidence = RecommendationConfidence::medium;
    }
    const bool mismatch =
        confidence == RecommendationConfidence::high && assessment.row.load_mismatch;
    if (mismatch) confidence = RecommendationConfidence::medium;
    assessment.notes.add("confidence ", confidence_name(confidence), ": ", facts.window_samples,
                         " samples over ", percent(coverage), " of the ",
                         duration(policy.evaluation_window_seconds), " window");
    if (mismatch) assessment.notes.extend(", but λ·W and the busy mean disagree");
    return confidence;
}

void finish(Assessment &assessment, const ServerFacts &server, const PoolPolicy &policy) {
    const PoolGroupFacts &facts = *assessment.facts;
    PoolRecommendation &row = assessment.row;
    if (assessment.size < policy.min_pool_size) {
        assessment.notes.add("raised to min_pool_size ", policy.min_pool_size);
    } else if (assessment.size > policy.max_pool_size) {
        assessment.notes.add("held to max_pool_size ", policy.max_pool_size);
    }
    row.pool_size = static_cast<int32_t>(
        std::clamp<int64_t>(assessment.size, policy.min_pool_size, policy.max_pool_size));

    const double hold = finite_non_negative(facts.mean_hold_seconds);
    row.wait_probability = erlang_c_wait_probability(row.sizing_load, row.pool_size);
    row.mean_wait_seconds =
        hold > 0.0 ? erlang_c_mean_wait_seconds(row.sizing_load / hold, hold, row.pool_size) : 0.0;
    if (row.sizing_load > 0.0 && !row.cpu_bound) {
        assessment.notes.add("P(wait) ", percent(row.wait_probability), " at ", row.pool_size);
        if (hold > 0.0 && std::isfinite(row.mean_wait_seconds))
            assessment.notes.extend(", mean wait ", duration(row.mean_wait_seconds));
        else if (hold > 0.0)
            assessment.notes.extend(
                ": the offered load exceeds the pool, so the queue of checkouts grows "
                "without bound");
    }

    pool_client_settings::plan_overflow(row, facts.busy_p99, facts.busy_max, assessment.notes);
    pool_client_settings::plan_timeout(row, facts.mean_hold_seconds, facts.p99_hold_seconds,
                                       assessment.notes);
    pool_client_settings::SessionEndings endings;
    endings.idle_session_timeout_seconds =
        effective_timeout(facts.idle_session_timeout_seconds, server.idle_session_timeout_seconds);
    endings.killed = facts.sessions_killed;
    endings.abandoned = facts.sessions_abandoned;
    endings.idle_session_timeouts = facts.idle_session_timeouts;
    const double utilisation = row.sizing_load / row.pool_size;
    pool_client_settings::plan_recycle(
        row, endings,
        utilisation < kLowLoadUtilisation ? std::optional<double>(utilisation) : std::nullopt,
        assessment.notes);

    if (facts.connections_refused > 0) {
        assessment.notes.add(facts.connections_refused,
                             " connections refused for too many clients");
    }
    if (facts.statement_timeouts > 0) {
        assessment.notes.add(facts.statement_timeouts, " statement timeouts");
    }
    const double idle_in_transaction = share(facts.idle_in_transaction_share);
    // A client on this host whose CPUs are saturated sits between statements queueing for a
    // core: milliseconds at a time, which no timeout reaches; the advice would mislead.
    const std::optional<double> host_cpu = known_share(server.cpu_utilisation);
    const bool cpus_saturated = row.cpu_bound || (host_cpu && *host_cpu >= kCpuSaturation);
    const bool client_queues_for_the_cpus = cpus_saturated && assessment.client_here_share > 0.0;
    if (idle_in_transaction >= kIdleInTransactionHintShare && !client_queues_for_the_cpus &&
        effective_timeout(facts.idle_in_transaction_session_timeout_seconds,
                          server.idle_in_transaction_session_timeout_seconds) == 0.0) {
        assessment.notes.add(
            percent(idle_in_transaction),
            " of busy connections sat idle in transaction, holding a connection without "
            "working: idle_in_transaction_session_timeout would free them");
    }
    row.confidence = judge_confidence(assessment, policy);
    row.reason = assessment.notes.take();
}

}  // namespace

const char *confidence_name(RecommendationConfidence confidence) noexcept {
    switch (confidence) {
        case RecommendationConfidence::low:
            return "low";
        case RecommendationConfidence::medium:
            return "medium";
        case RecommendationConfidence::high:
            return "high";
    }
    return "low";
}

PoolPolicy effective_policy(const PoolPolicy &policy) noexcept {
    PoolPolicy effective = policy;
    effective.min_pool_size = std::clamp<int32_t>(policy.min_pool_size, 1, kMaxServers);
    effective.max_pool_size =
        std::clamp<int32_t>(policy.max_pool_size, effective.min_pool_size, kMaxServers);
    effective.target_wait_probability = std::isnan(policy.target_wait_probability)
                                            ? kDefaultTargetWaitProbability
                                            : std::clamp(policy.target_wait_probability, 1e-9, 1.0);
    if (!(policy.evaluation_window_seconds > 0.0) ||
        !std::isfinite(policy.evaluation_window_seconds)) {
        effective.evaluation_window_seconds = kDefaultEvaluationWindowSeconds;
    }
    return effective;
}

PoolRecommendations recommend_pools(const std::vector<PoolGroupFacts> &groups,
                                    const ServerFacts &server, const PoolPolicy &requested_policy,
                                    Reasons reasons) {
    const PoolPolicy policy = effective_policy(requested_policy);
    PoolRecommendations result;
    const std::optional<double> host_cpu = known_share(server.cpu_utilisation);
    result.host_cpu_saturated = host_cpu && *host_cpu >= kCpuSaturation;

    const HostCpuCost cpu_cost = host_cpu_cost_of(groups, server, host_cpu);

    std::vector<Assessment> assessments(groups.size());
    result.pools.reserve(std::max<size_t>(groups.size(), 1));
    for (size_t i = 0; i < groups.size(); ++i) {
        const PoolGroupFacts &facts = groups[i];
        if (facts.window_samples == 0) continue;  // hardware-only row below
        Assessment &assessment = assessments[i];
        assessment.notes = Notes(reasons == Reasons::written);
        assessment.facts = &facts;
        assessment.row.identity = facts.identity;
        assessment.row.connections = std::max<int32_t>(facts.connections, 0);
        assess_load(assessment, policy);
        assess_bottlenecks(assessment, host_cpu, cpu_cost, policy);
    }
    if (result.host_cpu_saturated) {
        result.cpu_capacity_connections = apply_cpu_capacity(assessments, server, *host_cpu);
        apply_cpu_knee(assessments, cpu_cost, policy);
    }
    for (Assessment &assessment : assessments)
        if (assessment.facts) weigh_sizes_held(assessment, host_cpu, policy);

    for (size_t i = 0; i < groups.size(); ++i) {
        if (assessments[i].facts) {
            finish(assessments[i], server, policy);
            result.pools.push_back(std::move(assessments[i].row));
            continue;
        }
        ServerFacts group_server = server;
        group_server.idle_session_timeout_seconds = effective_timeout(
            groups[i].idle_session_timeout_seconds, server.idle_session_timeout_seconds);
        PoolRecommendation row = recommend_from_hardware(groups[i].identity, group_server, policy);
        row.connections = std::max<int32_t>(groups[i].connections, 0);
        result.pools.push_back(std::move(row));
    }
    if (groups.empty()) result.pools.push_back(recommend_from_hardware({}, server, policy));
    result.budget = check_pool_budget(result.pools, server, policy);
    return result;
}

}  // namespace poolopt::core
