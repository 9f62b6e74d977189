#include "core/pool_facts.hpp"

namespace poolopt::core {

namespace {

uint64_t grown(uint64_t later, uint64_t earlier) {
    return later >= earlier ? later - earlier : 0;
}

struct Span {
    BusyHistogram busy;
    uint64_t saturated = 0, on_cpu = 0, waiting_on_lock = 0, idle_in_transaction = 0;
    const GroupTotals *from = nullptr;  // totals when the span began
    const GroupTotals *to = nullptr;    // totals when it ended
    int64_t start_micros = 0, end_micros = 0;
};

void add_window(Span &span, const GroupWindow &window) {
    span.busy.merge(window.busy);
    span.saturated += window.saturated_samples;
    span.on_cpu += window.on_cpu_sum;
    span.waiting_on_lock += window.waiting_on_lock_sum;
    span.idle_in_transaction += window.idle_in_transaction_sum;
}

Span span_of(const GroupEntry &entry, const GroupTableHeader &header, FactsWindow window,
             int64_t now_micros) {
    Span span;
    span.busy.reset();
    bool have_previous = header.previous_window_start_micros != 0;
    if (window == FactsWindow::completed) {
        add_window(span, entry.previous);
        span.from = &entry.previous.totals_at_start;
        span.to = &entry.current.totals_at_start;
        span.start_micros = header.previous_window_start_micros;
        span.end_micros = header.window_start_micros;
    } else {
        if (have_previous) add_window(span, entry.previous);
        add_window(span, entry.current);
        span.from =
            have_previous ? &entry.previous.totals_at_start : &entry.current.totals_at_start;
        span.to = &entry.totals;
        span.start_micros =
            have_previous ? header.previous_window_start_micros : header.window_start_micros;
        span.end_micros = now_micros;
    }
    // A group first seen inside the span was only observable from then on.
    if (entry.first_seen_micros > span.start_micros) span.start_micros = entry.first_seen_micros;
    return span;
}

}  // namespace

PoolGroupFacts pool_group_facts(const GroupEntry &entry, const GroupTableHeader &header,
                                FactsWindow window, int64_t now_micros,
                                const DatabaseEndings &endings) {
    Span span = span_of(entry, header, window, now_micros);
    PoolGroupFacts facts;
    facts.identity = PoolIdentity{entry.key.database, entry.key.role, entry.key.application,
                                  entry.key.client_addr};
    facts.connections = entry.now.connections;
    facts.busy_mean = span.busy.mean();
    facts.busy_p95 = span.busy.percentile(0.95);
    facts.busy_p99 = span.busy.percentile(0.99);
    facts.busy_max = span.busy.max();
    facts.window_samples = span.busy.samples();
    facts.saturation_share =
        facts.window_samples ? double(span.saturated) / double(facts.window_samples) : 0.0;
    double seconds =
        span.end_micros > span.start_micros ? double(span.end_micros - span.start_micros) / 1e6 : 0;
    facts.window_seconds = seconds;

    uint64_t transactions = grown(span.to->transactions, span.from->transactions);
    uint64_t busy_micros = grown(span.to->busy_micros, span.from->busy_micros);
    facts.transactions_per_second = seconds > 0 ? double(transactions) / seconds : 0;
    facts.mean_hold_seconds = transactions ? double(busy_micros) / double(transactions) / 1e6 : 0;
    double minutes = seconds / 60;
    if (minutes > 0) {
        facts.sessions_started_per_minute =
            double(grown(span.to->sessions_started, span.from->sessions_started)) / minutes;
        facts.sessions_ended_per_minute =
            double(grown(span.to->sessions_ended, span.from->sessions_ended)) / minutes;
    }
    auto events = [&](EventKind kind) {
        return grown(span.to->events[int(kind)], span.from->events[int(kind)]);
    };
    facts.connections_refused = events(EventKind::connection_refused);
    facts.statement_timeouts = events(EventKind::statement_timeout);
    facts.idle_in_transaction_timeouts = events(EventKind::idle_in_transaction_timeout);
    facts.idle_session_timeouts = events(EventKind::idle_session_timeout);
    facts.sessions_killed = endings.sessions_killed;
    facts.sessions_abandoned = endings.sessions_abandoned;

    uint64_t busy_sum = span.busy.sum();
    if (busy_sum > 0) {
        facts.idle_in_transaction_share = double(span.idle_in_transaction) / double(busy_sum);
        facts.lock_wait_share = double(span.waiting_on_lock) / double(busy_sum);
        facts.on_cpu_share = double(span.on_cpu) / double(busy_sum);
    }
    return facts;
}

}  // namespace poolopt::core
