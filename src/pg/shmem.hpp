// Layout of pool_optimizer's shared memory and the protocol of each part.
//
// One region, requested in shmem_request_hook and laid out once by the postmaster in
// shmem_startup_hook, before any other process can attach:
//
//   SharedState | BackendSlot[slot_count] | EventQueue | GroupEntry[max_pools]
//               | DatabaseEntry[kMaxDatabases] | SeqlockRing<ServerSample>(history_size)
//               | SeqlockRing<AdjustmentRecord>(kAdjustmentHistory)
//
// Locking: one LWLock (tranche "pool_optimizer"). The worker takes it exclusively to
// publish a sample (group entries, database entries, host figures, table header); SQL
// functions take it shared to copy those out. The backend slots, the event queue, the
// history ring and SharedState's atomics need no lock: each states its own protocol.
#pragma once

#include "pg/event_queue.hpp"

#include <atomic>
#include <cstdint>
#include <type_traits>

#include "core/group_table.hpp"
#include "core/seqlock_ring.hpp"
#include "core/server_sample.hpp"
#include "pg/postgres_headers.hpp"

namespace poolopt::pg {

constexpr uint32_t kSharedMagic = 0x504f4f4c;  // "POOL"
constexpr int kMaxDatabases = 128;
constexpr uint32_t kAdjustmentHistory = 512;
constexpr size_t kAdjustmentReasonBytes = 400;

// Per-backend counters. Concurrency protocol: written only by the backend that owns the
// slot (index = backend id or proc number), with relaxed atomic stores (one writer, so
// load-add-store is exact); read by the worker with relaxed loads. Counters are never
// reset: a slot's counters stay cumulative across owners, so the worker's deltas are exact.
//
// A new owner first records the counters as it found them (owner_base_*) and then its pid,
// with release ordering; the worker reads the pid with acquire ordering, so the counts up
// to the base belong to the previous owner even when the slot changed hands between two
// samples.
//
// At a transaction's end the owner counts its hold time and busy time first and the
// transaction last, with release ordering; the worker reads `transactions` with acquire
// ordering before the rest, so a reading never holds a transaction without its hold time,
// and one whose owner and transaction count are unchanged needs no new copy of the holds.
struct alignas(64) BackendSlot {
    std::atomic<int32_t> pid;  // current owner, set when it has authenticated
    std::atomic<uint64_t> transactions;
    std::atomic<uint64_t> busy_micros;
    std::atomic<uint64_t> owner_base_transactions;
    std::atomic<uint64_t> owner_base_busy_micros;
    std::atomic<uint64_t> holds[core::kHoldBuckets];  // transactions by hold time
    std::atomic<uint64_t> owner_base_holds[core::kHoldBuckets];
};
static_assert(std::atomic<int32_t>::is_always_lock_free);
static_assert(std::atomic<uint64_t>::is_always_lock_free);
static_assert(std::is_trivially_destructible_v<BackendSlot>);

// Figures of the host from the worker's last sample. Protocol: the LWLock.
struct HostFigures {
    bool valid;
    double cpu_utilisation;  // fraction of all usable CPUs over the last interval; NaN unknown
    double cpu_iowait;
    int64_t interval_micros;
    double usable_cpus;               // 0 unknown
    uint64_t usable_memory_bytes;     // 0 unknown
    uint64_t memory_available_bytes;  // 0 unknown
    int32_t effective_spindles;       // 1 for a rotational disk, as HikariCP counts them
    // CPU utilisation summed over the samples of the current and the previous window.
    double window_cpu_sum, previous_window_cpu_sum;
    uint64_t window_cpu_samples, previous_window_cpu_samples;
};
static_assert(std::is_trivially_copyable_v<HostFigures>);

// One watched database. Protocol: the LWLock.
struct DatabaseEntry {
    bool in_use;
    uint32_t oid;
    char name[core::kNameBytes];
    core::DatabaseCounters cumulative;  // as pg_stat_database shows them now
    core::DatabaseCounters delta;       // change over the last interval
    int64_t interval_micros;
    // Cumulative counters when the current and the previous evaluation window began.
    core::DatabaseCounters at_window_start;
    core::DatabaseCounters at_previous_window_start;
};

// Size of every database, measured by the worker at a bounded rate (pg_database_size()
// stats every file of every database: ~900 system calls on a small cluster, too slow for
// each call of setting_recommendations()). Protocol: the LWLock; the worker measures
// without it and then writes the whole structure under it exclusively; readers copy what
// they need under it shared. measured_micros = 0: not measured yet (readers measure
// themselves then).
struct DatabaseSize {
    uint32_t oid;
    int64_t bytes;  // -1: pg_database_size() returned NULL (dropped meanwhile)
};
struct DatabaseSizes {
    int64_t measured_micros;
    uint32_t count;
    DatabaseSize entries[kMaxDatabases];
    // Databases beyond kMaxDatabases: summed, counted only for callers who may measure
    // every database (pg_read_all_stats).
    uint32_t unlisted;
    int64_t unlisted_bytes;
};
static_assert(std::is_trivially_copyable_v<DatabaseSizes>);

// The data directory's storage, detected once by the worker when it starts. Protocol: the
// LWLock; valid = false until the worker has published it.
struct StorageFigures {
    bool valid;
    int32_t kind;  // core::StorageKind
    bool virtual_disk;
    char device[64];
    char how[512];
};
static_assert(std::is_trivially_copyable_v<StorageFigures>);

// The configuration files' values of the advised settings as the last SQL call to parse the
// files found them, with the size and modification time of each file they came from, so
// that a later call finding every file unchanged (and the values younger than a minute)
// need not parse again. Per setting, the last value without an error and the last value
// of any kind: which one counts depends on pending_restart, read at each call.
// Protocol: the LWLock; any backend writes it (exclusive) after parsing, readers hold it in
// shared mode while they check the files and copy the values out. valid = false: unset.
constexpr int kCachedConfigFiles = 8;
constexpr int kCachedFileValues = 32;
struct CachedConfigFile {
    char path[MAXPGPATH];
    int64_t size, mtime_sec, mtime_nsec;
};
struct CachedFileValue {
    char name[NAMEDATALEN];
    bool has_clean, has_any;
    char clean[256], any[256];
};
struct FileValueCache {
    bool valid;
    int64_t parsed_micros;
    int32_t file_count, value_count;
    CachedConfigFile files[kCachedConfigFiles];
    CachedFileValue values[kCachedFileValues];
};
static_assert(std::is_trivially_copyable_v<FileValueCache>);

// One change the adaptation made. Written once by the worker into the adjustment ring.
struct AdjustmentRecord {
    int64_t time_micros;
    core::GroupKey key;
    int32_t old_pool_size;
    int32_t new_pool_size;
    char reason[kAdjustmentReasonBytes];
};
static_assert(std::is_trivially_copyable_v<AdjustmentRecord>);
static_assert(std::is_trivially_copyable_v<DatabaseEntry>);

struct SharedState {
    // Set by the postmaster before any other process attaches, then read-only.
    uint32_t magic;
    uint32_t slot_count;
    uint32_t max_pools;
    uint32_t history_capacity;
    uint64_t total_bytes;
    uint64_t slots_offset, queue_offset, groups_offset, databases_offset, history_offset,
        adjustments_offset;

    // Worker status. Written by the worker, read by anyone without a lock: each field is
    // individually current, not a consistent set.
    std::atomic<int32_t> worker_pid;  // 0 while no worker runs
    std::atomic<int64_t> worker_started_micros;
    std::atomic<uint64_t> samples_taken;
    std::atomic<uint64_t> sample_nanos_total;
    std::atomic<uint64_t> sample_nanos_last;
    std::atomic<uint64_t> sample_backends_last;
    std::atomic<int64_t> last_sample_micros;
    std::atomic<uint64_t> events_received;  // popped by the worker
    std::atomic<uint64_t> evaluations;      // adaptation passes over a closed window
    std::atomic<int64_t> last_evaluation_micros;

    // Written by producers (any backend): pushes that found the queue full.
    std::atomic<uint64_t> events_dropped;
    // Incremented by pool_optimizer_reset(); the worker clears its figures when it sees a
    // value it has not acted on.
    std::atomic<uint64_t> reset_requests;

    // Under the LWLock.
    core::GroupTableHeader groups;
    HostFigures host;
    DatabaseSizes database_sizes;
    StorageFigures storage;
    FileValueCache file_values;
};
static_assert(std::atomic<int64_t>::is_always_lock_free);

using HistoryRing = core::SeqlockRing<core::ServerSample>;
// One writer (the worker); readers copy out without consuming.
using AdjustmentRing = core::SeqlockRing<AdjustmentRecord>;

// Attached view of the region, valid in every process once shmem startup has run.
struct SharedView {
    SharedState *state;
    LWLock *lock;
    BackendSlot *slots;
    EventQueue *queue;
    core::GroupEntry *groups;
    DatabaseEntry *databases;
    HistoryRing *history;
    AdjustmentRing *adjustments;
};

// Bytes to request for the configured sizes.
Size shared_size(int slot_count, int max_pools, int history_capacity);
void request_shared_memory(int slot_count, int max_pools, int history_capacity);
// Creates (first caller, under AddinShmemInitLock) or attaches the region. True when this
// call created it.
bool attach_shared_memory(int slot_count, int max_pools, int history_capacity);

// Null when the library was not preloaded.
const SharedView *shared();

// Raises the documented error when the library is not preloaded.
const SharedView &require_shared(const char *function_name);

}  // namespace poolopt::pg
