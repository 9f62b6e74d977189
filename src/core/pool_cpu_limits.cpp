#include "core/pool_assessment.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <utility>

namespace poolopt::core::pool_stages {

using pool_support::clamp_to_int32;
using pool_support::database_and_role;
using pool_support::finite_non_negative;
using pool_support::floor_tolerant;
using pool_support::known_share;
using pool_support::number;
using pool_support::percent;
using pool_support::plural;
using pool_support::share;
using pool_support::whole_cores;

namespace {

// "Many clients share few cores": more client connections than twice what the CPUs serve.
constexpr int64_t kManyClientsPerCoreSlot = 2;

// Splits `capacity` in proportion to `loads` by largest remainder, so the parts add up to
// the capacity; every part gets at least 1 (then the sum may exceed a tiny capacity).
std::vector<int64_t> split_by_load(int64_t capacity, const std::vector<double> &loads) {
    std::vector<int64_t> parts(loads.size(), 0);
    if (loads.empty()) return parts;
    double total = 0.0;
    for (double load : loads) total += load;
    std::vector<std::pair<double, size_t>> remainders;
    int64_t given = 0;
    for (size_t i = 0; i < loads.size(); ++i) {
        const double quota = total > 0.0 ? capacity * loads[i] / total
                                         : static_cast<double>(capacity) / loads.size();
        parts[i] = static_cast<int64_t>(std::floor(quota));
        given += parts[i];
        remainders.emplace_back(quota - std::floor(quota), i);
    }
    std::stable_sort(remainders.begin(), remainders.end(),
                     [](const auto &a, const auto &b) { return a.first > b.first; });
    for (size_t i = 0; given < capacity && i < remainders.size(); ++i, ++given) {
        ++parts[remainders[i].second];
    }
    for (int64_t &part : parts) part = std::max<int64_t>(part, 1);
    return parts;
}

// Shares `capacity` among `pools` by offered load. A pool that has closed its connections (an
// application stopped or renamed, its load still in the window) uses no CPU any more and
// must not shrink the others; it gets the share it would have beside them if it came back.
std::vector<int64_t> shares_by_load(int64_t capacity, const std::vector<Assessment *> &pools) {
    std::vector<double> connected_loads;
    for (const Assessment *pool : pools)
        if (pool->row.connections > 0) connected_loads.push_back(pool->row.sizing_load);
    const std::vector<int64_t> connected_shares = split_by_load(capacity, connected_loads);
    std::vector<int64_t> shares;
    shares.reserve(pools.size());
    for (size_t i = 0, connected = 0; i < pools.size(); ++i) {
        if (pools[i]->row.connections > 0) {
            shares.push_back(connected_shares[connected++]);
            continue;
        }
        std::vector<double> with_it = connected_loads;
        with_it.push_back(pools[i]->row.sizing_load);
        shares.push_back(split_by_load(capacity, with_it).back());
    }
    return shares;
}

// Busy connections of the CPU-bound pools, by where their time goes (Little's law: the
// mean number in each state).
struct CpuDemand {
    double on_cpu = 0;         // running on a core, or queued for one
    double client_here = 0;    // with their client on this host
    double overlapping = 0;    // in waits that leave the core to another connection
    double queued_inside = 0;  // on LWLocks: not counted in the capacity
    double busy = 0;           // all of them
    double on_locks = 0;       // waiting on heavyweight locks (rows, tables)

    // Where kLockDiscountShare or more of the busy connections queue on locks, a connection
    // beyond the whole ones the cores serve lengthens the lock queue as well as the CPU's.
    bool queue_on_locks() const noexcept {
        return busy > 0.0 && on_locks >= kLockDiscountShare * busy;
    }
};

// The share of the CPU-side time (backends and clients on this host) spent in the clients.
double client_side_share(const CpuDemand &demand) {
    const double cpu_side = demand.on_cpu + demand.client_here;
    return cpu_side > 0.0 ? demand.client_here / cpu_side : 0.0;
}

// The busy connections the CPUs serve at once, without queueing: one running backend per
// core; the clients on this host run on the same cores, so in proportion to the CPU-side
// time spent in them, up to one more connection per core is in a client's hands; and every
// connection in a wait that overlaps CPU work (counted as measured, in absolute numbers,
// which queueing for the cores does not inflate), + spindles as HikariCP adds them.
// HikariCP's 2 × cores + spindles is the case of as many connections waiting as working.
// Select-only on 2 cores (all on CPU) gives 2, its best; TPC-B with pgbench on the same
// cores gives 4 to 6, where its throughput is flat and its latency at a fixed rate lowest.
int32_t measured_cpu_capacity(const ServerFacts &server, const CpuDemand &demand) {
    const int32_t cores = whole_cores(server.usable_cpus);
    const int32_t spindles = std::max<int32_t>(server.effective_spindles, 0);
    const double served = cores * (1.0 + client_side_share(demand)) + demand.overlapping;
    // The nearest whole number; rounded down where the connections queue on locks: TPC-B at
    // 96 clients on 2 cores served 4.57, and 5 connections ran 0.86 of the throughput of 4 at
    // 1.21 times its p95 at a fixed rate (bench/RESULTS.md, run 28).
    const int64_t whole = demand.queue_on_locks() ? floor_tolerant(served) : std::llround(served);
    return clamp_to_int32(std::max<int64_t>(cores, whole) + spindles);
}

}  // namespace

int32_t apply_cpu_capacity(std::vector<Assessment> &assessments, const ServerFacts &server,
                           double host_cpu) {
    std::vector<Assessment *> bound;
    int64_t client_connections = 0;
    CpuDemand demand;
    for (Assessment &assessment : assessments) {
        if (!assessment.facts) continue;
        client_connections += assessment.row.connections;
        if (!assessment.row.cpu_bound) continue;
        bound.push_back(&assessment);
        const double busy = assessment.row.busy_mean;
        demand.on_cpu += busy * assessment.on_cpu_share;
        demand.client_here += busy * assessment.client_here_share;
        // A connection queued on an LWLock waits for another one's work: at a pool of 96 in
        // TPC-B, 5.6 connections waited on the WAL flush and the lock manager, at 10 they
        // were 1, at 4 0.2. Counted as overlap, that queue would hold the pool up.
        demand.overlapping += busy * (assessment.overlapping_share - assessment.lwlock_share);
        demand.queued_inside += busy * assessment.lwlock_share;
        demand.busy += busy;
        demand.on_locks += busy * known_share(assessment.facts->lock_wait_share).value_or(0.0);
    }
    if (bound.empty())
        return cores_times_two_plus_spindles(server.usable_cpus, server.effective_spindles);
    const int32_t capacity = measured_cpu_capacity(server, demand);
    const std::vector<int64_t> shares = shares_by_load(capacity, bound);
    const int32_t cores = whole_cores(server.usable_cpus);
    const int32_t spindles = std::max<int32_t>(server.effective_spindles, 0);
    std::map<std::pair<std::string, std::string>, int64_t> pair_sizes;
    for (size_t i = 0; i < bound.size(); ++i) {
        Assessment &assessment = *bound[i];
        assessment.notes.add(
            "CPU is the bottleneck: host CPU at ", percent(host_cpu),
            server.cpu_of_connected_pools_only ? " since the last pool opened or closed" : "",
            " with ", percent(assessment.on_cpu_share),
            assessment.on_cpu_share_estimated ? " (estimated, wait events unknown)" : "",
            " of busy connections on CPU");
        if (assessment.client_here_share > 0.0)
            assessment.notes.extend(", ", percent(assessment.client_here_share),
                                    " waiting for their client on this host (on the same CPUs)");
        if (assessment.lwlock_share > 0.0)
            assessment.notes.extend(
                ", ", percent(assessment.lwlock_share),
                " queued on LWLocks behind other connections (the WAL flush, the lock manager), "
                "which more connections lengthen, and ",
                percent(assessment.overlapping_share - assessment.lwlock_share),
                " in waits that overlap CPU work (I/O, timers, remote clients)");
        else
            assessment.notes.extend(
                " and ", percent(assessment.overlapping_share),
                " in waits that overlap CPU work (I/O, timers, remote clients)");
        assessment.notes.extend("; ", cores, " usable CPU", plural(cores), " serve about ",
                                capacity, " busy connections at once (", cores, " running");
        if (demand.client_here > 0.0)
            assessment.notes.extend(", + ", number(cores * client_side_share(demand)),
                                    " in the clients on this host, ",
                                    percent(client_side_share(demand)), " of the CPU-side time");
        assessment.notes.extend(", + ", number(demand.overlapping), " in overlapping waits",
                                demand.queued_inside > 0.0 ? " not on LWLocks" : "", ", + ",
                                spindles, " spindle", plural(spindles));
        if (demand.queue_on_locks())
            assessment.notes.extend(", rounded down: ", percent(demand.on_locks / demand.busy),
                                    " of them wait on locks, and one more connection would "
                                    "lengthen that queue too");
        assessment.notes.extend(
            "; HikariCP's 2 × cores + spindles assumes as many waiting as "
            "running) and this pool's share by offered load is ",
            shares[i]);
        if (assessment.size > shares[i]) {
            assessment.notes.extend(", down from ", assessment.size);
            assessment.size = shares[i];
        }
        if (!(server.usable_cpus > 0.0)) assessment.notes.extend(" (CPUs unknown, counted as 1)");
        assessment.notes.extend(": more connections would only queue inside the server");
        const PoolIdentity &identity = assessment.row.identity;
        pair_sizes[{identity.database, identity.role}] += assessment.size;
    }
    if (client_connections <= kManyClientsPerCoreSlot * capacity) return capacity;
    for (Assessment *assessment : bound) {
        const PoolIdentity &identity = assessment->row.identity;
        const int32_t pool = clamp_to_int32(pair_sizes[{identity.database, identity.role}]);
        assessment->row.transaction_pooling_advised = true;
        assessment->row.pgbouncer_default_pool_size = pool;
        assessment->notes.add(
            client_connections, " client connections share ", cores, " CPU", plural(cores),
            ": put PgBouncer in front in transaction pooling mode, default_pool_size = ", pool,
            " for ", database_and_role(identity.database, identity.role));
    }
    return capacity;
}

// On a saturated host, the pools whose connections mostly wait (not CPU-bound, not lock-bound)
// are held to the CPUs' knee, computed from their transactions' mean time away from the CPUs
// (weighted by throughput) and shared by offered load; the model is independent sources when
// their busy connections mostly wait away from the CPUs (busy-weighted, with measured wait
// events), the finite-source queue otherwise. Those held, or already at their share, are marked
// CPU-bound: the CPUs set their throughput, and Erlang C on their λ·W, whose W includes the
// queueing for a core, would only ask for more.
void apply_cpu_knee(std::vector<Assessment> &assessments, const HostCpuCost &cost,
                    const PoolPolicy &policy) {
    if (!cost.known()) return;
    std::vector<Assessment *> waiting;
    double throughput = 0.0;
    double away_weighted = 0.0;
    double busy_total = 0.0;
    double busy_away = 0.0;
    bool wait_events_known = true;
    int64_t sizes = 0;
    for (Assessment &assessment : assessments) {
        if (!assessment.facts || assessment.row.cpu_bound || assessment.row.lock_bound) continue;
        waiting.push_back(&assessment);
        const double arrivals = finite_non_negative(assessment.facts->transactions_per_second);
        throughput += arrivals;
        away_weighted += arrivals * away_seconds(assessment);
        const double pool_busy = finite_non_negative(assessment.facts->busy_mean);
        busy_total += pool_busy;
        busy_away += pool_busy * std::max(0.0, share(assessment.overlapping_share) -
                                                   share(assessment.lwlock_share));
        wait_events_known = wait_events_known && !assessment.on_cpu_share_estimated;
        sizes += assessment.size;
    }
    if (waiting.empty() || throughput == 0.0) return;
    const double sampled_away = away_weighted / throughput;
    const CpuQueueModel model = wait_events_known && busy_total > 0.0
                                    ? cpu_queue_model(busy_away / busy_total)
                                    : CpuQueueModel::finite_source;
    const bool independent = model == CpuQueueModel::independent_sources;
    const double away = independent
                            ? away_seconds_fitted_down_to_host_cpu(
                                  sampled_away, clamp_to_int32(std::llround(busy_total)), cost)
                            : sampled_away;
    // Independent sources put the knee further out; past the pools it is named in full.
    const int32_t knee_limit = independent ? kMaxServers : clamp_to_int32(sizes);
    const int64_t knee = cpu_knee_connections(away, cost, knee_limit, model);
    // "[ the host CPU, higher than …, fits …;] at 315 µs of host CPU per transaction …"
    const auto note_model = [&](pool_support::Notes &notes) {
        if (away < sampled_away) note_fitted_down(notes, sampled_away, away, busy_total, cost);
        note_knee(notes, away, cost, knee, knee_limit, model);
    };
    if (knee > sizes) {
        // Past the pools: their sizes stand as the other rules set them.
        if (independent)
            for (Assessment *assessment : waiting) {
                assessment->notes.add("the CPUs at ", percent(cost.host_cpu),
                                      ", not yet the limit:");
                note_model(assessment->notes);
            }
        return;
    }
    const std::vector<int64_t> shares = shares_by_load(knee, waiting);
    for (size_t i = 0; i < waiting.size(); ++i) {
        Assessment &assessment = *waiting[i];
        const KneeShareOpen share = open_for_knee_share(shares[i], assessment);
        if (assessment.size < share.open) continue;
        assessment.row.cpu_bound = true;  // at the knee or past it, the CPUs set the throughput
        if (assessment.size == share.open) continue;
        const int64_t open = assessment.row.connections;
        assessment.notes.add("the CPUs limit the throughput: host CPU at ", percent(cost.host_cpu),
                             ";");
        note_model(assessment.notes);
        if (waiting.size() > 1)
            assessment.notes.extend(", this pool's share by offered load ", shares[i]);
        note_knee_share_open(assessment.notes, share);
        if (share.open < open && knee_within_noise(share.open, open)) {
            assessment.size = std::min(assessment.size, open);
            // A pool that grew into the band settles where a shrink from above stops: at
            // its top, when every connection was busy (the demand asks for more).
            const int64_t top = top_of_knee_band(share.open);
            const double busy = finite_non_negative(assessment.facts->busy_mean);
            if (assessment.size < open || top <= open || busy < kPoolLimitedBusyShare * open) {
                note_knee_within_noise(assessment.notes, open);
                continue;
            }
            // "; within 15 % of the 52 open connections, 92.7 % of them busy: up to 54, the
            // top of the 15 % the knee moves between windows, where a shrink from above stops"
            assessment.notes.extend(", within ", percent(kKneeNoiseShare), " of the ", open,
                                    " open connections, ", percent(busy / open),
                                    " of them busy: up to ", top, ", the top of the ",
                                    percent(kKneeNoiseShare),
                                    " the knee moves between windows, where a shrink from "
                                    "above stops");
            assessment.size = top;
            continue;
        }
        if (assessment.size > policy.max_pool_size)
            assessment.notes.extend(", down from more than ", policy.max_pool_size);
        else
            assessment.notes.extend(", down from ", assessment.size);
        // A shrink stops at the top of the band the knee moves in between windows: on the
        // 2-core VM of bench/RESULTS.md sessions 13–16 the knee measured at 96 connections
        // (49–64 for the sleep workload) lay below the 64–96 where it served most, and the
        // pool then read 85–88 % host CPU, short of the 98 % the knee promised.
        const int64_t target = std::clamp<int64_t>(std::min(open, top_of_knee_band(share.open)),
                                                   share.open, assessment.size);
        if (target > share.open)
            assessment.notes.extend(", to ", target, ", the top of the ", percent(kKneeNoiseShare),
                                    " the knee moves between windows");
        assessment.notes.extend(
            ": more would only queue for a core, as their measured hold time already does");
        assessment.size = target;
    }
}

}  // namespace poolopt::core::pool_stages
