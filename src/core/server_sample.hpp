// One entry of the server-wide sample history, and the cumulative database and checkpoint
// counters whose deltas it carries.
#pragma once

#include <cstdint>
#include <type_traits>

namespace poolopt::core {

// Cumulative counters as pg_stat_database and pg_stat_bgwriter show them, summed over the
// databases the sampler watches. Times in milliseconds, as pg_stat_database reports them.
struct DatabaseCounters {
    double active_time_ms;
    double idle_in_transaction_time_ms;
    double session_time_ms;
    int64_t sessions;
    int64_t sessions_abandoned;
    int64_t sessions_fatal;
    int64_t sessions_killed;
    int64_t xact_commit;
    int64_t xact_rollback;
    int64_t temp_files;
    int64_t temp_bytes;
    int64_t blks_hit;
    int64_t blks_read;
    // Rows read (tup_returned + tup_fetched) and written (tup_inserted + tup_updated +
    // tup_deleted): their mix tells a web workload from an oltp one.
    int64_t rows_read;
    int64_t rows_written;
    int64_t checkpoints_timed;
    int64_t checkpoints_requested;
};
static_assert(std::is_trivially_copyable_v<DatabaseCounters>);

// after - before, field by field. A counter that went backwards was reset (a statistics
// reset, a dropped database): its delta is its new value, never negative.
DatabaseCounters counter_delta(const DatabaseCounters &before, const DatabaseCounters &after);
DatabaseCounters counter_sum(const DatabaseCounters &a, const DatabaseCounters &b);

struct ServerSample {
    int64_t time_micros;  // Unix epoch microseconds
    int32_t client_connections;
    int32_t active;
    int32_t idle;
    int32_t idle_in_transaction;  // aborted ones included
    int32_t waiting_on_lock;
    int32_t background_processes;  // every non-client process with a backend status entry
    int32_t connection_headroom;   // max_connections - superuser_reserved - client connections
    int32_t groups;
    double cpu_utilisation;          // 0..1, NaN when unknown
    double cpu_iowait;               // 0..1, NaN when unknown
    double load_1min;                // NaN when unknown
    int64_t memory_available_bytes;  // -1 when unknown
    int64_t interval_micros;         // since the previous sample: the span of the deltas
    DatabaseCounters delta;          // change since the previous sample
};
static_assert(std::is_trivially_copyable_v<ServerSample>);

}  // namespace poolopt::core
