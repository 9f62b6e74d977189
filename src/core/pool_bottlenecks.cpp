#include "core/pool_assessment.hpp"

#include <algorithm>
#include <cmath>

namespace poolopt::core::pool_stages {

using pool_support::client_on_this_host;
using pool_support::floor_tolerant;
using pool_support::known_share;
using pool_support::percent;
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
    if (!row.demand_censored) {
        hold_growth_to_knee(assessment, cost, host_saturated, policy);
        return;
    }
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
        const PoolKnee knee = pool_knee(assessment, cost, host_saturated,
                                        std::max<int64_t>(grown, policy.max_pool_size));
        // Past the limit the growth stays four-fold.
        if (knee.knee <= knee.limit) {
            kept_within_noise =
                knee.knee > row.connections && knee_within_noise(knee.knee, row.connections);
            grown =
                kept_within_noise ? row.connections : std::max<int64_t>(knee.knee, row.connections);
            held_by_cpu = true;
            knee_ceiling = grown;
        }
        note_pool_knee(assessment.notes, assessment, knee, cost);
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
