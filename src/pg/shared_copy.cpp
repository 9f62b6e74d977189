#include "pg/event_queue.hpp"

#include "pg/shared_copy.hpp"

namespace poolopt::pg {

GroupCopy copy_groups(const SharedView &view) {
    uint32_t capacity = view.state->max_pools;
    auto *copy = static_cast<core::GroupEntry *>(palloc(sizeof(core::GroupEntry) * capacity));
    int count = 0;
    LWLockAcquire(view.lock, LW_SHARED);
    for (uint32_t i = 0; i < capacity; ++i)
        if (view.groups[i].in_use) copy[count++] = view.groups[i];
    core::GroupTableHeader header = view.state->groups;
    LWLockRelease(view.lock);
    return GroupCopy{copy, count, header};
}

SampleCopy copy_samples(const SharedView &view, int64_t since_micros) {
    uint32_t capacity = view.history->capacity();
    auto *samples =
        static_cast<core::ServerSample *>(palloc(sizeof(core::ServerSample) * capacity));
    uint32_t count = 0;
    // The ring is read without a lock; the lambda only copies, so nothing can raise an error
    // while the ring's frames are on the stack.
    view.history->for_each_since(0, [&](uint64_t, const core::ServerSample &sample) {
        if (count < capacity && sample.time_micros >= since_micros) samples[count++] = sample;
    });
    return SampleCopy{samples, count};
}

}  // namespace poolopt::pg
