// PGTune's hardware rules, at parity with le0pard/pgtune's configurationSlice.js (rules of
// April 2026), fed with the memory and CPUs the server may really use.
//
// PGTune computes every memory figure in kB and rounds down with Math.floor at each step;
// work_mem is computed in double precision, as JavaScript numbers are. This file does the
// same, in the same order, so that each figure matches PGTune's to the kilobyte. Only then
// is a figure converted to the setting's own unit (8 kB blocks for shared_buffers,
// effective_cache_size and wal_buffers; MB for min/max_wal_size), rounding down.
//
// Left out on purpose: PGTune's Windows and macOS branches (this extension reads Linux
// hosts), and the settings whose right value depends on how PostgreSQL was built or on
// things a machine profile does not show (wal_compression lz4 needs --with-lz4, io_method
// io_uring needs --with-liburing, jit, wal_level minimal on desktops).
#include <cmath>
#include <cstdio>
#include <utility>

#include "core/settings_engine.hpp"

namespace poolopt::core {
namespace {

constexpr uint64_t kKbPerMb = 1024;
constexpr uint64_t kKbPerGb = 1024 * kKbPerMb;
constexpr int kMaxExtensionWorkers = 1024;
// PostgreSQL's default max_worker_processes: what PGTune counts for work_mem when it
// recommends no parallel settings.
constexpr int kDefaultMaxWorkerProcesses = 8;
constexpr int kMinCpusForParallelSettings = 4;
constexpr uint64_t kSmallMachineBytes = 256 * kMegabyte;
constexpr uint64_t kHugePageBytes = 2 * kMegabyte;

std::string kb_text(uint64_t kb) {
    return describe_bytes(kb * kKilobyte);
}

// Exact, as SHOW prints a kB setting: "20560kB", "4MB".
std::string kb_exact(uint64_t kb) {
    return format_setting_value(static_cast<int64_t>(kb), SettingUnit::kilobytes());
}

std::string number_text(long long value) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%lld", value);
    return buffer;
}

int default_max_connections(Workload workload) noexcept {
    switch (workload) {
        case Workload::web:
            return 200;
        case Workload::oltp:
            return 300;
        case Workload::dw:
            return 40;
        case Workload::desktop:
            return 20;
        case Workload::mixed:
            return 100;
    }
    return 100;
}

// PGTune's "database size" choice, which it asks for and this engine measures.
enum class DataFit { fits_in_memory, up_to_three_times_memory, larger, unknown };

DataFit classify_data_size(const MachineProfile &profile) noexcept {
    if (!profile.database_size_bytes) return DataFit::unknown;
    uint64_t size = *profile.database_size_bytes;
    if (size < profile.memory_bytes) return DataFit::fits_in_memory;
    // PGTune's middle choice is "1x - 3x RAM", its last "More than 3x RAM".
    if (size / 3 <= profile.memory_bytes) return DataFit::up_to_three_times_memory;
    return DataFit::larger;
}

std::string data_size_clause(const MachineProfile &profile, DataFit fit, uint64_t ram_kb) {
    std::string memory = kb_text(ram_kb);
    switch (fit) {
        case DataFit::fits_in_memory:
            return "the " + describe_bytes(*profile.database_size_bytes) + " database fits in " +
                   memory + " usable memory";
        case DataFit::up_to_three_times_memory:
            return "the " + describe_bytes(*profile.database_size_bytes) +
                   " database is 1 to 3 times the " + memory + " usable memory";
        case DataFit::larger:
            return "the " + describe_bytes(*profile.database_size_bytes) +
                   " database is more than 3 times the " + memory + " usable memory";
        case DataFit::unknown:
            return "database size unknown";
    }
    return "database size unknown";
}

std::string validate(const MachineProfile &profile) {
    if (profile.memory_bytes < kMinProfileMemoryBytes ||
        profile.memory_bytes > kMaxProfileMemoryBytes) {
        return "memory " + describe_bytes(profile.memory_bytes) +
               " is out of range: give between 1MB and 1024TB";
    }
    if (profile.cpus < 1 || profile.cpus > kMaxProfileCpus) {
        return "cpus " + number_text(profile.cpus) + " is out of range: give between 1 and " +
               number_text(kMaxProfileCpus);
    }
    if (profile.max_connections &&
        (*profile.max_connections < 1 || *profile.max_connections > kMaxConnectionsLimit)) {
        return "max_connections " + number_text(*profile.max_connections) +
               " is out of range: give between 1 and " + number_text(kMaxConnectionsLimit) +
               ", or none for the workload's default";
    }
    if (profile.pg_major < kOldestPgMajor || profile.pg_major > kNewestPgMajor) {
        return "PostgreSQL " + number_text(profile.pg_major) +
               " is not supported: major versions " + number_text(kOldestPgMajor) + " to " +
               number_text(kNewestPgMajor) + " are";
    }
    if (profile.extension_workers < 0 || profile.extension_workers > kMaxExtensionWorkers) {
        return "extension_workers " + number_text(profile.extension_workers) +
               " is out of range: give between 0 and " + number_text(kMaxExtensionWorkers);
    }
    return {};
}

// The figures several rules share, in kB as PGTune computes them.
struct MemoryPlan {
    uint64_t ram_kb = 0;
    uint64_t shared_buffers_kb = 0;
    int max_connections = 0;
    bool parallel_settings = false;
    int max_worker_processes = 0;  // as recommended, or PostgreSQL's default
};

SettingRecommendation shared_buffers_rule(const MachineProfile &profile, const MemoryPlan &plan) {
    std::string reason = profile.workload == Workload::desktop
                             ? "RAM/16 of " + kb_text(plan.ram_kb) +
                                   " usable memory: a desktop shares its memory with other programs"
                             : "RAM/4 of " + kb_text(plan.ram_kb) + " usable memory";
    if (profile.memory_bytes < kSmallMachineBytes) {
        reason += "; below 256MB of memory these rules are not tuned for the machine";
    }
    return memory_setting("shared_buffers", plan.shared_buffers_kb * kKilobyte,
                          SettingUnit::blocks_8kb(), std::move(reason));
}

SettingRecommendation effective_cache_size_rule(const MachineProfile &profile,
                                                const MemoryPlan &plan) {
    bool desktop = profile.workload == Workload::desktop;
    uint64_t kb = desktop ? plan.ram_kb / 4 : plan.ram_kb * 3 / 4;
    std::string reason = std::string(desktop ? "RAM/4 of " : "RAM·3/4 of ") + kb_text(plan.ram_kb) +
                         " usable memory: what shared_buffers and the OS page cache together "
                         "may hold, for the planner's cost of index scans";
    return memory_setting("effective_cache_size", kb * kKilobyte, SettingUnit::blocks_8kb(),
                          std::move(reason));
}

SettingRecommendation maintenance_work_mem_rule(const MachineProfile &profile,
                                                const MemoryPlan &plan) {
    bool dw = profile.workload == Workload::dw;
    uint64_t kb = dw ? plan.ram_kb / 8 : plan.ram_kb / 16;
    std::string reason =
        std::string(dw ? "RAM/8 of " : "RAM/16 of ") + kb_text(plan.ram_kb) + " usable memory";
    constexpr uint64_t kCapKb = 8 * kKbPerGb;
    if (kb >= kCapKb) {
        reason += " = " + kb_text(kb) + ", capped at 8GB: more rarely speeds up index builds";
        kb = kCapKb;
    }
    if (profile.pg_major < 17 && kb > kKbPerGb) {
        reason += "; before PostgreSQL 17 VACUUM uses at most 1GB of it, index builds all";
    }
    return memory_setting("maintenance_work_mem", kb * kKilobyte, SettingUnit::kilobytes(),
                          std::move(reason));
}

SettingRecommendation checkpoint_completion_target_rule(const MachineProfile &profile) {
    std::string reason = "spread checkpoint writes over 90 % of the checkpoint interval";
    reason += profile.pg_major >= 14 ? " (the default since PostgreSQL 14)"
                                     : " (PostgreSQL 13 defaults to 0.5)";
    return real_setting("checkpoint_completion_target", 0.9, std::move(reason));
}

SettingRecommendation wal_buffers_rule(const MemoryPlan &plan) {
    // PostgreSQL's own wal_buffers = -1 does about the same; PGTune writes the figure out.
    uint64_t kb = 3 * plan.shared_buffers_kb / 100;
    std::string reason = "3 % of " + kb_text(plan.shared_buffers_kb) + " shared_buffers";
    constexpr uint64_t kMaxKb = 16 * kKbPerMb;
    constexpr uint64_t kNearMaxKb = 14 * kKbPerMb;
    constexpr uint64_t kMinKb = 32;
    if (kb > kMaxKb) {
        reason += " = " + kb_text(kb) + ", capped at 16MB, one WAL segment";
        kb = kMaxKb;
    } else if (kb > kNearMaxKb) {
        reason += " = " + kb_text(kb) + ", rounded up to 16MB, one WAL segment";
        kb = kMaxKb;
    } else if (kb < kMinKb) {
        reason += " = " + kb_text(kb) + ", raised to the 32kB minimum";
        kb = kMinKb;
    }
    return memory_setting("wal_buffers", kb * kKilobyte, SettingUnit::blocks_8kb(),
                          std::move(reason));
}

SettingRecommendation default_statistics_target_rule(const MachineProfile &profile) {
    if (profile.workload == Workload::dw) {
        return integer_setting("default_statistics_target", 500, SettingUnit::none(),
                               "500 for dw: finer statistics for large analytical plans");
    }
    return integer_setting("default_statistics_target", 100, SettingUnit::none(),
                           std::string("100 for ") + workload_name(profile.workload) +
                               ": PostgreSQL's default serves short queries");
}

SettingRecommendation random_page_cost_rule(const MachineProfile &profile, DataFit fit,
                                            uint64_t ram_kb) {
    std::string storage = storage_name(profile.storage);
    if (fit == DataFit::fits_in_memory) {
        return real_setting("random_page_cost", 1.1,
                            data_size_clause(profile, fit, ram_kb) +
                                ": pages come from cache, so a random read costs about as "
                                "much as a sequential one, whatever the storage");
    }
    std::string size = data_size_clause(profile, fit, ram_kb);
    if (profile.storage == Storage::hdd) {
        return real_setting("random_page_cost", 4,
                            "hdd storage and " + size +
                                ": a random read costs about 4 "
                                "sequential ones (seek time)");
    }
    if (profile.workload == Workload::dw) {
        return real_setting("random_page_cost", 4,
                            "dw on " + storage + " storage and " + size +
                                ": PostgreSQL's default 4 keeps the planner from index scans "
                                "over large ranges, which read slower than sequential scans");
    }
    return real_setting("random_page_cost", 1.1,
                        storage + " storage and " + size +
                            ": a random read costs little more than a sequential one");
}

SettingRecommendation effective_io_concurrency_rule(const MachineProfile &profile) {
    int requests = 200;
    switch (profile.storage) {
        case Storage::hdd:
            requests = 2;
            break;
        case Storage::ssd:
            requests = 200;
            break;
        case Storage::san:
            requests = 300;
            break;
        case Storage::nvme:
            requests = 1000;
            break;
    }
    return integer_setting("effective_io_concurrency", requests, SettingUnit::none(),
                           std::string(storage_name(profile.storage)) + " storage serves about " +
                               number_text(requests) + " concurrent read requests");
}

SettingRecommendation work_mem_rule(const MachineProfile &profile, const MemoryPlan &plan,
                                    DataFit fit) {
    // Each connection and worker may run a few sorts or hashes at once: 3 per process.
    double per_process =
        static_cast<double>(plan.ram_kb - plan.shared_buffers_kb) /
        static_cast<double>((plan.max_connections + plan.max_worker_processes) * 3);
    std::string reason = "(" + kb_text(plan.ram_kb) + " usable memory − " +
                         kb_text(plan.shared_buffers_kb) + " shared_buffers) / ((" +
                         number_text(plan.max_connections) + " connections + " +
                         number_text(plan.max_worker_processes) + " worker processes) × 3)";
    reason += " = " + kb_exact(static_cast<uint64_t>(std::floor(per_process)));
    double kb = 0;
    switch (profile.workload) {
        case Workload::web:
        case Workload::oltp:
            kb = std::floor(per_process);
            break;
        case Workload::dw:
        case Workload::mixed:
            kb = std::floor(per_process / 2);
            reason += "; ÷ 2 for " + std::string(workload_name(profile.workload)) +
                      ", whose queries run bigger sorts and hashes = " +
                      kb_exact(static_cast<uint64_t>(kb));
            break;
        case Workload::desktop:
            kb = std::floor(per_process / 6);
            reason += "; ÷ 6 for desktop, leaving memory to other programs = " +
                      kb_exact(static_cast<uint64_t>(kb));
            break;
    }
    if (fit == DataFit::fits_in_memory) {
        kb = std::floor(kb * 1.3);
        reason += "; × 1.3 because " + data_size_clause(profile, fit, plan.ram_kb) +
                  " and the OS page cache needs less = " + kb_exact(static_cast<uint64_t>(kb));
    } else if (fit == DataFit::larger) {
        kb = std::floor(kb * 0.9);
        reason += "; × 0.9 because " + data_size_clause(profile, fit, plan.ram_kb) +
                  " and the OS page cache needs more = " + kb_exact(static_cast<uint64_t>(kb));
    } else {
        reason += "; " + data_size_clause(profile, fit, plan.ram_kb) + ", no size factor";
    }
    constexpr double kMinKb = 4 * kKbPerMb;
    uint64_t result_kb = static_cast<uint64_t>(kb);
    if (kb < kMinKb) {
        reason += "; raised to the 4MB floor, below which simple sorts spill to disk";
        result_kb = static_cast<uint64_t>(kMinKb);
    }
    return memory_setting("work_mem", result_kb * kKilobyte, SettingUnit::kilobytes(),
                          std::move(reason));
}

SettingRecommendation huge_pages_rule(const MachineProfile &profile, const MemoryPlan &plan) {
    uint64_t shared_buffers_bytes = plan.shared_buffers_kb * kKilobyte;
    if (plan.shared_buffers_kb < 2 * kKbPerGb) {
        return enum_setting("huge_pages", "off",
                            "shared_buffers " + kb_text(plan.shared_buffers_kb) +
                                " is below 2GB: huge pages would save little page-table memory");
    }
    uint64_t pages = (shared_buffers_bytes + kHugePageBytes - 1) / kHugePageBytes;
    std::string reason = "shared_buffers " + kb_text(plan.shared_buffers_kb) +
                         " is 2GB or more: huge pages save page-table memory; reserve at least " +
                         number_text(static_cast<long long>(pages)) +
                         " 2MB pages (vm.nr_hugepages) for shared_buffers alone";
    reason += profile.pg_major >= 15 ? ", the exact count is shared_memory_size_in_huge_pages"
                                     : ", plus a few % for the rest of shared memory";
    return enum_setting("huge_pages", "try", std::move(reason));
}

void add_wal_size_rules(const MachineProfile &profile, std::vector<SettingRecommendation> &rows) {
    uint64_t min_mb = 1024, max_mb = 4096;
    switch (profile.workload) {
        case Workload::web:
        case Workload::mixed:
            break;
        case Workload::oltp:
            min_mb = 2048;
            max_mb = 8192;
            break;
        case Workload::dw:
            min_mb = 4096;
            max_mb = 16384;
            break;
        case Workload::desktop:
            min_mb = 100;
            max_mb = 2048;
            break;
    }
    std::string workload = workload_name(profile.workload);
    rows.push_back(memory_setting(
        "min_wal_size", min_mb * kMegabyte, SettingUnit::megabytes(),
        "WAL kept for reuse after a checkpoint, sized for " + workload + " write volume"));
    rows.push_back(memory_setting(
        "max_wal_size", max_mb * kMegabyte, SettingUnit::megabytes(),
        "WAL written between checkpoints before one is forced, sized for " + workload +
            " write volume; raised from telemetry while requested checkpoints outnumber timed "
            "ones"));
}

void add_parallel_rules(const MachineProfile &profile, const MemoryPlan &plan,
                        std::vector<SettingRecommendation> &rows) {
    std::string cpus = number_text(profile.cpus) + " usable CPUs";
    std::string worker_reason = "one worker per CPU: " + cpus;
    if (profile.extension_workers > 0) {
        worker_reason += " + " + number_text(profile.extension_workers) +
                         " background workers of extensions, which share these slots";
    }
    rows.push_back(integer_setting("max_worker_processes", plan.max_worker_processes,
                                   SettingUnit::none(), std::move(worker_reason)));

    int half = (profile.cpus + 1) / 2;
    int per_gather = half;
    std::string gather_reason = "half the " + cpus + ", rounded up";
    if (profile.workload != Workload::dw && per_gather > 4) {
        per_gather = 4;
        gather_reason +=
            " = " + number_text(half) + ", capped at 4: more workers rarely speed up short queries";
    }
    rows.push_back(integer_setting("max_parallel_workers_per_gather", per_gather,
                                   SettingUnit::none(), std::move(gather_reason)));
    rows.push_back(integer_setting("max_parallel_workers", profile.cpus, SettingUnit::none(),
                                   "parallel workers at once: one per CPU, " + cpus));
    int maintenance = half > 4 ? 4 : half;
    std::string maintenance_reason = "half the " + cpus + ", rounded up";
    if (half > 4) maintenance_reason += " = " + number_text(half) + ", capped at 4";
    rows.push_back(integer_setting("max_parallel_maintenance_workers", maintenance,
                                   SettingUnit::none(), std::move(maintenance_reason)));
}

}  // namespace

ValueOrError<std::vector<SettingRecommendation>> recommend_hardware_settings(
    const MachineProfile &profile) {
    using Result = ValueOrError<std::vector<SettingRecommendation>>;
    std::string problem = validate(profile);
    if (!problem.empty()) return Result::failure(std::move(problem));

    MemoryPlan plan;
    plan.ram_kb = profile.memory_bytes / kKilobyte;
    plan.shared_buffers_kb =
        profile.workload == Workload::desktop ? plan.ram_kb / 16 : plan.ram_kb / 4;
    plan.max_connections =
        profile.max_connections.value_or(default_max_connections(profile.workload));
    plan.parallel_settings = profile.cpus >= kMinCpusForParallelSettings;
    plan.max_worker_processes = plan.parallel_settings ? profile.cpus + profile.extension_workers
                                                       : kDefaultMaxWorkerProcesses;
    DataFit fit = classify_data_size(profile);

    std::vector<SettingRecommendation> rows;
    rows.reserve(17);
    rows.push_back(integer_setting(
        "max_connections", plan.max_connections, SettingUnit::none(),
        profile.max_connections
            ? "as given"
            : "PGTune's default for " + std::string(workload_name(profile.workload)) +
                  "; the pool budget replaces it once pools are observed"));
    rows.push_back(shared_buffers_rule(profile, plan));
    rows.push_back(effective_cache_size_rule(profile, plan));
    rows.push_back(maintenance_work_mem_rule(profile, plan));
    rows.push_back(checkpoint_completion_target_rule(profile));
    rows.push_back(wal_buffers_rule(plan));
    rows.push_back(default_statistics_target_rule(profile));
    rows.push_back(random_page_cost_rule(profile, fit, plan.ram_kb));
    rows.push_back(effective_io_concurrency_rule(profile));
    rows.push_back(work_mem_rule(profile, plan, fit));
    rows.push_back(huge_pages_rule(profile, plan));
    add_wal_size_rules(profile, rows);
    if (plan.parallel_settings) add_parallel_rules(profile, plan, rows);
    return Result::of(std::move(rows));
}

}  // namespace poolopt::core
