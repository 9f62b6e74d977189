#include "pg/catalog_reads.hpp"

#include <cstdlib>

extern "C" {
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/guc.h"
}

#include "pg/compat.hpp"
#include "pg/file_settings.hpp"
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

}  // namespace

SettingTexts read_settings(const char *const *names, int name_count) {
    SettingTexts result{};
    result.rows = static_cast<SettingText *>(palloc0(sizeof(SettingText) * name_count));
    read_setting_variables(names, name_count, &result);
    read_file_values(result);
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
