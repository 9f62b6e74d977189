#include "core/pool_assessment.hpp"

#include <algorithm>
#include <cmath>
#include <map>

namespace poolopt::core::pool_stages {

using pool_support::finite_non_negative;
using pool_support::number;
using pool_support::percent;
using pool_support::share;

namespace {

// Two windows' throughputs closer than this share are not told apart. On the 2-core VM of
// bench/RESULTS.md session 13, 10-second windows of the sleep workload at 56, 64, 72 and 80
// connections served 5385, 5761, 5861 and 6014 tx/s: the curve's real steps near its top are
// a few percent, and a smaller margin would follow the machine's drift between windows.
constexpr double kMeasurableThroughputShare = 0.05;
// Below this share of its connections busy, the clients' demand sets a pool's throughput,
// and another size would have served the same: such a window says nothing about sizes.
constexpr double kPoolLimitedBusyShare = 0.8;

// A growth step whose throughput grew by more than the square root of its size ratio (an
// elasticity of 0.5) has not reached the curve's knee, where the elasticity falls toward 0.
// On the 2-core VM of bench/RESULTS.md session 14 the sleep workload grew 20 → 41 and 30 → 49
// with elasticities of 0.64 and 0.66 and kept climbing to 96; on the VM of sessions 10–12,
// whose best sizes lay at 20–24, 19 → 24 added 1–3 % (0.05–0.15).
constexpr double kClimbingElasticity = 0.5;
// A step this small is within the noise of a window; one this large starts far below the
// knee, where any curve climbs in proportion (2 → 20 says nothing about 40).
constexpr double kClimbMinRatio = 1.2;
constexpr double kClimbMaxRatio = 2.5;
// Another step of the same ratio, at most doubling the pool.
constexpr double kClimbMaxStep = 2.0;
// The models extrapolate the knee from far below only for a pool whose busy connections
// mostly wait away from the CPUs and the server's own queues (timers, the client, I/O);
// for the others the CPU and lock rules stand.
constexpr double kMostlyAwayShare = 0.5;

// The mean throughput of each size held in a pool-limited window, by size.
std::map<int32_t, double> throughput_by_size(const std::vector<SizeHeld> &sizes) {
    std::map<int32_t, std::pair<double, int>> sums;
    for (const SizeHeld &held : sizes) {
        const double tps = finite_non_negative(held.transactions_per_second);
        if (held.connections <= 0 || !(tps > 0.0) || share(held.busy_share) < kPoolLimitedBusyShare)
            continue;
        auto &[sum, windows] = sums[held.connections];
        sum += tps;
        ++windows;
    }
    std::map<int32_t, double> means;
    for (const auto &[size, sum_and_windows] : sums)
        means[size] = sum_and_windows.first / sum_and_windows.second;
    return means;
}

bool measurably_more(double tps, double than) {
    return tps >= than * (1.0 + kMeasurableThroughputShare);
}

// ": 96 connections served 5973 tx/s in a window of the last hour, 7.1 % more than these 49's
// 5577"
void note_size(pool_support::Notes &notes, int32_t size, double tps, int32_t open,
               double open_tps) {
    const double difference = tps / open_tps - 1.0;
    notes.extend(": ", size, " connections served ", number(tps),
                 " tx/s in a window of the last hour, ",
                 percent(difference < 0 ? -difference : difference),
                 difference < 0 ? " less" : " more", " than these ", open, "'s ", number(open_tps));
}

// The largest pool-limited size held below `open` that a growth step from it to `open`
// would tell apart from it, or 0.
int32_t climb_origin(const std::map<int32_t, double> &sizes, int32_t open) {
    int32_t origin = 0;
    for (const auto &[size, size_tps] : sizes) {
        const double ratio = double(open) / size;
        if (size < open && ratio >= kClimbMinRatio && ratio <= kClimbMaxRatio) origin = size;
    }
    return origin;
}

// A pool still climbing its throughput curve takes another step of the ratio that paid off,
// past the knee the models extrapolate from one window: the CPU per transaction they assume
// constant falls with the connections on some hosts (271 µs at 30, 251 at 49 and 191 at 96
// in run 32).
void keep_climbing(Assessment &assessment, const std::map<int32_t, double> &sizes, int32_t open,
                   double tps) {
    const int32_t origin = climb_origin(sizes, open);
    if (origin == 0) return;
    const double origin_tps = sizes.at(origin);
    const double ratio = double(open) / origin;
    const double elasticity = std::log(tps / origin_tps) / std::log(ratio);
    if (!(elasticity >= kClimbingElasticity)) return;
    const int64_t target = std::llround(open * std::min(ratio, kClimbMaxStep));
    if (assessment.size >= target) return;
    // "the throughput still climbs with the pool: 30 connections served 4453 tx/s in a window
    // of the last hour and these 49 serve 6157, 38.3 % more for 63.3 % more connections (an
    // elasticity of 0.66, short of the knee): another step of that ratio, 80 instead of 62"
    assessment.notes.add("the throughput still climbs with the pool: ", origin,
                         " connections served ", number(origin_tps),
                         " tx/s in a window of the last hour and these ", open, " serve ",
                         number(tps), ", ", percent(tps / origin_tps - 1.0), " more for ",
                         percent(ratio - 1.0), " more connections (an elasticity of ",
                         number(elasticity), ", short of the knee): another step of that ratio, ",
                         target, " instead of ", assessment.size);
    assessment.size = target;
}

}  // namespace

void weigh_sizes_held(Assessment &assessment, bool host_saturated) {
    const PoolGroupFacts &facts = *assessment.facts;
    const int32_t open = facts.held_connections;
    const double tps = finite_non_negative(facts.transactions_per_second);
    if (open <= 0 || !(tps > 0.0) || facts.sizes_held.empty()) return;
    if (finite_non_negative(facts.busy_mean) / open < kPoolLimitedBusyShare) return;
    std::map<int32_t, double> sizes = throughput_by_size(facts.sizes_held);
    sizes.erase(open);
    if (sizes.empty()) return;

    // A smaller pool than one that served measurably more lost throughput: back toward the
    // nearest such size, halfway and by at most +50 %, as the adaptation steps.
    for (const auto &[size, size_tps] : sizes) {
        if (size <= open || !measurably_more(size_tps, tps)) continue;
        const int64_t halfway = (int64_t(open) + size + 1) / 2;
        const int64_t target = std::min<int64_t>(halfway, open + std::max(1, open / 2));
        if (assessment.size >= target) return;
        assessment.notes.add("a larger pool served more here");
        note_size(assessment.notes, size, size_tps, open, tps);
        assessment.notes.extend(": back toward it, ", target, " instead of ", assessment.size);
        assessment.size = target;
        return;
    }
    // Growth below the knee that paid off, or a hold there, may go another step of its ratio.
    const bool mostly_away =
        share(assessment.overlapping_share) - share(assessment.lwlock_share) >= kMostlyAwayShare;
    if (!host_saturated && mostly_away && !assessment.row.cpu_bound && !assessment.row.lock_bound &&
        assessment.size >= open)
        keep_climbing(assessment, sizes, open, tps);
    // Shrinking to or past a size that served measurably less would lose that throughput;
    // growing to or past one that served no more would add connections for nothing.
    const bool shrinking = assessment.size < open;
    for (const auto &[size, size_tps] : sizes) {
        const bool passed = shrinking ? size < open && size >= assessment.size
                                      : size > open && size <= assessment.size;
        const bool evidence =
            shrinking ? measurably_more(tps, size_tps) : !measurably_more(size_tps, tps);
        if (!passed || !evidence) continue;
        assessment.notes.add(shrinking ? "a smaller pool served less here"
                                       : "a larger pool served no more here");
        note_size(assessment.notes, size, size_tps, open, tps);
        assessment.notes.extend(": the ", open, " open connections stay, not ", assessment.size);
        assessment.size = open;
        return;
    }
}

}  // namespace poolopt::core::pool_stages
