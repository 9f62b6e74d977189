// setting_recommendations() in pure C++: the settings of a running server, from what it may
// use and what it was seen doing.
//
// 1. The workload (pool_optimizer.workload, else inferred from the window's telemetry, else
//    PGTune's default web) and the storage (pool_optimizer.storage, else detected) are chosen,
//    each with the reason for the choice.
// 2. max_connections comes from the connection budget: the pool engine's allowances (none yet)
//    and the peak of client connections in the history ring, plus margin and the reserved
//    slots. It is raised to the budget, never lowered by telemetry alone: clients the ring
//    did not see may connect later.
// 3. The hardware rules (PGTune's) run on the usable memory and CPUs, the measured database
//    size and that max_connections.
// 4. The workload rules run on the window's telemetry and the current values, and are
//    combined with the hardware rules, setting by setting (work_mem, max_wal_size,
//    shared_buffers): evidence for a change wins (a raise goes at least to the hardware
//    value); without evidence the hardware value applies where it is higher, and a current
//    value above it stays, so that a raise the evidence asked for is not undone once the
//    evidence is gone. idle_in_transaction_session_timeout comes from telemetry alone.
// 5. Each row is held against pg_settings (review_setting): unit, bounds, status, priority.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/host_probe.hpp"
#include "core/setting_review.hpp"
#include "core/settings_engine.hpp"
#include "core/telemetry_window.hpp"
#include "core/workload_rules.hpp"

namespace poolopt::core {

// Every pg_settings row the advisor reads: the settings it may recommend.
inline constexpr const char *kAdvisedSettings[] = {
    "max_connections",
    "shared_buffers",
    "effective_cache_size",
    "maintenance_work_mem",
    "checkpoint_completion_target",
    "wal_buffers",
    "default_statistics_target",
    "random_page_cost",
    "effective_io_concurrency",
    "work_mem",
    "huge_pages",
    "min_wal_size",
    "max_wal_size",
    "max_worker_processes",
    "max_parallel_workers_per_gather",
    "max_parallel_workers",
    "max_parallel_maintenance_workers",
    "idle_in_transaction_session_timeout",
};

struct LiveServer {
    // What the host probes found the server may use.
    uint64_t usable_memory_bytes = 0;
    double usable_cpus = 0;
    std::optional<uint64_t> available_memory_bytes;
    StorageGuess detected_storage;
    // pool_optimizer.workload and pool_optimizer.storage; unset = auto.
    std::optional<Workload> workload_setting;
    std::optional<Storage> storage_setting;
    std::optional<uint64_t> database_size_bytes;  // sum of pg_database_size
    std::optional<uint64_t> wal_disk_bytes;       // size of the filesystem holding pg_wal
    int pg_major = kNewestPgMajor;
    int extension_workers = 1;  // background workers of extensions (this one's)
    int superuser_reserved_connections = 3;
    int reserved_connections = 0;  // PostgreSQL 16+
    // Telemetry.
    TelemetryWindow window;           // the last evaluation window
    int peak_client_connections = 0;  // over the whole history ring
    // The longest p99 hold time of any pool group over the closed evaluation window and
    // the current one (0 when no transaction ended in them).
    double longest_p99_hold_seconds = 0;
    std::vector<PoolAllowance> pools;  // the pool engine's pool_size and max_overflow per group
    // pg_settings rows of kAdvisedSettings (those this server has).
    std::vector<ServerSetting> settings;
};

template <typename T>
struct Choice {
    T value;
    std::string reason;  // a clause for the reasons of the rows it affects
};

Choice<Workload> choose_workload(std::optional<Workload> setting, const TelemetryWindow &window,
                                 int cpus);
// A virtual disk (virtio, Xen) that claims to be rotational is taken as ssd: the flag is the
// hypervisor's default, not the media, and virtual volumes today are mostly SSD-backed.
// Unknown storage is taken as ssd, PGTune's default.
Choice<Storage> choose_storage(std::optional<Storage> setting, const StorageGuess &detected);

struct LiveAdvice {
    std::vector<ReviewedSetting> rows;  // changes by priority (high first), then fine ones
    Choice<Workload> workload;
    Choice<Storage> storage;
};

ValueOrError<LiveAdvice> recommend_live_settings(const LiveServer &server);

}  // namespace poolopt::core
