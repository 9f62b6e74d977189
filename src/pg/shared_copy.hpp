// Private copies of shared memory for SQL functions: group entries copied under the
// LWLock in shared mode, samples copied out of the lock-free history ring. The copies live
// in palloc'd memory, so the function may raise errors afterwards without holding the lock
// or leaving a C++ frame of the ring on the stack.
#pragma once

#include "core/group_table.hpp"
#include "core/server_sample.hpp"
#include "pg/shmem.hpp"

namespace poolopt::pg {

struct GroupCopy {
    core::GroupEntry *groups;  // the entries in use
    int count;
    core::GroupTableHeader header;
};
GroupCopy copy_groups(const SharedView &view);

struct SampleCopy {
    core::ServerSample *samples;  // oldest first
    uint32_t count;
};
// The samples taken at or after since_micros (INT64_MIN: all).
SampleCopy copy_samples(const SharedView &view, int64_t since_micros);

}  // namespace poolopt::pg
