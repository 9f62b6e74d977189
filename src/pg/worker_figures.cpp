#include "pg/worker_figures.hpp"

#include <cstring>

extern "C" {
#include "access/heapam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_database.h"
#include "utils/fmgrprotos.h"
#include "utils/syscache.h"
}

#include "pg/compat.hpp"

namespace poolopt::pg {
namespace {

// Database sizes change slowly and their measurement stats every file: once a minute
// bounds the worker's cost while keeping the figure recent enough for sizing advice.
constexpr int64_t kDatabaseSizeMicros = 60'000'000;
int64_t g_last_size_attempt_micros = 0;  // worker-local

// pg_database_size(oid) as SQL calls it; -1 for its NULL (the database went away).
int64 database_size(Oid oid) {
    LOCAL_FCINFO(fcinfo, 1);
    InitFunctionCallInfoData(*fcinfo, nullptr, 1, InvalidOid, nullptr, nullptr);
    fcinfo->args[0].value = ObjectIdGetDatum(oid);
    fcinfo->args[0].isnull = false;
    Datum size = pg_database_size_oid(fcinfo);
    return fcinfo->isnull ? -1 : DatumGetInt64(size);
}

void measure_into(DatabaseSizes *sizes) {
    Relation relation = table_open(DatabaseRelationId, AccessShareLock);
    TableScanDesc scan = table_beginscan_catalog(relation, 0, nullptr);
    HeapTuple tuple;
    while ((tuple = heap_getnext(scan, ForwardScanDirection)) != nullptr) {
        Oid oid = reinterpret_cast<Form_pg_database>(GETSTRUCT(tuple))->oid;
        int64 bytes = database_size(oid);
        if (sizes->count < uint32_t(kMaxDatabases)) {
            sizes->entries[sizes->count++] = DatabaseSize{oid, bytes};
        } else {
            sizes->unlisted++;
            if (bytes > 0) sizes->unlisted_bytes += bytes;
        }
    }
    table_endscan(scan);
    table_close(relation, AccessShareLock);
}

}  // namespace

void measure_database_sizes_if_due(const SharedView &view, int64_t now_micros) {
    if (g_last_size_attempt_micros != 0 &&
        now_micros - g_last_size_attempt_micros < kDatabaseSizeMicros)
        return;
    // Set before measuring: a measurement that raises an error waits its turn again.
    g_last_size_attempt_micros = now_micros;
    MemoryContext caller = CurrentMemoryContext;  // the transaction's end leaves another
    auto *sizes = static_cast<DatabaseSizes *>(palloc0(sizeof(DatabaseSizes)));
    SetCurrentStatementStartTimestamp();
    StartTransactionCommand();
    measure_into(sizes);
    CommitTransactionCommand();
    MemoryContextSwitchTo(caller);
    sizes->measured_micros = now_micros;
    LWLockAcquire(view.lock, LW_EXCLUSIVE);
    view.state->database_sizes = *sizes;
    LWLockRelease(view.lock);
    pfree(sizes);
}

void publish_storage(const SharedView &view, const StorageFigures &storage) {
    LWLockAcquire(view.lock, LW_EXCLUSIVE);
    view.state->storage = storage;
    view.state->storage.valid = true;
    LWLockRelease(view.lock);
}

WorkerFigures *copy_worker_figures(const SharedView &view) {
    auto *figures = static_cast<WorkerFigures *>(palloc(sizeof(WorkerFigures)));
    LWLockAcquire(view.lock, LW_SHARED);
    figures->host = view.state->host;
    figures->storage = view.state->storage;
    figures->database_sizes = view.state->database_sizes;
    LWLockRelease(view.lock);
    return figures;
}

int64 database_size_for_caller(const DatabaseSizes &sizes) {
    bool read_all = has_privs_of_role(GetUserId(), ROLE_PG_READ_ALL_STATS);
    bool any = false;
    int64 total = 0;
    for (uint32_t i = 0; i < sizes.count; ++i) {
        const DatabaseSize &entry = sizes.entries[i];
        if (entry.bytes < 0) continue;
        // Dropped since the measurement: pg_database no longer lists it.
        if (!SearchSysCacheExists1(DATABASEOID, ObjectIdGetDatum(entry.oid))) continue;
        if (!read_all && !compat::may_connect_to_database(entry.oid)) continue;
        total += entry.bytes;
        any = true;
    }
    if (read_all && sizes.unlisted > 0) {
        total += sizes.unlisted_bytes;
        any = true;
    }
    return any ? total : -1;
}

}  // namespace poolopt::pg
