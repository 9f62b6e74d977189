#include "core/pool_assessment.hpp"

#include <algorithm>
#include <cmath>

#include "core/queueing.hpp"

namespace poolopt::core::pool_stages {

using pool_support::duration;
using pool_support::finite_non_negative;
using pool_support::known_share;
using pool_support::number;
using pool_support::percent;
using pool_support::plural;

namespace {

// λ·W and the sampled busy mean disagree when apart by more than half the larger and by
// more than one connection, below which sampling noise dominates.
constexpr double kLoadMismatchShare = 0.5;

}  // namespace

void assess_load(Assessment &assessment, const PoolPolicy &policy) {
    const PoolGroupFacts &facts = *assessment.facts;
    PoolRecommendation &row = assessment.row;
    const double arrivals = finite_non_negative(facts.transactions_per_second);
    const double hold = finite_non_negative(facts.mean_hold_seconds);
    row.offered_load = littles_law_mean_in_system(arrivals, hold);
    row.busy_mean = finite_non_negative(facts.busy_mean);
    row.sizing_load = std::max(row.offered_load, row.busy_mean);
    row.load_mismatch = std::fabs(row.offered_load - row.busy_mean) >
                        std::max(1.0, kLoadMismatchShare * row.sizing_load);

    if (arrivals > 0.0) {
        assessment.notes.add("offered load ", number(row.offered_load), " (", number(arrivals),
                             " tx/s × ", duration(hold), ")");
        if (row.load_mismatch)
            assessment.notes.extend(" disagrees with the sampled busy mean ", number(row.busy_mean),
                                    ": sizing for the larger");
        else
            assessment.notes.extend(", sampled busy mean ", number(row.busy_mean));
    } else if (row.busy_mean > 0.0) {
        assessment.notes.add("no transaction completed in the window while ", number(row.busy_mean),
                             " connections were busy on average (long transactions): "
                             "sizing for the busy count");
    } else {
        assessment.notes.add("no load in the window: no transaction, no busy connection");
    }

    // Connections waiting on a heavyweight lock queue behind another busy connection of the
    // same workload: they hold a backend without working, and a larger pool only lengthens
    // that queue (λ·W grows with W, W with the queue). Size for the connections doing work;
    // the rest wait in the pool as cheaply as they waited on the lock.
    const std::optional<double> lock_share = known_share(facts.lock_wait_share);
    const double working = 1.0 - lock_share.value_or(0.0);
    if (lock_share && *lock_share >= kLockDiscountShare && row.sizing_load > 0.0) {
        row.sizing_load *= working;
        assessment.notes.add(percent(*lock_share),
                             " of busy connections wait on locks: sizing for the ",
                             number(row.sizing_load), " doing work");
    }

    row.erlang_pool_size = smallest_servers_for_wait_probability(
        row.sizing_load, policy.target_wait_probability, policy.max_pool_size);
    assessment.size = row.erlang_pool_size;
    const pool_support::Figure target = percent(policy.target_wait_probability);
    if (row.sizing_load == 0.0) {
        assessment.notes.add("Erlang C: no load needs no connection");
    } else if (row.erlang_pool_size > policy.max_pool_size) {
        assessment.notes.add("Erlang C needs more than ", policy.max_pool_size,
                             " connections for P(wait) ≤ ", target);
    } else {
        assessment.notes.add("Erlang C gives ", row.erlang_pool_size, " connection",
                             plural(row.erlang_pool_size), " for P(wait) ≤ ", target);
    }
    int64_t p95 = std::min<int64_t>(facts.busy_p95, kMaxServers);
    if (lock_share && *lock_share >= kLockDiscountShare) {
        p95 = static_cast<int64_t>(std::ceil(static_cast<double>(p95) * working - 1e-9));
    }
    assessment.notes.extend(
        lock_share && *lock_share >= kLockDiscountShare ? "; p95 busy doing work " : "; p95 busy ",
        p95);
    if (p95 > assessment.size) {
        assessment.notes.extend(" raises it to ", p95);
        assessment.size = p95;
    }
}

}  // namespace poolopt::core::pool_stages
