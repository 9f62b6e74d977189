#include "pg/event_queue.hpp"

#include "pg/sampler.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <new>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "core/group_table.hpp"
#include "core/host_probe.hpp"
#include "pg/boundary.hpp"
#include "pg/adaptation.hpp"
#include "pg/compat.hpp"
#include "pg/events.hpp"
#include "pg/gucs.hpp"
#include "pg/name_cache.hpp"
#include "pg/plain_text.hpp"
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

struct DatabaseBaseline {
    Oid oid;
    bool valid;
    core::DatabaseCounters counters;
};

struct SamplerState {
    core::GroupTableWriter *writer;
    NameCache *databases;
    NameCache *roles;
    core::BackendObservation *observations;  // capacity: slot_count
    core::SlotReading *slot_readings;        // slot_count
    ProcWait *waits;                         // capacity: allProcCount
    Oid *oids_to_resolve;                    // 2 * slot_count
    core::Event *events;                     // kEventQueueCapacity
    DatabaseBaseline baselines[kMaxDatabases];
    core::CpuTimes previous_cpu;
    bool have_previous_cpu;
    uint64_t previous_cgroup_usage_micros;
    int64_t previous_cgroup_usage_at;
    int64 previous_checkpoints_timed, previous_checkpoints_requested;
    bool have_previous_checkpoints;
    int64_t previous_sample_micros;
    uint64_t resets_seen;
    int affinity_cpus;
    bool data_disk_rotational;  // detected once at start: rotational and not a virtual disk
    core::HostResources *host;  // the last full host reading, refreshed in place
    int64_t last_full_host_read_micros;
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

void read_slots(const SharedView &view) {
    for (uint32_t i = 0; i < view.state->slot_count; ++i) {
        const BackendSlot &slot = view.slots[i];
        core::SlotReading &reading = g_sampler->slot_readings[i];
        // A takeover between reading the pid and the counters would mix two owners: read
        // again until the pid is the same before and after.
        for (int attempt = 0; attempt < 3; ++attempt) {
            reading.pid = slot.pid.load(std::memory_order_acquire);
            reading.owner_base_transactions =
                slot.owner_base_transactions.load(std::memory_order_relaxed);
            reading.owner_base_busy_micros =
                slot.owner_base_busy_micros.load(std::memory_order_relaxed);
            reading.transactions = slot.transactions.load(std::memory_order_relaxed);
            reading.busy_micros = slot.busy_micros.load(std::memory_order_relaxed);
            if (slot.pid.load(std::memory_order_acquire) == reading.pid) break;
        }
    }
}

core::DatabaseCounters database_counters_of(Oid oid, bool *found) {
    core::DatabaseCounters c{};
    PgStat_StatDBEntry *entry = pgstat_fetch_stat_dbentry(oid);
    *found = entry != nullptr;
    if (!entry) return c;
    compat::DatabaseCounterFields f = compat::database_counters(entry);
    c.active_time_ms = f.active_time_ms;
    c.idle_in_transaction_time_ms = f.idle_in_transaction_time_ms;
    c.session_time_ms = f.session_time_ms;
    c.sessions = f.sessions;
    c.sessions_abandoned = f.sessions_abandoned;
    c.sessions_fatal = f.sessions_fatal;
    c.sessions_killed = f.sessions_killed;
    c.xact_commit = f.xact_commit;
    c.xact_rollback = f.xact_rollback;
    c.temp_files = f.temp_files;
    c.temp_bytes = f.temp_bytes;
    c.blks_hit = f.blks_hit;
    c.blks_read = f.blks_read;
    c.rows_read = f.rows_read;
    c.rows_written = f.rows_written;
    return c;
}

// Adds every database that has a client in this sample to the watched set.
void watch_databases(const SharedView &view, const Oid *seen, int seen_count) {
    SamplerState &s = *g_sampler;
    for (int i = 0; i < seen_count; ++i) {
        Oid oid = seen[i];
        bool known = false;
        int free_slot = -1;
        for (int d = 0; d < kMaxDatabases; ++d) {
            if (view.databases[d].in_use && view.databases[d].oid == oid) {
                known = true;
                break;
            }
            if (!view.databases[d].in_use && free_slot < 0) free_slot = d;
        }
        if (known || free_slot < 0) continue;
        DatabaseEntry &entry = view.databases[free_slot];
        std::memset(&entry, 0, sizeof entry);
        entry.in_use = true;
        entry.oid = oid;
        const char *name = s.databases->find(oid);
        strlcpy(entry.name, name ? name : "", sizeof entry.name);
        s.baselines[free_slot] = DatabaseBaseline{oid, false, {}};
    }
}

// Reads every watched database's counters; returns the sum of their deltas.
core::DatabaseCounters sample_databases(const SharedView &view, int64_t interval_micros) {
    SamplerState &s = *g_sampler;
    core::DatabaseCounters total{};
    for (int d = 0; d < kMaxDatabases; ++d) {
        DatabaseEntry &entry = view.databases[d];
        if (!entry.in_use) continue;
        bool found = false;
        core::DatabaseCounters now = database_counters_of(entry.oid, &found);
        if (!found) {  // dropped
            entry.in_use = false;
            s.baselines[d].valid = false;
            continue;
        }
        DatabaseBaseline &base = s.baselines[d];
        core::DatabaseCounters delta =
            base.valid ? core::counter_delta(base.counters, now) : core::DatabaseCounters{};
        base.counters = now;
        if (!base.valid) entry.at_window_start = entry.at_previous_window_start = now;
        base.valid = true;
        entry.cumulative = now;
        entry.delta = delta;
        entry.interval_micros = interval_micros;
        total = core::counter_sum(total, delta);
    }
    return total;
}

void sample_checkpoints(core::DatabaseCounters &total) {
    SamplerState &s = *g_sampler;
    int64 timed = 0, requested = 0;
    compat::checkpoint_counts(&timed, &requested);
    if (s.have_previous_checkpoints) {
        total.checkpoints_timed =
            timed >= s.previous_checkpoints_timed ? timed - s.previous_checkpoints_timed : timed;
        total.checkpoints_requested = requested >= s.previous_checkpoints_requested
                                          ? requested - s.previous_checkpoints_requested
                                          : requested;
    }
    s.previous_checkpoints_timed = timed;
    s.previous_checkpoints_requested = requested;
    s.have_previous_checkpoints = true;
}

struct HostReading {
    double cpu_utilisation = NAN, cpu_iowait = NAN, load_1min = NAN;
    int64_t memory_available_bytes = -1;
    double usable_cpus = 0;
    uint64_t usable_memory_bytes = 0;
};

// The fast-moving host figures, read every sample: CPU times, MemAvailable, load.
void read_host_dynamics(core::HostResources &host) {
    if (auto text = core::read_text_file("/proc/stat", nullptr))
        host.cpu_times = core::parse_proc_stat(*text);
    if (auto text = core::read_text_file("/proc/loadavg", nullptr))
        host.load = core::parse_loadavg(*text);
    if (auto text = core::read_text_file("/proc/meminfo", nullptr)) {
        if (auto mem = core::parse_meminfo(*text)) {
            // Under a cgroup limit the full reading's headroom caps what MemAvailable says.
            uint64_t available = mem->available_bytes;
            if (host.memory_limit_bytes && host.memory_available_bytes)
                available = std::min(available, *host.memory_available_bytes);
            host.memory_available_bytes = available;
        }
    }
}

HostReading sample_host(int64_t now_micros) {
    SamplerState &s = *g_sampler;
    HostReading reading;
    // Limits, cgroup paths and CPU counts change rarely: the full probe (mountinfo, the
    // cgroup walk) runs every kFullHostReadMicros, or every sample under a CPU quota, whose
    // cgroup usage counter is the CPU figure there. In between only /proc is read.
    constexpr int64_t kFullHostReadMicros = 10'000'000;
    bool full = !s.host || s.host->cpu_quota ||
                now_micros - s.last_full_host_read_micros >= kFullHostReadMicros;
    if (full) {
        // read_host_resources reports unreadable files in `problems` and never throws.
        core::HostResources fresh = core::read_host_resources("/", s.affinity_cpus);
        if (!s.host) s.host = new core::HostResources();
        *s.host = std::move(fresh);
        s.last_full_host_read_micros = now_micros;
    } else {
        read_host_dynamics(*s.host);
    }
    const core::HostResources &host = *s.host;
    if (host.cpu_times) {
        if (s.have_previous_cpu) {
            if (auto usage = core::cpu_usage_between(s.previous_cpu, *host.cpu_times)) {
                reading.cpu_utilisation = usage->utilisation;
                reading.cpu_iowait = usage->iowait;
            }
        }
        s.previous_cpu = *host.cpu_times;
        s.have_previous_cpu = true;
    }
    // Under a CPU quota /proc/stat shows the whole host; the cgroup's own usage against
    // its quota is what the server can still get.
    if (host.cpu_quota && host.cgroup_cpu_usage_usec) {
        if (s.previous_cgroup_usage_micros && now_micros > s.previous_cgroup_usage_at) {
            if (auto share = core::cgroup_cpu_utilisation(
                    s.previous_cgroup_usage_micros, *host.cgroup_cpu_usage_usec,
                    uint64_t(now_micros - s.previous_cgroup_usage_at), host.usable_cpus))
                reading.cpu_utilisation = *share;
        }
        s.previous_cgroup_usage_micros = *host.cgroup_cpu_usage_usec;
        s.previous_cgroup_usage_at = now_micros;
    }
    if (host.load) reading.load_1min = host.load->one;
    reading.usable_cpus = host.usable_cpus;
    reading.usable_memory_bytes = host.usable_memory_bytes;
    if (host.memory_available_bytes)
        reading.memory_available_bytes = int64_t(*host.memory_available_bytes);
    return reading;
}

// Spindles as HikariCP counts them: one for a rotational data disk (set, or detected on a
// disk that is not virtual, whose rotational flag means nothing), none otherwise.
int32_t effective_spindles() {
    if (gucs::storage == gucs::storage_hdd) return 1;
    if (gucs::storage != gucs::storage_auto) return 0;
    return g_sampler->data_disk_rotational ? 1 : 0;
}

// Under the LWLock.
void publish_host(HostFigures &figures, const HostReading &host, int64_t interval,
                  bool window_closed) {
    figures.valid = true;
    figures.cpu_utilisation = host.cpu_utilisation;
    figures.cpu_iowait = host.cpu_iowait;
    figures.interval_micros = interval;
    figures.usable_cpus = host.usable_cpus;
    figures.usable_memory_bytes = host.usable_memory_bytes;
    figures.memory_available_bytes =
        host.memory_available_bytes > 0 ? uint64_t(host.memory_available_bytes) : 0;
    figures.effective_spindles = effective_spindles();
    if (window_closed) {
        figures.previous_window_cpu_sum = figures.window_cpu_sum;
        figures.previous_window_cpu_samples = figures.window_cpu_samples;
        figures.window_cpu_sum = 0;
        figures.window_cpu_samples = 0;
    }
    if (!std::isnan(host.cpu_utilisation)) {
        figures.window_cpu_sum += host.cpu_utilisation;
        figures.window_cpu_samples++;
    }
}

// Under the LWLock: the database counters at the start of the new window.
void start_database_windows(const SharedView &view) {
    for (int d = 0; d < kMaxDatabases; ++d) {
        DatabaseEntry &entry = view.databases[d];
        if (!entry.in_use) continue;
        entry.at_previous_window_start = entry.at_window_start;
        entry.at_window_start = entry.cumulative;
    }
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
    guarded_quietly("reset", WARNING, [&] {
        g_sampler->writer->reset(now, g_sampler->slot_readings, view.state->slot_count);
    });
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
    s->waits = static_cast<ProcWait *>(palloc0(sizeof(ProcWait) * ProcGlobal->allProcCount));
    s->oids_to_resolve = static_cast<Oid *>(palloc0(sizeof(Oid) * 4 * (slots + 1)));
    s->events = static_cast<core::Event *>(palloc0(sizeof(core::Event) * kEventQueueCapacity));
    s->sample_context =
        AllocSetContextCreate(TopMemoryContext, "pool_optimizer sample", ALLOCSET_DEFAULT_SIZES);
    s->resets_seen = view.state->reset_requests.load(std::memory_order_acquire);
    MemoryContextSwitchTo(old);
    StorageFigures storage{};
    s->writer = guarded<core::GroupTableWriter *>("sampler start", [&] {
        s->affinity_cpus = core::count_affinity_cpus();
        core::StorageGuess guess = core::detect_storage_of_path("/", DataDir);
        s->data_disk_rotational = guess.kind == core::StorageKind::hdd && !guess.virtual_disk;
        storage.kind = int32_t(guess.kind);
        storage.virtual_disk = guess.virtual_disk;
        copy_text(storage.device, sizeof storage.device, guess.device);
        copy_text(storage.how, sizeof storage.how, guess.how);
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
    int seen_count = 0;
    int backends = pgstat_fetch_stat_numbackends();
    for (int i = 1; i <= backends && seen_count < kMaxDatabases; ++i) {
        LocalPgBackendStatus *local = compat::local_backend_status(i);
        if (!local || local->backendStatus.st_backendType != B_BACKEND) continue;
        Oid oid = local->backendStatus.st_databaseid;
        bool duplicate = oid == InvalidOid;
        for (int j = 0; j < seen_count && !duplicate; ++j) duplicate = seen[j] == oid;
        if (!duplicate) seen[seen_count++] = oid;
    }

    HostReading host;
    guarded_quietly("host sampling", WARNING, [&] { host = sample_host(now); });
    int event_count = drain_events(view);

    LWLockAcquire(view.lock, LW_EXCLUSIVE);
    watch_databases(view, seen, seen_count);
    core::DatabaseCounters delta = sample_databases(view, interval);
    sample_checkpoints(delta);
    bool window_closed = false;
    guarded_quietly("aggregation", WARNING, [&] {
        window_closed = s.writer->begin_sample(now, int64_t(gucs::evaluation_interval_s) * 1000000);
        s.writer->record_sample(s.observations, size_t(census_result.observations), s.slot_readings,
                                view.state->slot_count, now);
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
