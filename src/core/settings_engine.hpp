// The settings engine: server settings recommended from facts, each with its reason.
//
// Two families of rules feed it. The hardware rules (hardware_rules.cpp) are PGTune's, at
// parity with its source (le0pard/pgtune, configurationSlice.js, rules of April 2026; see
// reference/tuning-anchors.md), but fed with what the server may really use: memory and
// CPUs after cgroup limits and affinity, and the database's real size instead of a guess.
// The workload rules (workload_rules.hpp) adjust settings from telemetry. Both produce
// SettingRecommendation rows; this header holds those rows and what applies to all of
// them: the churn tolerance and the clamp to the server's bounds.
//
// Pure C++17, no PostgreSQL. Nothing throws except std::bad_alloc; bad input comes back
// as a ValueOrError whose message names what is allowed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/host_probe.hpp"
#include "core/units.hpp"

namespace poolopt::core {

enum class Workload { web, oltp, dw, mixed, desktop };
enum class Storage { hdd, ssd, san, nvme };

const char *workload_name(Workload workload) noexcept;  // "web", "oltp", "dw", ...
const char *storage_name(Storage storage) noexcept;     // "hdd", "ssd", "san", "nvme"
// Case-insensitive, as PostgreSQL reads enum settings: "Web" and "web" are both web.
ValueOrError<Workload> parse_workload(std::string_view text);
ValueOrError<Storage> parse_storage(std::string_view text);

// The oldest and newest PostgreSQL major versions whose settings this engine knows.
inline constexpr int kOldestPgMajor = 13;
inline constexpr int kNewestPgMajor = 18;

// What a machine profile may describe: memory from 1MB to 1024TB, 1 to 65536 CPUs, and
// max_connections up to PostgreSQL's MAX_BACKENDS.
inline constexpr uint64_t kMinProfileMemoryBytes = kMegabyte;
inline constexpr uint64_t kMaxProfileMemoryBytes = 1024 * kTerabyte;
inline constexpr int kMaxProfileCpus = 65536;
inline constexpr int kMaxConnectionsLimit = 262143;

// The machine the hardware rules size the server for.
struct MachineProfile {
    // Memory the server may use: the smaller of the host's memory and the cgroup limit
    // (HostResources::usable_memory_bytes), not the host's total.
    uint64_t memory_bytes = 0;
    // Whole CPUs the server may use after quota and affinity (usable_whole_cpus()).
    int cpus = 0;
    Storage storage = Storage::ssd;
    Workload workload = Workload::web;
    // max_connections to size work_mem for; unset = PGTune's default for the workload.
    std::optional<int> max_connections;
    // Size of the data (pg_database_size summed); unset = unknown, and then neither the
    // work_mem size factor nor the fits-in-memory random_page_cost applies, as PGTune with
    // its default "1x - 3x RAM".
    std::optional<uint64_t> database_size_bytes;
    int pg_major = kNewestPgMajor;
    // Background workers that extensions register (this extension's sampler among them).
    // They take max_worker_processes slots that parallel queries would otherwise get, so
    // they are added to it. 0 gives PGTune's max_worker_processes = CPUs.
    int extension_workers = 0;
};

// Whole CPUs from a fractional quota: rounded down (a 2.5-CPU quota cannot keep 3 parallel
// workers busy), at least 1 when any CPU is usable; 0 when none is known.
int usable_whole_cpus(double usable_cpus) noexcept;

// Fills memory_bytes and cpus from what the host probes found the server may use: the
// cgroup-limited memory and the quota/affinity-limited CPUs, never the host's totals.
// Fails when the probes found neither memory nor CPUs.
ValueOrError<MachineProfile> with_host_resources(MachineProfile profile, const HostResources &host);

enum class ValueType { integer, real, enumeration };

// One recommended setting.
struct SettingRecommendation {
    std::string name;  // as in pg_settings: "shared_buffers"
    ValueType type = ValueType::integer;
    // In the setting's own unit, as pg_settings.setting holds it (shared_buffers 4GB is
    // 524288, in 8kB blocks); empty for enumerations, whose value is the display text.
    std::optional<double> value;
    std::string unit;     // as pg_settings.unit spells it: "8kB", "kB", "MB", "ms", or ""
    std::string display;  // as SHOW prints it: "4GB", "20560kB", "0.9", "try"
    std::string reason;   // plain English with the figures: "RAM/4 of 16GB usable memory"
    // The value a workload rule started from, in the same unit; the rule recommends it
    // unchanged when nothing calls for a change. Empty for the hardware rules.
    std::optional<double> current_value;
};

// Builders that fill value, unit and display consistently.
SettingRecommendation integer_setting(std::string name, int64_t value, SettingUnit unit,
                                      std::string reason);
// `bytes` rounded down to whole units of `unit` (a memory unit).
SettingRecommendation memory_setting(std::string name, uint64_t bytes, SettingUnit unit,
                                     std::string reason);
SettingRecommendation real_setting(std::string name, double value, std::string reason);
SettingRecommendation enum_setting(std::string name, std::string value, std::string reason);
// A real number as PostgreSQL prints one (%g): 1.1 -> "1.1", 4 -> "4".
std::string format_real(double value);

// PGTune's rules for the profile, in PGTune's order: max_connections, shared_buffers,
// effective_cache_size, maintenance_work_mem, checkpoint_completion_target, wal_buffers,
// default_statistics_target, random_page_cost, effective_io_concurrency, work_mem,
// huge_pages, min_wal_size, max_wal_size, then with 4 CPUs or more max_worker_processes,
// max_parallel_workers_per_gather, max_parallel_workers, max_parallel_maintenance_workers.
// Below 4 CPUs the parallel settings are left out, as PGTune leaves them out: the defaults
// (8 / 2 / 8 / 2) serve a small machine. Memory is computed in kB and rounded down at each
// step, as PGTune does, so the figures match it to the kilobyte.
ValueOrError<std::vector<SettingRecommendation>> recommend_hardware_settings(
    const MachineProfile &profile);

// The row named `name`, or nullptr.
const SettingRecommendation *find_setting(const std::vector<SettingRecommendation> &settings,
                                          std::string_view name) noexcept;

// The churn tolerance: a current value within 5 % of the recommendation is fine and is
// not changed, so that recomputing from slightly different figures (a few MB more usable
// memory, a sampling window with a few more spills) does not ask for a reload or a restart
// each time. 5 % of the recommended value, as timescaledb-tune leaves values within ±5 %.
inline constexpr double kChurnTolerance = 0.05;
// |current - recommended| <= tolerance * |recommended|; a recommendation of 0 tolerates only
// 0. False when either value is not finite or the tolerance is negative.
bool is_within_tolerance(double current, double recommended,
                         double tolerance = kChurnTolerance) noexcept;

// The valid range of a setting on the running server, from pg_settings.min_val/max_val.
struct SettingBounds {
    std::string name;
    double min_value = 0;
    double max_value = 0;
};

// The recommendation with its value brought into [min_value, max_value] (integers rounded
// to whole units), its display recomputed and its reason extended with what was clamped.
// Enumerations pass through. Fails when a bound is not finite or min_value > max_value.
ValueOrError<SettingRecommendation> clamp_to_bounds(SettingRecommendation recommendation,
                                                    double min_value, double max_value);
// clamp_to_bounds for every row that has bounds in `bounds` (matched by name); rows without
// bounds pass through. Fails on the first invalid bounds, naming the setting.
ValueOrError<std::vector<SettingRecommendation>> clamp_all_to_bounds(
    std::vector<SettingRecommendation> recommendations, const std::vector<SettingBounds> &bounds);

}  // namespace poolopt::core
