// SQL functions that expose the collected figures: pool_metrics(), pool_sizes_held(),
// pool_samples(), pool_database_stats(), pool_optimizer_status(), pool_optimizer_reset().
#include "pg/event_queue.hpp"

#include <algorithm>
#include <iterator>

#include "core/group_table.hpp"
#include "pg/boundary.hpp"
#include "pg/gucs.hpp"
#include "pg/row_builder.hpp"
#include "pg/shared_reads.hpp"
#include "pg/shmem.hpp"

extern "C" {
PG_FUNCTION_INFO_V1(pool_metrics);
PG_FUNCTION_INFO_V1(pool_metrics_1_2);
PG_FUNCTION_INFO_V1(pool_metrics_1_4);
PG_FUNCTION_INFO_V1(pool_sizes_held);
PG_FUNCTION_INFO_V1(pool_samples);
PG_FUNCTION_INFO_V1(pool_database_stats);
PG_FUNCTION_INFO_V1(pool_optimizer_status);
PG_FUNCTION_INFO_V1(pool_optimizer_reset);
}

using namespace poolopt;
using namespace poolopt::pg;

namespace {

// What a pool_metrics() row shows of one group, taken under the LWLock: the entry's
// histograms and minute counters stay in shared memory, only their figures are copied.
struct MetricsRow {
    core::GroupKey key;
    core::GroupCounts now;
    core::GroupFigures figures;
    uint64_t events[core::kEventKinds];
    uint64_t transactions;
    int64_t first_seen_micros, last_seen_micros;
};

// The result shapes pool_metrics() has had: the SQL definition of each extension version
// names the C symbol of its shape, so a database not yet updated keeps getting its own.
enum class MetricsShape {
    v1_0,  // 1.0 and 1.1
    v1_2,  // + on_cpu, waiting_on_lwlock
    v1_4,  // + hold_p50_ms, hold_p95_ms, hold_p99_ms
};

Datum pool_metrics_rows(FunctionCallInfo fcinfo, MetricsShape shape) {
    const SharedView &view = require_shared("pool_metrics");
    compat::init_materialized_srf(fcinfo);
    // Not zeroed: only the rows filled are touched.
    auto *rows = static_cast<MetricsRow *>(palloc(sizeof(MetricsRow) * view.state->max_pools));
    int count = 0;
    int64_t now = unix_micros_now();
    visit_groups(view, [&](const core::GroupEntry &g) {
        MetricsRow &r = rows[count++];
        r.key = g.key;
        r.now = g.now;
        r.figures = core::figures_of(g, now);
        memcpy(r.events, g.totals.events, sizeof r.events);
        r.transactions = g.totals.transactions;
        r.first_seen_micros = g.first_seen_micros;
        r.last_seen_micros = g.last_seen_micros;
    });
    RowBuilder row;
    for (int i = 0; i < count; ++i) {
        const MetricsRow &g = rows[i];
        const core::GroupFigures &f = g.figures;
        row.text(g.key.database);
        row.text(g.key.role);
        row.text(g.key.application);
        row.inet_or_null(g.key.client_addr);
        row.int4(g.now.connections);
        row.int4(g.now.active);
        row.int4(g.now.idle);
        row.int4(g.now.idle_in_transaction);
        row.int4(g.now.idle_in_transaction_aborted);
        row.int4(g.now.waiting_on_lock);
        row.int8(int64(f.sessions_started_last_minute));
        row.int8(int64(f.sessions_ended_last_minute));
        row.float8(f.busy_mean);
        row.int4(int32(f.busy_p95));
        row.int4(int32(f.busy_p99));
        row.int4(int32(f.busy_max));
        row.float8(f.saturation_share);
        row.int8(int64(f.window_samples));
        const uint64_t *events = g.events;
        row.int8(int64(events[int(core::EventKind::connection_accepted)]));
        row.int8(int64(events[int(core::EventKind::authentication_failed)]));
        row.int8(int64(events[int(core::EventKind::connection_refused)]));
        row.int8(int64(events[int(core::EventKind::statement_timeout)]));
        row.int8(int64(events[int(core::EventKind::idle_in_transaction_timeout)]));
        row.int8(int64(events[int(core::EventKind::idle_session_timeout)]));
        row.float8(f.transactions_per_second);
        row.float8(f.mean_hold_micros / 1000.0);
        row.int8(int64(g.transactions));
        row.timestamp(g.first_seen_micros);
        row.timestamp(g.last_seen_micros);
        if (shape >= MetricsShape::v1_2) {
            row.int4(g.now.on_cpu);
            row.int4(g.now.waiting_on_lwlock);
        }
        if (shape >= MetricsShape::v1_4) {
            for (double micros : {f.holds.p50_micros, f.holds.p95_micros, f.holds.p99_micros})
                f.holds.counted ? row.float8(micros / 1000.0) : row.null();
        }
        row.emit(fcinfo);
    }
    return Datum(0);
}

void emit_sample_row(FunctionCallInfo fcinfo, RowBuilder &row, const core::ServerSample &s) {
    row.timestamp(s.time_micros);
    row.int4(s.client_connections);
    row.int4(s.active);
    row.int4(s.idle);
    row.int4(s.idle_in_transaction);
    row.int4(s.waiting_on_lock);
    row.int4(s.background_processes);
    row.int4(s.connection_headroom);
    row.int4(s.groups);
    row.float8(s.cpu_utilisation);
    row.float8(s.cpu_iowait);
    row.float8(s.load_1min);
    s.memory_available_bytes >= 0 ? row.int8(s.memory_available_bytes) : row.null();
    row.float8(s.interval_micros / 1000.0);
    row.int8(s.delta.xact_commit);
    row.int8(s.delta.xact_rollback);
    row.float8(s.delta.active_time_ms);
    row.float8(s.delta.idle_in_transaction_time_ms);
    row.float8(s.delta.session_time_ms);
    row.int8(s.delta.sessions);
    row.int8(s.delta.sessions_abandoned);
    row.int8(s.delta.sessions_fatal);
    row.int8(s.delta.sessions_killed);
    row.int8(s.delta.temp_files);
    row.int8(s.delta.temp_bytes);
    row.int8(s.delta.blks_hit);
    row.int8(s.delta.blks_read);
    row.int8(s.delta.checkpoints_timed);
    row.int8(s.delta.checkpoints_requested);
    row.emit(fcinfo);
}

// Samples copied out of the ring per chunk: each chunk's rows are emitted before the next
// is copied, so a call touches this much private memory, not the whole ring.
constexpr uint32_t kSampleChunk = 256;

Datum pool_samples_rows(FunctionCallInfo fcinfo) {
    const SharedView &view = require_shared("pool_samples");
    int64_t since =
        PG_ARGISNULL(0) ? INT64_MIN : unix_micros_from_timestamptz(PG_GETARG_TIMESTAMPTZ(0));
    compat::init_materialized_srf(fcinfo);
    auto *chunk =
        static_cast<core::ServerSample *>(palloc(sizeof(core::ServerSample) * kSampleChunk));
    HistoryRing::Cursor cursor = view.history->cursor_since(first_sample_since(view, since));
    RowBuilder row;
    // copy_chunk only copies (no PostgreSQL call), and returns before any row is emitted.
    while (uint32_t count = uint32_t(view.history->copy_chunk(&cursor, chunk, kSampleChunk)))
        for (uint32_t i = 0; i < count; ++i) {
            const core::ServerSample &s = chunk[i];
            if (s.time_micros < since) continue;
            emit_sample_row(fcinfo, row, s);
        }
    return Datum(0);
}

Datum pool_database_stats_rows(FunctionCallInfo fcinfo) {
    const SharedView &view = require_shared("pool_database_stats");
    compat::init_materialized_srf(fcinfo);
    auto *copy = static_cast<DatabaseEntry *>(palloc(sizeof(DatabaseEntry) * kMaxDatabases));
    int count = 0;
    LWLockAcquire(view.lock, LW_SHARED);
    for (int d = 0; d < kMaxDatabases; ++d)
        if (view.databases[d].in_use) copy[count++] = view.databases[d];
    LWLockRelease(view.lock);
    RowBuilder row;
    for (int i = 0; i < count; ++i) {
        const DatabaseEntry &e = copy[i];
        const core::DatabaseCounters &c = e.cumulative, &d = e.delta;
        row.int8(e.oid);
        row.text(e.name);
        row.float8(e.interval_micros / 1000.0);
        for (const core::DatabaseCounters *set : {&c, &d}) {
            row.int8(set->xact_commit);
            row.int8(set->xact_rollback);
            row.float8(set->active_time_ms);
            row.float8(set->idle_in_transaction_time_ms);
            row.float8(set->session_time_ms);
            row.int8(set->sessions);
            row.int8(set->sessions_abandoned);
            row.int8(set->sessions_fatal);
            row.int8(set->sessions_killed);
            row.int8(set->temp_files);
            row.int8(set->temp_bytes);
            row.int8(set->blks_hit);
            row.int8(set->blks_read);
        }
        row.emit(fcinfo);
    }
    return Datum(0);
}

Datum pool_optimizer_status_rows(FunctionCallInfo fcinfo) {
    const SharedView &view = require_shared("pool_optimizer_status");
    compat::init_materialized_srf(fcinfo);
    const SharedState &st = *view.state;
    LWLockAcquire(view.lock, LW_SHARED);
    core::GroupTableHeader groups = st.groups;
    LWLockRelease(view.lock);
    uint64_t samples = st.samples_taken.load(std::memory_order_acquire);
    uint64_t pushed = view.history->pushed();
    RowBuilder row;
    int32_t pid = st.worker_pid.load();
    pid ? row.int4(pid) : row.null();
    row.timestamp(st.worker_started_micros.load());
    row.int8(int64(samples));
    samples ? row.float8(double(st.sample_nanos_total.load()) / double(samples) / 1000.0)
            : row.null();
    samples ? row.float8(double(st.sample_nanos_last.load()) / 1000.0) : row.null();
    row.int8(int64(st.sample_backends_last.load()));
    row.timestamp(st.last_sample_micros.load());
    row.int4(gucs::sample_interval_ms);
    row.int4(int32(view.history->capacity()));
    row.int4(int32(pushed < view.history->capacity() ? pushed : view.history->capacity()));
    row.int4(int32(groups.in_use));
    row.int4(int32(groups.capacity));
    row.int8(int64(groups.evicted));
    row.int8(int64(st.events_received.load()));
    row.int8(int64(st.events_dropped.load()));
    row.int4(int32(kEventQueueCapacity));
    row.int8(int64(st.evaluations.load()));
    row.timestamp(st.last_evaluation_micros.load());
    row.int8(int64(st.total_bytes));
    row.emit(fcinfo);
    return Datum(0);
}

// One group's sizes held, copied under the LWLock.
struct SizesHeldRow {
    core::GroupKey key;
    core::SizeHistory sizes;
};

Datum pool_sizes_held_rows(FunctionCallInfo fcinfo) {
    const SharedView &view = require_shared("pool_sizes_held");
    compat::init_materialized_srf(fcinfo);
    auto *groups =
        static_cast<SizesHeldRow *>(palloc(sizeof(SizesHeldRow) * view.state->max_pools));
    int count = 0;
    visit_groups(view, [&](const core::GroupEntry &g) {
        groups[count].key = g.key;
        groups[count++].sizes = g.sizes_held;
    });
    RowBuilder row;
    for (int i = 0; i < count; ++i) {
        const SizesHeldRow &g = groups[i];
        core::SizeOutcome sizes[core::kSizeHistoryLength];  // no destructor to skip
        std::copy(std::begin(g.sizes.outcomes), std::end(g.sizes.outcomes), sizes);
        std::sort(std::begin(sizes), std::end(sizes),
                  [](const core::SizeOutcome &a, const core::SizeOutcome &b) {
                      return a.connections < b.connections;
                  });
        for (const core::SizeOutcome &held : sizes) {
            if (held.window_end_micros == 0) continue;
            row.text(g.key.database);
            row.text(g.key.role);
            row.text(g.key.application);
            row.inet_or_null(g.key.client_addr);
            row.int4(held.connections);
            row.int8(int64(held.windows));
            row.float8(held.transactions_per_second);
            row.float8(held.busy_share);
            row.timestamp(held.window_end_micros);
            row.emit(fcinfo);
        }
    }
    return Datum(0);
}

Datum pool_optimizer_reset_rows(FunctionCallInfo fcinfo) {
    const SharedView &view = require_shared("pool_optimizer_reset");
    if (!superuser())
        ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                        errmsg("only superusers may reset pool_optimizer's figures")));
    view.state->reset_requests.fetch_add(1, std::memory_order_release);
    // Wake the worker so that the reset is applied now, not at the next interval.
    int32_t pid = view.state->worker_pid.load();
    if (pid != 0)
        if (PGPROC *proc = BackendPidGetProc(pid)) SetLatch(&proc->procLatch);
    return Datum(0);
}

}  // namespace

extern "C" Datum pool_metrics(PG_FUNCTION_ARGS) {
    return guarded<Datum>("pool_metrics",
                          [&] { return pool_metrics_rows(fcinfo, MetricsShape::v1_0); });
}

extern "C" Datum pool_metrics_1_2(PG_FUNCTION_ARGS) {
    return guarded<Datum>("pool_metrics",
                          [&] { return pool_metrics_rows(fcinfo, MetricsShape::v1_2); });
}

extern "C" Datum pool_metrics_1_4(PG_FUNCTION_ARGS) {
    return guarded<Datum>("pool_metrics",
                          [&] { return pool_metrics_rows(fcinfo, MetricsShape::v1_4); });
}

extern "C" Datum pool_sizes_held(PG_FUNCTION_ARGS) {
    return guarded<Datum>("pool_sizes_held", [&] { return pool_sizes_held_rows(fcinfo); });
}

extern "C" Datum pool_samples(PG_FUNCTION_ARGS) {
    return guarded<Datum>("pool_samples", [&] { return pool_samples_rows(fcinfo); });
}

extern "C" Datum pool_database_stats(PG_FUNCTION_ARGS) {
    return guarded<Datum>("pool_database_stats", [&] { return pool_database_stats_rows(fcinfo); });
}

extern "C" Datum pool_optimizer_status(PG_FUNCTION_ARGS) {
    return guarded<Datum>("pool_optimizer_status",
                          [&] { return pool_optimizer_status_rows(fcinfo); });
}

extern "C" Datum pool_optimizer_reset(PG_FUNCTION_ARGS) {
    return guarded<Datum>("pool_optimizer_reset",
                          [&] { return pool_optimizer_reset_rows(fcinfo); });
}
