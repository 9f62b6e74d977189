#include "pg/database_sampler.hpp"

#include <cstring>

#include "pg/compat.hpp"

namespace poolopt::pg {
namespace {

struct DatabaseBaseline {
    Oid oid;
    bool valid;
    core::DatabaseCounters counters;
};

// Worker-local, allocated once per worker process and never freed: the process exits
// without running destructors, and nothing here needs one at exit.
struct DatabaseSamplerState {
    DatabaseBaseline baselines[kMaxDatabases];  // by the index of the shared DatabaseEntry
    int64 previous_checkpoints_timed, previous_checkpoints_requested;
    bool have_previous_checkpoints;
};
DatabaseSamplerState *g_databases = nullptr;

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

void sample_checkpoints(core::DatabaseCounters &total) {
    DatabaseSamplerState &s = *g_databases;
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

}  // namespace

void start_database_sampler() {
    g_databases = static_cast<DatabaseSamplerState *>(
        MemoryContextAllocZero(TopMemoryContext, sizeof(DatabaseSamplerState)));
}

int databases_in_sample(Oid *databases, int capacity) {
    int count = 0;
    int backends = pgstat_fetch_stat_numbackends();
    for (int i = 1; i <= backends && count < capacity; ++i) {
        LocalPgBackendStatus *local = compat::local_backend_status(i);
        if (!local || local->backendStatus.st_backendType != B_BACKEND) continue;
        Oid oid = local->backendStatus.st_databaseid;
        bool duplicate = oid == InvalidOid;
        for (int j = 0; j < count && !duplicate; ++j) duplicate = databases[j] == oid;
        if (!duplicate) databases[count++] = oid;
    }
    return count;
}

void watch_databases(const SharedView &view, const Oid *seen, int seen_count,
                     const NameCache &names) {
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
        const char *name = names.find(oid);
        strlcpy(entry.name, name ? name : "", sizeof entry.name);
        g_databases->baselines[free_slot] = DatabaseBaseline{oid, false, {}};
    }
}

core::DatabaseCounters sample_databases(const SharedView &view, int64_t interval_micros) {
    DatabaseSamplerState &s = *g_databases;
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
    sample_checkpoints(total);
    return total;
}

void start_database_windows(const SharedView &view) {
    for (int d = 0; d < kMaxDatabases; ++d) {
        DatabaseEntry &entry = view.databases[d];
        if (!entry.in_use) continue;
        entry.at_previous_window_start = entry.at_window_start;
        entry.at_window_start = entry.cumulative;
    }
}

}  // namespace poolopt::pg
