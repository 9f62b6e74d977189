// Sizes and setting values as users and pg_settings write them: the memory size argument of
// recommend_settings(), pg_settings.unit, and setting values from the configuration files.
// The input is a unit and a value, split at a NUL byte.
#include <cmath>
#include <cstdint>

#include "core/units.hpp"
#include "fuzz_check.hpp"

using namespace poolopt::core;

namespace {

template <typename T>
void check_shape(const ValueOrError<T> &result) {
    FUZZ_CHECK(result.ok() == result.error.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    auto [unit_text, value_text] = fuzz::split_at_nul(fuzz::as_text(data, size));
    auto unit = parse_setting_unit(unit_text);
    check_shape(unit);
    SettingUnit setting_unit = unit.ok() ? *unit.value : SettingUnit::none();
    if (setting_unit.kind == UnitKind::memory) {
        auto bytes = parse_memory_size(value_text, setting_unit);
        check_shape(bytes);
        if (bytes.ok()) FUZZ_CHECK(*bytes.value <= uint64_t(INT64_MAX));
    }
    auto bytes = parse_memory_size(value_text);
    check_shape(bytes);
    if (bytes.ok()) FUZZ_CHECK(*bytes.value <= uint64_t(INT64_MAX));
    auto number = parse_setting_number(value_text, setting_unit);
    check_shape(number);
    if (number.ok()) FUZZ_CHECK(!std::isnan(*number.value));
    return 0;
}
