#include "pg/catalog_reads.hpp"

#include <cstdlib>

extern "C" {
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/guc.h"
}

#include "pg/compat.hpp"
#include "pg/setting_reads.hpp"

namespace poolopt::pg {
namespace {

// Column `column` (1-based) of row `row` of the last SPI result, or "" when NULL.
const char *spi_text(uint64 row, int column) {
    char *value = SPI_getvalue(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, column);
    return value ? value : "";
}

bool spi_is_null(uint64 row, int column) {
    bool is_null = false;
    SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, column, &is_null);
    return is_null;
}

// `('a', 'b', ...)`, each name quoted as a literal.
void append_name_list(StringInfo out, const char *const *names, int count) {
    appendStringInfoChar(out, '(');
    for (int i = 0; i < count; ++i)
        appendStringInfo(out, "%s%s", i ? ", " : "", quote_literal_cstr(names[i]));
    appendStringInfoChar(out, ')');
}

// Connects to SPI with search_path pinned to pg_catalog (pg_temp last, so that a temporary
// type cannot shadow one either) until spi_end. Under the caller's search_path, a look-alike
// operator, aggregate or type in a schema ahead of pg_catalog would run in our queries (the
// `=` of an IN list, a cast). An error unwinds both: the transaction abort restores the GUC.
int spi_begin() {
    SPI_connect();
    int guc_nest_level = NewGUCNestLevel();
    (void)set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION,
                            GUC_ACTION_SAVE, true, 0, false);
    return guc_nest_level;
}

void spi_end(int guc_nest_level) {
    AtEOXact_GUC(true, guc_nest_level);
    SPI_finish();
}

void run_query(const char *sql) {
    int rc = SPI_execute(sql, true, 0);
    if (rc != SPI_OK_SELECT)
        elog(ERROR, "pool_optimizer: catalogue query failed (%s): %s", SPI_result_code_string(rc),
             sql);
}

constexpr int kMaxPendingNames = 64;

void read_file_values(SettingTexts &result, const char *const *names, int count) {
    run_query(
        "SELECT pg_catalog.has_function_privilege("
        "'pg_catalog.pg_show_all_file_settings()', 'EXECUTE')");
    if (strcmp(spi_text(0, 1), "t") != 0) return;
    StringInfoData sql;
    initStringInfo(&sql);
    appendStringInfoString(&sql,
                           "SELECT DISTINCT ON (pg_catalog.lower(name)) pg_catalog.lower(name), "
                           "setting FROM pg_catalog.pg_file_settings "
                           "WHERE setting IS NOT NULL "
                           // A restart-only setting changed in the files is reported with
                           // the error "setting could not be applied": that is the
                           // pending value; other errors mean the value is not used.
                           "AND (error IS NULL");
    // The settings pending a restart, as read from the variables (no second pass over
    // pg_settings).
    const char *pending[kMaxPendingNames];
    int pending_count = 0;
    for (int i = 0; i < result.count && pending_count < kMaxPendingNames; ++i)
        if (result.rows[i].pending_restart) pending[pending_count++] = result.rows[i].name;
    if (pending_count > 0) {
        appendStringInfoString(&sql, " OR pg_catalog.lower(name) IN ");
        append_name_list(&sql, pending, pending_count);
    }
    appendStringInfoString(&sql, ") AND pg_catalog.lower(name) IN ");
    append_name_list(&sql, names, count);
    appendStringInfoString(&sql, " ORDER BY pg_catalog.lower(name), seqno DESC");
    run_query(sql.data);
    result.file_values_read = true;
    for (uint64 r = 0; r < SPI_processed; ++r) {
        const char *name = spi_text(r, 1);
        for (int i = 0; i < result.count; ++i) {
            SettingText &row = result.rows[i];
            if (strcmp(row.name, name) != 0) continue;
            row.has_file_value = true;
            strlcpy(row.file_value, spi_text(r, 2), sizeof row.file_value);
        }
    }
}

}  // namespace

SettingTexts read_settings(const char *const *names, int name_count) {
    SettingTexts result{};
    result.rows = static_cast<SettingText *>(palloc0(sizeof(SettingText) * name_count));
    read_setting_variables(names, name_count, &result);
    int guc_nest_level = spi_begin();
    read_file_values(result, names, name_count);
    spi_end(guc_nest_level);
    return result;
}

int64 read_database_size() {
    int guc_nest_level = spi_begin();
    run_query(
        "SELECT sum(pg_catalog.pg_database_size(oid))::int8 FROM pg_catalog.pg_database "
        "WHERE pg_catalog.has_database_privilege(oid, 'CONNECT') "
        "OR pg_catalog.pg_has_role('pg_read_all_stats', 'USAGE')");
    int64 size = spi_is_null(0, 1) ? -1 : strtoll(spi_text(0, 1), nullptr, 10);
    spi_end(guc_nest_level);
    return size;
}

namespace {

// pg_stat_activity.state
const char *state_name(BackendState state) {
    switch (state) {
        case STATE_IDLE:
            return "idle";
        case STATE_RUNNING:
            return "active";
        case STATE_IDLEINTRANSACTION:
            return "idle in transaction";
        case STATE_FASTPATH:
            return "fastpath function call";
        case STATE_IDLEINTRANSACTION_ABORTED:
            return "idle in transaction (aborted)";
        case STATE_DISABLED:
            return "disabled";
        default:
            return "";
    }
}

}  // namespace

// From the backend status array as pg_stat_activity shows it (a row's xact_start is
// visible to members of its role and of pg_read_all_stats), without a query.
OldestTransaction read_oldest_transaction() {
    OldestTransaction oldest{};
    bool read_all = has_privs_of_role(GetUserId(), ROLE_PG_READ_ALL_STATS);
    TimestampTz oldest_start = 0;
    int backends = pgstat_fetch_stat_numbackends();
    for (int i = 1; i <= backends; ++i) {
        LocalPgBackendStatus *local = compat::local_backend_status(i);
        if (!local) continue;
        const PgBackendStatus &be = local->backendStatus;
        if (be.st_backendType != B_BACKEND || be.st_procpid == MyProcPid) continue;
        if (be.st_xact_start_timestamp == 0) continue;
        if (!read_all && !has_privs_of_role(GetUserId(), be.st_userid)) continue;
        if (oldest.found && be.st_xact_start_timestamp >= oldest_start) continue;
        oldest.found = true;
        oldest_start = be.st_xact_start_timestamp;
        oldest.pid = be.st_procpid;
        strlcpy(oldest.application_name, be.st_appname ? be.st_appname : "",
                sizeof oldest.application_name);
        strlcpy(oldest.state, state_name(be.st_state), sizeof oldest.state);
    }
    if (oldest.found)
        oldest.age_seconds = double(GetCurrentTimestamp() - oldest_start) / USECS_PER_SEC;
    return oldest;
}

}  // namespace poolopt::pg
