#include "core/pool_engine.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

#include "core/cpu_knee.hpp"
#include "core/pool_client_settings.hpp"
#include "core/pool_support.hpp"
#include "core/queueing.hpp"

namespace poolopt::core {

using pool_support::clamp_to_int32;
using pool_support::client_on_this_host;
using pool_support::database_and_role;
using pool_support::duration;
using pool_support::finite_non_negative;
using pool_support::floor_tolerant;
using pool_support::known_share;
using pool_support::Notes;
using pool_support::number;
using pool_support::percent;
using pool_support::plural;
using pool_support::share;
using pool_support::whole_cores;

namespace {

// Above this host CPU utilisation, more busy connections queue for a CPU instead of working.
constexpr double kCpuSaturation = 0.85;
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
// From this share of busy connections waiting on locks, the pool is sized for the rest.
constexpr double kLockDiscountShare = 0.1;
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
// "Many clients share few cores": more client connections than twice what the CPUs serve.
constexpr int64_t kManyClientsPerCoreSlot = 2;
// λ·W and the sampled busy mean disagree when apart by more than half the larger and by
// more than one connection, below which sampling noise dominates.
constexpr double kLoadMismatchShare = 0.5;

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

// The server's setting, or the role's or database's own where one is set.
double effective_timeout(const std::optional<double> &group_value, double server_value) {
    return finite_non_negative(group_value ? *group_value : server_value);
}

struct Assessment {
    PoolRecommendation row;
    const PoolGroupFacts *facts = nullptr;
    int64_t size = 0;  // pool_size as the steps shape it, before the policy bounds
    double on_cpu_share = 0;
    bool on_cpu_share_estimated = false;
    // Idle in transaction with the client on this host: the client works on, or queues for,
    // the same CPUs. 0 for a remote client.
    double client_here_share = 0;
    // Neither on CPU, nor with a client on this host, nor waiting on a lock: I/O, timers, a
    // remote client. A connection there leaves its core to another.
    double overlapping_share = 0;
    // The part of overlapping_share queued on LWLocks: behind another connection inside the
    // server (the WAL flush, the lock manager), a queue that grows with the pool.
    double lwlock_share = 0;
    Notes notes{false};  // written or not as recommend_pools asks
};

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

// Time per transaction away from the CPUs: in waits that overlap CPU work.
double away_seconds(const Assessment &assessment) {
    return assessment.overlapping_share * finite_non_negative(assessment.facts->mean_hold_seconds);
}

bool knee_within_noise(int64_t knee, int64_t open) {
    return knee != open && knee >= floor_tolerant(open * (1.0 - kKneeNoiseShare)) &&
           knee <= std::ceil(open * (1.0 + kKneeNoiseShare));
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
                 number(cost.transactions_per_second), " tx/s) and ", duration(away),
                 " away from them, ");
    if (knee > limit)
        notes.extend("more than ", limit, " connections");
    else
        notes.extend(knee, " connection", plural(knee));
    notes.extend(" keep the CPUs ", percent(kKneeCpuBusyShare), " busy (finite-source queue)");
}

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
    if (host_cpu) assessment.notes.extend(" while the host CPU was at ", percent(*host_cpu));
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
        const int64_t knee = cpu_knee_connections(away, cost, clamp_to_int32(limit));
        if (knee <= limit) {
            kept_within_noise = knee > row.connections && knee_within_noise(knee, row.connections);
            grown = kept_within_noise ? row.connections : std::max<int64_t>(knee, row.connections);
            held_by_cpu = true;
            knee_ceiling = grown;
        }
        assessment.notes.extend(
            "; ", percent(assessment.on_cpu_share), " of busy connections on CPU and ",
            percent(assessment.overlapping_share), " in waits that overlap CPU work:");
        if (away > sampled_away)
            assessment.notes.extend(" the host CPU, lower than ", duration(sampled_away),
                                    " of sampled waits predicts, fits ", duration(away),
                                    " away from the CPUs per transaction;");
        note_knee(assessment.notes, away, cost, knee, limit);
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
    return clamp_to_int32(std::max<int64_t>(cores, std::llround(served)) + spindles);
}

// Shares the measured CPU capacity among the CPU-bound pools; returns the capacity.
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
            "CPU is the bottleneck: host CPU at ", percent(host_cpu), " with ",
            percent(assessment.on_cpu_share),
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
                                spindles, " spindle", plural(spindles),
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
// (weighted by throughput) and shared by offered load. Those held, or already at their share,
// are marked CPU-bound: the CPUs set their throughput, and Erlang C on their λ·W, whose W
// includes the queueing for a core, would only ask for more.
void apply_cpu_knee(std::vector<Assessment> &assessments, const HostCpuCost &cost,
                    const PoolPolicy &policy) {
    if (!cost.known()) return;
    std::vector<Assessment *> waiting;
    double throughput = 0.0;
    double away_weighted = 0.0;
    int64_t sizes = 0;
    for (Assessment &assessment : assessments) {
        if (!assessment.facts || assessment.row.cpu_bound || assessment.row.lock_bound) continue;
        waiting.push_back(&assessment);
        const double arrivals = finite_non_negative(assessment.facts->transactions_per_second);
        throughput += arrivals;
        away_weighted += arrivals * away_seconds(assessment);
        sizes += assessment.size;
    }
    if (waiting.empty() || throughput == 0.0) return;
    const double away = away_weighted / throughput;
    const int64_t knee = cpu_knee_connections(away, cost, clamp_to_int32(sizes));
    if (knee > sizes) return;
    const std::vector<int64_t> shares = shares_by_load(knee, waiting);
    for (size_t i = 0; i < waiting.size(); ++i) {
        Assessment &assessment = *waiting[i];
        if (assessment.size < shares[i]) continue;
        assessment.row.cpu_bound = true;  // at the knee or past it, the CPUs set the throughput
        if (assessment.size == shares[i]) continue;
        const int64_t open = assessment.row.connections;
        if (shares[i] < open && knee_within_noise(shares[i], open)) {
            assessment.notes.add("the CPUs limit the throughput: host CPU at ",
                                 percent(cost.host_cpu), ";");
            note_knee(assessment.notes, away, cost, knee, sizes);
            note_knee_within_noise(assessment.notes, open);
            assessment.size = std::min(assessment.size, open);
            continue;
        }
        assessment.notes.add("the CPUs limit the throughput: host CPU at ", percent(cost.host_cpu),
                             ";");
        note_knee(assessment.notes, away, cost, knee, sizes);
        if (waiting.size() > 1)
            assessment.notes.extend(", this pool's share by offered load ", shares[i]);
        if (assessment.size > policy.max_pool_size)
            assessment.notes.extend(", down from more than ", policy.max_pool_size);
        else
            assessment.notes.extend(", down from ", assessment.size);
        assessment.notes.extend(
            ": more would only queue for a core, as their measured hold time already does");
        assessment.size = shares[i];
    }
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
    const bool client_queues_for_the_cpus = row.cpu_bound && assessment.client_here_share > 0.0;
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

    double throughput = 0.0;
    for (const PoolGroupFacts &facts : groups)
        if (facts.window_samples > 0)
            throughput += finite_non_negative(facts.transactions_per_second);
    const HostCpuCost cpu_cost = host_cpu_cost(host_cpu, server.usable_cpus, throughput);

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
