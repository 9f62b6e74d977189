// Every difference between the PostgreSQL versions we build for lives here.
#pragma once

#include <cmath>

#include "pg/postgres_headers.hpp"

#if PG_VERSION_NUM < 130000
#error "pool_optimizer needs PostgreSQL 13 or later"
#endif

extern "C" {
#include "catalog/pg_database.h"
#include "catalog/pg_proc.h"
#include "utils/guc_tables.h"
}

#if PG_VERSION_NUM < 150000
extern "C" {
#include "postmaster/autovacuum.h"
#include "replication/walsender.h"
}
#endif

#if PG_VERSION_NUM < 140000
// idle_session_timeout arrived in 14: its SQLSTATE is never raised before.
#define ERRCODE_IDLE_SESSION_TIMEOUT MAKE_SQLSTATE('5', '7', 'P', '0', '5')
// 14 renamed the predefined roles' OIDs from DEFAULT_ROLE_* to ROLE_PG_*.
extern "C" {
#include "catalog/pg_authid.h"
}
#define ROLE_PG_READ_ALL_STATS DEFAULT_ROLE_READ_ALL_STATS
#define ROLE_PG_READ_ALL_SETTINGS DEFAULT_ROLE_READ_ALL_SETTINGS
#endif

namespace poolopt::pg::compat {

// Materialized set-returning function setup: the tuple store and descriptor that
// RowBuilder::emit fills.
inline void init_materialized_srf(FunctionCallInfo fcinfo) {
#if PG_VERSION_NUM >= 160000
    InitMaterializedSRF(fcinfo, 0);
#elif PG_VERSION_NUM >= 150000
    SetSingleFuncCall(fcinfo, 0);
#else
    // What SetSingleFuncCall does from 15 on.
    auto *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
    if (!rsinfo || !IsA(rsinfo, ReturnSetInfo) || !(rsinfo->allowedModes & SFRM_Materialize))
        ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                        errmsg("set-valued function called in context that cannot accept a set")));
    TupleDesc desc;
    if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE)
        elog(ERROR, "return type must be a row type");
    MemoryContext previous = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
    rsinfo->returnMode = SFRM_Materialize;
    rsinfo->setResult = tuplestore_begin_heap(true, false, work_mem);
    rsinfo->setDesc = CreateTupleDescCopy(desc);
    MemoryContextSwitchTo(previous);
#endif
}

using ShmemRequest = void (*)(void);

// Has `request` reserve shared memory and LWLocks when PostgreSQL allows it: in
// shmem_request_hook from 15 (returns the hook it replaces, to be called first), directly
// from _PG_init of a preloaded library before (returns nullptr).
inline ShmemRequest install_shmem_request(ShmemRequest request) {
#if PG_VERSION_NUM >= 150000
    ShmemRequest previous = shmem_request_hook;
    shmem_request_hook = request;
    return previous;
#else
    request();
    return nullptr;
#endif
}

// Settings under `prefix` that no module defines are refused from 15; before, warned about.
inline void reserve_guc_prefix(const char *prefix) {
#if PG_VERSION_NUM >= 150000
    MarkGUCPrefixReserved(prefix);
#else
    EmitWarningsOnPlaceholders(prefix);
#endif
}

// idle_session_timeout in ms; 0 (disabled) before 14, which lacks the setting.
inline int idle_session_timeout_ms() {
#if PG_VERSION_NUM >= 140000
    return IdleSessionTimeout;
#else
    return 0;
#endif
}

// Index of this backend's per-backend slot, -1 when it has none yet.
inline int my_backend_slot() {
#if PG_VERSION_NUM >= 170000
    return MyProcNumber;
#else
    return MyBackendId == InvalidBackendId ? -1 : MyBackendId - 1;
#endif
}

// Number of per-backend slots: every backend id (or proc number) that can exist.
inline int backend_slot_count() {
#if PG_VERSION_NUM >= 170000
    return MaxBackends + NUM_AUXILIARY_PROCS;
#elif PG_VERSION_NUM >= 150000
    return MaxBackends;
#else
    // MaxBackends is still 0 in _PG_init, where shared memory is requested: the
    // postmaster's InitializeMaxBackends() formula of 13 and 14.
    return MaxConnections + autovacuum_max_workers + 1 + max_worker_processes + max_wal_senders;
#endif
}

// Connections only superusers (and, from 16, pg_use_reserved_connections) may take.
inline int reserved_connections() {
#if PG_VERSION_NUM >= 160000
    return SuperuserReservedConnections + ReservedConnections;
#else
    return ReservedBackends;
#endif
}

// Whether the current user may execute the function `function_oid` (its ACL, as
// has_function_privilege reads it).
inline bool may_execute_function(Oid function_oid) {
#if PG_VERSION_NUM >= 160000
    return object_aclcheck(ProcedureRelationId, function_oid, GetUserId(), ACL_EXECUTE) ==
           ACLCHECK_OK;
#else
    return pg_proc_aclcheck(function_oid, GetUserId(), ACL_EXECUTE) == ACLCHECK_OK;
#endif
}

// Backend status entry number i (1-based) of the current snapshot.
inline LocalPgBackendStatus *local_backend_status(int i) {
#if PG_VERSION_NUM >= 160000
    return pgstat_get_local_beentry_by_index(i);
#else
    return pgstat_fetch_stat_local_beentry(i);
#endif
}

struct DatabaseCounterFields {
    double active_time_ms, idle_in_transaction_time_ms, session_time_ms;
    int64 sessions, sessions_abandoned, sessions_fatal, sessions_killed;
    int64 xact_commit, xact_rollback, temp_files, temp_bytes, blks_hit, blks_read;
    int64 rows_read, rows_written;
};

// The C struct's fields lost their n_/total_ prefixes in 16; times are microseconds there
// and milliseconds in pg_stat_database.
inline DatabaseCounterFields database_counters(const PgStat_StatDBEntry *e) {
    DatabaseCounterFields f;
#if PG_VERSION_NUM >= 160000
    f.active_time_ms = e->active_time / 1000.0;
    f.idle_in_transaction_time_ms = e->idle_in_transaction_time / 1000.0;
    f.session_time_ms = e->session_time / 1000.0;
    f.sessions = e->sessions;
    f.sessions_abandoned = e->sessions_abandoned;
    f.sessions_fatal = e->sessions_fatal;
    f.sessions_killed = e->sessions_killed;
    f.xact_commit = e->xact_commit;
    f.xact_rollback = e->xact_rollback;
    f.temp_files = e->temp_files;
    f.temp_bytes = e->temp_bytes;
    f.blks_hit = e->blocks_hit;
    f.blks_read = e->blocks_fetched - e->blocks_hit;
    f.rows_read = e->tuples_returned + e->tuples_fetched;
    f.rows_written = e->tuples_inserted + e->tuples_updated + e->tuples_deleted;
#else
#if PG_VERSION_NUM >= 140000
    f.active_time_ms = e->total_active_time / 1000.0;
    f.idle_in_transaction_time_ms = e->total_idle_in_xact_time / 1000.0;
    f.session_time_ms = e->total_session_time / 1000.0;
    f.sessions = e->n_sessions;
    f.sessions_abandoned = e->n_sessions_abandoned;
    f.sessions_fatal = e->n_sessions_fatal;
    f.sessions_killed = e->n_sessions_killed;
#else
    // Session statistics arrived in 14: unknown times (NaN, shown as NULL), no sessions.
    f.active_time_ms = f.idle_in_transaction_time_ms = f.session_time_ms = NAN;
    f.sessions = f.sessions_abandoned = f.sessions_fatal = f.sessions_killed = 0;
#endif
    f.xact_commit = e->n_xact_commit;
    f.xact_rollback = e->n_xact_rollback;
    f.temp_files = e->n_temp_files;
    f.temp_bytes = e->n_temp_bytes;
    f.blks_hit = e->n_blocks_hit;
    f.blks_read = e->n_blocks_fetched - e->n_blocks_hit;
    f.rows_read = e->n_tuples_returned + e->n_tuples_fetched;
    f.rows_written = e->n_tuples_inserted + e->n_tuples_updated + e->n_tuples_deleted;
#endif
    return f;
}

// Checkpoints started by the timer and on request: pg_stat_bgwriter up to 16,
// pg_stat_checkpointer from 17; the statistics collector's global stats before 15.
inline void checkpoint_counts(int64 *timed, int64 *requested) {
#if PG_VERSION_NUM >= 170000
    PgStat_CheckpointerStats *stats = pgstat_fetch_stat_checkpointer();
    *timed = stats->num_timed;
    *requested = stats->num_requested;
#elif PG_VERSION_NUM >= 150000
    PgStat_CheckpointerStats *stats = pgstat_fetch_stat_checkpointer();
    *timed = stats->timed_checkpoints;
    *requested = stats->requested_checkpoints;
#elif PG_VERSION_NUM >= 140000
    PgStat_GlobalStats *stats = pgstat_fetch_global();
    *timed = stats->checkpointer.timed_checkpoints;
    *requested = stats->checkpointer.requested_checkpoints;
#else
    PgStat_GlobalStats *stats = pgstat_fetch_global();
    *timed = stats->timed_checkpoints;
    *requested = stats->requested_checkpoints;
#endif
}

// ---- setting_recommendations(): settings and database sizes without SQL ----

// The variable of a setting by its exact name, nullptr when the server has none. From 16
// find_option() is exported; before, the sorted array is searched as find_option does.
inline config_generic *find_setting(const char *name) {
#if PG_VERSION_NUM >= 160000
    return find_option(name, false, true, ERROR);
#else
    config_generic **variables = get_guc_variables();
    int low = 0, high = GetNumConfigOptions() - 1;
    while (low <= high) {
        int middle = (low + high) / 2;
        int order = pg_strcasecmp(name, variables[middle]->name);
        if (order == 0) return variables[middle];
        if (order < 0)
            high = middle - 1;
        else
            low = middle + 1;
    }
    return nullptr;
#endif
}

// Whether the current user may connect to the database, which pg_database_size() asks of
// callers without pg_read_all_stats.
inline bool may_connect_to_database(Oid database) {
#if PG_VERSION_NUM >= 160000
    return object_aclcheck(DatabaseRelationId, database, GetUserId(), ACL_CONNECT) == ACLCHECK_OK;
#else
    return pg_database_aclcheck(database, GetUserId(), ACL_CONNECT) == ACLCHECK_OK;
#endif
}

}  // namespace poolopt::pg::compat
