// Sizes and durations as PostgreSQL reads and prints them.
//
// A setting's value lives in pg_settings as a plain number in the setting's unit
// (shared_buffers 524288 with unit "8kB"), and SHOW prints it in the largest unit that
// divides it exactly ("4GB"). Users write sizes by hand ("16GB", "512 MB"). This file
// converts between the three, with PostgreSQL's own rules, so that every recommendation
// reads the way the server would print it.
//
// Nothing here throws except std::bad_alloc from building a string; bad input comes back
// as a ValueOrError whose message names what is allowed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace poolopt::core {

inline constexpr uint64_t kKilobyte = 1024;
inline constexpr uint64_t kMegabyte = 1024 * kKilobyte;
inline constexpr uint64_t kGigabyte = 1024 * kMegabyte;
inline constexpr uint64_t kTerabyte = 1024 * kGigabyte;

// A result, or the reason there is none. `error` is empty exactly when `value` is set, and
// otherwise says what was wrong and what would have been accepted.
template <typename T>
struct ValueOrError {
    std::optional<T> value;
    std::string error;

    static ValueOrError of(T result) { return {std::move(result), {}}; }
    static ValueOrError failure(std::string message) { return {std::nullopt, std::move(message)}; }
    bool ok() const noexcept { return value.has_value(); }
};

enum class UnitKind { none, memory, time };

// The unit of a setting, as pg_settings.unit names it: "8kB" means the value counts 8 kB
// blocks. Memory units are measured in bytes, time units in microseconds, so one type holds
// the BLCKSZ-dependent units of a server built with other block sizes ("16kB") as well.
struct SettingUnit {
    UnitKind kind = UnitKind::none;
    uint64_t base_per_unit = 1;  // bytes (memory) or microseconds (time) in one unit

    static constexpr SettingUnit none() noexcept { return {}; }
    static constexpr SettingUnit bytes() noexcept { return {UnitKind::memory, 1}; }
    static constexpr SettingUnit kilobytes() noexcept { return {UnitKind::memory, kKilobyte}; }
    static constexpr SettingUnit blocks_8kb() noexcept { return {UnitKind::memory, 8 * kKilobyte}; }
    static constexpr SettingUnit megabytes() noexcept { return {UnitKind::memory, kMegabyte}; }
    static constexpr SettingUnit milliseconds() noexcept { return {UnitKind::time, 1000}; }
    static constexpr SettingUnit seconds() noexcept { return {UnitKind::time, 1000 * 1000}; }
    static constexpr SettingUnit minutes() noexcept {
        return {UnitKind::time, 60ull * 1000 * 1000};
    }

    friend constexpr bool operator==(SettingUnit a, SettingUnit b) noexcept {
        return a.kind == b.kind && a.base_per_unit == b.base_per_unit;
    }
    friend constexpr bool operator!=(SettingUnit a, SettingUnit b) noexcept { return !(a == b); }
};

// pg_settings.unit -> SettingUnit. Accepts "" (no unit), the memory units B, kB, MB, GB, TB,
// a multiple of one of them ("8kB", "16MB"), and the time units us, ms, s, min, h, d.
ValueOrError<SettingUnit> parse_setting_unit(std::string_view pg_settings_unit);
// The inverse, as pg_settings spells it: "8kB", "kB", "MB", "ms", "s", "" for none.
std::string setting_unit_name(SettingUnit unit);

// A value in `unit` -> bytes or microseconds; std::nullopt when negative or when the product
// passes INT64_MAX. A unitless value converts to itself.
std::optional<uint64_t> setting_value_to_base(int64_t value, SettingUnit unit) noexcept;
// Bytes or microseconds -> whole units, rounded down: a memory budget is never exceeded by
// rounding (20001 kB of shared_buffers become 2500 blocks of 8 kB, not 2501).
uint64_t base_to_setting_value(uint64_t base_amount, SettingUnit unit) noexcept;

// A memory size as PostgreSQL reads one: a number, optional blanks, a unit, optional blanks.
//   - Units are B, kB, MB, GB, TB (factors of 1024), case-sensitive as in PostgreSQL:
//     "16gb" is refused, with a hint naming "GB".
//   - "16 GB" is accepted, because PostgreSQL accepts blanks between number and unit.
//   - A decimal fraction is accepted, as PostgreSQL 12+ does: "1.5GB" = 1610612736 bytes,
//     rounded to the nearest byte.
//   - A bare number counts `bare_number_unit`s: "20560" with kilobytes() is 20560 kB, with
//     blocks_8kb() it is 20560 blocks of 8 kB.
//   - Refused: signs, exponents, hexadecimal, unknown units ("16 gigs"), and sizes above
//     INT64_MAX bytes (8388607TB).
// Returns bytes.
ValueOrError<uint64_t> parse_memory_size(std::string_view text,
                                         SettingUnit bare_number_unit = SettingUnit::bytes());

// A numeric setting's value as configuration files and ALTER SYSTEM write it, converted to
// the setting's own unit, as PostgreSQL reads it: a number (decimal fraction and exponent
// allowed), optional blanks, and an optional unit of the setting's kind (memory units for
// memory settings, us, ms, s, min, h, d for time settings; case-sensitive). A bare number
// already counts the setting's unit. "4GB" for an 8kB setting is 524288; "1min" for a ms
// setting is 60000. Integer settings round the result, as PostgreSQL does; this returns it
// unrounded. Refused: a unit on a unitless setting, a unit of the other kind, garbage.
ValueOrError<double> parse_setting_number(std::string_view text, SettingUnit unit);

// A setting's value printed as SHOW prints it: the largest unit that divides it exactly,
// never below the setting's own unit (kB for kB and 8kB settings, MB for MB settings).
// 4194304 kB -> "4GB", 20560 kB -> "20560kB", 2048 8kB-blocks -> "16MB", 60000 ms -> "1min".
// Zero and negative values print bare, as PostgreSQL prints them ("0", "-1").
std::string format_setting_value(int64_t value, SettingUnit unit);
// A byte count in the largest unit that divides it exactly, down to B: "4GB", "512B".
std::string format_bytes(uint64_t bytes);
// A byte count for a sentence, to one decimal when not exact: "3.1GB", "7.7MB", "16MB".
std::string describe_bytes(uint64_t bytes);
// A duration for a sentence: "150ms", "2.3s", "90s", "1min", "2h"; whole minutes and hours
// take their unit from 60 s on, as SHOW does.
std::string describe_seconds(double seconds);

}  // namespace poolopt::core
