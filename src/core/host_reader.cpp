// Readers of the host probes: the thin I/O around the parsers of host_probe.cpp. Every path
// is taken relative to a root so tests can point the readers at fixture trees.
#include "core/host_probe.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <exception>

#include "core/text_parse.hpp"

namespace poolopt::core {

namespace {

struct RawRead {
    std::optional<std::string> text;
    int error = 0;  // errno of the failure, or EFBIG when the file exceeds max_bytes
};

RawRead read_raw(const std::string &path, size_t max_bytes) {
    RawRead result;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        result.error = errno;
        return result;
    }
    std::string text;
    char buffer[8192];
    for (;;) {
        ssize_t got = ::read(fd, buffer, sizeof buffer);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            result.error = errno;
            break;
        }
        if (got == 0) {
            result.text = std::move(text);
            break;
        }
        if (text.size() + static_cast<size_t>(got) > max_bytes) {
            result.error = EFBIG;
            break;
        }
        text.append(buffer, static_cast<size_t>(got));
    }
    ::close(fd);
    return result;
}

std::string read_failure(const std::string &shown_path, int error, size_t max_bytes) {
    if (error == EFBIG) {
        return "cannot read " + shown_path + ": larger than " + std::to_string(max_bytes) +
               " bytes";
    }
    return "cannot read " + shown_path + ": " + text_parse::describe_errno(error);
}

constexpr size_t kSmallFile = 1 << 20;
// /proc/stat grows with CPUs and interrupts, mountinfo with mounts (busy container hosts).
constexpr size_t kLargeFile = 16 << 20;

// Reads files below a root and words every failure with the path as seen from that root.
class RootedFiles {
  public:
    RootedFiles(const std::string &root, std::vector<std::string> &problems)
        : root_(root), problems_(problems) {
        while (!root_.empty() && root_.back() == '/') root_.pop_back();
    }

    // Any failure is a problem.
    std::optional<std::string> read(const std::string &path, size_t max_bytes = kSmallFile) {
        RawRead raw = read_raw(root_ + path, max_bytes);
        if (!raw.text) note(read_failure(path, raw.error, max_bytes));
        return std::move(raw.text);
    }

    // A file that does not exist is not a problem: cgroup limit files are absent where the
    // controller is not enabled and in the root cgroup.
    std::optional<std::string> read_if_present(const std::string &path) {
        RawRead raw = read_raw(root_ + path, kSmallFile);
        if (!raw.text && raw.error != ENOENT) note(read_failure(path, raw.error, kSmallFile));
        return std::move(raw.text);
    }

    // The caller decides whether the failure matters.
    RawRead read_quietly(const std::string &path) { return read_raw(root_ + path, kSmallFile); }

    bool is_directory(const std::string &path) const {
        struct stat status;
        return ::stat((root_ + path).c_str(), &status) == 0 && S_ISDIR(status.st_mode);
    }

    void cannot_parse(const std::string &path, const char *expected) {
        note("cannot parse " + path + ": expected " + expected);
    }

    // The same cgroup directory serves several controllers: say each thing once.
    void note(std::string problem) {
        if (std::find(problems_.begin(), problems_.end(), problem) == problems_.end()) {
            problems_.push_back(std::move(problem));
        }
    }

  private:
    std::string root_;
    std::vector<std::string> &problems_;
};

// The directory of this process's cgroup in one hierarchy, and the mount point above which
// the walk for limits stops.
struct CgroupDirectory {
    std::string path;
    std::string mount_point;
};

std::optional<CgroupDirectory> locate_cgroup(RootedFiles &files, const char *hierarchy,
                                             const std::string &cgroup_path,
                                             const std::optional<CgroupMount> &mount) {
    if (cgroup_path.empty()) return std::nullopt;
    if (!mount) {
        files.note("cannot see the " + std::string(hierarchy) + " cgroup " + cgroup_path +
                   ": no mount of it in /proc/self/mountinfo");
        return std::nullopt;
    }
    std::string mount_point = mount->mount_point;
    while (mount_point.size() > 1 && mount_point.back() == '/') mount_point.pop_back();
    auto within = cgroup_path_within_mount(mount->root, cgroup_path);
    if (!within) {
        files.note("the " + std::string(hierarchy) + " cgroup " + cgroup_path +
                   " is outside the cgroup mount at " + mount_point + " (which shows " +
                   mount->root + "); reading limits from the mount point");
        within = "/";
    }
    std::string path = mount_point == "/" ? *within : mount_point + (*within == "/" ? "" : *within);
    if (!files.is_directory(path)) files.note("cannot find cgroup directory " + path);
    return CgroupDirectory{path, mount_point};
}

// The cgroup directory and each parent up to the mount point, innermost first.
std::vector<std::string> directories_up(const CgroupDirectory &cgroup) {
    std::vector<std::string> directories;
    std::string path = cgroup.path;
    for (;;) {
        directories.push_back(path);
        if (path.size() <= cgroup.mount_point.size()) break;
        path.erase(path.rfind('/'));
        if (path.empty()) path = "/";
    }
    return directories;
}

template <typename T>
struct SmallestLimit {
    std::optional<T> amount;  // std::nullopt: no level of the hierarchy sets a limit
    std::string file;         // the file that set it
    std::string directory;    // the cgroup it limits
};

// Limits nest: the smallest one anywhere up the hierarchy is what the process gets.
// `limit_in(directory, file)` names the file it read in `file`.
template <typename T, typename LimitIn>
SmallestLimit<T> smallest_limit(const CgroupDirectory &cgroup, LimitIn limit_in) {
    SmallestLimit<T> smallest;
    for (const std::string &directory : directories_up(cgroup)) {
        std::string file;
        Limit<T> limit = limit_in(directory, file);
        if (limit.limited() && (!smallest.amount || limit.amount < *smallest.amount)) {
            smallest = {limit.amount, file, directory};
        }
    }
    return smallest;
}

void probe_cpu_quota(RootedFiles &files, const CgroupDirectory &cgroup, bool v1,
                     HostResources &host) {
    auto cfs_quota_in = [&](const std::string &directory, std::string &file) {
        file = directory + "/cpu.cfs_quota_us";
        auto quota = files.read_if_present(file);
        auto period = files.read_if_present(directory + "/cpu.cfs_period_us");
        if (!quota || !period) return Limit<double>::unlimited();
        auto limit = parse_cgroup1_cpu_quota(*quota, *period);
        if (!limit.parsed()) {
            files.cannot_parse(file, "-1 or a positive quota over a positive period");
        }
        return limit;
    };
    auto cpu_max_in = [&](const std::string &directory, std::string &file) {
        file = directory + "/cpu.max";
        auto text = files.read_if_present(file);
        if (!text) return Limit<double>::unlimited();
        auto limit = parse_cgroup2_cpu_max(*text);
        if (!limit.parsed()) files.cannot_parse(file, "\"QUOTA PERIOD\" or \"max PERIOD\"");
        return limit;
    };
    auto smallest = v1 ? smallest_limit<double>(cgroup, cfs_quota_in)
                       : smallest_limit<double>(cgroup, cpu_max_in);
    host.cpu_quota = smallest.amount;
    host.cpu_quota_source = smallest.file;
}

// Sets the limit and returns the headroom left under it (limit minus the limiting cgroup's
// usage, which counts its descendants and page cache), when it can be read.
std::optional<uint64_t> probe_memory_limit(RootedFiles &files, const CgroupDirectory &cgroup,
                                           bool v1, HostResources &host) {
    const std::string limit_name = v1 ? "/memory.limit_in_bytes" : "/memory.max";
    const std::string usage_name = v1 ? "/memory.usage_in_bytes" : "/memory.current";
    auto smallest =
        smallest_limit<uint64_t>(cgroup, [&](const std::string &directory, std::string &file) {
            file = directory + limit_name;
            auto text = files.read_if_present(file);
            if (!text) return Limit<uint64_t>::unlimited();
            auto limit = parse_cgroup_memory_limit(*text);
            if (!limit.parsed()) files.cannot_parse(file, v1 ? "a byte count" : "bytes or \"max\"");
            return limit;
        });
    host.memory_limit_bytes = smallest.amount;
    host.memory_limit_source = smallest.file;
    if (!host.memory_limit_bytes) return std::nullopt;
    std::string usage_file = smallest.directory + usage_name;
    auto usage_text = files.read(usage_file);
    if (!usage_text) return std::nullopt;
    auto usage = parse_cgroup_memory_usage(*usage_text);
    if (!usage) {
        files.cannot_parse(usage_file, "a byte count");
        return std::nullopt;
    }
    return *host.memory_limit_bytes > *usage ? *host.memory_limit_bytes - *usage : 0;
}

void probe_cgroup_cpu_usage(RootedFiles &files, const std::optional<CgroupDirectory> &cpuacct_v1,
                            const std::optional<CgroupDirectory> &unified, HostResources &host) {
    if (cpuacct_v1) {
        std::string file = cpuacct_v1->path + "/cpuacct.usage";
        if (auto text = files.read(file)) {
            host.cgroup_cpu_usage_usec = parse_cgroup1_cpuacct_usage_usec(*text);
            if (!host.cgroup_cpu_usage_usec) files.cannot_parse(file, "nanoseconds");
        }
    } else if (unified) {
        std::string file = unified->path + "/cpu.stat";
        if (auto text = files.read(file)) {
            host.cgroup_cpu_usage_usec = parse_cgroup2_cpu_usage_usec(*text);
            if (!host.cgroup_cpu_usage_usec) files.cannot_parse(file, "a usage_usec line");
        }
    }
}

// Returns the memory headroom under the cgroup limit, when there is one.
std::optional<uint64_t> probe_cgroups(RootedFiles &files, HostResources &host) {
    auto membership_text = files.read("/proc/self/cgroup");
    auto mountinfo_text = files.read("/proc/self/mountinfo", kLargeFile);
    std::optional<CgroupMembership> membership;
    std::optional<CgroupMounts> mounts;
    if (membership_text) {
        membership = parse_proc_self_cgroup(*membership_text);
        if (!membership) files.cannot_parse("/proc/self/cgroup", "lines ID:CONTROLLERS:/PATH");
    }
    if (mountinfo_text) {
        mounts = parse_mountinfo(*mountinfo_text);
        if (!mounts) files.cannot_parse("/proc/self/mountinfo", "mountinfo lines (proc(5))");
    }
    if (!membership || !mounts) {
        host.cgroup_version = "unknown";
        return std::nullopt;
    }
    // A controller bound to a v1 hierarchy is absent from v2, so v1 wins on hybrid hosts.
    bool cpu_v1 = !membership->cpu_v1_path.empty();
    bool memory_v1 = !membership->memory_v1_path.empty();
    bool cpuacct_v1 = !membership->cpuacct_v1_path.empty();
    // Hybrid hosts mount the unified hierarchy too, but it matters only where v1 is silent.
    std::optional<CgroupDirectory> unified;
    if (!cpu_v1 || !memory_v1 || !cpuacct_v1) {
        unified = locate_cgroup(files, "unified", membership->unified_path, mounts->unified);
    }
    auto cpu =
        cpu_v1 ? locate_cgroup(files, "cpu", membership->cpu_v1_path, mounts->cpu_v1) : unified;
    auto memory =
        memory_v1 ? locate_cgroup(files, "memory", membership->memory_v1_path, mounts->memory_v1)
                  : unified;
    auto cpuacct = locate_cgroup(files, "cpuacct", membership->cpuacct_v1_path, mounts->cpuacct_v1);
    host.cgroup_version = cpu_v1 || memory_v1                 ? "v1"
                          : !membership->unified_path.empty() ? "v2"
                                                              : "none";
    if (cpu) probe_cpu_quota(files, *cpu, cpu_v1, host);
    probe_cgroup_cpu_usage(files, cpuacct, unified, host);
    if (memory) return probe_memory_limit(files, *memory, memory_v1, host);
    return std::nullopt;
}

int probe_online_cpus(RootedFiles &files, std::optional<int> proc_stat_count, int affinity_cpus) {
    const std::string path = "/sys/devices/system/cpu/online";
    RawRead online = files.read_quietly(path);
    if (online.text) {
        if (auto count = parse_cpu_list_count(*online.text)) return *count;
    }
    if (proc_stat_count) return *proc_stat_count;
    if (online.text) {
        files.cannot_parse(path, "a CPU list such as 0-3,6");
    } else {
        files.note(read_failure(path, online.error, kSmallFile));
    }
    return affinity_cpus;
}

void probe_host(const std::string &root, HostResources &host) {
    RootedFiles files(root, host.problems);

    std::optional<int> proc_stat_count;
    if (auto text = files.read("/proc/stat", kLargeFile)) {
        host.cpu_times = parse_proc_stat(*text);
        if (!host.cpu_times) files.cannot_parse("/proc/stat", "a \"cpu\" line of 8 tick counts");
        proc_stat_count = parse_proc_stat_cpu_count(*text);
    }
    host.online_cpus = probe_online_cpus(files, proc_stat_count, host.affinity_cpus);

    if (auto text = files.read("/proc/meminfo")) {
        if (auto meminfo = parse_meminfo(*text)) {
            host.memory_total_bytes = meminfo->total_bytes;
            host.memory_available_bytes = meminfo->available_bytes;
        } else {
            files.cannot_parse("/proc/meminfo", "MemTotal and MemAvailable in kB");
        }
    }
    if (auto text = files.read("/proc/loadavg")) {
        host.load = parse_loadavg(*text);
        if (!host.load) files.cannot_parse("/proc/loadavg", "three load averages");
    }

    std::optional<uint64_t> memory_headroom = probe_cgroups(files, host);

    double cpus = host.affinity_cpus > 0 ? host.affinity_cpus : host.online_cpus;
    if (host.cpu_quota) cpus = cpus > 0 ? std::min(cpus, *host.cpu_quota) : *host.cpu_quota;
    host.usable_cpus = cpus > 0 ? std::max(cpus, 1.0) : 0;

    if (host.memory_limit_bytes) {
        host.usable_memory_bytes =
            host.memory_total_bytes ? std::min(*host.memory_total_bytes, *host.memory_limit_bytes)
                                    : *host.memory_limit_bytes;
        // Without the cgroup's usage, the limit is still a ceiling on what is available.
        if (memory_headroom) {
            host.memory_available_bytes =
                host.memory_available_bytes
                    ? std::min(*host.memory_available_bytes, *memory_headroom)
                    : *memory_headroom;
        } else if (host.memory_available_bytes) {
            host.memory_available_bytes =
                std::min(*host.memory_available_bytes, *host.memory_limit_bytes);
        }
    } else {
        host.usable_memory_bytes = host.memory_total_bytes.value_or(0);
    }
}

}  // namespace

std::optional<std::string> read_text_file(const std::string &path, std::string *error,
                                          size_t max_bytes) noexcept {
    try {
        RawRead raw = read_raw(path, max_bytes);
        if (!raw.text && error) *error = read_failure(path, raw.error, max_bytes);
        return std::move(raw.text);
    } catch (...) {
        try {
            if (error) *error = "cannot read " + path + ": out of memory";
        } catch (...) {
        }
        return std::nullopt;
    }
}

int count_affinity_cpus() noexcept {
    // The kernel rejects masks smaller than its own (EINVAL): grow until it fits.
    for (int cpus = CPU_SETSIZE; cpus <= (1 << 22); cpus *= 2) {
        cpu_set_t *set = CPU_ALLOC(cpus);
        if (!set) return 0;
        size_t size = CPU_ALLOC_SIZE(cpus);
        CPU_ZERO_S(size, set);
        if (::sched_getaffinity(0, size, set) == 0) {
            int count = CPU_COUNT_S(size, set);
            CPU_FREE(set);
            return count;
        }
        int error = errno;
        CPU_FREE(set);
        if (error != EINVAL) return 0;
    }
    return 0;
}

HostResources read_host_resources(const std::string &root, int affinity_cpus) noexcept {
    HostResources host;
    host.affinity_cpus = std::max(affinity_cpus, 0);
    try {
        probe_host(root, host);
    } catch (const std::exception &error) {
        // Whatever was read before the failure stays; the rest keep their defaults.
        try {
            host.problems.push_back(std::string("host probe stopped early: ") + error.what());
        } catch (...) {
        }
    } catch (...) {
    }
    return host;
}

}  // namespace poolopt::core
