// A recommendation held against the running server's setting: converted to the server's
// unit, clamped into its pg_settings bounds, compared with the server-wide value (and any
// value the configuration files already hold that is not in effect yet), and turned into a
// row of setting_recommendations(): status, priority and the ALTER SYSTEM statement.
//
// Status: "fine" when the value the server runs with (or will run with after a pending
// reload or restart) is within kChurnTolerance (5 %) of the recommendation, or is the same
// enumeration value; otherwise "change".
//
// Priority, of changes only:
//   high    the change answers telemetry: something the server was seen doing (temp-file
//           spills, requested checkpoints, a low hit ratio, idle transactions holding
//           connections, connections near max_connections, memory at risk).
//   medium  a hardware rule, and the current value is off by a factor of 2 or more (either
//           way), or is 0 where the recommendation is not: shared_buffers 128MB where 4GB fits.
//   low     every other hardware-rule change: within a factor of 2, or an enumeration.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/settings_engine.hpp"

namespace poolopt::core {

// One row of pg_settings, as the glue reads it.
struct ServerSetting {
    std::string name;
    std::string vartype;  // bool, integer, real, string, enum
    std::string unit;     // pg_settings.unit, "" for none
    std::string context;  // pg_settings.context: postmaster, sighup, user, ...
    // The server-wide value, in the setting's unit: pg_settings.reset_val, which is what the
    // configuration files, ALTER SYSTEM, the command line or ALTER DATABASE/ROLE set; a
    // SET in the calling session does not count.
    std::string value;
    std::optional<double> min_value, max_value;  // pg_settings.min_val/max_val
    bool pending_restart = false;
    // The last value the configuration files hold for it (pg_file_settings), when the caller
    // may read them; in effect or not.
    std::optional<std::string> file_value;
};

// What a recommendation rests on: decides its priority.
enum class Evidence { hardware, telemetry };
enum class Priority { high, medium, low };
enum class Status { change, fine };
const char *priority_name(Priority priority) noexcept;  // "high", "medium", "low"
const char *status_name(Status status) noexcept;        // "change", "fine"

struct ReviewedSetting {
    std::string name;
    std::string current_value;        // the server-wide value as SHOW prints it: "128MB"
    std::string recommended_value;    // as SHOW will print it: "4GB"
    std::string recommended_setting;  // as pg_settings.setting will hold it: "524288"
    std::string unit;                 // pg_settings.unit
    std::string context;              // change_context(pg_settings.context)
    bool pending_restart = false;
    // Set in the configuration files but not in effect yet (awaiting a reload or a restart),
    // as SHOW will print it.
    std::optional<std::string> pending_value;
    Status status = Status::fine;
    std::optional<Priority> priority;  // of changes only
    std::string reason;
    std::string alter_system;  // empty when fine
};

// How a change takes effect: postmaster -> "restart"; sighup, superuser, user -> "reload";
// backend, superuser-backend -> "new sessions"; internal -> "none"; others verbatim.
std::string change_context(std::string_view pg_settings_context);
// ALTER SYSTEM SET name = 'value'; with the value quoted as a SQL literal.
std::string alter_system_statement(std::string_view name, std::string_view value);
Priority priority_of(Evidence evidence, ValueType type, std::optional<double> current,
                     double recommended) noexcept;
// The recommendation as pg_settings.setting would hold it, in the setting's own unit:
// "524288" for 4GB of 8kB blocks, "1.1", "try".
std::string setting_text(const SettingRecommendation &recommendation);

// The value of a numeric setting in its own unit (what pg_settings.setting holds), from the
// server-wide text; fails for non-numeric settings and unreadable text.
ValueOrError<double> numeric_value(const ServerSetting &setting);
// The same in bytes (memory) or microseconds (time); unitless values as they are.
ValueOrError<double> base_value(const ServerSetting &setting);

// Fails when the recommendation cannot be held against this setting: a unit of another
// kind, invalid bounds, or a numeric recommendation for a non-numeric setting.
ValueOrError<ReviewedSetting> review_setting(SettingRecommendation recommendation,
                                             Evidence evidence, const ServerSetting &server);

// The setting named `name`, or nullptr.
const ServerSetting *find_server_setting(const std::vector<ServerSetting> &settings,
                                         std::string_view name) noexcept;

}  // namespace poolopt::core
