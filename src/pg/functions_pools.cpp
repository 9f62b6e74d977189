// SQL functions of the pool recommendations: pool_recommendations(), pool_budget(),
// pool_config(format), pool_size_for(...), pool_adjustments().
#include "pg/event_queue.hpp"

#include <cmath>

#include "core/queueing.hpp"
#include "pg/boundary.hpp"
#include "pg/pool_evaluation.hpp"
#include "pg/gucs.hpp"
#include "pg/row_builder.hpp"

extern "C" {
PG_FUNCTION_INFO_V1(pool_recommendations);
PG_FUNCTION_INFO_V1(pool_budget);
PG_FUNCTION_INFO_V1(pool_config);
PG_FUNCTION_INFO_V1(pool_size_for);
PG_FUNCTION_INFO_V1(pool_adjustments);
}

using namespace poolopt;
using namespace poolopt::pg;

namespace {

void put_identity(RowBuilder &row, const core::GroupKey &key) {
    row.text_or_null(key.database);
    row.text_or_null(key.role);
    row.text_or_null(key.application);
    row.inet_or_null(key.client_addr);
}

// Copies shared memory, then runs the engine on the copy inside the boundary guard.
PoolEvaluation evaluate_now(const SharedView &view, std::optional<core::PoolConfigFormat> format) {
    PoolInputs inputs;
    copy_pool_inputs(view, core::FactsWindow::recent, unix_micros_now(), &inputs);
    PoolEvaluation evaluation;
    allocate_pool_evaluation(inputs, format.has_value(), &evaluation);
    core::PoolPolicy policy = pool_policy_from_settings();
    guarded<void>("pool evaluation", [&] { evaluate_pools(inputs, policy, format, &evaluation); });
    return evaluation;
}

Datum pool_recommendations_rows(FunctionCallInfo fcinfo) {
    const SharedView &view = require_shared("pool_recommendations");
    compat::init_materialized_srf(fcinfo);
    PoolEvaluation evaluation = evaluate_now(view, std::nullopt);
    RowBuilder row;
    for (int i = 0; i < evaluation.row_count; ++i) {
        const PoolRow &r = evaluation.rows[i];
        put_identity(row, r.key);
        row.int4(r.connections);
        row.float8(r.busy_mean);
        row.int4(r.busy_p95);
        row.int4(r.busy_max);
        row.float8(r.saturation);
        row.float8(r.transactions_per_second);
        row.float8(r.mean_hold_ms);
        row.float8(r.offered_load);
        row.int4(r.pool_size);
        row.int4(r.max_overflow);
        row.int4(r.pool_timeout);
        row.int4(r.pool_recycle);
        row.boolean(r.pre_ping);
        row.int4(r.erlang_pool_size);
        row.float8(r.wait_probability);
        row.boolean(r.cpu_bound);
        row.boolean(r.transaction_pooling_advised);
        r.transaction_pooling_advised ? row.int4(r.pgbouncer_default_pool_size) : row.null();
        r.adapted_pool_size > 0 ? row.int4(r.adapted_pool_size) : row.null();
        row.text(r.confidence);
        row.text(r.reason);
        row.emit(fcinfo);
    }
    return Datum(0);
}

Datum pool_budget_rows(FunctionCallInfo fcinfo) {
    const SharedView &view = require_shared("pool_budget");
    compat::init_materialized_srf(fcinfo);
    PoolEvaluation evaluation = evaluate_now(view, std::nullopt);
    const BudgetRow &b = evaluation.budget;
    RowBuilder row;
    row.boolean(b.fits);
    row.int4(b.pool_connections);
    row.int4(b.reserved_connections);
    row.int4(b.other_connections);
    row.int4(b.required_connections);
    row.int4(b.max_connections);
    row.int4(b.shortfall);
    b.fits ? row.null() : row.int4(b.raise_max_connections_to);
    b.memory_known ? row.boolean(b.memory_allows_raise) : row.null();
    b.fits ? row.null() : row.int4(b.pgbouncer_default_pool_size);
    row.text(b.advice);
    row.emit(fcinfo);
    return Datum(0);
}

Datum pool_config_rows(FunctionCallInfo fcinfo) {
    const SharedView &view = require_shared("pool_config");
    const char *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
    std::optional<core::PoolConfigFormat> format = core::parse_pool_config_format(name);
    if (!format)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("unknown pool_config format \"%s\"", name),
                        errhint("Known formats: %s.", core::known_pool_config_formats())));
    compat::init_materialized_srf(fcinfo);
    PoolEvaluation evaluation = evaluate_now(view, format);
    RowBuilder row;
    for (int i = 0; i < evaluation.row_count; ++i) {
        const PoolRow &r = evaluation.rows[i];
        if (r.config[0] == '\0') continue;  // a pgbouncer pair's other groups
        if (r.config_for_pair) {
            row.text_or_null(r.key.database);
            row.text_or_null(r.key.role);
            row.null();
            row.null();
        } else {
            put_identity(row, r.key);
        }
        row.text(r.config);
        row.emit(fcinfo);
    }
    return Datum(0);
}

Datum pool_size_for_rows(FunctionCallInfo fcinfo) {
    if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
        ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
                        errmsg("pool_size_for() needs a throughput and a hold_time")));
    double throughput = PG_GETARG_FLOAT8(0);
    Interval *hold = PG_GETARG_INTERVAL_P(1);
    double target = PG_ARGISNULL(2) ? gucs::target_wait_probability : PG_GETARG_FLOAT8(2);
    if (!std::isfinite(throughput) || throughput < 0)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("throughput must be a finite number of transactions per second, "
                               "0 or more")));
    if (hold->month != 0 || hold->day != 0 || hold->time < 0)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("hold_time must be a non-negative duration without days or "
                               "months, such as '20 ms' or '1.5 s'")));
    if (!(target > 0 && target <= 1))
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("target_wait_probability must be greater than 0 and at most 1")));
    double hold_seconds = double(hold->time) / 1e6;
    double load = core::littles_law_mean_in_system(throughput, hold_seconds);
    if (load >= core::kMaxServers)
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                 errmsg("an offered load of %.0f connections exceeds what PostgreSQL can serve "
                        "(%d backends)",
                        load, core::kMaxServers)));
    compat::init_materialized_srf(fcinfo);
    int32_t size = core::smallest_servers_for_wait_probability(load, target);
    RowBuilder row;
    row.int4(size);
    row.float8(load);
    row.float8(core::erlang_c_wait_probability(load, size));
    row.float8(core::erlang_c_mean_wait_seconds(throughput, hold_seconds, size) * 1000);
    row.emit(fcinfo);
    return Datum(0);
}

Datum pool_adjustments_rows(FunctionCallInfo fcinfo) {
    const SharedView &view = require_shared("pool_adjustments");
    compat::init_materialized_srf(fcinfo);
    uint32_t capacity = view.adjustments->capacity();
    auto *records = static_cast<AdjustmentRecord *>(palloc(sizeof(AdjustmentRecord) * capacity));
    uint32_t count = 0;
    view.adjustments->for_each_since(0, [&](uint64_t, const AdjustmentRecord &record) {
        if (count < capacity) records[count++] = record;
    });
    RowBuilder row;
    for (uint32_t i = 0; i < count; ++i) {
        const AdjustmentRecord &r = records[i];
        row.timestamp(r.time_micros);
        put_identity(row, r.key);
        r.old_pool_size > 0 ? row.int4(r.old_pool_size) : row.null();
        row.int4(r.new_pool_size);
        row.text(r.reason);
        row.emit(fcinfo);
    }
    return Datum(0);
}

}  // namespace

extern "C" Datum pool_recommendations(PG_FUNCTION_ARGS) {
    return guarded<Datum>("pool_recommendations",
                          [&] { return pool_recommendations_rows(fcinfo); });
}

extern "C" Datum pool_budget(PG_FUNCTION_ARGS) {
    return guarded<Datum>("pool_budget", [&] { return pool_budget_rows(fcinfo); });
}

extern "C" Datum pool_config(PG_FUNCTION_ARGS) {
    return guarded<Datum>("pool_config", [&] { return pool_config_rows(fcinfo); });
}

extern "C" Datum pool_size_for(PG_FUNCTION_ARGS) {
    return guarded<Datum>("pool_size_for", [&] { return pool_size_for_rows(fcinfo); });
}

extern "C" Datum pool_adjustments(PG_FUNCTION_ARGS) {
    return guarded<Datum>("pool_adjustments", [&] { return pool_adjustments_rows(fcinfo); });
}
