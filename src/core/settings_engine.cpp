// What every recommendation shares: names of workloads and storage, the row builders, the
// churn tolerance and the clamp to the server's bounds. The rules themselves live in
// hardware_rules.cpp and workload_rules.cpp.
#include "core/settings_engine.hpp"

#include <cmath>
#include <cstdio>
#include <utility>

namespace poolopt::core {
namespace {

bool equals_ignoring_case(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
    for (size_t i = 0; i < a.size(); ++i) {
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

std::string_view trim_blanks(std::string_view text) noexcept {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

constexpr Workload kWorkloads[] = {Workload::web, Workload::oltp, Workload::dw, Workload::mixed,
                                   Workload::desktop};
constexpr Storage kStorages[] = {Storage::hdd, Storage::ssd, Storage::san, Storage::nvme};

// The display of a numeric value in its unit, as SHOW would print it.
std::string display_of(ValueType type, double value, const std::string &unit_name) {
    ValueOrError<SettingUnit> unit = parse_setting_unit(unit_name);
    if (type == ValueType::integer) {
        return format_setting_value(std::llround(value), unit.value.value_or(SettingUnit::none()));
    }
    return format_real(value) + unit_name;
}

}  // namespace

const char *workload_name(Workload workload) noexcept {
    switch (workload) {
        case Workload::web:
            return "web";
        case Workload::oltp:
            return "oltp";
        case Workload::dw:
            return "dw";
        case Workload::mixed:
            return "mixed";
        case Workload::desktop:
            return "desktop";
    }
    return "web";
}

const char *storage_name(Storage storage) noexcept {
    switch (storage) {
        case Storage::hdd:
            return "hdd";
        case Storage::ssd:
            return "ssd";
        case Storage::san:
            return "san";
        case Storage::nvme:
            return "nvme";
    }
    return "ssd";
}

ValueOrError<Workload> parse_workload(std::string_view text) {
    std::string_view trimmed = trim_blanks(text);
    for (Workload workload : kWorkloads) {
        if (equals_ignoring_case(trimmed, workload_name(workload))) {
            return ValueOrError<Workload>::of(workload);
        }
    }
    return ValueOrError<Workload>::failure("workload \"" + std::string(text) +
                                           "\" is not known: use web, oltp, dw, mixed or desktop");
}

ValueOrError<Storage> parse_storage(std::string_view text) {
    std::string_view trimmed = trim_blanks(text);
    for (Storage storage : kStorages) {
        if (equals_ignoring_case(trimmed, storage_name(storage))) {
            return ValueOrError<Storage>::of(storage);
        }
    }
    return ValueOrError<Storage>::failure("storage \"" + std::string(text) +
                                          "\" is not known: use hdd, ssd, san or nvme");
}

int usable_whole_cpus(double usable_cpus) noexcept {
    if (!(usable_cpus > 0) || !std::isfinite(usable_cpus)) return 0;
    // A quota computed as 399999/100000 still means 4 CPUs: allow for float noise only.
    double whole = std::floor(usable_cpus + 1e-6);
    if (whole < 1) return 1;
    if (whole > 1 << 20) return 1 << 20;
    return static_cast<int>(whole);
}

ValueOrError<MachineProfile> with_host_resources(MachineProfile profile,
                                                 const HostResources &host) {
    if (host.usable_memory_bytes == 0) {
        return ValueOrError<MachineProfile>::failure(
            "the host probes found no usable memory (neither /proc/meminfo nor a cgroup "
            "limit could be read): give the memory explicitly");
    }
    int cpus = usable_whole_cpus(host.usable_cpus);
    if (cpus == 0) {
        return ValueOrError<MachineProfile>::failure(
            "the host probes found no usable CPU (affinity, online CPUs and cgroup quota all "
            "unknown): give the CPU count explicitly");
    }
    profile.memory_bytes = host.usable_memory_bytes;
    profile.cpus = cpus;
    return ValueOrError<MachineProfile>::of(std::move(profile));
}

std::string format_real(double value) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%g", value);
    return buffer;
}

SettingRecommendation integer_setting(std::string name, int64_t value, SettingUnit unit,
                                      std::string reason) {
    SettingRecommendation row;
    row.name = std::move(name);
    row.type = ValueType::integer;
    row.value = static_cast<double>(value);
    row.unit = setting_unit_name(unit);
    row.display = format_setting_value(value, unit);
    row.reason = std::move(reason);
    return row;
}

SettingRecommendation memory_setting(std::string name, uint64_t bytes, SettingUnit unit,
                                     std::string reason) {
    return integer_setting(std::move(name),
                           static_cast<int64_t>(base_to_setting_value(bytes, unit)), unit,
                           std::move(reason));
}

SettingRecommendation real_setting(std::string name, double value, std::string reason) {
    SettingRecommendation row;
    row.name = std::move(name);
    row.type = ValueType::real;
    row.value = value;
    row.display = format_real(value);
    row.reason = std::move(reason);
    return row;
}

SettingRecommendation enum_setting(std::string name, std::string value, std::string reason) {
    SettingRecommendation row;
    row.name = std::move(name);
    row.type = ValueType::enumeration;
    row.display = std::move(value);
    row.reason = std::move(reason);
    return row;
}

const SettingRecommendation *find_setting(const std::vector<SettingRecommendation> &settings,
                                          std::string_view name) noexcept {
    for (const SettingRecommendation &setting : settings) {
        if (setting.name == name) return &setting;
    }
    return nullptr;
}

bool is_within_tolerance(double current, double recommended, double tolerance) noexcept {
    if (!std::isfinite(current) || !std::isfinite(recommended) || !std::isfinite(tolerance) ||
        tolerance < 0) {
        return false;
    }
    return std::fabs(current - recommended) <= tolerance * std::fabs(recommended);
}

ValueOrError<SettingRecommendation> clamp_to_bounds(SettingRecommendation recommendation,
                                                    double min_value, double max_value) {
    using Result = ValueOrError<SettingRecommendation>;
    if (!std::isfinite(min_value) || !std::isfinite(max_value) || min_value > max_value) {
        return Result::failure("bounds of " + recommendation.name + " are invalid: min_val " +
                               format_real(min_value) + ", max_val " + format_real(max_value) +
                               "; they must be finite with min_val <= max_val");
    }
    if (recommendation.type == ValueType::enumeration || !recommendation.value) {
        return Result::of(std::move(recommendation));
    }
    double wanted = *recommendation.value;
    double clamped = wanted < min_value ? min_value : (wanted > max_value ? max_value : wanted);
    if (recommendation.type == ValueType::integer) {
        // Whole units, still inside the bounds: ceil from below, floor from above.
        clamped = clamped == min_value ? std::ceil(clamped) : std::floor(clamped);
        if (clamped > max_value) clamped = std::floor(max_value);
    }
    if (clamped == wanted) return Result::of(std::move(recommendation));

    std::string wanted_display = recommendation.display;
    recommendation.value = clamped;
    recommendation.display = display_of(recommendation.type, clamped, recommendation.unit);
    recommendation.reason += "; " + wanted_display + " is " +
                             (wanted < min_value ? "below min_val on this server, so "
                                                 : "above max_val on this server, so ") +
                             recommendation.display;
    return Result::of(std::move(recommendation));
}

ValueOrError<std::vector<SettingRecommendation>> clamp_all_to_bounds(
    std::vector<SettingRecommendation> recommendations, const std::vector<SettingBounds> &bounds) {
    using Result = ValueOrError<std::vector<SettingRecommendation>>;
    for (SettingRecommendation &recommendation : recommendations) {
        for (const SettingBounds &bound : bounds) {
            if (bound.name != recommendation.name) continue;
            ValueOrError<SettingRecommendation> clamped =
                clamp_to_bounds(std::move(recommendation), bound.min_value, bound.max_value);
            if (!clamped.ok()) return Result::failure(std::move(clamped.error));
            recommendation = std::move(*clamped.value);
            break;
        }
    }
    return Result::of(std::move(recommendations));
}

}  // namespace poolopt::core
