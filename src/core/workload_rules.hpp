// Workload rules: settings adjusted from what the server was seen doing, which PGTune and
// its peers cannot do because they never look at a live server.
//
// Each rule is a pure function over counter deltas and current values that the glue reads
// from pg_stat_database, pg_stat_bgwriter / pg_stat_checkpointer, pg_settings and the
// samples; tests feed them scripted figures. Each returns one SettingRecommendation whose
// current_value is the value it started from; when nothing calls for a change the value
// stays the current one and the reason says why. The reason names the figures it used.
// Whether a changed value is worth applying is is_within_tolerance()'s call, and the glue
// clamps to pg_settings bounds with clamp_to_bounds().
//
// Nothing throws except std::bad_alloc; input that makes no sense (a negative count, an
// empty window) comes back as an error naming what is allowed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/settings_engine.hpp"

namespace poolopt::core {

// ---- work_mem from temp-file spills -----------------------------------------------------

// Spills below this rate are left alone: an occasional big report may spill, and raising
// work_mem for every query to spare it costs more memory than the spill costs time.
inline constexpr double kSpillsPerHourWorthRaising = 10;
// Sort and hash nodes assumed to hold work_mem at once per busy query when checking that a
// work_mem fits in memory.
inline constexpr int kWorkMemNodesPerQuery = 2;
// In-memory sorts and hashes take about twice the space of their temp files (tuple headers,
// pointers, hash buckets), so work_mem must be about twice the average spill to avoid it.
inline constexpr double kMemoryPerSpilledByte = 2;
// work_mem grows at most 4 times per evaluation: the next window shows whether it helped.
inline constexpr double kMaxWorkMemGrowthPerStep = 4;

struct WorkMemTelemetry {
    double interval_seconds = 0;  // span of the counter deltas below
    int64_t temp_files = 0;       // Δ pg_stat_database.temp_files
    int64_t temp_bytes = 0;       // Δ pg_stat_database.temp_bytes
    // Busy connections (active + idle in transaction) at their peak over the window (p99 or
    // max of the samples): how many queries may hold work_mem at once.
    double peak_busy_connections = 0;
    uint64_t current_work_mem_bytes = 0;
    uint64_t shared_buffers_bytes = 0;
    uint64_t usable_memory_bytes = 0;  // memory the server may use (cgroup-limited)
};

// Down when peak busy × work_mem × kWorkMemNodesPerQuery + shared_buffers exceeds usable
// memory: to the largest whole MB that fits. Otherwise up when temp files were written at
// kSpillsPerHourWorthRaising or more per hour: to the power of two MB that holds
// kMemoryPerSpilledByte × the average spill, at most kMaxWorkMemGrowthPerStep × current,
// halved until the memory check passes. Otherwise unchanged.
ValueOrError<SettingRecommendation> recommend_work_mem(const WorkMemTelemetry &telemetry);

// ---- max_wal_size from checkpoint causes ------------------------------------------------

// At most this share of the disk holding pg_wal: max_wal_size is a soft limit that WAL
// can overshoot under load (timescaledb-tune uses the same 60 %).
inline constexpr double kWalDiskShareForMaxWalSize = 0.6;
// Fewer requested checkpoints than this in a window prove nothing (a manual CHECKPOINT,
// a base backup).
inline constexpr int64_t kMinRequestedCheckpoints = 2;

struct CheckpointTelemetry {
    double interval_seconds = 0;
    int64_t checkpoints_timed = 0;      // Δ checkpoints_timed (num_timed from PostgreSQL 17)
    int64_t checkpoints_requested = 0;  // Δ checkpoints_req (num_requested from 17)
    uint64_t current_max_wal_size_bytes = 0;
    // Size of the filesystem holding pg_wal, when known: caps the recommendation.
    std::optional<uint64_t> wal_disk_bytes;
};

// Doubles max_wal_size while requested checkpoints outnumber timed ones (and number at
// least kMinRequestedCheckpoints), capped at kWalDiskShareForMaxWalSize of the WAL disk.
ValueOrError<SettingRecommendation> recommend_max_wal_size(const CheckpointTelemetry &telemetry);

// ---- shared_buffers from the buffer hit ratio -------------------------------------------

inline constexpr double kTargetHitRatio = 0.99;
// Fewer block accesses than this in a window make the ratio noise.
inline constexpr int64_t kMinBlockAccessesForHitRatio = 10000;
// shared_buffers grows toward RAM/4, then RAM·0.4; beyond that the OS page cache, which
// also caches the data, would shrink too much.
inline constexpr double kSharedBuffersUpperShare = 0.4;
// Share of usable memory that must stay available after growing shared_buffers.
inline constexpr double kMemoryKeptAvailableShare = 0.1;

struct CacheTelemetry {
    int64_t blks_hit = 0;   // Δ pg_stat_database.blks_hit
    int64_t blks_read = 0;  // Δ pg_stat_database.blks_read
    Workload workload = Workload::web;
    uint64_t current_shared_buffers_bytes = 0;
    uint64_t usable_memory_bytes = 0;
    // Memory still available (MemAvailable, capped by the cgroup's headroom): what growing
    // shared_buffers would take from.
    uint64_t available_memory_bytes = 0;
};

// For web and oltp only (transactional workloads, whose working set can fit; scans of dw
// and mixed workloads miss whatever the cache): below kTargetHitRatio, to RAM/4 when below
// it, else to RAM·0.4, as far as available memory allows while keeping
// kMemoryKeptAvailableShare of usable memory available. Never down. Needs a restart.
ValueOrError<SettingRecommendation> recommend_shared_buffers(const CacheTelemetry &telemetry);

// ---- idle_in_transaction_session_timeout ------------------------------------------------

// Idle-in-transaction sessions holding this share of the pooled connections on average
// are worth a timeout: each holds a connection, a snapshot and its locks while doing nothing.
inline constexpr double kNotableIdleInTransactionShare = 0.10;
inline constexpr double kMinIdleInTransactionTimeoutSeconds = 60;
// The timeout must leave slow but legitimate transactions alone: 10 × their p99 hold time.
inline constexpr double kIdleTimeoutHoldTimeMultiple = 10;

struct IdleInTransactionTelemetry {
    double mean_idle_in_transaction = 0;  // connections idle in transaction, mean of samples
    double mean_pool_connections = 0;     // connections the pools held, mean of samples
    double p99_transaction_hold_seconds = 0;
    int64_t current_timeout_ms = 0;  // 0 = disabled, as PostgreSQL's default
};

// max(60 s, 10 × p99 hold time), rounded up to whole seconds, where idle-in-transaction
// sessions hold kNotableIdleInTransactionShare or more of the pooled connections; a
// current timeout already that tight or tighter is kept. Value in ms.
ValueOrError<SettingRecommendation> recommend_idle_in_transaction_timeout(
    const IdleInTransactionTelemetry &telemetry);

// ---- max_connections from the pool budget -----------------------------------------------

// Spare connections over the budget: 10 %, at least this many.
inline constexpr double kConnectionMarginShare = 0.10;
inline constexpr int kMinConnectionMargin = 2;

struct PoolAllowance {
    int pool_size = 0;
    int max_overflow = 0;
};

struct ConnectionBudget {
    std::vector<PoolAllowance> pools;  // recommended pool_size and max_overflow per group
    // Client sessions outside the pools (administration, monitoring, batch jobs). Background
    // workers, autovacuum and WAL senders have slots of their own beyond max_connections
    // and are not counted here.
    int other_connections = 0;
    int superuser_reserved_connections = 3;
    int reserved_connections = 0;     // PostgreSQL 16+, for pg_use_reserved_connections
    int peak_client_connections = 0;  // observed; the budget never goes below it
    int current_max_connections = 0;
};

// max(Σ(pool_size + max_overflow) + other connections, observed peak) + margin + reserved.
ValueOrError<SettingRecommendation> recommend_max_connections(const ConnectionBudget &budget);

// ---- workload type from telemetry (workload_inference.cpp) ------------------------------

// Enough to judge: this many transactions, or this much transaction time in all (a
// warehouse may run a dozen ten-minute queries an hour).
inline constexpr int64_t kMinTransactionsToInferWorkload = 100;
inline constexpr double kMinTransactionSecondsToInferWorkload = 600;
inline constexpr double kShortTransactionSeconds = 0.1;  // at most: web or oltp
inline constexpr double kLongTransactionSeconds = 1.0;   // at least: dw or mixed
inline constexpr double kReadMostlyShare = 0.9;          // dw reads at least this share of rows
inline constexpr double kWebReadShare = 0.8;             // short and below this: oltp
inline constexpr uint64_t kSpillHeavyBytesPerTransaction = 8 * kMegabyte;

struct WorkloadTelemetry {
    double interval_seconds = 0;
    int64_t transactions = 0;  // Δ(xact_commit + xact_rollback)
    double mean_transaction_seconds = 0;
    // Rows read / (rows read + rows written), from Δ tup_returned + tup_fetched against
    // Δ tup_inserted + tup_updated + tup_deleted; unknown when absent.
    std::optional<double> read_share;
    int64_t temp_bytes = 0;
    double mean_busy_connections = 0;
    int cpus = 0;
};

struct WorkloadInference {
    Workload workload = Workload::web;
    std::string reason;
};

// The decision, in order (desktop is never inferred: a server cannot tell it is one):
//   1. fewer than kMinTransactionsToInferWorkload transactions that together took less
//      than kMinTransactionSecondsToInferWorkload: no answer (an error).
//   2. long (mean >= kLongTransactionSeconds) or spill-heavy (>= 8MB of temp files per
//      transaction): dw when busy connections do not outnumber CPUs and rows are read-mostly
//      (>= kReadMostlyShare, or unknown), else mixed.
//   3. short (mean <= kShortTransactionSeconds): oltp when the read share is known and below
//      kWebReadShare, else web.
//   4. in between: mixed.
ValueOrError<WorkloadInference> infer_workload(const WorkloadTelemetry &telemetry);

}  // namespace poolopt::core
