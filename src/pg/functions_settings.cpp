// recommend_settings() and setting_recommendations(): the settings engine's rows as SQL
// rows. PostgreSQL is read first (arguments, settings, the file values through SPI, shared
// memory with the worker's host, storage and database-size figures) into
// plain data; the engine runs inside `guarded` and writes plain rows; the rows are emitted
// last, when no C++ object is alive.
#include "pg/event_queue.hpp"

#include <stdexcept>

#include "core/machine_request.hpp"
#include "core/settings_advisor.hpp"
#include "pg/boundary.hpp"
#include "pg/pool_evaluation.hpp"
#include "pg/catalog_reads.hpp"
#include "pg/gucs.hpp"
#include "pg/plain_text.hpp"
#include "pg/row_builder.hpp"
#include "pg/shared_reads.hpp"
#include "pg/shmem.hpp"
#include "pg/worker_figures.hpp"

extern "C" {
PG_FUNCTION_INFO_V1(recommend_settings);
PG_FUNCTION_INFO_V1(setting_recommendations);
}

using namespace poolopt;
using namespace poolopt::pg;

namespace {

constexpr int kMaxRows = 32;
constexpr int kPostgresMajor = PG_VERSION_NUM / 10000;

struct PlainSettingRow {
    char name[NAMEDATALEN];
    char current_value[64];
    char recommended_value[64];
    char recommended_setting[64];
    char unit[16];
    char context[16];
    bool pending_restart;
    bool has_pending_value;
    char pending_value[64];
    char priority[8];  // "" when fine
    char status[8];
    char reason[4096];
    char alter_system[NAMEDATALEN + 96];
};

struct PlainSettingTable {
    int count;
    // recommend_settings(): an argument was refused.
    bool refused;
    char message[512], detail[1024], hint[512];
    PlainSettingRow rows[kMaxRows];  // last: only the rows used are zeroed (and touched)
};

PlainSettingTable *new_table() {
    auto *table = static_cast<PlainSettingTable *>(palloc(sizeof(PlainSettingTable)));
    memset(table, 0, offsetof(PlainSettingTable, rows));
    return table;
}

PlainSettingRow *next_row(PlainSettingTable *table) {
    if (table->count >= kMaxRows) throw std::length_error("more settings than rows to hold them");
    PlainSettingRow *row = &table->rows[table->count++];
    memset(row, 0, sizeof *row);
    return row;
}

// ---- recommend_settings() -------------------------------------------------------------

struct RequestArguments {
    const char *memory, *storage, *workload, *data_size;  // nullptr = NULL
    bool has_cpus, has_max_connections;
    int64 cpus, max_connections;
};

std::optional<std::string> text_or_unset(const char *text) {
    return text ? std::optional<std::string>(text) : std::nullopt;
}

void fill_hardware_rows(const RequestArguments &in, PlainSettingTable *table) {
    core::MachineRequest request;
    request.memory = text_or_unset(in.memory);
    request.storage = text_or_unset(in.storage);
    request.workload = text_or_unset(in.workload);
    request.data_size = text_or_unset(in.data_size);
    if (in.has_cpus) request.cpus = in.cpus;
    if (in.has_max_connections) request.max_connections = in.max_connections;
    request.pg_major = kPostgresMajor;
    core::ProfileOrProblem read = core::read_machine_request(request);
    if (!read.profile) {
        table->refused = true;
        copy_text(table->message, sizeof table->message, read.problem.message);
        copy_text(table->detail, sizeof table->detail, read.problem.detail);
        copy_text(table->hint, sizeof table->hint, read.problem.hint);
        return;
    }
    auto rows = core::recommend_hardware_settings(*read.profile);
    if (!rows.ok()) throw std::invalid_argument(rows.error);
    for (const core::SettingRecommendation &rec : *rows.value) {
        PlainSettingRow *row = next_row(table);
        copy_text(row->name, sizeof row->name, rec.name);
        copy_text(row->recommended_value, sizeof row->recommended_value, rec.display);
        copy_text(row->recommended_setting, sizeof row->recommended_setting,
                  core::setting_text(rec));
        copy_text(row->unit, sizeof row->unit, rec.unit);
        copy_text(row->reason, sizeof row->reason, rec.reason);
        copy_text(row->alter_system, sizeof row->alter_system,
                  core::alter_system_statement(rec.name, rec.display));
    }
}

// ---- setting_recommendations() --------------------------------------------------------

// Everything the advisor needs from PostgreSQL, as plain data.
struct LiveInputs {
    const SettingTexts *settings;
    int64 database_bytes;  // -1 unknown
    // The host and storage figures the worker published; probed here when it has not yet.
    const WorkerFigures *worker;
    core::TelemetryWindow window;     // the samples of the current evaluation window
    int32_t peak_client_connections;  // over every sample the ring holds
    double longest_p99_hold_seconds;  // of any group, over the recent windows
    int workload_setting, storage_setting;
    const char *data_directory;
    int reserved_connections;
    // The pool engine's sizes, without reasons: max_connections' budget.
    core::PoolAllowance *pool_sizes;
    int pool_count;
};

core::ServerSetting server_setting_of(const SettingText &text) {
    core::ServerSetting setting;
    setting.name = text.name;
    setting.vartype = text.vartype;
    setting.unit = text.unit;
    setting.context = text.context;
    setting.value = text.reset_val;
    if (text.has_bounds) setting.min_value = text.min_val, setting.max_value = text.max_val;
    setting.pending_restart = text.pending_restart;
    if (text.has_file_value) setting.file_value = text.file_value;
    return setting;
}

core::LiveServer live_server_of(const LiveInputs &in) {
    core::LiveServer server;
    const HostFigures &figures = in.worker->host;
    if (figures.valid) {
        server.usable_memory_bytes = figures.usable_memory_bytes;
        server.usable_cpus = figures.usable_cpus;
        if (figures.memory_available_bytes > 0)
            server.available_memory_bytes = figures.memory_available_bytes;
    } else {
        core::HostResources host = core::read_host_resources("/", core::count_affinity_cpus());
        server.usable_memory_bytes = host.usable_memory_bytes;
        server.usable_cpus = host.usable_cpus;
        server.available_memory_bytes = host.memory_available_bytes;
    }
    const StorageFigures &storage = in.worker->storage;
    if (storage.valid) {
        server.detected_storage.kind = core::StorageKind(storage.kind);
        server.detected_storage.virtual_disk = storage.virtual_disk;
        server.detected_storage.device = storage.device;
        server.detected_storage.how = storage.how;
    } else {
        server.detected_storage = core::detect_storage_of_path("/", in.data_directory);
    }
    if (in.workload_setting != gucs::workload_auto)
        server.workload_setting =
            core::parse_workload(gucs::workload_setting_name(in.workload_setting)).value;
    if (in.storage_setting != gucs::storage_auto)
        server.storage_setting =
            core::parse_storage(gucs::storage_setting_name(in.storage_setting)).value;
    if (in.database_bytes >= 0) server.database_size_bytes = uint64_t(in.database_bytes);
    server.wal_disk_bytes = core::filesystem_size_bytes(std::string(in.data_directory) + "/pg_wal");
    server.pg_major = kPostgresMajor;
    server.extension_workers = 1;  // this extension's worker
    server.superuser_reserved_connections = in.reserved_connections;

    server.window = in.window;
    server.peak_client_connections = in.peak_client_connections;
    server.longest_p99_hold_seconds = in.longest_p99_hold_seconds;
    server.pools.assign(in.pool_sizes, in.pool_sizes + in.pool_count);
    for (int i = 0; i < in.settings->count; ++i)
        server.settings.push_back(server_setting_of(in.settings->rows[i]));
    return server;
}

void fill_live_rows(const LiveInputs &in, PlainSettingTable *table) {
    core::ValueOrError<core::LiveAdvice> advice = core::recommend_live_settings(live_server_of(in));
    if (!advice.ok()) throw std::runtime_error(advice.error);
    for (const core::ReviewedSetting &reviewed : advice.value->rows) {
        PlainSettingRow *row = next_row(table);
        copy_text(row->name, sizeof row->name, reviewed.name);
        copy_text(row->current_value, sizeof row->current_value, reviewed.current_value);
        copy_text(row->recommended_value, sizeof row->recommended_value,
                  reviewed.recommended_value);
        copy_text(row->recommended_setting, sizeof row->recommended_setting,
                  reviewed.recommended_setting);
        copy_text(row->unit, sizeof row->unit, reviewed.unit);
        copy_text(row->context, sizeof row->context, reviewed.context);
        row->pending_restart = reviewed.pending_restart;
        row->has_pending_value = reviewed.pending_value.has_value();
        if (reviewed.pending_value)
            copy_text(row->pending_value, sizeof row->pending_value, *reviewed.pending_value);
        if (reviewed.priority)
            copy_text(row->priority, sizeof row->priority, core::priority_name(*reviewed.priority));
        copy_text(row->status, sizeof row->status, core::status_name(reviewed.status));
        copy_text(row->reason, sizeof row->reason, reviewed.reason);
        copy_text(row->alter_system, sizeof row->alter_system, reviewed.alter_system);
    }
}

const char *text_argument(FunctionCallInfo fcinfo, int n) {
    return PG_ARGISNULL(n) ? nullptr : text_to_cstring(PG_GETARG_TEXT_PP(n));
}

}  // namespace

extern "C" Datum recommend_settings(PG_FUNCTION_ARGS) {
    RequestArguments in{};
    in.memory = text_argument(fcinfo, 0);
    in.has_cpus = !PG_ARGISNULL(1);
    in.cpus = in.has_cpus ? PG_GETARG_INT32(1) : 0;
    in.storage = text_argument(fcinfo, 2);
    in.workload = text_argument(fcinfo, 3);
    in.has_max_connections = !PG_ARGISNULL(4);
    in.max_connections = in.has_max_connections ? PG_GETARG_INT32(4) : 0;
    in.data_size = text_argument(fcinfo, 5);

    PlainSettingTable *table = new_table();
    guarded<void>("recommend_settings", [&] { fill_hardware_rows(in, table); });
    if (table->refused)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("%s", table->message),
                        table->detail[0] ? errdetail("%s", table->detail) : 0,
                        errhint("%s", table->hint)));

    compat::init_materialized_srf(fcinfo);
    RowBuilder row;
    for (int i = 0; i < table->count; ++i) {
        const PlainSettingRow &r = table->rows[i];
        row.text(r.name);
        row.text(r.recommended_value);
        row.text_or_null(r.unit);
        row.text(r.recommended_setting);
        row.text(r.reason);
        row.text(r.alter_system);
        row.emit(fcinfo);
    }
    return Datum(0);
}

extern "C" Datum setting_recommendations(PG_FUNCTION_ARGS) {
    const SharedView &view = require_shared("setting_recommendations");
    compat::init_materialized_srf(fcinfo);
    SettingTexts settings =
        read_settings(core::kAdvisedSettings, int(sizeof core::kAdvisedSettings / sizeof(char *)));
    LiveInputs in{};
    in.settings = &settings;
    in.worker = copy_worker_figures(view);
    in.database_bytes = in.worker->database_sizes.measured_micros != 0
                            ? database_size_for_caller(in.worker->database_sizes)
                            : read_database_size();
    int64_t now_micros = unix_micros_now();
    in.window = summarise_history(view, now_micros - int64_t(gucs::evaluation_interval_s) * 1000000,
                                  &in.peak_client_connections);
    in.workload_setting = gucs::workload;
    in.storage_setting = gucs::storage;
    in.data_directory = DataDir;
    in.reserved_connections = compat::reserved_connections();
    PoolInputs pool_inputs;
    copy_pool_inputs(view, core::FactsWindow::recent, now_micros, &pool_inputs);
    for (int i = 0; i < pool_inputs.group_count; ++i) {
        double hold = pool_inputs.groups[i].holds.p99_micros / 1e6;
        if (hold > in.longest_p99_hold_seconds) in.longest_p99_hold_seconds = hold;
    }
    in.pool_sizes = static_cast<core::PoolAllowance *>(
        palloc(sizeof(core::PoolAllowance) * size_t(pool_inputs.group_count + 1)));
    core::PoolPolicy policy = pool_policy_from_settings();
    guarded<void>("pool evaluation",
                  [&] { in.pool_count = evaluate_pool_sizes(pool_inputs, policy, in.pool_sizes); });

    PlainSettingTable *table = new_table();
    guarded<void>("setting_recommendations", [&] { fill_live_rows(in, table); });

    RowBuilder row;
    for (int i = 0; i < table->count; ++i) {
        const PlainSettingRow &r = table->rows[i];
        row.text(r.name);
        row.text(r.current_value);
        row.text(r.recommended_value);
        row.text_or_null(r.unit);
        row.text(r.context);
        row.boolean(r.pending_restart);
        row.text_or_null(r.priority);
        row.text(r.status);
        row.text(r.reason);
        row.text_or_null(r.alter_system);
        r.has_pending_value ? row.text(r.pending_value) : row.null();
        row.text(r.recommended_setting);
        row.emit(fcinfo);
    }
    return Datum(0);
}
