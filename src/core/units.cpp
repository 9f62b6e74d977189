#include "core/units.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace poolopt::core {
namespace {

struct NamedUnit {
    const char *name;
    UnitKind kind;
    uint64_t size;  // bytes or microseconds
};

// Largest first, as PostgreSQL's conversion tables: printing takes the first that divides.
constexpr NamedUnit kNamedUnits[] = {
    {"TB", UnitKind::memory, kTerabyte},
    {"GB", UnitKind::memory, kGigabyte},
    {"MB", UnitKind::memory, kMegabyte},
    {"kB", UnitKind::memory, kKilobyte},
    {"B", UnitKind::memory, 1},
    {"d", UnitKind::time, 24ull * 60 * 60 * 1000 * 1000},
    {"h", UnitKind::time, 60ull * 60 * 1000 * 1000},
    {"min", UnitKind::time, 60ull * 1000 * 1000},
    {"s", UnitKind::time, 1000 * 1000},
    {"ms", UnitKind::time, 1000},
    {"us", UnitKind::time, 1},
};

constexpr uint64_t kMaxBytes = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
constexpr const char *kMemoryUnitsHint = "valid units are B, kB, MB, GB and TB";

const NamedUnit *find_named_unit(std::string_view name) noexcept {
    for (const NamedUnit &unit : kNamedUnits) {
        if (name == unit.name) return &unit;
    }
    return nullptr;
}

const NamedUnit *find_memory_unit_ignoring_case(std::string_view name) noexcept {
    for (const NamedUnit &unit : kNamedUnits) {
        if (unit.kind != UnitKind::memory) continue;
        std::string_view candidate = unit.name;
        if (candidate.size() != name.size()) continue;
        bool same = true;
        for (size_t i = 0; i < name.size() && same; ++i) {
            auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
            same = lower(candidate[i]) == lower(name[i]);
        }
        if (same) return &unit;
    }
    return nullptr;
}

// The largest named unit of `kind` not larger than `base_per_unit`: SHOW never prints a
// setting in a unit below its own (a kB setting never shows "B").
const NamedUnit *smallest_printable_unit(SettingUnit unit) noexcept {
    const NamedUnit *found = nullptr;
    for (const NamedUnit &named : kNamedUnits) {
        if (named.kind == unit.kind && named.size <= unit.base_per_unit) {
            return &named;
        }
        if (named.kind == unit.kind) found = &named;
    }
    return found;
}

bool is_blank(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::string_view trim(std::string_view text) noexcept {
    while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
    return text;
}

bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}

std::string quoted(std::string_view text) {
    std::string result;
    result.reserve(text.size() + 2);
    result += '"';
    result.append(text.data(), text.size());
    result += '"';
    return result;
}

std::string print_unsigned(uint64_t value, const char *suffix) {
    char buffer[48];
    std::snprintf(buffer, sizeof buffer, "%llu%s", static_cast<unsigned long long>(value), suffix);
    return buffer;
}

}  // namespace

ValueOrError<SettingUnit> parse_setting_unit(std::string_view pg_settings_unit) {
    if (pg_settings_unit.empty()) return ValueOrError<SettingUnit>::of(SettingUnit::none());
    // pg_settings writes block-sized units with their multiple: "8kB" for BLCKSZ 8192.
    size_t digits = 0;
    uint64_t multiple = 0;
    while (digits < pg_settings_unit.size() && is_digit(pg_settings_unit[digits]) &&
           multiple < (1u << 20)) {
        multiple = multiple * 10 + uint64_t(pg_settings_unit[digits] - '0');
        ++digits;
    }
    const NamedUnit *named = find_named_unit(pg_settings_unit.substr(digits));
    bool usable =
        named != nullptr &&
        (digits == 0 || (multiple > 0 && multiple < (1u << 20) && named->kind == UnitKind::memory));
    if (!usable) {
        return ValueOrError<SettingUnit>::failure(
            "unit " + quoted(pg_settings_unit) +
            " is not one pg_settings uses: expected \"\" (none), B, kB, MB, GB, TB, a multiple "
            "of one of them such as 8kB, or us, ms, s, min, h, d");
    }
    uint64_t factor = digits == 0 ? 1 : multiple;
    return ValueOrError<SettingUnit>::of(SettingUnit{named->kind, named->size * factor});
}

std::string setting_unit_name(SettingUnit unit) {
    if (unit.kind == UnitKind::none) return "";
    for (const NamedUnit &named : kNamedUnits) {
        if (named.kind != unit.kind || unit.base_per_unit % named.size != 0) continue;
        uint64_t multiple = unit.base_per_unit / named.size;
        return multiple == 1 ? std::string(named.name) : print_unsigned(multiple, named.name);
    }
    return "";  // unreachable: B and us divide everything
}

std::optional<uint64_t> setting_value_to_base(int64_t value, SettingUnit unit) noexcept {
    if (value < 0) return std::nullopt;
    uint64_t amount = static_cast<uint64_t>(value);
    if (unit.base_per_unit != 0 && amount > kMaxBytes / unit.base_per_unit) return std::nullopt;
    return amount * unit.base_per_unit;
}

uint64_t base_to_setting_value(uint64_t base_amount, SettingUnit unit) noexcept {
    return unit.base_per_unit == 0 ? base_amount : base_amount / unit.base_per_unit;
}

ValueOrError<uint64_t> parse_memory_size(std::string_view text, SettingUnit bare_number_unit) {
    using Result = ValueOrError<uint64_t>;
    std::string_view rest = trim(text);
    if (rest.empty()) {
        return Result::failure("memory size is empty: write a number and a unit such as 16GB; " +
                               std::string(kMemoryUnitsHint));
    }
    if (rest.front() == '-') {
        return Result::failure(quoted(text) + " is not a memory size: it must not be negative");
    }

    // Whole part with overflow detection, then up to 18 fraction digits: beyond that the
    // fraction is below a byte even in TB.
    uint64_t whole = 0;
    bool whole_overflowed = false;
    size_t position = 0;
    while (position < rest.size() && is_digit(rest[position])) {
        uint64_t digit = uint64_t(rest[position] - '0');
        if (whole > (kMaxBytes - digit) / 10) whole_overflowed = true;
        if (!whole_overflowed) whole = whole * 10 + digit;
        ++position;
    }
    size_t digit_count = position;
    long double fraction = 0;
    if (position < rest.size() && rest[position] == '.') {
        ++position;
        long double scale = 0.1L;
        int fraction_digits = 0;
        while (position < rest.size() && is_digit(rest[position])) {
            if (fraction_digits++ < 18) fraction += scale * (rest[position] - '0');
            scale /= 10;
            ++position;
            ++digit_count;
        }
    }
    if (digit_count == 0) {
        return Result::failure(quoted(text) +
                               " is not a memory size: it must start with a number, as in "
                               "16GB; " +
                               kMemoryUnitsHint);
    }

    std::string_view unit_text = trim(rest.substr(position));
    uint64_t unit_size = 0;
    if (unit_text.empty()) {
        if (bare_number_unit.kind != UnitKind::memory) {
            return Result::failure(quoted(text) + " has no unit: add one; " + kMemoryUnitsHint);
        }
        unit_size = bare_number_unit.base_per_unit;
    } else {
        const NamedUnit *named = find_named_unit(unit_text);
        if (named == nullptr || named->kind != UnitKind::memory) {
            const NamedUnit *near = find_memory_unit_ignoring_case(unit_text);
            std::string message = quoted(text) + " is not a memory size: unit " +
                                  quoted(unit_text) + " is not valid; ";
            if (near != nullptr) {
                message +=
                    std::string("units are case-sensitive, as in PostgreSQL: did you mean ") +
                    quoted(near->name) + "?";
            } else {
                message += std::string(kMemoryUnitsHint) + " (case-sensitive, as in PostgreSQL)";
            }
            return Result::failure(std::move(message));
        }
        unit_size = named->size;
    }

    long double fraction_bytes = std::round(fraction * static_cast<long double>(unit_size));
    bool too_large = whole_overflowed || (unit_size != 0 && whole > kMaxBytes / unit_size);
    uint64_t bytes = too_large ? 0 : whole * unit_size;
    if (!too_large && fraction_bytes > static_cast<long double>(kMaxBytes - bytes)) {
        too_large = true;
    }
    if (too_large) {
        return Result::failure(quoted(text) + " is too large: at most " +
                               format_bytes(kMaxBytes / kTerabyte * kTerabyte) +
                               " (9223372036854775807 bytes)");
    }
    return Result::of(bytes + static_cast<uint64_t>(fraction_bytes));
}

ValueOrError<double> parse_setting_number(std::string_view text, SettingUnit unit) {
    using Result = ValueOrError<double>;
    std::string number(trim(text));
    const char *begin = number.c_str();
    char *end = nullptr;
    double value = std::strtod(begin, &end);
    // strtod also reads "inf", "nan" and hexadecimal floats; PostgreSQL's settings do not.
    std::string_view digits(begin, static_cast<size_t>(end - begin));
    bool numeric = !digits.empty() && std::isfinite(value) &&
                   digits.find_first_of("xXnNiI") == std::string_view::npos;
    if (!numeric) {
        return Result::failure(quoted(text) + " is not a number with an optional unit");
    }
    std::string_view unit_text = trim(std::string_view(end));
    if (unit_text.empty()) return Result::of(value);
    const NamedUnit *named = find_named_unit(unit_text);
    if (unit.kind == UnitKind::none || named == nullptr || named->kind != unit.kind) {
        return Result::failure(quoted(text) + ": unit " + quoted(unit_text) +
                               " does not fit a setting whose unit is " +
                               quoted(setting_unit_name(unit)));
    }
    return Result::of(value * static_cast<double>(named->size) /
                      static_cast<double>(unit.base_per_unit));
}

std::string format_setting_value(int64_t value, SettingUnit unit) {
    char buffer[48];
    if (value <= 0 || unit.kind == UnitKind::none) {
        std::snprintf(buffer, sizeof buffer, "%lld", static_cast<long long>(value));
        return buffer;
    }
    const NamedUnit *floor_unit = smallest_printable_unit(unit);
    std::optional<uint64_t> base = setting_value_to_base(value, unit);
    if (!base || floor_unit == nullptr) {
        // Too large to express in bytes or microseconds: print it in its own unit.
        return print_unsigned(static_cast<uint64_t>(value), setting_unit_name(unit).c_str());
    }
    for (const NamedUnit &named : kNamedUnits) {
        if (named.kind != unit.kind || named.size < floor_unit->size) continue;
        if (*base % named.size == 0 || &named == floor_unit) {
            // The floor unit divides every value of a unit made of its multiples; for an odd
            // unit (a 1.5kB block) PostgreSQL rounds, and so does this.
            uint64_t count = (*base + (*base % named.size == 0 ? 0 : named.size / 2)) / named.size;
            return print_unsigned(count, named.name);
        }
    }
    return print_unsigned(static_cast<uint64_t>(value), setting_unit_name(unit).c_str());
}

std::string format_bytes(uint64_t bytes) {
    for (const NamedUnit &named : kNamedUnits) {
        if (named.kind != UnitKind::memory) continue;
        if (bytes != 0 && bytes % named.size == 0)
            return print_unsigned(bytes / named.size, named.name);
    }
    return print_unsigned(bytes, "B");
}

std::string describe_bytes(uint64_t bytes) {
    for (const NamedUnit &named : kNamedUnits) {
        if (named.kind != UnitKind::memory || named.size == 1 || bytes < named.size) continue;
        if (bytes % named.size == 0) return print_unsigned(bytes / named.size, named.name);
        double amount = static_cast<double>(bytes) / static_cast<double>(named.size);
        const char *name = named.name;
        // 1023.97MB would print as "1024.0MB": say "1.0GB" instead.
        if (amount >= 1023.95 && &named != &kNamedUnits[0]) {
            amount /= 1024;
            name = (&named - 1)->name;
        }
        char buffer[48];
        std::snprintf(buffer, sizeof buffer, "%.1f%s", amount, name);
        return buffer;
    }
    return print_unsigned(bytes, "B");
}

std::string describe_seconds(double seconds) {
    char buffer[64];
    if (!std::isfinite(seconds)) return "unknown";
    if (seconds < 1) {
        std::snprintf(buffer, sizeof buffer, "%.0fms", seconds * 1000);
    } else if (seconds < 10) {
        std::snprintf(buffer, sizeof buffer, "%.1fs", seconds);
    } else {
        double whole = std::round(seconds);
        if (whole >= 3600 && std::fmod(whole, 3600) == 0) {
            std::snprintf(buffer, sizeof buffer, "%.0fh", whole / 3600);
        } else if (whole >= 60 && std::fmod(whole, 60) == 0) {
            std::snprintf(buffer, sizeof buffer, "%.0fmin", whole / 60);
        } else {
            std::snprintf(buffer, sizeof buffer, "%.0fs", whole);
        }
    }
    return buffer;
}

}  // namespace poolopt::core
