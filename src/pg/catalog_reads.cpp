#include "pg/catalog_reads.hpp"

#include <cstdlib>

extern "C" {
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/guc.h"
}

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
                           "AND (error IS NULL OR pg_catalog.lower(name) IN "
                           "(SELECT name FROM pg_catalog.pg_settings WHERE pending_restart)) "
                           "AND pg_catalog.lower(name) IN ");
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
    StringInfoData sql;
    initStringInfo(&sql);
    appendStringInfoString(&sql,
                           "SELECT name, vartype, coalesce(unit, ''), context, reset_val, "
                           "min_val::float8, max_val::float8, pending_restart "
                           "FROM pg_catalog.pg_settings WHERE name IN ");
    append_name_list(&sql, names, name_count);

    int guc_nest_level = spi_begin();
    run_query(sql.data);
    for (uint64 r = 0; r < SPI_processed && result.count < name_count; ++r) {
        SettingText &row = result.rows[result.count++];
        strlcpy(row.name, spi_text(r, 1), sizeof row.name);
        strlcpy(row.vartype, spi_text(r, 2), sizeof row.vartype);
        strlcpy(row.unit, spi_text(r, 3), sizeof row.unit);
        strlcpy(row.context, spi_text(r, 4), sizeof row.context);
        strlcpy(row.reset_val, spi_text(r, 5), sizeof row.reset_val);
        row.has_bounds = !spi_is_null(r, 6) && !spi_is_null(r, 7);
        if (row.has_bounds) {
            row.min_val = strtod(spi_text(r, 6), nullptr);
            row.max_val = strtod(spi_text(r, 7), nullptr);
        }
        row.pending_restart = strcmp(spi_text(r, 8), "t") == 0;
    }
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

OldestTransaction read_oldest_transaction() {
    OldestTransaction oldest{};
    int guc_nest_level = spi_begin();
    run_query(
        "SELECT pid, extract(epoch FROM pg_catalog.clock_timestamp() - xact_start)::float8, "
        "coalesce(application_name, ''), coalesce(state, '') "
        "FROM pg_catalog.pg_stat_activity "
        "WHERE backend_type = 'client backend' AND xact_start IS NOT NULL "
        "AND pid <> pg_catalog.pg_backend_pid() ORDER BY xact_start LIMIT 1");
    if (SPI_processed > 0) {
        oldest.found = true;
        oldest.pid = int32(strtol(spi_text(0, 1), nullptr, 10));
        oldest.age_seconds = strtod(spi_text(0, 2), nullptr);
        strlcpy(oldest.application_name, spi_text(0, 3), sizeof oldest.application_name);
        strlcpy(oldest.state, spi_text(0, 4), sizeof oldest.state);
    }
    spi_end(guc_nest_level);
    return oldest;
}

}  // namespace poolopt::pg
