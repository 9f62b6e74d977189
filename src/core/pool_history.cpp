#include "core/pool_assessment.hpp"

#include <algorithm>
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

}  // namespace

void weigh_sizes_held(Assessment &assessment) {
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
