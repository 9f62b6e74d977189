#include "pg/pool_evaluation.hpp"

#include <cmath>
#include <cstring>

#include "core/connected_span.hpp"
#include "core/pool_adaptation.hpp"
#include "pg/compat.hpp"
#include "pg/gucs.hpp"
#include "pg/shared_reads.hpp"

namespace poolopt::pg {

namespace {

// The samples averaged for the connected pools' CPU must cover this share of their span:
// the ring drops the oldest samples, and a restarted sampler leaves a gap.
constexpr double kMinCoveredShare = 0.8;

template <size_t N>
void copy_text(char (&out)[N], const std::string &text) {
    size_t n = text.size() < N - 1 ? text.size() : N - 1;
    std::memcpy(out, text.data(), n);
    out[n] = '\0';
}

uint64_t grown(int64_t later, int64_t earlier) {
    return later >= earlier ? uint64_t(later - earlier) : 0;
}

core::DatabaseEndings endings_for(const PoolInputs &inputs, const char *database,
                                  core::FactsWindow window) {
    core::DatabaseEndings endings;
    for (int d = 0; d < inputs.database_count; ++d) {
        const DatabaseEntry &db = inputs.databases[d];
        if (std::strcmp(db.name, database) != 0) continue;
        bool completed = window == core::FactsWindow::completed;
        const core::DatabaseCounters &from = inputs.header.previous_window_start_micros
                                                 ? db.at_previous_window_start
                                                 : db.at_window_start;
        const core::DatabaseCounters &to = completed ? db.at_window_start : db.cumulative;
        endings.sessions_killed = grown(to.sessions_killed, from.sessions_killed);
        endings.sessions_abandoned = grown(to.sessions_abandoned, from.sessions_abandoned);
    }
    return endings;
}

std::optional<double> window_cpu(const HostFigures &host, core::FactsWindow window) {
    double sum = host.previous_window_cpu_sum;
    uint64_t samples = host.previous_window_cpu_samples;
    if (window == core::FactsWindow::recent) {
        sum += host.window_cpu_sum;
        samples += host.window_cpu_samples;
    }
    if (samples == 0) return std::nullopt;
    return sum / double(samples);
}

// The span window_cpu averages over: the closed window, or it and the current one to now;
// empty when the completed window is asked for before one has closed.
core::MicrosSpan window_span(const core::GroupTableHeader &header, int64_t now_micros,
                             core::FactsWindow window) {
    const bool have_previous = header.previous_window_start_micros != 0;
    core::MicrosSpan span;
    span.start_micros =
        have_previous ? header.previous_window_start_micros : header.window_start_micros;
    span.end_micros = now_micros;
    if (window == core::FactsWindow::completed)
        span.end_micros = have_previous ? header.window_start_micros : span.start_micros;
    return span;
}

double seconds_of(const core::MicrosSpan &span) {
    return span.end_micros > span.start_micros ? double(span.end_micros - span.start_micros) / 1e6
                                               : 0;
}

// The host CPU since the last pool opened or closed within the span, from the history ring
// (lock-free); nothing when no pool did, or the ring no longer covers that part.
std::optional<double> connected_pools_cpu(const SharedView &view, const core::MicrosSpan &part) {
    core::SpanCpuAverage average(part);
    view.history->for_each_since(
        first_sample_since(view, part.start_micros + 1),
        [&](uint64_t, const core::ServerSample &sample) { average.add(sample); });
    return average.mean(kMinCoveredShare);
}

core::ServerFacts server_facts(const PoolInputs &inputs, core::FactsWindow window) {
    core::ServerFacts server;
    const HostFigures &host = inputs.host;
    server.usable_cpus = host.usable_cpus;
    server.effective_spindles = host.effective_spindles;
    server.usable_memory_bytes = host.usable_memory_bytes;
    server.memory_available_bytes = host.memory_available_bytes;
    // A new backend's own memory (about 10 MB with its caches) plus one work_mem for its
    // queries: an estimate for the budget check, documented in the README.
    server.per_connection_memory_bytes = uint64_t(10) * 1024 * 1024 + uint64_t(work_mem) * 1024;
    server.cpu_utilisation = window_cpu(host, window);
    server.cpu_window_seconds = seconds_of(window_span(inputs.header, inputs.now_micros, window));
    if (inputs.connected_cpu_valid) {
        server.cpu_utilisation = inputs.connected_cpu_utilisation;
        server.cpu_window_seconds = seconds_of(inputs.connected_span);
        server.cpu_of_connected_pools_only = true;
    }
    server.max_connections = MaxConnections;
    server.reserved_connections = compat::reserved_connections();
    server.other_connections = 0;
    server.idle_session_timeout_seconds = compat::idle_session_timeout_ms() / 1000.0;
    server.idle_in_transaction_session_timeout_seconds = IdleInTransactionSessionTimeout / 1000.0;
    return server;
}

// One PoolGroupFacts per copied group, in the same order.
std::vector<core::PoolGroupFacts> group_facts(const PoolInputs &inputs) {
    std::vector<core::PoolGroupFacts> facts;
    facts.reserve(size_t(inputs.group_count));
    for (int i = 0; i < inputs.group_count; ++i) {
        const core::GroupSpan &span = inputs.groups[i];
        facts.push_back(
            core::pool_group_facts(span, endings_for(inputs, span.key.database, inputs.window)));
    }
    return facts;
}

void fill_row(PoolRow &row, TextArena &texts, const core::PoolRecommendation &rec,
              const core::PoolGroupFacts *facts, int32_t adapted,
              std::optional<core::PoolConfigFormat> format) {
    std::memset(&row, 0, sizeof row);
    row.config = "";
    row.key = core::make_group_key(rec.identity.database, rec.identity.role,
                                   rec.identity.application, rec.identity.client_addr);
    row.connections = rec.connections;
    if (facts) {
        row.busy_mean = facts->busy_mean;
        row.busy_p95 = int32_t(facts->busy_p95);
        row.busy_max = int32_t(facts->busy_max);
        row.saturation = facts->saturation_share;
        row.transactions_per_second = facts->transactions_per_second;
        row.mean_hold_ms = facts->mean_hold_seconds * 1000;
    }
    row.offered_load = rec.offered_load;
    row.pool_size = rec.pool_size;
    row.max_overflow = rec.max_overflow;
    row.pool_timeout = rec.pool_timeout_seconds;
    row.pool_recycle = rec.pool_recycle_seconds;
    row.pre_ping = rec.pre_ping;
    row.erlang_pool_size = rec.erlang_pool_size;
    row.wait_probability = rec.wait_probability;
    row.cpu_bound = rec.cpu_bound;
    row.transaction_pooling_advised = rec.transaction_pooling_advised;
    row.pgbouncer_default_pool_size = rec.pgbouncer_default_pool_size;
    row.adapted_pool_size = adapted;
    copy_text(row.confidence, core::confidence_name(rec.confidence));
    row.reason = texts.put(rec.reason, kReasonBytes);
    if (format && *format != core::PoolConfigFormat::pgbouncer)
        row.config = texts.put(core::format_pool_config(*format, rec), kConfigBytes);
}

// PgBouncer pools are per (database, user): one block per pair, on the pair's first row.
void fill_pgbouncer_configs(const std::vector<core::PoolRecommendation> &pools,
                            PoolEvaluation *evaluation) {
    for (const core::PoolRecommendation &pair : core::combine_for_pgbouncer(pools)) {
        for (int i = 0; i < evaluation->row_count; ++i) {
            PoolRow &row = evaluation->rows[i];
            if (pair.identity.database == row.key.database && pair.identity.role == row.key.role) {
                row.config = evaluation->texts.put(
                    core::format_pool_config(core::PoolConfigFormat::pgbouncer, pair),
                    kConfigBytes);
                row.config_for_pair = true;
                break;
            }
        }
    }
}

void fill_budget(BudgetRow &out, const core::PoolBudgetVerdict &b) {
    std::memset(&out, 0, sizeof out);
    out.fits = b.fits;
    out.pool_connections = b.pool_connections;
    out.reserved_connections = b.reserved_connections;
    out.other_connections = b.other_connections;
    out.required_connections = b.required_connections;
    out.max_connections = b.max_connections;
    out.shortfall = b.shortfall;
    out.raise_max_connections_to = b.raise_max_connections_to;
    out.pgbouncer_default_pool_size = b.pgbouncer_default_pool_size;
    out.memory_known = b.memory_allows_raise.has_value();
    out.memory_allows_raise = b.memory_allows_raise.value_or(false);
    copy_text(out.advice, b.advice);
}

}  // namespace

void copy_pool_inputs(const SharedView &view, core::FactsWindow window, int64_t now_micros,
                      PoolInputs *inputs) {
    uint32_t capacity = view.state->max_pools;
    inputs->window = window;
    inputs->now_micros = now_micros;
    inputs->groups = static_cast<core::GroupSpan *>(palloc(sizeof(core::GroupSpan) * capacity));
    inputs->databases = static_cast<DatabaseEntry *>(palloc(sizeof(DatabaseEntry) * kMaxDatabases));
    inputs->group_count = 0;
    inputs->database_count = 0;
    LWLockAcquire(view.lock, LW_SHARED);
    const core::GroupTableHeader &header = view.state->groups;
    for (uint32_t i = 0; i < capacity; ++i)
        if (view.groups[i].in_use)
            inputs->groups[inputs->group_count++] =
                core::group_span(view.groups[i], header, window, now_micros);
    for (int d = 0; d < kMaxDatabases; ++d)
        if (view.databases[d].in_use)
            inputs->databases[inputs->database_count++] = view.databases[d];
    inputs->header = view.state->groups;
    inputs->host = view.state->host;
    LWLockRelease(view.lock);
    inputs->connected_cpu_valid = false;
    if (!inputs->host.valid) return;
    const std::optional<core::MicrosSpan> part =
        core::connected_span(inputs->groups, size_t(inputs->group_count),
                             window_span(inputs->header, now_micros, window));
    if (!part) return;
    if (std::optional<double> cpu = connected_pools_cpu(view, *part)) {
        inputs->connected_cpu_valid = true;
        inputs->connected_cpu_utilisation = *cpu;
        inputs->connected_span = *part;
    }
}

const char *TextArena::put(const std::string &text, size_t limit) {
    char *out = base + used;
    size_t room = capacity - used;
    if (room == 0) return "";
    size_t n = text.size();
    if (n > limit - 1) n = limit - 1;
    if (n > room - 1) n = room - 1;
    std::memcpy(out, text.data(), n);
    out[n] = '\0';
    used += n + 1;
    return out;
}

void allocate_pool_evaluation(const PoolInputs &inputs, bool with_configs,
                              PoolEvaluation *evaluation) {
    size_t rows = size_t(inputs.group_count + 1);
    evaluation->rows = static_cast<PoolRow *>(palloc0(sizeof(PoolRow) * rows));
    evaluation->row_count = 0;
    std::memset(&evaluation->budget, 0, sizeof evaluation->budget);
    evaluation->texts.capacity = rows * (kReasonBytes + (with_configs ? kConfigBytes : 0));
    evaluation->texts.base = static_cast<char *>(palloc(evaluation->texts.capacity));
    evaluation->texts.used = 0;
}

core::PoolPolicy pool_policy_from_settings() {
    core::PoolPolicy policy;
    policy.min_pool_size = gucs::min_pool_size;
    policy.max_pool_size = gucs::max_pool_size;
    policy.target_wait_probability = gucs::target_wait_probability;
    policy.evaluation_window_seconds = gucs::evaluation_interval_s;
    return policy;
}

void evaluate_pools(const PoolInputs &inputs, const core::PoolPolicy &policy,
                    std::optional<core::PoolConfigFormat> config_format,
                    PoolEvaluation *evaluation) {
    std::vector<core::PoolGroupFacts> facts = group_facts(inputs);
    core::PoolRecommendations result =
        core::recommend_pools(facts, server_facts(inputs, inputs.window), policy);
    evaluation->row_count = 0;
    for (size_t i = 0; i < result.pools.size() && i <= size_t(inputs.group_count); ++i) {
        // recommend_pools keeps the order of its input; the lone hardware-only row of an
        // empty table has no facts.
        bool has_facts = i < facts.size();
        fill_row(evaluation->rows[evaluation->row_count++], evaluation->texts, result.pools[i],
                 has_facts ? &facts[i] : nullptr,
                 has_facts ? inputs.groups[i].adapted_pool_size : 0, config_format);
    }
    if (config_format == core::PoolConfigFormat::pgbouncer)
        fill_pgbouncer_configs(result.pools, evaluation);
    fill_budget(evaluation->budget, result.budget);
}

int evaluate_pool_sizes(const PoolInputs &inputs, const core::PoolPolicy &policy,
                        core::PoolAllowance *sizes) {
    core::PoolRecommendations result = core::recommend_pools(
        group_facts(inputs), server_facts(inputs, inputs.window), policy, core::Reasons::skipped);
    int count = 0;
    for (size_t i = 0; i < result.pools.size() && i <= size_t(inputs.group_count); ++i)
        sizes[count++] =
            core::PoolAllowance{result.pools[i].pool_size, result.pools[i].max_overflow};
    return count;
}

int adapt_pools(const PoolInputs &inputs, const core::PoolPolicy &policy, AdaptationRow *rows) {
    std::vector<core::PoolGroupFacts> facts = group_facts(inputs);
    core::PoolRecommendations result = core::recommend_pools(
        facts, server_facts(inputs, inputs.window), policy, core::Reasons::skipped);
    int count = 0;
    for (int i = 0; i < inputs.group_count; ++i) {
        // Groups without traffic in the closed window keep their size: there is nothing
        // measured to adapt to.
        if (facts[size_t(i)].window_samples == 0) continue;
        const core::GroupSpan &entry = inputs.groups[i];
        core::AdaptationResult adapted =
            core::adapt_pool_size(core::adaptation_facts(facts[size_t(i)], result.pools[size_t(i)],
                                                         entry.adapted_pool_size),
                                  policy);
        AdaptationRow &row = rows[count++];
        std::memset(&row, 0, sizeof row);
        row.key = entry.key;
        row.pool_size = adapted.pool_size;
        row.changed = adapted.adjustment.has_value();
        row.old_pool_size = entry.adapted_pool_size;
        if (adapted.adjustment) copy_text(row.reason, adapted.adjustment->reason);
    }
    return count;
}

}  // namespace poolopt::pg
