#include "core/pool_assessment.hpp"

#include <algorithm>
#include <cmath>

namespace poolopt::core::pool_stages {

using pool_support::clamp_to_int32;
using pool_support::client_on_this_host;
using pool_support::duration;
using pool_support::finite_non_negative;
using pool_support::floor_tolerant;
using pool_support::known_share;
using pool_support::Notes;
using pool_support::number;
using pool_support::percent;
using pool_support::plural;
using pool_support::share;

namespace {

constexpr double kMostlyOnCpu = 0.5;
// Below this share of busy time in waits that overlap CPU work (I/O, timers, a remote
// client), a pool on a saturated host is CPU-bound even with little of it on CPU: the rest
// is queueing for the cores through a client on this host, or lock waits, and neither
// gains from more connections. TPC-B with pgbench on the same 2 cores spends 7–20 % of its
// busy time in such waits at 2 to 96 clients (58 % with the client, up to 77 % on locks),
// and flattens from 3 clients on; a transaction sleeping 5 ms inside spends 52 % and more
// in them, and gains up to 96.
constexpr double kFewOverlappingWaits = 0.35;
constexpr double kMostlyWaitingOnLocks = 0.5;
// The share of samples with every connection busy is, in M/M/c terms, P(wait) (arrivals
// see time averages). Above 80 % the queue is close to unstable, or the application holds
// more work than the pool admits: the pool, not the application, set the throughput, so
// λ·W measures what was served, a floor of what was asked for.
constexpr double kCensoringSaturationShare = 0.8;
// Saturation is sampled, and a pool whose connections are all busy between two samples but
// not at them reads below 80 %; a mean of 90 % of the connections busy is the same ceiling
// seen through the busy count (the sleep workload from 2 read 79 % saturated, 95 % busy).
constexpr double kCensoringUtilisation = 0.9;
// How far a censored pool grows in one evaluation when no CPUs' knee bounds it: enough to uncover
// the demand within a few windows (×4 takes an undersized pool of 2 past 100 in three), little
// enough that one window's overshoot stays bounded: the next window measures the real load and
// shrinks it, and the CPU headroom below holds back pools whose connections work on the CPU.
constexpr int64_t kCensoredGrowthFactor = 4;
// A knee within this share of the open connections, above or below, leaves the pool as it
// is: the CPU cost per transaction it rests on moves by more between windows at the same
// pool size (0.26–0.41 ms for the sleep workload at 52–62 connections on 2 cores), and
// following it would make a steady load oscillate (64 → 69 → 52 in bench/RESULTS.md, run 17).
constexpr double kKneeNoiseShare = 0.15;

}  // namespace

double away_seconds(const Assessment &assessment) {
    return assessment.overlapping_share * finite_non_negative(assessment.facts->mean_hold_seconds);
}

bool knee_within_noise(int64_t knee, int64_t open) {
    // The band rounded to whole connections: one more than a pool of 2 is 50 %, not noise.
    const int64_t band = std::llround(kKneeNoiseShare * open);
    return knee != open && knee >= open - band && knee <= open + band;
}
void note_knee_within_noise(Notes &notes, int64_t open) {
    notes.extend(", within ", percent(kKneeNoiseShare), " of the ", open,
                 " open connections, which stay: the knee moves that much between windows");
}

// " at 0.315 ms of host CPU per transaction (95 % of 2 CPUs over 6037 tx/s) and 7.53 ms away
// from them, 59 connections keep the CPUs 98 % busy": the knee and the figures behind it.
void note_knee(Notes &notes, double away, const HostCpuCost &cost, int64_t knee, int64_t limit) {
    notes.extend(" at ", duration(cost.seconds_per_transaction), " of host CPU per transaction (",
                 percent(cost.host_cpu), " of ", cost.cores, " CPU", plural(cost.cores), " over ",
                 number(cost.transactions_per_second), " tx/s",
                 cost.since_pools_changed ? " since the last pool opened or closed" : "", ") and ",
                 duration(away), " away from them, ");
    if (knee > limit)
        notes.extend("more than ", limit, " connections");
    else
        notes.extend(knee, " connection", plural(knee));
    notes.extend(" keep the CPUs ", percent(kKneeCpuBusyShare), " busy (finite-source queue)");
}

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

// The knee if the CPU the pool uses grows in proportion to its connections (cpu_knee.hpp).
struct ProportionalKnee {
    double own_utilisation = 0;
    double other_utilisation = 0;
    int64_t connections = 0;
};

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

}  // namespace

void assess_bottlenecks(Assessment &assessment, const std::optional<double> &host_cpu,
                        const HostCpuCost &cost, const PoolPolicy &policy) {
    const PoolGroupFacts &facts = *assessment.facts;
    PoolRecommendation &row = assessment.row;
    const std::optional<double> lock_share = known_share(facts.lock_wait_share);
    const std::optional<double> on_cpu = known_share(facts.on_cpu_share);
    // Idle-in-transaction and lock-waiting connections are certainly off CPU; without wait
    // events, count the rest as on CPU.
    assessment.on_cpu_share_estimated = !on_cpu;
    assessment.on_cpu_share =
        on_cpu ? *on_cpu
               : share(1.0 - share(facts.idle_in_transaction_share) - lock_share.value_or(0.0));
    if (client_on_this_host(row.identity.client_addr))
        assessment.client_here_share = share(facts.idle_in_transaction_share);
    assessment.overlapping_share = share(1.0 - assessment.on_cpu_share -
                                         assessment.client_here_share - lock_share.value_or(0.0));
    assessment.lwlock_share = std::min(share(known_share(facts.lwlock_wait_share).value_or(0.0)),
                                       assessment.overlapping_share);
    const bool host_saturated = host_cpu && *host_cpu >= kCpuSaturation;
    row.cpu_bound = host_saturated && (assessment.on_cpu_share >= kMostlyOnCpu ||
                                       assessment.overlapping_share < kFewOverlappingWaits);
    row.lock_bound = lock_share && *lock_share >= kMostlyWaitingOnLocks;
    if (row.lock_bound) {
        assessment.notes.add(percent(*lock_share),
                             " of busy connections wait on locks: more connections "
                             "add contention, not throughput");
    }

    const double saturation = share(facts.saturation_share);
    const double utilisation =
        row.connections > 0 ? share(row.busy_mean / static_cast<double>(row.connections)) : 0.0;
    const bool at_ceiling =
        saturation >= kCensoringSaturationShare || utilisation >= kCensoringUtilisation;
    // Starts a note with what shows the pool at its ceiling.
    const auto add_ceiling = [&] {
        if (saturation >= kCensoringSaturationShare)
            assessment.notes.add("every connection was busy in ", percent(saturation),
                                 " of samples");
        else
            assessment.notes.add(percent(utilisation), " of the ", row.connections,
                                 " connections were busy on average");
    };
    // A pool at its ceiling whose connections already queue on row locks shares its work
    // with contention: in TPC-B the share waiting grows with the pool (20 % at 8, 28 % at
    // 11, 40 % at 25, 62 % at 50) while throughput stays flat. Growing it lengthens the lock
    // queue; Erlang C on the load doing work is the size.
    const bool lock_contended = lock_share && *lock_share >= kLockDiscountShare;
    if (at_ceiling && !row.cpu_bound && !row.lock_bound && lock_contended) {
        add_ceiling();
        assessment.notes.extend(", but ", percent(*lock_share),
                                " of them wait on locks: a larger pool would lengthen "
                                "the lock queue, so it is not grown past Erlang C");
    }
    row.demand_censored =
        at_ceiling && !row.cpu_bound && !row.lock_bound && !lock_contended && row.connections > 0;
    if (!row.demand_censored) return;
    add_ceiling();
    if (host_cpu) {
        assessment.notes.extend(" while the host CPU was at ", percent(*host_cpu));
        if (cost.since_pools_changed)
            assessment.notes.extend(" since the last pool opened or closed");
    }
    assessment.notes.extend(": the pool capped the demand, so the measured load is only a floor");
    int64_t grown = kCensoredGrowthFactor * row.connections;
    bool held_by_cpu = false;
    const bool mostly_off_cpu = assessment.on_cpu_share < kMostlyOnCpu;
    std::optional<int64_t> knee_ceiling;
    bool kept_within_noise = false;
    if (mostly_off_cpu && cost.known()) {
        // Mostly off CPU (sleeping, waiting on I/O or the client): the host CPU does not grow
        // in step with the pool, and a sampled share on CPU misses the short bursts between
        // waits. The knee, where the CPUs would be busy, is the bound, not four-fold: it is
        // computed from what this window measured, and the next one measures again.
        const double sampled_away = away_seconds(assessment);
        const double away =
            host_saturated ? sampled_away
                           : away_seconds_fitted_to_host_cpu(sampled_away, row.connections, cost);
        const int64_t limit = std::max<int64_t>(grown, policy.max_pool_size);
        const int64_t model_knee = cpu_knee_connections(away, cost, clamp_to_int32(limit));
        int64_t knee = model_knee;
        // Only a knee the model places within reach is held further back: past the limit
        // the growth stays four-fold.
        ProportionalKnee proportional{};
        bool held_in_proportion = false;
        if (away > sampled_away && model_knee <= limit) {
            proportional = proportional_knee(assessment, cost, limit);
            held_in_proportion = proportional.connections < model_knee;
            if (held_in_proportion) knee = proportional.connections;
        }
        if (knee <= limit) {
            kept_within_noise = knee > row.connections && knee_within_noise(knee, row.connections);
            grown = kept_within_noise ? row.connections : std::max<int64_t>(knee, row.connections);
            held_by_cpu = true;
            knee_ceiling = grown;
        }
        assessment.notes.extend(
            "; ", percent(assessment.on_cpu_share), " of busy connections on CPU and ",
            percent(assessment.overlapping_share), " in waits that overlap CPU work:");
        if (away > sampled_away) note_fitted_away(assessment.notes, sampled_away, away, cost);
        note_knee(assessment.notes, away, cost, model_knee, limit);
        if (held_in_proportion)
            note_proportional_knee(assessment.notes, proportional, row.connections);
        if (kept_within_noise) note_knee_within_noise(assessment.notes, row.connections);
    } else if (!mostly_off_cpu && host_cpu && *host_cpu > 0.0) {
        // Busy connections scale the CPU they use; stop where it would reach saturation.
        const int64_t headroom = floor_tolerant(row.connections * kCpuSaturation / *host_cpu);
        if (headroom < grown) {
            grown = std::max<int64_t>(headroom, row.connections);
            held_by_cpu = true;
        }
    }
    if (grown > assessment.size) {
        if (!held_by_cpu)
            assessment.notes.extend("; growing to ", grown, ", ", kCensoredGrowthFactor,
                                    " times the ", row.connections, " open connections");
        else if (mostly_off_cpu)
            assessment.notes.extend("; growing to ", grown, ", the knee");
        else
            assessment.notes.extend("; growing to ", grown, ", as far as the CPU headroom allows (",
                                    percent(*host_cpu), " of ", percent(kCpuSaturation), ")");
        assessment.size = grown;
    } else if (held_by_cpu && grown <= row.connections && !kept_within_noise) {
        assessment.notes.extend("; the CPU leaves no room to grow");
    }
    // Erlang C on the served load may ask for more than the knee; past it connections would
    // only queue for a core. A knee below the open connections keeps them here (only on a
    // saturated host: below saturation the fitted away time puts the knee past them), and
    // apply_cpu_knee weighs it against all waiting pools.
    if (knee_ceiling && assessment.size > *knee_ceiling) {
        assessment.notes.extend(
            "; held to ", *knee_ceiling,
            *knee_ceiling > row.connections ? ", the knee" : ", the open connections",
            ", not Erlang C's ", assessment.size);
        assessment.size = *knee_ceiling;
    }
}

}  // namespace poolopt::core::pool_stages
