#include "pg/shmem.hpp"

#include <cstring>
#include <new>

namespace poolopt::pg {

namespace {

constexpr const char *kRegionName = "pool_optimizer";
constexpr const char *kTrancheName = "pool_optimizer";
constexpr size_t kAlignment = 64;

// Process-local pointers into the region; plain data, set once per process.
SharedView g_view;
bool g_attached = false;

size_t align_up(size_t n) {
    return (n + kAlignment - 1) & ~(kAlignment - 1);
}

struct Layout {
    size_t slots, queue, groups, databases, history, adjustments, total;
};

Layout layout_for(int slot_count, int max_pools, int history_capacity) {
    Layout l;
    size_t at = align_up(sizeof(SharedState));
    l.slots = at;
    at = align_up(at + sizeof(BackendSlot) * size_t(slot_count));
    l.queue = at;
    at = align_up(at + sizeof(EventQueue));
    l.groups = at;
    at = align_up(at + sizeof(core::GroupEntry) * size_t(max_pools));
    l.databases = at;
    at = align_up(at + sizeof(DatabaseEntry) * kMaxDatabases);
    l.history = at;
    at = align_up(at + HistoryRing::bytes_needed(uint32_t(history_capacity)));
    l.adjustments = at;
    at = align_up(at + AdjustmentRing::bytes_needed(kAdjustmentHistory));
    l.total = at;
    return l;
}

void bind_view(char *base, SharedState *state) {
    g_view.state = state;
    g_view.lock = &(GetNamedLWLockTranche(kTrancheName))->lock;
    g_view.slots = reinterpret_cast<BackendSlot *>(base + state->slots_offset);
    g_view.queue = reinterpret_cast<EventQueue *>(base + state->queue_offset);
    g_view.groups = reinterpret_cast<core::GroupEntry *>(base + state->groups_offset);
    g_view.databases = reinterpret_cast<DatabaseEntry *>(base + state->databases_offset);
    g_view.history = HistoryRing::attach(base + state->history_offset);
    g_view.adjustments = AdjustmentRing::attach(base + state->adjustments_offset);
    g_attached = true;
}

void initialise(char *base, const Layout &l, int slot_count, int max_pools, int history_capacity) {
    std::memset(base, 0, l.total);
    auto *state = new (base) SharedState();
    state->slot_count = uint32_t(slot_count);
    state->max_pools = uint32_t(max_pools);
    state->history_capacity = uint32_t(history_capacity);
    state->total_bytes = l.total;
    state->slots_offset = l.slots;
    state->queue_offset = l.queue;
    state->groups_offset = l.groups;
    state->databases_offset = l.databases;
    state->history_offset = l.history;
    state->adjustments_offset = l.adjustments;
    state->groups.capacity = uint32_t(max_pools);
    for (int i = 0; i < slot_count; ++i)
        new (base + l.slots + i * sizeof(BackendSlot)) BackendSlot();
    new (base + l.queue) EventQueue();
    HistoryRing::create(base + l.history, uint32_t(history_capacity));
    AdjustmentRing::create(base + l.adjustments, kAdjustmentHistory);
    state->magic = kSharedMagic;
}

}  // namespace

Size shared_size(int slot_count, int max_pools, int history_capacity) {
    return layout_for(slot_count, max_pools, history_capacity).total + kAlignment;
}

void request_shared_memory(int slot_count, int max_pools, int history_capacity) {
    RequestAddinShmemSpace(shared_size(slot_count, max_pools, history_capacity));
    RequestNamedLWLockTranche(kTrancheName, 1);
}

bool attach_shared_memory(int slot_count, int max_pools, int history_capacity) {
    Layout l = layout_for(slot_count, max_pools, history_capacity);
    bool found = false;
    LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
    char *raw = static_cast<char *>(ShmemInitStruct(kRegionName, l.total + kAlignment, &found));
    char *base = reinterpret_cast<char *>(align_up(reinterpret_cast<uintptr_t>(raw)));
    if (!found) initialise(base, l, slot_count, max_pools, history_capacity);
    LWLockRelease(AddinShmemInitLock);
    // The constructor of EventQueue ran without raising; a queue that is not lock-free on
    // this platform would block backends, which the design forbids.
    if (!reinterpret_cast<EventQueue *>(base + l.queue)->is_lock_free())
        elog(WARNING, "pool_optimizer: the event queue is not lock-free on this platform");
    bind_view(base, reinterpret_cast<SharedState *>(base));
    return !found;
}

const SharedView *shared() {
    return g_attached ? &g_view : nullptr;
}

const SharedView &require_shared(const char *function_name) {
    if (!g_attached)
        ereport(ERROR,
                (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                 errmsg("%s() needs pool_optimizer to be loaded via shared_preload_libraries",
                        function_name),
                 errhint("Add pool_optimizer to shared_preload_libraries in postgresql.conf "
                         "and restart the server.")));
    return g_view;
}

}  // namespace poolopt::pg
