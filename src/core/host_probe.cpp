// Parsers of the host probes: text in, struct out, no I/O (host_reader.cpp and
// host_storage.cpp do the reading).
#include "core/host_probe.hpp"

#include <algorithm>
#include <limits>

#include "core/text_parse.hpp"

namespace poolopt::core {

using text_parse::next_field;
using text_parse::next_line;
using text_parse::next_piece;
using text_parse::parse_u64;
using text_parse::trim;

namespace {

// The first line whose first field is `key`; the rest of the line follows it in `rest`.
bool find_keyed_line(std::string_view text, std::string_view key, std::string_view &rest) {
    std::string_view line;
    while (next_line(text, line)) {
        std::string_view field;
        std::string_view after = line;
        if (next_field(after, field) && field == key) {
            rest = after;
            return true;
        }
    }
    return false;
}

std::optional<uint64_t> parse_single_number(std::string_view text) {
    return parse_u64(trim(text));
}

// mountinfo escapes blanks, backslashes and newlines in paths as \ooo.
std::string decode_mountinfo_escapes(std::string_view field) {
    std::string out;
    out.reserve(field.size());
    for (size_t i = 0; i < field.size(); ++i) {
        auto is_octal = [](char c) { return c >= '0' && c <= '7'; };
        if (field[i] == '\\' && i + 3 < field.size() && is_octal(field[i + 1]) &&
            is_octal(field[i + 2]) && is_octal(field[i + 3])) {
            out.push_back(static_cast<char>((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 +
                                            (field[i + 3] - '0')));
            i += 3;
        } else {
            out.push_back(field[i]);
        }
    }
    return out;
}

bool comma_list_contains(std::string_view list, std::string_view item) {
    while (!list.empty()) {
        if (next_piece(list, ',') == item) return true;
    }
    return false;
}

}  // namespace

std::optional<CpuTimes> parse_proc_stat(std::string_view text) noexcept {
    std::string_view rest;
    if (!find_keyed_line(text, "cpu", rest)) return std::nullopt;
    uint64_t values[8] = {};
    std::string_view field;
    size_t count = 0;
    while (next_field(rest, field)) {
        auto value = parse_u64(field);
        if (!value) return std::nullopt;
        if (count < 8) values[count] = *value;
        ++count;
    }
    // user..steal have all been there since Linux 2.6.11; guest columns may follow.
    if (count < 8) return std::nullopt;
    return CpuTimes{values[0], values[1], values[2], values[3],
                    values[4], values[5], values[6], values[7]};
}

std::optional<int> parse_proc_stat_cpu_count(std::string_view text) noexcept {
    int count = 0;
    std::string_view line;
    while (next_line(text, line)) {
        std::string_view field;
        if (!next_field(line, field) || !text_parse::starts_with(field, "cpu")) continue;
        if (field.size() > 3 && parse_u64(field.substr(3))) ++count;
    }
    if (count == 0) return std::nullopt;
    return count;
}

std::optional<CpuUsage> cpu_usage_between(const CpuTimes &before, const CpuTimes &after) noexcept {
    const uint64_t CpuTimes::*fields[] = {&CpuTimes::user,    &CpuTimes::nice,   &CpuTimes::system,
                                          &CpuTimes::idle,    &CpuTimes::iowait, &CpuTimes::irq,
                                          &CpuTimes::softirq, &CpuTimes::steal};
    uint64_t total = 0;
    for (auto field : fields) {
        if (after.*field < before.*field) return std::nullopt;
        // Garbage counters near 2^64 could wrap the sum and give a share above 1.
        if (__builtin_add_overflow(total, after.*field - before.*field, &total)) {
            return std::nullopt;
        }
    }
    if (total == 0) return std::nullopt;
    uint64_t idle = after.idle - before.idle;
    uint64_t iowait = after.iowait - before.iowait;
    CpuUsage usage;
    usage.utilisation = static_cast<double>(total - idle - iowait) / static_cast<double>(total);
    usage.iowait = static_cast<double>(iowait) / static_cast<double>(total);
    return usage;
}

std::optional<MemInfo> parse_meminfo(std::string_view text) noexcept {
    auto kilobytes_of = [&](std::string_view key) -> std::optional<uint64_t> {
        std::string_view rest;
        if (!find_keyed_line(text, key, rest)) return std::nullopt;
        std::string_view number, unit, extra;
        if (!next_field(rest, number) || !next_field(rest, unit) || unit != "kB" ||
            next_field(rest, extra)) {
            return std::nullopt;
        }
        auto kb = parse_u64(number);
        if (!kb || *kb > std::numeric_limits<uint64_t>::max() / 1024) return std::nullopt;
        return *kb * 1024;
    };
    auto total = kilobytes_of("MemTotal:");
    auto available = kilobytes_of("MemAvailable:");  // since Linux 3.14
    if (!total || !available) return std::nullopt;
    return MemInfo{*total, *available};
}

std::optional<LoadAverage> parse_loadavg(std::string_view text) noexcept {
    double values[3] = {};
    std::string_view field;
    for (double &value : values) {
        if (!next_field(text, field)) return std::nullopt;
        auto parsed = text_parse::parse_non_negative_double(field);
        if (!parsed) return std::nullopt;
        value = *parsed;
    }
    return LoadAverage{values[0], values[1], values[2]};
}

std::optional<int> parse_cpu_list_count(std::string_view text) noexcept {
    // Linux caps CPU numbers far below this (NR_CPUS <= 8192); larger means garbage.
    constexpr uint64_t kMaxCpu = 1 << 20;
    text = trim(text);
    if (text.empty() || text.back() == ',') return std::nullopt;
    uint64_t count = 0;
    while (!text.empty()) {
        std::string_view range = next_piece(text, ',');
        size_t dash = range.find('-');
        auto first = parse_u64(range.substr(0, dash));
        auto last = dash == std::string_view::npos ? first : parse_u64(range.substr(dash + 1));
        if (!first || !last || *last < *first || *last > kMaxCpu) return std::nullopt;
        count += *last - *first + 1;
    }
    if (count > kMaxCpu) return std::nullopt;
    return static_cast<int>(count);
}

std::optional<CgroupMembership> parse_proc_self_cgroup(std::string_view text) noexcept {
    try {
        CgroupMembership membership;
        bool any_line = false;
        std::string_view line;
        while (next_line(text, line)) {
            if (trim(line).empty()) continue;
            // "ID:CONTROLLERS:PATH"; the path itself may hold colons.
            std::string_view rest = line;
            size_t first_colon = rest.find(':');
            if (first_colon == std::string_view::npos) return std::nullopt;
            std::string_view id = rest.substr(0, first_colon);
            rest.remove_prefix(first_colon + 1);
            size_t second_colon = rest.find(':');
            if (second_colon == std::string_view::npos) return std::nullopt;
            std::string_view controllers = rest.substr(0, second_colon);
            std::string_view path = rest.substr(second_colon + 1);
            if (!parse_u64(id) || path.empty() || path.front() != '/') return std::nullopt;
            any_line = true;
            if (*parse_u64(id) == 0 && controllers.empty()) {
                membership.unified_path = std::string(path);
                continue;
            }
            if (comma_list_contains(controllers, "cpu")) membership.cpu_v1_path = path;
            if (comma_list_contains(controllers, "cpuacct")) membership.cpuacct_v1_path = path;
            if (comma_list_contains(controllers, "memory")) membership.memory_v1_path = path;
        }
        if (!any_line) return std::nullopt;
        return membership;
    } catch (...) {
        return std::nullopt;
    }
}

std::optional<CgroupMounts> parse_mountinfo(std::string_view text) noexcept {
    try {
        CgroupMounts mounts;
        bool any_line = false;
        std::string_view line;
        while (next_line(text, line)) {
            if (trim(line).empty()) continue;
            // "ID PARENT MAJ:MIN ROOT MOUNT_POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER"
            std::string_view fields[5];
            for (std::string_view &field : fields) {
                if (!next_field(line, field)) return std::nullopt;
            }
            std::string_view field;
            bool separator = false;
            while (next_field(line, field)) {
                if (field == "-") {
                    separator = true;
                    break;
                }
            }
            std::string_view fstype, source, super_options;
            if (!separator || !next_field(line, fstype) || !next_field(line, source) ||
                !next_field(line, super_options)) {
                return std::nullopt;
            }
            any_line = true;
            auto mount = [&] {
                return CgroupMount{decode_mountinfo_escapes(fields[3]),
                                   decode_mountinfo_escapes(fields[4])};
            };
            if (fstype == "cgroup2") {
                if (!mounts.unified) mounts.unified = mount();
            } else if (fstype == "cgroup") {
                if (!mounts.cpu_v1 && comma_list_contains(super_options, "cpu")) {
                    mounts.cpu_v1 = mount();
                }
                if (!mounts.cpuacct_v1 && comma_list_contains(super_options, "cpuacct")) {
                    mounts.cpuacct_v1 = mount();
                }
                if (!mounts.memory_v1 && comma_list_contains(super_options, "memory")) {
                    mounts.memory_v1 = mount();
                }
            }
        }
        if (!any_line) return std::nullopt;
        return mounts;
    } catch (...) {
        return std::nullopt;
    }
}

std::optional<std::string> cgroup_path_within_mount(std::string_view mount_root,
                                                    std::string_view cgroup_path) noexcept {
    try {
        if (mount_root.empty() || mount_root.front() != '/' || cgroup_path.empty() ||
            cgroup_path.front() != '/') {
            return std::nullopt;
        }
        // A cgroup namespace shows cgroups outside it as "/../..": not reachable here.
        std::string_view components = cgroup_path;
        while (!components.empty()) {
            if (next_piece(components, '/') == "..") return std::nullopt;
        }
        while (mount_root.size() > 1 && mount_root.back() == '/') mount_root.remove_suffix(1);
        while (cgroup_path.size() > 1 && cgroup_path.back() == '/') cgroup_path.remove_suffix(1);
        if (mount_root == "/") return std::string(cgroup_path);
        if (cgroup_path == mount_root) return std::string("/");
        if (text_parse::starts_with(cgroup_path, mount_root) &&
            cgroup_path[mount_root.size()] == '/') {
            return std::string(cgroup_path.substr(mount_root.size()));
        }
        return std::nullopt;
    } catch (...) {
        return std::nullopt;
    }
}

Limit<double> parse_cgroup2_cpu_max(std::string_view text) noexcept {
    std::string_view quota_text, period_text, extra;
    if (!next_field(text, quota_text) || !next_field(text, period_text) ||
        next_field(text, extra)) {
        return Limit<double>::unparseable();
    }
    auto period = parse_u64(period_text);
    if (!period || *period == 0) return Limit<double>::unparseable();
    if (quota_text == "max") return Limit<double>::unlimited();
    auto quota = parse_u64(quota_text);
    if (!quota || *quota == 0) return Limit<double>::unparseable();
    return Limit<double>::of(static_cast<double>(*quota) / static_cast<double>(*period));
}

Limit<double> parse_cgroup1_cpu_quota(std::string_view quota_text,
                                      std::string_view period_text) noexcept {
    auto quota = text_parse::parse_i64(trim(quota_text));
    auto period = parse_single_number(period_text);
    if (!quota || !period || *period == 0) return Limit<double>::unparseable();
    if (*quota == -1) return Limit<double>::unlimited();
    if (*quota <= 0) return Limit<double>::unparseable();
    return Limit<double>::of(static_cast<double>(*quota) / static_cast<double>(*period));
}

Limit<uint64_t> parse_cgroup_memory_limit(std::string_view text) noexcept {
    text = trim(text);
    if (text == "max") return Limit<uint64_t>::unlimited();
    auto bytes = parse_u64(text);
    if (!bytes) return Limit<uint64_t>::unparseable();
    if (*bytes >= (uint64_t{1} << 62)) return Limit<uint64_t>::unlimited();
    return Limit<uint64_t>::of(*bytes);
}

std::optional<uint64_t> parse_cgroup_memory_usage(std::string_view text) noexcept {
    return parse_single_number(text);
}

std::optional<uint64_t> parse_cgroup2_cpu_usage_usec(std::string_view cpu_stat_text) noexcept {
    std::string_view rest, field, extra;
    if (!find_keyed_line(cpu_stat_text, "usage_usec", rest) || !next_field(rest, field) ||
        next_field(rest, extra)) {
        return std::nullopt;
    }
    return parse_u64(field);
}

std::optional<uint64_t> parse_cgroup1_cpuacct_usage_usec(std::string_view text) noexcept {
    auto nanoseconds = parse_single_number(text);
    if (!nanoseconds) return std::nullopt;
    return *nanoseconds / 1000;
}

std::optional<double> cgroup_cpu_utilisation(uint64_t usage_usec_before, uint64_t usage_usec_after,
                                             uint64_t elapsed_usec, double cpus) noexcept {
    if (elapsed_usec == 0 || !(cpus > 0) || usage_usec_after < usage_usec_before) {
        return std::nullopt;
    }
    double share = static_cast<double>(usage_usec_after - usage_usec_before) /
                   (static_cast<double>(elapsed_usec) * cpus);
    return std::min(share, 1.0);
}

}  // namespace poolopt::core
