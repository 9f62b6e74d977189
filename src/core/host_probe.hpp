// Host probes: what CPU, memory and storage this PostgreSQL server may actually use.
//
// Parsers take the text of one /proc, /sys or cgroup file and return a struct, or
// std::nullopt when the text is garbage or lacks a field. Readers do the I/O relative to a
// filesystem root ("/" in production, a fixture tree mirroring /proc and /sys in tests).
// Every function is noexcept: failures, including std::bad_alloc, come back through the
// return value, because these run inside PostgreSQL where an escaping exception is fatal.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace poolopt::core {

// ---- /proc parsers -------------------------------------------------------------------

// Clock ticks summed over all CPUs, from the aggregate "cpu " line of /proc/stat.
struct CpuTimes {
    uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
};
std::optional<CpuTimes> parse_proc_stat(std::string_view text) noexcept;
// Number of per-CPU "cpuN" lines: online CPUs when sysfs is not available.
std::optional<int> parse_proc_stat_cpu_count(std::string_view text) noexcept;

// Fractions 0..1 of all CPUs over an interval; utilisation counts everything but idle and
// iowait. std::nullopt when no tick elapsed, any counter went backwards (proc(5) warns
// that iowait can decrease) or the ticks elapsed pass 2^64 (garbage): the caller then takes
// `after` as its new baseline.
struct CpuUsage {
    double utilisation = 0;
    double iowait = 0;
};
std::optional<CpuUsage> cpu_usage_between(const CpuTimes &before, const CpuTimes &after) noexcept;

// MemTotal and MemAvailable, converted from kB to bytes.
struct MemInfo {
    uint64_t total_bytes = 0;
    uint64_t available_bytes = 0;
};
std::optional<MemInfo> parse_meminfo(std::string_view text) noexcept;

struct LoadAverage {
    double one = 0, five = 0, fifteen = 0;
};
std::optional<LoadAverage> parse_loadavg(std::string_view text) noexcept;

// Count of a sysfs CPU list such as /sys/devices/system/cpu/online: "0-3,6,8-9" -> 7.
std::optional<int> parse_cpu_list_count(std::string_view text) noexcept;

// ---- cgroup parsers ------------------------------------------------------------------

// The process's cgroup path per hierarchy, from /proc/self/cgroup; empty = not a member.
// Lines look like "0::/path" (v2), "4:cpu,cpuacct:/path" and "9:memory:/path" (v1).
struct CgroupMembership {
    std::string unified_path;
    std::string cpu_v1_path;
    std::string memory_v1_path;
    std::string cpuacct_v1_path;  // may be a hierarchy of its own, apart from cpu
};
std::optional<CgroupMembership> parse_proc_self_cgroup(std::string_view text) noexcept;

// Fields 4 (root: which cgroup the mount shows) and 5 (mount point) of a mountinfo line,
// with the kernel's octal escapes (\040 for a space) decoded.
struct CgroupMount {
    std::string root;
    std::string mount_point;
};
// The first mount of fstype cgroup2, and of fstype cgroup whose super options name the
// controller.
struct CgroupMounts {
    std::optional<CgroupMount> unified, cpu_v1, memory_v1, cpuacct_v1;
};
std::optional<CgroupMounts> parse_mountinfo(std::string_view text) noexcept;

// Where a process's cgroup lies below a mount of its hierarchy: the cgroup path as
// /proc/self/cgroup shows it, minus the mount's root; always begins with "/" ("/" = the
// mount point itself). std::nullopt when the cgroup is outside what the mount shows
// (another subtree, or "/.." paths of a cgroup namespace).
std::optional<std::string> cgroup_path_within_mount(std::string_view mount_root,
                                                    std::string_view cgroup_path) noexcept;

// A cgroup limit file holds a limit, says there is none, or is garbage. Treating garbage as
// "no limit" would silently drop a container's limit, so the three cases are spelled out
// and `amount` is only meaningful for LimitKind::limited. No conversion to bool exists on
// purpose: ask `limited()` or `parsed()`.
enum class LimitKind { unparseable, unlimited, limited };

template <typename T>
struct Limit {
    LimitKind kind = LimitKind::unparseable;
    T amount{};

    static constexpr Limit unparseable() noexcept { return {}; }
    static constexpr Limit unlimited() noexcept { return {LimitKind::unlimited, T{}}; }
    static constexpr Limit of(T value) noexcept { return {LimitKind::limited, value}; }
    constexpr bool parsed() const noexcept { return kind != LimitKind::unparseable; }
    constexpr bool limited() const noexcept { return kind == LimitKind::limited; }
};

// cgroup v2 cpu.max, "QUOTA PERIOD" in microseconds: "50000 100000" -> 0.5 CPUs;
// "max 100000" -> unlimited.
Limit<double> parse_cgroup2_cpu_max(std::string_view text) noexcept;
// cgroup v1 cpu.cfs_quota_us ("-1" = unlimited) divided by cpu.cfs_period_us, in CPUs.
Limit<double> parse_cgroup1_cpu_quota(std::string_view quota_text,
                                      std::string_view period_text) noexcept;
// v2 memory.max ("max" = unlimited) or v1 memory.limit_in_bytes, in bytes. Any value of
// 2^62 or more counts as unlimited: v1 shows "no limit" as LONG_MAX rounded down to a page
// (9223372036854771712 with 4 KiB pages).
Limit<uint64_t> parse_cgroup_memory_limit(std::string_view text) noexcept;

// v2 memory.current or v1 memory.usage_in_bytes: one byte count.
std::optional<uint64_t> parse_cgroup_memory_usage(std::string_view text) noexcept;
// CPU time used by the cgroup and its descendants, in microseconds: the "usage_usec" line of
// v2 cpu.stat, or v1 cpuacct.usage (nanoseconds).
std::optional<uint64_t> parse_cgroup2_cpu_usage_usec(std::string_view cpu_stat_text) noexcept;
std::optional<uint64_t> parse_cgroup1_cpuacct_usage_usec(std::string_view text) noexcept;
// Share 0..1 of `cpus` that a cgroup used between two readings of its CPU usage taken
// `elapsed_usec` apart; std::nullopt when no time elapsed, cpus is not positive or the
// counter went backwards. Capped at 1: the usage and the clock are not read atomically.
std::optional<double> cgroup_cpu_utilisation(uint64_t usage_usec_before, uint64_t usage_usec_after,
                                             uint64_t elapsed_usec, double cpus) noexcept;

// ---- readers -------------------------------------------------------------------------

// Reads a whole file (procfs and sysfs report size 0, so this reads to EOF). On failure
// returns std::nullopt and, when `error` is given, sets it to "cannot read PATH: reason".
std::optional<std::string> read_text_file(const std::string &path, std::string *error,
                                          size_t max_bytes = 1 << 20) noexcept;

// CPUs this process may run on, by sched_getaffinity; 0 on failure.
int count_affinity_cpus() noexcept;

// What this process may use of the host. Paths in *_source and problems are as seen from
// the root given to read_host_resources.
struct HostResources {
    // /sys/devices/system/cpu/online, else the cpuN lines of /proc/stat, else affinity_cpus.
    int online_cpus = 0;
    int affinity_cpus = 0;  // as passed in by the caller (count_affinity_cpus())
    // Smallest cgroup CPU quota up the hierarchy, in CPUs; std::nullopt = unlimited/unknown.
    std::optional<double> cpu_quota;
    std::string cpu_quota_source;  // the file that set cpu_quota
    // min(affinity_cpus, or online_cpus when that is 0, and cpu_quota); at least 1 when
    // anything is known, 0 when nothing is.
    double usable_cpus = 0;

    // /proc/meminfo MemTotal: the host's, even inside a container.
    std::optional<uint64_t> memory_total_bytes;
    // MemAvailable capped by the headroom (limit - usage) of the cgroup with the smallest
    // limit, or by the limit itself when that usage is unreadable. The usage counts page
    // cache, so the headroom errs low.
    std::optional<uint64_t> memory_available_bytes;
    // Smallest cgroup memory limit up the hierarchy; std::nullopt = unlimited/unknown.
    std::optional<uint64_t> memory_limit_bytes;
    std::string memory_limit_source;   // the file that set memory_limit_bytes
    uint64_t usable_memory_bytes = 0;  // min(total, limit); 0 when neither is known

    std::optional<LoadAverage> load;
    std::optional<CpuTimes> cpu_times;  // /proc/stat snapshot, for the caller's deltas
    // CPU time of this process's cgroup (v2 cpu.stat or v1 cpuacct.usage), for deltas where
    // /proc/stat shows the whole host, as in a container.
    std::optional<uint64_t> cgroup_cpu_usage_usec;
    // "v2", "v1" (also when a hybrid host keeps cpu or memory on v1), "none" (no cgroup
    // holds cpu or memory), "unknown" (/proc/self/cgroup or mountinfo unusable).
    std::string cgroup_version;
    // "cannot read /proc/meminfo: No such file or directory", "cannot parse /proc/loadavg:
    // expected ...". A cgroup limit file that does not exist is not a problem: the
    // controller is not enabled at that level, or it is the root cgroup.
    std::vector<std::string> problems;
};
HostResources read_host_resources(const std::string &root, int affinity_cpus) noexcept;

enum class StorageKind { unknown, ssd, hdd };
struct StorageGuess {
    StorageKind kind = StorageKind::unknown;
    std::string device;  // the block device at dev_major:dev_minor, e.g. "vda1", "dm-0"
    // How the guess was made, or why none could be:
    // "/sys/dev/block/253:1 -> vda1, partition of vda: queue/rotational=0".
    std::string how;
    // virtio or Xen disk: its rotational flag is the hypervisor's default, not the media,
    // and is often 1 on SSD-backed volumes.
    bool virtual_disk = false;
};
// Follows partitions to their disk, and dm-/md devices to their slaves: all rotational=0 ->
// ssd, any rotational=1 -> hdd, otherwise unknown. dev_major/dev_minor come from stat() of
// the data directory.
StorageGuess detect_storage(const std::string &root, unsigned dev_major,
                            unsigned dev_minor) noexcept;
// detect_storage for the block device holding `path` (stat() of it), e.g. the data directory.
StorageGuess detect_storage_of_path(const std::string &root, const std::string &path) noexcept;
const char *storage_kind_name(StorageKind kind) noexcept;  // "unknown", "ssd", "hdd"

// Size of the filesystem holding `path` (statvfs: blocks × fragment size); std::nullopt when
// it cannot be read. Caps max_wal_size at a share of the disk that holds pg_wal.
std::optional<uint64_t> filesystem_size_bytes(const std::string &path) noexcept;

}  // namespace poolopt::core
