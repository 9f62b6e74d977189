// The worker's reading of pg_stat_database for the databases its clients use, and of the
// checkpoint counters: per database the cumulative counters and their change over each
// sample and evaluation window, published in shared memory. Worker only; its baselines
// live in the worker's TopMemoryContext.
#pragma once

#include <cstdint>

#include "core/server_sample.hpp"
#include "pg/name_cache.hpp"
#include "pg/shmem.hpp"

namespace poolopt::pg {

// Allocates the baselines; call once, before the first sample. May ereport (out of memory).
void start_database_sampler();

// The databases of the client backends in the backend status snapshot, each once, at most
// `capacity` (kMaxDatabases is what can be watched).
int databases_in_sample(Oid *databases, int capacity);

// Under the LWLock: adds every database of `seen` to the watched set while there is room;
// `names` gives the name it is published under.
void watch_databases(const SharedView &view, const Oid *seen, int seen_count,
                     const NameCache &names);

// Under the LWLock: reads every watched database's counters (dropping the databases that
// are gone) and the checkpoint counts; returns the change since the last sample, summed
// over the databases. A database's first reading counts no change.
core::DatabaseCounters sample_databases(const SharedView &view, int64_t interval_micros);

// Under the LWLock, when an evaluation window closes: the counters at the start of the new
// window.
void start_database_windows(const SharedView &view);

}  // namespace poolopt::pg
