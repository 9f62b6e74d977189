#include "core/pool_facts.hpp"

#include <algorithm>

namespace poolopt::core {

namespace {

uint64_t grown(uint64_t later, uint64_t earlier) {
    return later >= earlier ? later - earlier : 0;
}

// Connections over the span's windows so far, as [fewest, most].
struct ConnectionRange {
    int32_t fewest = 0, most = 0;
    bool any = false;
    void add(const GroupWindow &window) {
        fewest = any ? std::min(fewest, window.min_connections) : window.min_connections;
        most = any ? std::max(most, window.max_connections) : window.max_connections;
        any = true;
    }
};

void add_window(GroupSpan &span, const GroupWindow &window) {
    span.saturated += window.saturated_samples;
    span.on_cpu += window.on_cpu_sum;
    span.waiting_on_lock += window.waiting_on_lock_sum;
    span.idle_in_transaction += window.idle_in_transaction_sum;
    span.waiting_on_lwlock += window.waiting_on_lwlock_sum;
}

}  // namespace

GroupSpan group_span(const GroupEntry &entry, const GroupTableHeader &header, FactsWindow window,
                     int64_t now_micros) noexcept {
    GroupSpan span{};
    span.key = entry.key;
    span.connections = entry.now.connections;
    span.adapted_pool_size = entry.adapted_pool_size;
    span.last_seen_micros = entry.last_seen_micros;
    span.sizes_held = entry.sizes_held;
    const BusyHistogram *parts[2];
    size_t part_count = 0;
    ConnectionRange range;
    uint64_t table_samples = 0;  // the samples taken over the span, with or without the group
    bool have_previous = header.previous_window_start_micros != 0;
    if (window == FactsWindow::completed) {
        parts[part_count++] = &entry.previous.busy;
        add_window(span, entry.previous);
        range.add(entry.previous);
        table_samples = header.previous_window_samples;
        span.from = entry.previous.totals_at_start;
        span.to = entry.current.totals_at_start;
        span.holds = summarise_holds(entry.current.holds_at_start, entry.previous.holds_at_start);
        span.start_micros = header.previous_window_start_micros;
        span.end_micros = header.window_start_micros;
    } else {
        if (have_previous) {
            parts[part_count++] = &entry.previous.busy;
            add_window(span, entry.previous);
            range.add(entry.previous);
            table_samples += header.previous_window_samples;
        }
        parts[part_count++] = &entry.current.busy;
        add_window(span, entry.current);
        range.add(entry.current);
        table_samples += header.window_samples;
        span.from = have_previous ? entry.previous.totals_at_start : entry.current.totals_at_start;
        span.to = entry.totals;
        span.holds =
            summarise_holds(entry.hold_totals, have_previous ? entry.previous.holds_at_start
                                                             : entry.current.holds_at_start);
        span.start_micros =
            have_previous ? header.previous_window_start_micros : header.window_start_micros;
        span.end_micros = now_micros;
    }
    // A group first seen inside the span was only observable from then on.
    if (entry.first_seen_micros > span.start_micros) span.start_micros = entry.first_seen_micros;
    span.samples = BusyHistogram::samples_of(parts, part_count);
    span.busy_sum = BusyHistogram::sum_of(parts, part_count);
    span.busy_max = BusyHistogram::max_of(parts, part_count);
    span.busy_p95 = BusyHistogram::percentile_of(parts, part_count, 0.95);
    span.busy_p99 = BusyHistogram::percentile_of(parts, part_count, 0.99);
    const bool throughout = span.samples > 0 && span.samples == table_samples;
    span.held_connections = throughout ? held_connections(range.fewest, range.most) : 0;
    return span;
}

PoolGroupFacts pool_group_facts(const GroupEntry &entry, const GroupTableHeader &header,
                                FactsWindow window, int64_t now_micros,
                                const DatabaseEndings &endings) {
    return pool_group_facts(group_span(entry, header, window, now_micros), endings);
}

PoolGroupFacts pool_group_facts(const GroupSpan &span, const DatabaseEndings &endings) {
    PoolGroupFacts facts;
    facts.identity =
        PoolIdentity{span.key.database, span.key.role, span.key.application, span.key.client_addr};
    facts.connections = span.connections;
    facts.busy_mean = span.samples ? double(span.busy_sum) / double(span.samples) : 0.0;
    facts.busy_p95 = span.busy_p95;
    facts.busy_p99 = span.busy_p99;
    facts.busy_max = span.busy_max;
    facts.window_samples = span.samples;
    facts.saturation_share =
        facts.window_samples ? double(span.saturated) / double(facts.window_samples) : 0.0;
    double seconds =
        span.end_micros > span.start_micros ? double(span.end_micros - span.start_micros) / 1e6 : 0;
    facts.window_seconds = seconds;

    uint64_t transactions = grown(span.to.transactions, span.from.transactions);
    uint64_t busy_micros = grown(span.to.busy_micros, span.from.busy_micros);
    facts.transactions_per_second = seconds > 0 ? double(transactions) / seconds : 0;
    facts.mean_hold_seconds = transactions ? double(busy_micros) / double(transactions) / 1e6 : 0;
    if (span.holds.counted > 0) {
        facts.p50_hold_seconds = span.holds.p50_micros / 1e6;
        facts.p95_hold_seconds = span.holds.p95_micros / 1e6;
        facts.p99_hold_seconds = span.holds.p99_micros / 1e6;
    }
    facts.held_connections = span.held_connections;
    for (const SizeOutcome &outcome : recent_outcomes(span.sizes_held, span.end_micros))
        if (outcome.window_end_micros <= span.start_micros)
            facts.sizes_held.push_back(
                SizeHeld{outcome.connections, outcome.transactions_per_second, outcome.busy_share});
    double minutes = seconds / 60;
    if (minutes > 0) {
        facts.sessions_started_per_minute =
            double(grown(span.to.sessions_started, span.from.sessions_started)) / minutes;
        facts.sessions_ended_per_minute =
            double(grown(span.to.sessions_ended, span.from.sessions_ended)) / minutes;
    }
    auto events = [&](EventKind kind) {
        return grown(span.to.events[int(kind)], span.from.events[int(kind)]);
    };
    facts.connections_refused = events(EventKind::connection_refused);
    facts.statement_timeouts = events(EventKind::statement_timeout);
    facts.idle_in_transaction_timeouts = events(EventKind::idle_in_transaction_timeout);
    facts.idle_session_timeouts = events(EventKind::idle_session_timeout);
    facts.sessions_killed = endings.sessions_killed;
    facts.sessions_abandoned = endings.sessions_abandoned;

    uint64_t busy_sum = span.busy_sum;
    if (busy_sum > 0) {
        facts.idle_in_transaction_share = double(span.idle_in_transaction) / double(busy_sum);
        facts.lock_wait_share = double(span.waiting_on_lock) / double(busy_sum);
        facts.on_cpu_share = double(span.on_cpu) / double(busy_sum);
        facts.lwlock_wait_share = double(span.waiting_on_lwlock) / double(busy_sum);
    }
    return facts;
}

}  // namespace poolopt::core
