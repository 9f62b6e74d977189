// Runs the pool engine on what shared memory holds: used by pool_recommendations() and
// friends, and by the worker's adaptation at the end of each evaluation window.
//
// Two halves, on either side of the boundary: copy_pool_inputs() copies shared memory into
// palloc'd plain data under the LWLock (PostgreSQL calls, no C++ objects); evaluate_pools()
// runs the C++ engine on the copy and writes plain rows into memory allocated beforehand,
// so that every C++ object is gone before PostgreSQL is called again.
#pragma once

#include "pg/event_queue.hpp"

#include <optional>
#include <string>

#include "core/connected_span.hpp"
#include "core/pool_config.hpp"
#include "core/pool_facts.hpp"
#include "core/workload_rules.hpp"
#include "pg/shmem.hpp"

namespace poolopt::pg {

struct PoolInputs {
    core::FactsWindow window;
    core::GroupSpan *groups;  // each group in use, summarised over `window`
    int group_count;
    core::GroupTableHeader header;
    int64_t now_micros;  // when the groups were summarised: the end of a recent span
    DatabaseEntry *databases;
    int database_count;
    HostFigures host;
    // The host CPU over the part of the span since the last pool opened or closed
    // (core::connected_span), read from the history ring; set only when valid.
    bool connected_cpu_valid;
    double connected_cpu_utilisation;
    core::MicrosSpan connected_span;
};

// palloc's and fills `inputs`; takes and releases the LWLock in shared mode. Each group
// is summarised under the lock (core::group_span: no allocation, no error), so only the
// summaries are copied, never the histograms.
void copy_pool_inputs(const SharedView &view, core::FactsWindow window, int64_t now_micros,
                      PoolInputs *inputs);

constexpr size_t kReasonBytes = 2048;
constexpr size_t kConfigBytes = 1024;

struct PoolRow {
    core::GroupKey key;  // empty identity for the hardware-only row without any group
    int32_t connections;
    double busy_mean;
    int32_t busy_p95, busy_max;
    double saturation;
    double transactions_per_second;
    double mean_hold_ms;
    double offered_load;
    int32_t pool_size, max_overflow, pool_timeout, pool_recycle;
    bool pre_ping;
    int32_t erlang_pool_size;
    double wait_probability;
    bool cpu_bound;
    bool transaction_pooling_advised;
    int32_t pgbouncer_default_pool_size;
    int32_t adapted_pool_size;  // the worker's running size; 0 before its first evaluation
    char confidence[8];
    const char *reason;  // in the evaluation's text arena
    // Set when a format was asked for, else "": for pgbouncer only on the first row of
    // each (database, role) pair, which then stands for the whole pair (config_for_pair).
    const char *config;
    bool config_for_pair;
};

struct BudgetRow {
    bool fits;
    int32_t pool_connections, reserved_connections, other_connections, required_connections;
    int32_t max_connections, shortfall, raise_max_connections_to;
    int32_t pgbouncer_default_pool_size;
    bool memory_known, memory_allows_raise;
    char advice[kReasonBytes];
};

// Where the rows' reasons and configurations are written: room for the longest of each
// (kReasonBytes, kConfigBytes) on every row, palloc'd but neither zeroed nor touched beyond
// what is written, so a reason costs its length, not 3 kB per row.
struct TextArena {
    char *base;
    size_t used, capacity;
    // A copy of `text`, cut to limit - 1 bytes (and to what is left), NUL-terminated.
    const char *put(const std::string &text, size_t limit);
};

struct PoolEvaluation {
    PoolRow *rows;  // capacity: group_count + 1
    int row_count;
    BudgetRow budget;
    TextArena texts;
};

// Allocates the result (palloc, before any C++ runs); room for configurations only when
// `with_configs`.
void allocate_pool_evaluation(const PoolInputs &inputs, bool with_configs,
                              PoolEvaluation *evaluation);

// The engine's policy from the pool_optimizer.* settings in force in this process.
core::PoolPolicy pool_policy_from_settings();

// Fills `evaluation`. C++ only, no PostgreSQL calls: may throw std::bad_alloc, so callers
// run it inside `guarded`.
void evaluate_pools(const PoolInputs &inputs, const core::PoolPolicy &policy,
                    std::optional<core::PoolConfigFormat> config_format,
                    PoolEvaluation *evaluation);

// The pool sizes alone, without reasons: what the connection budget of
// setting_recommendations() needs. `sizes` has room for inputs.group_count + 1 entries;
// returns how many were written. C++ only, like evaluate_pools.
int evaluate_pool_sizes(const PoolInputs &inputs, const core::PoolPolicy &policy,
                        core::PoolAllowance *sizes);

}  // namespace poolopt::pg

namespace poolopt::pg {

// One group's outcome of an adaptation pass.
struct AdaptationRow {
    core::GroupKey key;
    int32_t pool_size;  // the running size after this evaluation
    bool changed;
    int32_t old_pool_size;
    char reason[kAdjustmentReasonBytes];
};

// The worker's pass over the window that just closed: each group's running size moves one
// bounded step toward the engine's recommendation (core::adapt_pool_size). `rows` has room
// for inputs.group_count entries. C++ only, like evaluate_pools.
// `inputs` copied for the completed window.
int adapt_pools(const PoolInputs &inputs, const core::PoolPolicy &policy, AdaptationRow *rows);

}  // namespace poolopt::pg
