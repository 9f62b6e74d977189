// Figures that are slow to measure (database sizes, the data directory's storage) taken by
// the worker at a bounded rate and read from shared memory by SQL functions, together with
// the host figures of its last sample, so that setting_recommendations() does no file-system
// walk or host probe of its own once the worker has published them.
#pragma once

#include "pg/shmem.hpp"

namespace poolopt::pg {

// Worker: measures every database's size when the last measurement is older than
// kDatabaseSizeMicros (or none was taken), in a transaction of its own, and publishes it.
void measure_database_sizes_if_due(const SharedView &view, int64_t now_micros);
// Worker, once at start: the storage detected for the data directory.
void publish_storage(const SharedView &view, const StorageFigures &storage);

// What an SQL function reads of the worker's figures, copied under the LWLock.
struct WorkerFigures {
    HostFigures host;        // host.valid = false: no sample yet
    StorageFigures storage;  // storage.valid = false: not detected yet
    DatabaseSizes database_sizes;
};
WorkerFigures *copy_worker_figures(const SharedView &view);

// Sum of the sizes of the databases the caller may measure with pg_database_size() (all of
// them with pg_read_all_stats), from the worker's measurement; -1 when none. May raise
// errors (catalogue lookups): call it from a frame without C++ objects.
int64 database_size_for_caller(const DatabaseSizes &sizes);

}  // namespace poolopt::pg
