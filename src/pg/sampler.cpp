#include "pg/event_queue.hpp"

#include "pg/sampler.hpp"

#include <cstdlib>
#include <ctime>

#include "core/group_table.hpp"
#include "pg/adaptation.hpp"
#include "pg/boundary.hpp"
#include "pg/compat.hpp"
#include "pg/database_sampler.hpp"
#include "pg/events.hpp"
#include "pg/gucs.hpp"
#include "pg/host_sampler.hpp"
#include "pg/name_cache.hpp"
#include "pg/shmem.hpp"
#include "pg/time_units.hpp"
#include "pg/worker_figures.hpp"

namespace poolopt::pg {

namespace {

// Worker-local state, allocated once per worker process and never freed: the process
// exits without running destructors, and these hold nothing that needs one at exit.
// What one process waits for, from its PGPROC.
struct ProcWait {
    int32_t pid;
    uint32 wait_event_info;
};

struct SamplerState {
    core::GroupTableWriter *writer;
    NameCache *databases;
    NameCache *roles;
    core::BackendObservation *observations;  // capacity: slot_count
    core::SlotReading *slot_readings;        // slot_count
    core::SlotHolds *slot_holds;             // slot_count, beside slot_readings
    ProcWait *waits;                         // capacity: allProcCount
    Oid *oids_to_resolve;                    // 2 * slot_count
    core::Event *events;                     // kEventQueueCapacity
    int64_t previous_sample_micros;
    uint64_t resets_seen;
    MemoryContext sample_context;  // reset after every sample
};
SamplerState *g_sampler = nullptr;

uint64_t monotonic_nanos() {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * 1000000000ULL + uint64_t(ts.tv_nsec);
}

core::SessionState session_state(BackendState state) {
    switch (state) {
        case STATE_RUNNING:
        case STATE_FASTPATH:
            return core::SessionState::active;
        case STATE_IDLE:
            return core::SessionState::idle;
        case STATE_IDLEINTRANSACTION:
            return core::SessionState::idle_in_transaction;
        case STATE_IDLEINTRANSACTION_ABORTED:
            return core::SessionState::idle_in_transaction_aborted;
        case STATE_DISABLED:
            return core::SessionState::disabled;
        case STATE_UNDEFINED:
            break;
    }
    return core::SessionState::starting;
}

int compare_waits(const void *a, const void *b) {
    int32_t x = static_cast<const ProcWait *>(a)->pid, y = static_cast<const ProcWait *>(b)->pid;
    return (x > y) - (x < y);
}

// Every process's wait event, sorted by pid. Read without ProcArrayLock: each field is a
// naturally aligned word, and a sample may be a moment stale anyway.
int collect_waits(ProcWait *out) {
    int count = 0;
    for (uint32 i = 0; i < ProcGlobal->allProcCount; ++i) {
        volatile PGPROC *proc = &ProcGlobal->allProcs[i];
        int pid = proc->pid;
        if (pid != 0) out[count++] = ProcWait{pid, proc->wait_event_info};
    }
    qsort(out, size_t(count), sizeof(ProcWait), compare_waits);
    return count;
}

struct BackendCensus {
    int observations;
    int client_connections;
    int background;
    int unresolved;  // OIDs the name caches lacked
};

// Walks the backend status snapshot. Client backends whose names are cached become
// observations; the OIDs of the others are listed for resolution.
BackendCensus census(const ProcWait *waits, int wait_count) {
    SamplerState &s = *g_sampler;
    BackendCensus c{};
    int backends = pgstat_fetch_stat_numbackends();
    for (int i = 1; i <= backends; ++i) {
        LocalPgBackendStatus *local = compat::local_backend_status(i);
        if (!local) continue;
        PgBackendStatus *be = &local->backendStatus;
        if (be->st_procpid == MyProcPid) continue;
        if (be->st_backendType != B_BACKEND) {
            c.background++;
            continue;
        }
        c.client_connections++;
        if (be->st_databaseid == InvalidOid) continue;  // still authenticating
        const char *database = s.databases->find(be->st_databaseid);
        const char *role = s.roles->find(be->st_userid);
        if (!database || !role) {
            s.oids_to_resolve[c.unresolved++] = be->st_databaseid;
            s.oids_to_resolve[c.unresolved++] = be->st_userid;
            continue;
        }
        char address[core::kAddressBytes];
        format_client_address(&be->st_clientaddr, address, sizeof address);
        core::BackendObservation &o = s.observations[c.observations++];
        o.key = core::make_group_key(database, role, be->st_appname ? be->st_appname : "", address);
        o.pid = be->st_procpid;
        o.state = session_state(be->st_state);
        ProcWait key{be->st_procpid, 0};
        const auto *wait = static_cast<const ProcWait *>(
            bsearch(&key, waits, size_t(wait_count), sizeof(ProcWait), compare_waits));
        uint32 wait_event = wait ? wait->wait_event_info : 0;
        o.waiting_on_lock = (wait_event & 0xFF000000) == PG_WAIT_LOCK;
        o.waiting_on_lwlock = (wait_event & 0xFF000000) == PG_WAIT_LWLOCK;
        // Running with no wait event: on a CPU, or queued for one.
        o.on_cpu = o.state == core::SessionState::active && wait_event == 0;
    }
    return c;
}

void resolve_unknown(int unresolved) {
    SamplerState &s = *g_sampler;
    // The list alternates database and role OIDs.
    Oid *buffer = s.oids_to_resolve;
    int half = unresolved / 2;
    Oid *databases = buffer + unresolved;  // scratch after the pairs
    Oid *roles = databases + half;
    for (int i = 0; i < half; ++i) {
        databases[i] = buffer[2 * i];
        roles[i] = buffer[2 * i + 1];
    }
    resolve_names(*s.databases, NameKind::database, databases, half);
    resolve_names(*s.roles, NameKind::role, roles, half);
}

void read_holds(core::HoldCounts &out, const std::atomic<uint64_t> (&holds)[core::kHoldBuckets]) {
    for (int b = 0; b < core::kHoldBuckets; ++b)
        out.buckets[b] = holds[b].load(std::memory_order_relaxed);
}

void read_slots(const SharedView &view) {
    for (uint32_t i = 0; i < view.state->slot_count; ++i) {
        const BackendSlot &slot = view.slots[i];
        core::SlotReading &reading = g_sampler->slot_readings[i];
        // The last reading is still here: when neither the owner nor its transaction count
        // moved since, neither did the holds (shmem.hpp), and copying them again is waste.
        const int32_t pid_before = reading.pid;
        const uint64_t transactions_before = reading.transactions;
        // A takeover between reading the pid and the counters would mix two owners: read
        // again until the pid is the same before and after.
        for (int attempt = 0; attempt < 3; ++attempt) {
            reading.pid = slot.pid.load(std::memory_order_acquire);
            reading.owner_base_transactions =
                slot.owner_base_transactions.load(std::memory_order_relaxed);
            reading.owner_base_busy_micros =
                slot.owner_base_busy_micros.load(std::memory_order_relaxed);
            reading.transactions = slot.transactions.load(std::memory_order_acquire);
            reading.busy_micros = slot.busy_micros.load(std::memory_order_relaxed);
            if (reading.pid != pid_before || reading.transactions != transactions_before) {
                core::SlotHolds &holds = g_sampler->slot_holds[i];
                read_holds(holds.holds, slot.holds);
                read_holds(holds.owner_base_holds, slot.owner_base_holds);
            }
            if (slot.pid.load(std::memory_order_acquire) == reading.pid) break;
        }
    }
}

core::SlotReadings sampled_slots(const SharedView &view) {
    return {g_sampler->slot_readings, g_sampler->slot_holds, view.state->slot_count};
}

int drain_events(const SharedView &view) {
    int count = 0;
    core::Event event;
    while (count < int(kEventQueueCapacity) && view.queue->pop(event))
        g_sampler->events[count++] = event;
    view.state->events_received.fetch_add(uint64_t(count), std::memory_order_relaxed);
    return count;
}

void apply_reset_if_requested(const SharedView &view, int64_t now) {
    uint64_t requested = view.state->reset_requests.load(std::memory_order_acquire);
    if (requested == g_sampler->resets_seen) return;
    LWLockAcquire(view.lock, LW_EXCLUSIVE);
    guarded_quietly("reset", WARNING, [&] { g_sampler->writer->reset(now, sampled_slots(view)); });
    for (int d = 0; d < kMaxDatabases; ++d) view.databases[d].in_use = false;
    view.state->host = HostFigures{};
    LWLockRelease(view.lock);
    view.history->clear();
    g_sampler->resets_seen = requested;
}

}  // namespace

void sampler_start() {
    const SharedView &view = require_shared("pool_optimizer worker");
    MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
    auto *s = static_cast<SamplerState *>(palloc0(sizeof(SamplerState)));
    uint32_t slots = view.state->slot_count;
    s->databases = static_cast<NameCache *>(palloc0(sizeof(NameCache)));
    s->roles = static_cast<NameCache *>(palloc0(sizeof(NameCache)));
    s->observations =
        static_cast<core::BackendObservation *>(palloc0(sizeof(core::BackendObservation) * slots));
    s->slot_readings = static_cast<core::SlotReading *>(palloc0(sizeof(core::SlotReading) * slots));
    s->slot_holds = static_cast<core::SlotHolds *>(palloc0(sizeof(core::SlotHolds) * slots));
    s->waits = static_cast<ProcWait *>(palloc0(sizeof(ProcWait) * ProcGlobal->allProcCount));
    s->oids_to_resolve = static_cast<Oid *>(palloc0(sizeof(Oid) * 4 * (slots + 1)));
    s->events = static_cast<core::Event *>(palloc0(sizeof(core::Event) * kEventQueueCapacity));
    s->sample_context =
        AllocSetContextCreate(TopMemoryContext, "pool_optimizer sample", ALLOCSET_DEFAULT_SIZES);
    s->resets_seen = view.state->reset_requests.load(std::memory_order_acquire);
    MemoryContextSwitchTo(old);
    start_database_sampler();
    StorageFigures storage{};
    s->writer = guarded<core::GroupTableWriter *>("sampler start", [&] {
        storage = start_host_sampler();
        return new core::GroupTableWriter(&view.state->groups, view.groups);
    });
    publish_storage(view, storage);
    g_sampler = s;
}

bool reset_requested() {
    const SharedView *view = shared();
    return g_sampler && view &&
           view->state->reset_requests.load(std::memory_order_acquire) != g_sampler->resets_seen;
}

void take_sample() {
    const SharedView &view = require_shared("pool_optimizer worker");
    SamplerState &s = *g_sampler;
    uint64_t started = monotonic_nanos();
    int64_t now = unix_micros_now();
    MemoryContext old = MemoryContextSwitchTo(s.sample_context);

    read_slots(view);
    apply_reset_if_requested(view, now);

    // The snapshot of backend status and statistics is cached until cleared: clear it so
    // this sample sees the present. Names missing from the caches are resolved in a
    // transaction (which itself clears the snapshot), then the census is taken again.
    BackendCensus census_result{};
    for (int attempt = 0; attempt < 3; ++attempt) {
        pgstat_clear_snapshot();
        int waits = collect_waits(s.waits);
        census_result = census(s.waits, waits);
        if (census_result.unresolved == 0) break;
        resolve_unknown(census_result.unresolved);
    }

    int64_t interval = s.previous_sample_micros ? now - s.previous_sample_micros : 0;
    s.previous_sample_micros = now;

    // Database OIDs of this sample, to watch their counters.
    Oid *seen = s.oids_to_resolve;
    int seen_count = databases_in_sample(seen, kMaxDatabases);

    HostReading host;
    guarded_quietly("host sampling", WARNING, [&] { host = sample_host(now); });
    int event_count = drain_events(view);

    LWLockAcquire(view.lock, LW_EXCLUSIVE);
    watch_databases(view, seen, seen_count, *s.databases);
    core::DatabaseCounters delta = sample_databases(view, interval);
    bool window_closed = false;
    guarded_quietly("aggregation", WARNING, [&] {
        window_closed = s.writer->begin_sample(now, int64_t(gucs::evaluation_interval_s) * 1000000);
        s.writer->record_sample(s.observations, size_t(census_result.observations),
                                sampled_slots(view), now);
        for (int i = 0; i < event_count; ++i) s.writer->record_event(s.events[i]);
    });
    publish_host(view.state->host, host, interval, window_closed);
    if (window_closed) start_database_windows(view);
    uint32_t groups = view.state->groups.in_use;
    LWLockRelease(view.lock);

    core::ServerSample sample{};
    sample.time_micros = now;
    sample.client_connections = census_result.client_connections;
    for (int i = 0; i < census_result.observations; ++i) {
        switch (s.observations[i].state) {
            case core::SessionState::active:
                sample.active++;
                break;
            case core::SessionState::idle:
                sample.idle++;
                break;
            case core::SessionState::idle_in_transaction:
            case core::SessionState::idle_in_transaction_aborted:
                sample.idle_in_transaction++;
                break;
            default:
                break;
        }
        if (s.observations[i].waiting_on_lock) sample.waiting_on_lock++;
    }
    sample.background_processes = census_result.background;
    sample.connection_headroom =
        MaxConnections - compat::reserved_connections() - census_result.client_connections;
    sample.groups = int32_t(groups);
    sample.cpu_utilisation = host.cpu_utilisation;
    sample.cpu_iowait = host.cpu_iowait;
    sample.load_1min = host.load_1min;
    sample.memory_available_bytes = host.memory_available_bytes;
    sample.interval_micros = interval;
    sample.delta = delta;
    view.history->push(sample);

    MemoryContextSwitchTo(old);
    MemoryContextReset(s.sample_context);

    uint64_t cost = monotonic_nanos() - started;
    view.state->sample_nanos_last.store(cost, std::memory_order_relaxed);
    view.state->sample_nanos_total.fetch_add(cost, std::memory_order_relaxed);
    view.state->sample_backends_last.store(uint64_t(census_result.client_connections),
                                           std::memory_order_relaxed);
    view.state->last_sample_micros.store(now, std::memory_order_relaxed);
    view.state->samples_taken.fetch_add(1, std::memory_order_release);

    if (window_closed) {
        evaluate_closed_window(view, now);
        MemoryContextReset(s.sample_context);
    }
    measure_database_sizes_if_due(view, now);
}

}  // namespace poolopt::pg
