// Reading shared memory for SQL functions without copying it whole: each function keeps
// only what it shows or needs. Group entries are visited under the LWLock in shared mode;
// the history ring is summarised, or copied a bounded chunk at a time, without a lock.
// Neither calls PostgreSQL while it holds the lock or has the ring's frames on the stack,
// so no error can longjmp over them.
#pragma once

#include "pg/event_queue.hpp"

#include "core/group_table.hpp"
#include "core/telemetry_window.hpp"
#include "pg/shmem.hpp"

namespace poolopt::pg {

// Calls visit(entry) for each group in use, under the LWLock in shared mode, and returns
// the table header read under the same lock. `visit` only reads the entry and writes
// plain data into memory allocated beforehand: no PostgreSQL call, no allocation, no
// exception, so the lock is held briefly and released on every path.
template <typename Visit>
core::GroupTableHeader visit_groups(const SharedView &view, Visit &&visit) {
    const uint32_t capacity = view.state->max_pools;
    LWLockAcquire(view.lock, LW_SHARED);
    for (uint32_t i = 0; i < capacity; ++i) {
        const core::GroupEntry &entry = view.groups[i];
        if (entry.in_use) visit(entry);
    }
    core::GroupTableHeader header = view.state->groups;
    LWLockRelease(view.lock);
    return header;
}

// The seqno of the oldest sample in the ring taken at or after since_micros (the ring is
// in time order), found by a binary search over the ring.
uint64_t first_sample_since(const SharedView &view, int64_t since_micros);

// The samples taken at or after since_micros, summarised. With ring_peak, also the largest
// client_connections of any sample the ring holds (then every sample is read).
core::TelemetryWindow summarise_history(const SharedView &view, int64_t since_micros,
                                        int32_t *ring_peak_client_connections);

}  // namespace poolopt::pg
