#include "core/pool_assessment.hpp"

#include <algorithm>
#include <cmath>

namespace poolopt::core::pool_stages {

using pool_support::clamp_to_int32;
using pool_support::duration;
using pool_support::finite_non_negative;
using pool_support::Notes;
using pool_support::number;
using pool_support::percent;
using pool_support::plural;
using pool_support::share;

namespace {

// " the host CPU, lower than 5.27 ms of sampled waits predicts, fits 7.03 ms away from the
// CPUs per transaction;", naming the connected pools' own share when it differs from the
// window's: when a pool ran in part of the window only.
void note_fitted_away(Notes &notes, double sampled_away, double away, const HostCpuCost &cost) {
    if (std::abs(cost.connected_utilisation - cost.host_cpu) < 0.0005)
        notes.extend(" the host CPU");
    else
        notes.extend(" the share of the CPUs the pools now connected keep busy (",
                     percent(cost.connected_utilisation), ": their ",
                     number(cost.connected_transactions_per_second),
                     " tx/s at the cost per transaction below)");
    notes.extend(", lower than ", duration(sampled_away), " of sampled waits predicts, fits ",
                 duration(away), " away from the CPUs per transaction;");
}

ProportionalKnee proportional_knee(const Assessment &assessment, const HostCpuCost &cost,
                                   int64_t limit) {
    ProportionalKnee knee;
    const double rate = finite_non_negative(assessment.facts->transactions_per_second);
    knee.own_utilisation = std::min(1.0, rate * cost.seconds_per_transaction / cost.cores);
    knee.other_utilisation = std::max(0.0, cost.connected_utilisation - knee.own_utilisation);
    knee.connections =
        proportional_knee_connections(assessment.row.connections, knee.own_utilisation,
                                      knee.other_utilisation, clamp_to_int32(limit));
    return knee;
}

// "; the CPU this pool uses grows in proportion to its connections: its 32 keep 58.2 % of
// the CPUs busy, so 53 bring them to 98 %, short of the model's knee, which extrapolates
// from a host below saturation"
void note_proportional_knee(Notes &notes, const ProportionalKnee &knee, int64_t open) {
    notes.extend("; the CPU this pool uses grows in proportion to its connections: its ", open,
                 " keep ", percent(knee.own_utilisation), " of the CPUs busy");
    if (knee.other_utilisation > 0.0)
        notes.extend(" (the other pools ", percent(knee.other_utilisation), ")");
    notes.extend(", so ", knee.connections, " bring them to ", percent(kKneeCpuBusyShare),
                 ", short of the model's knee, which extrapolates from a host below saturation");
}

// "; no further than 1.25 times the saturation point of the sampled waits: 2 CPUs × (7.34 ms
// + 997 µs) ÷ 997 µs = 16.7 connections would keep them busy if every transaction were alike,
// so 21 at most"
// When the margin rounds onto the open connections: " at most (1.25 × 2.78 = 3.48 reaches past
// the 3 open connections: the next one)".
void note_saturation_bound(Notes &notes, const PoolKnee &knee, const HostCpuCost &cost,
                           int64_t open) {
    const double point = saturation_point_connections(knee.sampled_away, cost);
    notes.extend("; no further than ", number(kSaturationMargin),
                 " times the saturation point of the sampled waits: ", cost.cores, " CPU",
                 plural(cost.cores), " × (", duration(knee.sampled_away), " + ",
                 duration(cost.seconds_per_transaction), ") ÷ ",
                 duration(cost.seconds_per_transaction), " = ", number(point),
                 " connections would keep them busy if every transaction were alike, so ",
                 knee.saturation_bound, " at most");
    const double margin = kSaturationMargin * point;
    if (saturation_margin_rounds_onto_open(margin, clamp_to_int32(open)))
        notes.extend(" (", number(kSaturationMargin), " × ", number(point), " = ", number(margin),
                     " reaches past the ", open, " open connections: the next one)");
}

}  // namespace

// " the host CPU, higher than 6.38 ms of sampled waits predicts for the 48.4 connections in a
// transaction (78.4 %), fits 5.85 ms away from the CPUs per transaction;"
void note_fitted_down(Notes &notes, double sampled_away, double away, double in_transaction,
                      const HostCpuCost &cost) {
    const double predicted =
        independent_sources_utilisation(clamp_to_int32(std::llround(in_transaction)), sampled_away,
                                        cost.seconds_per_transaction, cost.cores);
    notes.extend(std::abs(cost.connected_utilisation - cost.host_cpu) < 0.0005
                     ? " the host CPU"
                     : " the share of the CPUs the pools now connected keep busy",
                 ", higher than ", duration(sampled_away), " of sampled waits predicts for the ",
                 number(in_transaction), " connections in a transaction (", percent(predicted),
                 "), fits ", duration(away), " away from the CPUs per transaction;");
}

bool mostly_away(const Assessment &assessment) {
    return share(assessment.overlapping_share) - share(assessment.lwlock_share) >= kMostlyAwayShare;
}

CpuQueueModel cpu_queue_model(double away_share) {
    return away_share >= kMostlyAwayShare ? CpuQueueModel::independent_sources
                                          : CpuQueueModel::finite_source;
}

double away_seconds(const Assessment &assessment) {
    return assessment.overlapping_share * finite_non_negative(assessment.facts->mean_hold_seconds);
}

bool knee_within_noise(int64_t knee, int64_t open) {
    // The band rounded to whole connections: one more than a pool of 2 is 50 %, not noise.
    const int64_t band = std::llround(kKneeNoiseShare * open);
    return knee != open && knee >= open - band && knee <= open + band;
}
int64_t top_of_knee_band(int64_t knee) {
    int64_t size = knee;
    while (knee_within_noise(knee, size + 1)) ++size;
    return size;
}
void note_knee_within_noise(Notes &notes, int64_t open) {
    notes.extend(", within ", percent(kKneeNoiseShare), " of the ", open,
                 " open connections, which stay: the knee moves that much between windows");
}

KneeShareOpen open_for_knee_share(int64_t in_transaction, const Assessment &assessment) {
    KneeShareOpen share;
    share.in_transaction = share.open = in_transaction;
    share.connections = assessment.row.connections;
    share.busy = finite_non_negative(assessment.facts->busy_mean);
    if (share.connections <= 0 || !(share.busy > 0.0) ||
        share.busy < kPoolLimitedBusyShare * share.connections)
        return share;
    const double ratio = std::max(1.0, share.connections / share.busy);
    share.open =
        std::max(in_transaction, static_cast<int64_t>(std::llround(in_transaction * ratio)));
    return share;
}

// "; 84.3 of its 96 connections were in a transaction at a time, the others between
// transactions in their clients' hands, away from the CPUs too: 59 in a transaction take 67
// open"
void note_knee_share_open(Notes &notes, const KneeShareOpen &share) {
    if (!share.converted()) return;
    notes.extend("; ", number(share.busy), " of its ", share.connections,
                 " connections were in a transaction at a time, the others between transactions "
                 "in their clients' hands, away from the CPUs too: ",
                 share.in_transaction, " in a transaction take ", share.open, " open");
}

// " at 0.315 ms of host CPU per transaction (95 % of 2 CPUs over 6037 tx/s) and 7.53 ms away
// from them, 59 connections keep the CPUs 98 % busy (finite-source queue)": the knee and the
// figures behind it. Independent sources: ", a connection in a transaction wants a core 4.72 %
// of the time, whatever the others do: its waits run their course, not lengthened by the
// CPUs' queue; 109 in a transaction keep the CPUs 98 % busy (independent sources)".
void note_knee(Notes &notes, double away, const HostCpuCost &cost, int64_t knee, int64_t limit,
               CpuQueueModel model) {
    const double service = cost.seconds_per_transaction;
    notes.extend(" at ", duration(service), " of host CPU per transaction (",
                 percent(cost.host_cpu), " of ", cost.cores, " CPU", plural(cost.cores), " over ",
                 number(cost.transactions_per_second), " tx/s",
                 cost.since_pools_changed ? " since the last pool opened or closed" : "", ") and ",
                 duration(away), " away from them, ");
    const bool independent = model == CpuQueueModel::independent_sources;
    if (independent)
        notes.extend("a connection in a transaction wants a core ",
                     percent(service / (finite_non_negative(away) + service)),
                     " of the time, whatever the others do: its waits run their course, not "
                     "lengthened by the CPUs' queue; ");
    if (knee > limit)
        notes.extend("more than ", limit, " connections");
    else
        notes.extend(knee, " connection", plural(knee));
    notes.extend(independent ? " in a transaction" : "", " keep the CPUs ",
                 percent(kKneeCpuBusyShare), " busy (",
                 independent ? "independent sources" : "finite-source queue", ")");
}

PoolKnee pool_knee(const Assessment &assessment, const HostCpuCost &cost, bool host_saturated,
                   int64_t limit) {
    PoolKnee knee;
    const int64_t open = assessment.row.connections;
    knee.limit = limit;
    knee.sampled_away = away_seconds(assessment);
    // Connections that mostly wait want the CPUs independently. On the sampled waits the model
    // reads the host within a few points, and it is fitted only down, toward a smaller knee:
    // nothing for the proportional hold or the saturation bound to restrain, which hold back
    // the finite-source queue's upward fit.
    if (mostly_away(assessment) && !assessment.on_cpu_share_estimated) {
        knee.model = CpuQueueModel::independent_sources;
        knee.in_transaction = finite_non_negative(assessment.facts->busy_mean);
        knee.away = away_seconds_fitted_down_to_host_cpu(
            knee.sampled_away, clamp_to_int32(std::llround(knee.in_transaction)), cost);
        knee.model_knee = cpu_knee_connections(knee.away, cost, clamp_to_int32(limit), knee.model);
        if (knee.model_knee > limit) {
            knee.knee = limit + 1;
            return knee;
        }
        knee.share = open_for_knee_share(knee.model_knee, assessment);
        knee.knee = std::min(knee.share.open, limit + 1);
        return knee;
    }
    knee.away = host_saturated ? knee.sampled_away
                               : away_seconds_fitted_to_host_cpu(knee.sampled_away,
                                                                 clamp_to_int32(open), cost);
    knee.model_knee = cpu_knee_connections(knee.away, cost, clamp_to_int32(limit));
    knee.knee = knee.model_knee;
    // Only a knee the model places within reach is held further back.
    if (knee.away > knee.sampled_away && knee.model_knee <= limit) {
        knee.proportional = proportional_knee(assessment, cost, limit);
        knee.held_in_proportion = knee.proportional.connections < knee.model_knee;
        if (knee.held_in_proportion) knee.knee = knee.proportional.connections;
    }
    // Without wait events the sampled away time is no measurement, and bounds nothing.
    if (knee.away > knee.sampled_away && !assessment.on_cpu_share_estimated) {
        knee.saturation_bound = saturation_bound_connections(
            knee.sampled_away, cost, clamp_to_int32(open), clamp_to_int32(limit));
        knee.held_at_saturation_bound = knee.saturation_bound < knee.knee;
        if (knee.held_at_saturation_bound) knee.knee = knee.saturation_bound;
    }
    return knee;
}

// "... in waits that overlap CPU work: [fitted;] at … ms of host CPU per transaction …,
// N connections keep the CPUs 98 % busy[; in proportion …]".
void note_pool_knee(Notes &notes, const Assessment &assessment, const PoolKnee &knee,
                    const HostCpuCost &cost) {
    notes.extend("; ", percent(assessment.on_cpu_share), " of busy connections on CPU and ",
                 percent(assessment.overlapping_share), " in waits that overlap CPU work:");
    if (knee.away > knee.sampled_away) note_fitted_away(notes, knee.sampled_away, knee.away, cost);
    if (knee.away < knee.sampled_away)
        note_fitted_down(notes, knee.sampled_away, knee.away, knee.in_transaction, cost);
    note_knee(notes, knee.away, cost, knee.model_knee, knee.limit, knee.model);
    if (knee.model == CpuQueueModel::independent_sources) {
        if (knee.model_knee <= knee.limit) note_knee_share_open(notes, knee.share);
        return;
    }
    if (knee.held_in_proportion)
        note_proportional_knee(notes, knee.proportional, assessment.row.connections);
    if (knee.held_at_saturation_bound)
        note_saturation_bound(notes, knee, cost, assessment.row.connections);
}

// Below saturation, a pool Erlang C would grow (not censored, or at its ceiling with lock
// waits) is held to the CPUs' knee too: its hold time already includes queueing for a
// core when the host is near its knee (the sleep workload at 21 connections on 2 cores:
// 12.9 ms against 10.6 at 16, λ·W 19.4 and Erlang C 28), and Erlang C on it asks for ever
// more. A knee within the noise of the open connections keeps them. On a saturated host
// apply_cpu_knee weighs the knee across every waiting pool instead.
void hold_growth_to_knee(Assessment &assessment, const HostCpuCost &cost, bool host_saturated,
                         const PoolPolicy &policy) {
    const PoolRecommendation &row = assessment.row;
    const int64_t open = row.connections;
    if (host_saturated || row.cpu_bound || row.lock_bound || !cost.known() || open <= 0 ||
        assessment.size <= open)
        return;
    const PoolKnee knee = pool_knee(assessment, cost, false,
                                    std::max<int64_t>(assessment.size, policy.max_pool_size));
    if (knee.knee >= assessment.size) return;
    const bool kept_within_noise = knee.knee > open && knee_within_noise(knee.knee, open);
    const int64_t held = kept_within_noise ? open : std::max<int64_t>(knee.knee, open);
    assessment.notes.add("the CPUs' knee bounds the growth: host CPU at ", percent(cost.host_cpu));
    if (cost.since_pools_changed) assessment.notes.extend(" since the last pool opened or closed");
    note_pool_knee(assessment.notes, assessment, knee, cost);
    if (kept_within_noise) note_knee_within_noise(assessment.notes, open);
    assessment.notes.extend("; held to ", held,
                            held > open ? ", the knee" : ", the open connections",
                            ", not Erlang C's ", assessment.size);
    assessment.size = held;
}

}  // namespace poolopt::core::pool_stages
