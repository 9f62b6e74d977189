// pool_health(): the checks of core/health_checks.hpp on the live figures. The figures are
// gathered first (shared memory copied out, the oldest transaction from the backend status
// array), judged inside `guarded` into plain rows, and emitted last.
#include "pg/event_queue.hpp"

#include <algorithm>

#include "core/health_checks.hpp"
#include "pg/boundary.hpp"
#include "pg/catalog_reads.hpp"
#include "pg/gucs.hpp"
#include "pg/plain_text.hpp"
#include "pg/row_builder.hpp"
#include "pg/shared_reads.hpp"
#include "pg/shmem.hpp"

extern "C" {
PG_FUNCTION_INFO_V1(pool_health);
}

using namespace poolopt;
using namespace poolopt::pg;

namespace {

constexpr int kMaxChecks = 16;

struct PlainCheck {
    char name[32];
    char status[16];
    bool has_value;
    double value;
    double threshold;
    char unit[16];
    char detail[1024];
};

struct PlainChecks {
    int count;
    PlainCheck checks[kMaxChecks];
};

// The figures of pool_health() as plain data.
struct HealthInputs {
    core::TelemetryWindow window;  // the samples of the current evaluation window
    uint64_t refused_connections;  // since the previous window began, else the current one
    core::GroupTableHeader header;
    OldestTransaction oldest;
    int64_t now_micros;
    int available_connections;
    int32_t worker_pid;
    int64_t last_sample_micros;  // 0: none yet
    int sample_interval_ms;
    uint64_t events_received, events_dropped;
};

core::HealthFacts facts_of(const HealthInputs &in) {
    core::HealthFacts facts;
    facts.window = in.window;
    facts.available_connections = in.available_connections;
    if (in.oldest.found) {
        facts.oldest_transaction_seconds = in.oldest.age_seconds;
        facts.oldest_transaction_detail = "pid " + std::to_string(in.oldest.pid);
        if (in.oldest.application_name[0])
            facts.oldest_transaction_detail += " (" + std::string(in.oldest.application_name) + ")";
        if (in.oldest.state[0])
            facts.oldest_transaction_detail += ", " + std::string(in.oldest.state);
    }
    const core::GroupTableHeader &header = in.header;
    int64_t since = header.previous_window_start_micros != 0 ? header.previous_window_start_micros
                                                             : header.window_start_micros;
    facts.refused_connections = in.refused_connections;
    facts.refusal_window_seconds = since > 0 ? double(in.now_micros - since) / 1e6 : 0;
    facts.worker_running = in.worker_pid != 0;
    if (in.last_sample_micros != 0)
        facts.last_sample_age_seconds =
            std::max(0.0, double(in.now_micros - in.last_sample_micros) / 1e6);
    facts.sample_interval_seconds = in.sample_interval_ms / 1000.0;
    facts.events_received = in.events_received;
    facts.events_dropped = in.events_dropped;
    return facts;
}

void fill_checks(const HealthInputs &in, PlainChecks *out) {
    for (const core::HealthCheck &check : core::evaluate_health(facts_of(in))) {
        if (out->count >= kMaxChecks) break;
        PlainCheck &row = out->checks[out->count++];
        copy_text(row.name, sizeof row.name, check.name);
        copy_text(row.status, sizeof row.status, core::health_status_name(check.status));
        row.has_value = check.value.has_value();
        row.value = check.value.value_or(0);
        row.threshold = check.threshold;
        copy_text(row.unit, sizeof row.unit, check.unit);
        copy_text(row.detail, sizeof row.detail, check.detail);
    }
}

}  // namespace

extern "C" Datum pool_health(PG_FUNCTION_ARGS) {
    const SharedView &view = require_shared("pool_health");
    compat::init_materialized_srf(fcinfo);
    HealthInputs in{};
    in.oldest = read_oldest_transaction();
    in.now_micros = unix_micros_now();
    in.window = summarise_history(
        view, in.now_micros - int64_t(gucs::evaluation_interval_s) * 1000000, nullptr);
    in.header = visit_groups(view, [&](const core::GroupEntry &group) {
        // Refusals since the previous window began, when one has closed: the current
        // window alone may have just begun. The header read under the same lock says which.
        bool include_previous = view.state->groups.previous_window_start_micros != 0;
        in.refused_connections +=
            core::recent_events(group, core::EventKind::connection_refused, include_previous);
    });
    in.available_connections = MaxConnections - compat::reserved_connections();
    const SharedState &state = *view.state;
    in.worker_pid = state.worker_pid.load();
    in.last_sample_micros = state.last_sample_micros.load();
    in.sample_interval_ms = gucs::sample_interval_ms;
    in.events_received = state.events_received.load();
    in.events_dropped = state.events_dropped.load();

    // fill_checks writes each row it uses whole: the others are never touched.
    auto *checks = static_cast<PlainChecks *>(palloc(sizeof(PlainChecks)));
    checks->count = 0;
    guarded<void>("pool_health", [&] { fill_checks(in, checks); });

    RowBuilder row;
    for (int i = 0; i < checks->count; ++i) {
        const PlainCheck &c = checks->checks[i];
        row.text(c.name);
        row.text(c.status);
        c.has_value ? row.float8(c.value) : row.null();
        row.float8(c.threshold);
        row.text(c.unit);
        row.text(c.detail);
        row.emit(fcinfo);
    }
    return Datum(0);
}
