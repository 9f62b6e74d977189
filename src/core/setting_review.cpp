// Holding one recommendation against the running server's pg_settings row; see
// setting_review.hpp for the status and priority rules.
#include "core/setting_review.hpp"

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

bool is_numeric_vartype(std::string_view vartype) noexcept {
    return vartype == "integer" || vartype == "real";
}

std::string integer_text(double value) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%lld", static_cast<long long>(std::llround(value)));
    return buffer;
}

// A number in the setting's unit, as SHOW prints it.
std::string display_number(double value, bool integer, SettingUnit unit) {
    if (integer) return format_setting_value(std::llround(value), unit);
    return format_real(value) + setting_unit_name(unit);
}

// Brings a numeric recommendation into the server's unit (a server built with 16kB blocks
// counts shared_buffers in 16kB), rounding integers down so that budgets still hold.
ValueOrError<SettingRecommendation> in_server_unit(SettingRecommendation rec,
                                                   SettingUnit server_unit) {
    using Result = ValueOrError<SettingRecommendation>;
    ValueOrError<SettingUnit> own = parse_setting_unit(rec.unit);
    if (!own.ok()) return Result::failure(rec.name + ": " + own.error);
    if (*own.value == server_unit) return Result::of(std::move(rec));
    if (own.value->kind != server_unit.kind) {
        return Result::failure(rec.name + " is recommended in \"" + rec.unit +
                               "\" but the server counts it in \"" +
                               setting_unit_name(server_unit) + "\"");
    }
    double converted = *rec.value * static_cast<double>(own.value->base_per_unit) /
                       static_cast<double>(server_unit.base_per_unit);
    if (rec.type == ValueType::integer) converted = std::floor(converted + 1e-9);
    rec.value = converted;
    rec.unit = setting_unit_name(server_unit);
    rec.display = display_number(converted, rec.type == ValueType::integer, server_unit);
    return Result::of(std::move(rec));
}

std::string takes_effect_after(const std::string &context) {
    if (context == "restart") return "a restart";
    if (context == "new sessions") return "a reload, in new sessions";
    return "a reload";
}

}  // namespace

const char *priority_name(Priority priority) noexcept {
    switch (priority) {
        case Priority::high:
            return "high";
        case Priority::medium:
            return "medium";
        case Priority::low:
            return "low";
    }
    return "low";
}

const char *status_name(Status status) noexcept {
    return status == Status::change ? "change" : "fine";
}

std::string change_context(std::string_view context) {
    if (context == "postmaster") return "restart";
    if (context == "sighup" || context == "superuser" || context == "user") return "reload";
    if (context == "backend" || context == "superuser-backend") return "new sessions";
    if (context == "internal") return "none";
    return std::string(context);
}

std::string alter_system_statement(std::string_view name, std::string_view value) {
    std::string statement = "ALTER SYSTEM SET ";
    statement.append(name.data(), name.size());
    statement += " = '";
    for (char c : value) {
        if (c == '\'') statement += '\'';
        statement += c;
    }
    statement += "';";
    return statement;
}

Priority priority_of(Evidence evidence, ValueType type, std::optional<double> current,
                     double recommended) noexcept {
    if (evidence == Evidence::telemetry) return Priority::high;
    if (type == ValueType::enumeration) return Priority::low;
    if (!current || !std::isfinite(*current)) return Priority::medium;
    double a = std::fabs(*current), b = std::fabs(recommended);
    if (a == 0 || b == 0) return a == b ? Priority::low : Priority::medium;
    double ratio = a > b ? a / b : b / a;
    return ratio >= 2 ? Priority::medium : Priority::low;
}

std::string setting_text(const SettingRecommendation &recommendation) {
    if (recommendation.type == ValueType::enumeration || !recommendation.value) {
        return recommendation.display;
    }
    if (recommendation.type == ValueType::integer) return integer_text(*recommendation.value);
    return format_real(*recommendation.value);
}

ValueOrError<double> numeric_value(const ServerSetting &setting) {
    using Result = ValueOrError<double>;
    if (!is_numeric_vartype(setting.vartype)) {
        return Result::failure(setting.name + " is a " + setting.vartype +
                               " setting, not a number");
    }
    ValueOrError<SettingUnit> unit = parse_setting_unit(setting.unit);
    if (!unit.ok()) return Result::failure(setting.name + ": " + unit.error);
    ValueOrError<double> value = parse_setting_number(setting.value, *unit.value);
    if (!value.ok()) return Result::failure(setting.name + ": " + value.error);
    return value;
}

ValueOrError<double> base_value(const ServerSetting &setting) {
    ValueOrError<double> value = numeric_value(setting);
    if (!value.ok()) return value;
    ValueOrError<SettingUnit> unit = parse_setting_unit(setting.unit);
    return ValueOrError<double>::of(*value.value * static_cast<double>(unit.value->base_per_unit));
}

ValueOrError<ReviewedSetting> review_setting(SettingRecommendation rec, Evidence evidence,
                                             const ServerSetting &server) {
    using Result = ValueOrError<ReviewedSetting>;
    ValueOrError<SettingUnit> server_unit = parse_setting_unit(server.unit);
    if (!server_unit.ok()) return Result::failure(server.name + ": " + server_unit.error);
    const SettingUnit unit = *server_unit.value;
    const bool numeric = rec.type != ValueType::enumeration;
    const bool integer = rec.type == ValueType::integer;
    if (numeric && (!rec.value || !is_numeric_vartype(server.vartype))) {
        return Result::failure(rec.name + " is recommended as a number but the server's " +
                               server.name + " is a " + server.vartype + " setting");
    }

    ReviewedSetting row;
    row.name = rec.name;
    row.unit = server.unit;
    row.context = change_context(server.context);
    row.pending_restart = server.pending_restart;

    std::optional<double> current, pending;
    if (numeric) {
        ValueOrError<SettingRecommendation> converted = in_server_unit(std::move(rec), unit);
        if (!converted.ok()) return Result::failure(std::move(converted.error));
        rec = std::move(*converted.value);
        if (server.min_value && server.max_value) {
            converted = clamp_to_bounds(std::move(rec), *server.min_value, *server.max_value);
            if (!converted.ok()) return Result::failure(std::move(converted.error));
            rec = std::move(*converted.value);
        }

        ValueOrError<double> now = parse_setting_number(server.value, unit);
        if (now.ok()) current = integer ? std::round(*now.value) : *now.value;
        row.current_value = current ? display_number(*current, integer, unit) : server.value;
        if (server.file_value) {
            ValueOrError<double> configured = parse_setting_number(*server.file_value, unit);
            if (configured.ok()) {
                double value = integer ? std::round(*configured.value) : *configured.value;
                if (!current || std::fabs(value - *current) > 1e-9 * std::fabs(value)) {
                    pending = value;
                    row.pending_value = display_number(value, integer, unit);
                }
            }
        }
    } else {
        row.current_value = server.value;
        if (server.file_value && !equals_ignoring_case(*server.file_value, server.value)) {
            row.pending_value = *server.file_value;
        }
    }
    row.recommended_value = rec.display;
    row.recommended_setting = setting_text(rec);

    // What the server will run with once pending changes take effect.
    bool fine = false;
    if (numeric) {
        std::optional<double> compared = pending ? pending : current;
        fine = compared && is_within_tolerance(*compared, *rec.value);
    } else {
        fine = equals_ignoring_case(row.pending_value.value_or(server.value), rec.display);
    }
    const std::string effect = takes_effect_after(row.context);
    row.reason = std::move(rec.reason);
    if (fine) {
        row.status = Status::fine;
        if (row.pending_value) {
            row.reason += "; the configuration files already set " + *row.pending_value +
                          ", in effect after " + effect;
        } else if (row.current_value != row.recommended_value) {
            row.reason += "; the current " + row.current_value + " is within " +
                          format_real(kChurnTolerance * 100) + " % of it: left as it is";
        }
        return Result::of(std::move(row));
    }
    row.status = Status::change;
    row.priority =
        priority_of(evidence, rec.type, pending ? pending : current, rec.value.value_or(0));
    row.alter_system = alter_system_statement(row.name, row.recommended_value);
    if (row.pending_value) {
        row.reason += "; the configuration files set " + *row.pending_value +
                      ", not in effect yet and not what is recommended";
    }
    row.reason += "; takes effect after " + effect;
    return Result::of(std::move(row));
}

const ServerSetting *find_server_setting(const std::vector<ServerSetting> &settings,
                                         std::string_view name) noexcept {
    for (const ServerSetting &setting : settings) {
        if (setting.name == name) return &setting;
    }
    return nullptr;
}

}  // namespace poolopt::core
