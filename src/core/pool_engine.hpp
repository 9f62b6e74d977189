// Pool sizing: facts measured for each pool group in, one recommendation per group out,
// each with a reason in plain English that names the figures it used. Pure: no I/O, no
// clock, no global state; the caller gathers the facts from shared memory.
//
// Errors: functions may throw std::bad_alloc (strings, vectors) and nothing else; callers
// at the PostgreSQL boundary catch it. Figures that make no sense (NaN, negative, shares
// outside 0..1, a minimum above the maximum) are corrected as documented, never rejected:
// they come from live sampling, and a row must still come out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace poolopt::core {

// (database, role, application_name, client_addr): the server-side fingerprint of a pool.
struct PoolIdentity {
    std::string database;
    std::string role;
    std::string application;
    std::string client_addr;  // empty for Unix-socket connections
};

// What a group served in an earlier window in which its connections held steady at one size.
struct SizeHeld {
    int32_t connections = 0;
    double transactions_per_second = 0;
    double busy_share = 0;  // busy mean ÷ connections, 0..1
};

// What the worker measured for one group over the evaluation window.
struct PoolGroupFacts {
    PoolIdentity identity;
    int32_t connections = 0;  // open at the last sample

    // Busy connections (active + idle in transaction) over the window.
    double busy_mean = 0;
    uint32_t busy_p95 = 0;
    uint32_t busy_p99 = 0;
    uint32_t busy_max = 0;
    double saturation_share = 0;  // share of samples in which every connection was busy
    uint64_t window_samples = 0;  // 0: no traffic seen yet, the row comes from the hardware
    double window_seconds = 0;    // how much of the evaluation window the samples span

    double transactions_per_second = 0;  // λ
    // W: transaction duration, idle-in-transaction time included, as the busy count does.
    double mean_hold_seconds = 0;
    // Percentiles of the transactions that ended in the window (hold_histogram.hpp: within
    // a factor of 2); nothing when none ended.
    std::optional<double> p50_hold_seconds, p95_hold_seconds, p99_hold_seconds;

    double sessions_started_per_minute = 0;
    double sessions_ended_per_minute = 0;

    // Counted over the window.
    uint64_t connections_refused = 0;
    uint64_t statement_timeouts = 0;
    uint64_t idle_in_transaction_timeouts = 0;
    uint64_t idle_session_timeouts = 0;
    // pg_stat_database deltas over the window. PostgreSQL counts them per database, so every
    // group of a database carries its database's figures.
    uint64_t sessions_killed = 0;
    uint64_t sessions_abandoned = 0;

    // Shares of the busy connections, 0..1.
    double idle_in_transaction_share = 0;
    std::optional<double> lock_wait_share;  // waiting on a heavyweight lock
    // Active with no wait event, i.e. running on a CPU. When unknown, the engine takes
    // everything busy that is neither idle in transaction nor waiting on a lock.
    std::optional<double> on_cpu_share;
    // Active and waiting on an LWLock (part of neither share above).
    std::optional<double> lwlock_wait_share;

    // The connections held steady through the whole window (0 when they changed), and the
    // earlier windows of the last hour in which they held steady, oldest first: what other
    // sizes served (pool_history.cpp).
    int32_t held_connections = 0;
    std::vector<SizeHeld> sizes_held;

    // Role- or database-level values (ALTER ROLE/DATABASE ... SET) that override the
    // server's, in seconds, 0 = off.
    std::optional<double> idle_session_timeout_seconds;
    std::optional<double> idle_in_transaction_session_timeout_seconds;
};

struct ServerFacts {
    double usable_cpus = 0;                    // cgroup- and affinity-aware; 0 = unknown
    int32_t effective_spindles = 0;            // 0 for SSD, as in HikariCP's cores × 2 + spindles
    uint64_t usable_memory_bytes = 0;          // for the hardware-only row; 0 = unknown
    uint64_t memory_available_bytes = 0;       // now; 0 = unknown
    uint64_t per_connection_memory_bytes = 0;  // estimate for one more backend; 0 = unknown
    std::optional<double> cpu_utilisation;     // host, 0..1, over the window
    // The span cpu_utilisation was averaged over, from the window's start to its end (or
    // now); 0 = unknown, when the groups' own rates are summed instead.
    double cpu_window_seconds = 0;
    // cpu_utilisation covers only the part of the window in which the groups with
    // connections now ran and no other (connected_span.hpp): their rates alone make up the
    // throughput it is charged to, and cpu_window_seconds is that part.
    bool cpu_of_connected_pools_only = false;
    int32_t max_connections = 100;
    // superuser_reserved_connections, plus reserved_connections from PostgreSQL 16.
    int32_t reserved_connections = 3;
    // Client connections in use outside the groups being sized (monitoring, admin
    // sessions). Background workers and autovacuum have slots of their own beyond
    // max_connections, so they do not belong here.
    int32_t other_connections = 0;
    double idle_session_timeout_seconds = 0;  // 0 = off
    double idle_in_transaction_session_timeout_seconds = 0;
};

struct PoolPolicy {
    int32_t min_pool_size = 5;   // clamped to [1, kMaxServers]
    int32_t max_pool_size = 50;  // clamped to [min_pool_size, kMaxServers]
    // 5 %: a pool that makes at most one checkout in twenty wait leaves the 95th percentile
    // of request latency free of pool queueing (the p95 latency target of the benchmark),
    // and matches the p95-of-busy floor. Stricter targets buy little: each halving costs
    // about 0.4·√A more connections. Clamped to [1e-9, 1]; NaN means the default.
    double target_wait_probability = 0.05;
    double evaluation_window_seconds = 300;  // not positive or NaN: 300
};

// The policy as the engine applies it, after the clamping documented above.
PoolPolicy effective_policy(const PoolPolicy &policy) noexcept;

enum class RecommendationConfidence { low, medium, high };
const char *confidence_name(
    RecommendationConfidence confidence) noexcept;  // "low", "medium", "high"

struct PoolRecommendation {
    PoolIdentity identity;
    int32_t connections = 0;  // as measured, for the row

    // What to configure (SQLAlchemy names; HikariCP and PgBouncer map onto them).
    int32_t pool_size = 0;
    int32_t max_overflow = 0;
    int32_t pool_timeout_seconds = 30;
    int32_t pool_recycle_seconds = 1800;
    bool pre_ping = false;

    // The figures behind pool_size.
    double offered_load = 0;  // A = λ·W
    double busy_mean = 0;     // sampled, the check on offered_load
    double sizing_load = 0;   // the larger of the two: what Erlang C sized for
    // Erlang C alone, before the p95 floor, capacity cap and bounds; max_pool_size + 1
    // means "more than the maximum".
    int32_t erlang_pool_size = 0;
    double wait_probability = 0;   // Erlang C at pool_size for sizing_load
    double mean_wait_seconds = 0;  // the same; +infinity when pool_size <= offered_load

    RecommendationConfidence confidence = RecommendationConfidence::low;
    bool from_hardware_only = false;  // no traffic seen: the original formula
    bool load_mismatch = false;       // λ·W and the busy mean disagree
    bool demand_censored = false;     // saturated below the CPU limit: demand may be higher
    // The host CPU is saturated and sets the pool's throughput: its busy connections are on
    // CPU (capped at the CPU capacity), or they mostly wait but the pool is past the CPUs'
    // knee (capped there, cpu_knee.hpp).
    bool cpu_bound = false;
    bool lock_bound = false;  // most busy connections wait on locks
    // Many client connections share few cores: put PgBouncer in transaction pooling mode in
    // front, with this default_pool_size for the group's (database, role); 0 otherwise.
    bool transaction_pooling_advised = false;
    int32_t pgbouncer_default_pool_size = 0;

    std::string reason;
};

// Whether the recommended pools fit in max_connections, and what to change when not.
struct PoolBudgetVerdict {
    bool fits = true;
    int32_t pool_connections = 0;  // Σ (pool_size + max_overflow)
    int32_t reserved_connections = 0;
    int32_t other_connections = 0;
    int32_t required_connections = 0;  // the three above
    int32_t max_connections = 0;
    int32_t shortfall = 0;  // required − max_connections when positive
    // When short: max_connections to set, and the memory that many backends would need at
    // peak beyond those open now. memory_allows_raise is empty when the per-connection
    // estimate or the available memory is unknown; true when the extra memory fits in half
    // of what is available, leaving the rest to work_mem and the page cache.
    int32_t raise_max_connections_to = 0;
    uint64_t raise_memory_bytes = 0;
    std::optional<bool> memory_allows_raise;
    // The alternative: PgBouncer transaction pooling with default_pool_size per
    // (database, role) pair, sized for the pair's combined offered load and to fit;
    // max_client_conn admits every client pool unchanged.
    int32_t database_role_pairs = 0;
    int32_t pgbouncer_default_pool_size = 0;
    int32_t pgbouncer_max_client_conn = 0;
    std::string advice;
};

struct PoolRecommendations {
    std::vector<PoolRecommendation> pools;
    PoolBudgetVerdict budget;
    bool host_cpu_saturated = false;
    // The busy connections the CPUs serve at once, set when the host CPU is saturated (0
    // otherwise): of the CPU-bound pools, one running per usable core, up to one more per
    // core in the hands of clients on this host (in proportion to the CPU-side time spent
    // there), every connection in a wait that overlaps CPU work, + effective spindles;
    // HikariCP's 2 × cores + spindles when no pool is CPU-bound.
    int32_t cpu_capacity_connections = 0;
};

// Whether rows measured from traffic get their reason: skipped for callers that use the
// figures only (the worker's adaptation, the connection budget of setting_recommendations()),
// where writing 256 reasons would be most of the work. Hardware-only rows always have one.
enum class Reasons { written, skipped };

// One row per group. Groups without samples get the hardware-only row; with no groups at
// all, the result holds a single hardware-only row with an empty identity.
PoolRecommendations recommend_pools(const std::vector<PoolGroupFacts> &groups,
                                    const ServerFacts &server, const PoolPolicy &policy,
                                    Reasons reasons = Reasons::written);

// Before any traffic: the original formula from CPUs and memory, overflow 20 % of it
// rounded up, timeout 30 s, recycle 1800 s (below any idle_session_timeout), confidence low.
PoolRecommendation recommend_from_hardware(const PoolIdentity &identity, const ServerFacts &server,
                                           const PoolPolicy &policy);

PoolBudgetVerdict check_pool_budget(const std::vector<PoolRecommendation> &pools,
                                    const ServerFacts &server, const PoolPolicy &policy);

// ---- baselines, for comparison in the benchmark --------------------------------------
// CPUs are counted in whole cores rounded up (a 1.5-CPU quota counts 2, as a process would
// see it); unknown (not positive or NaN) counts as 1.

// The original application's formula: min(cpus × 3, memory_gb × 2), rounded down,
// bounded 5..50. Memory in GiB; unknown (not positive or NaN) counts as 0.
int32_t original_formula_pool_size(double cpus, double memory_gb) noexcept;
// The common rule of thumb, cores × 2 + 1.
int32_t cores_times_two_plus_one(double cpus) noexcept;
// HikariCP's cores × 2 + effective spindles (negative spindles count as 0).
int32_t cores_times_two_plus_spindles(double cpus, int32_t effective_spindles) noexcept;

}  // namespace poolopt::core
