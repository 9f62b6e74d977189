#include "pg/event_queue.hpp"

#include "pg/events.hpp"

#include <cstring>

#include <arpa/inet.h>
#include "core/group_key.hpp"
#include "pg/compat.hpp"
#include "pg/gucs.hpp"
#include "pg/shmem.hpp"
#include "pg/time_units.hpp"

namespace poolopt::pg {

namespace {

ClientAuthentication_hook_type previous_client_authentication = nullptr;
emit_log_hook_type previous_emit_log = nullptr;

// This backend's counter slot, set once it has authenticated; null for every process
// that is not a client backend.
BackendSlot *my_slot = nullptr;
// Authenticated, but InitPostgres has not committed its startup transaction yet: the
// connection may still fail (unknown role or database, no free slot).
bool starting_up = false;

const char *or_empty(const char *s) {
    return s ? s : "";
}

// Never blocks, never allocates: a full queue costs one counter increment. While
// pool_optimizer.enabled is off the worker does not drain the queue, so nothing is queued:
// events would otherwise fill it, count as drops, and be counted stale once it is back on.
void push_event(core::EventKind kind, const Port *port, const char *application) {
    const SharedView *view = shared();
    if (!view || !port || !gucs::enabled) return;
    char address[core::kAddressBytes];
    format_client_address(&port->raddr, address, sizeof address);
    core::Event event;
    event.key = core::make_group_key(or_empty(port->database_name), or_empty(port->user_name),
                                     or_empty(application), address);
    event.time_micros = unix_micros_now();
    event.kind = kind;
    if (!view->queue->bounded_push(event))
        view->state->events_dropped.fetch_add(1, std::memory_order_relaxed);
}

extern "C" void on_client_authentication(Port *port, int status) {
    if (previous_client_authentication) previous_client_authentication(port, status);
    const SharedView *view = shared();
    if (!view) return;
    if (status == STATUS_OK) {
        int index = compat::my_backend_slot();
        if (index >= 0 && uint32_t(index) < view->state->slot_count) {
            my_slot = &view->slots[index];
            my_slot->owner_base_transactions.store(
                my_slot->transactions.load(std::memory_order_relaxed), std::memory_order_relaxed);
            my_slot->owner_base_busy_micros.store(
                my_slot->busy_micros.load(std::memory_order_relaxed), std::memory_order_relaxed);
            for (int b = 0; b < core::kHoldBuckets; ++b)
                my_slot->owner_base_holds[b].store(
                    my_slot->holds[b].load(std::memory_order_relaxed), std::memory_order_relaxed);
            my_slot->pid.store(MyProcPid, std::memory_order_release);
        }
        // Counted as accepted once startup completes (on_transaction_end).
        starting_up = true;
    } else if (status == STATUS_ERROR) {
        // STATUS_EOF is a client that hung up when asked for a password, which is how
        // psql asks the user for one; PostgreSQL itself does not log it as a failure.
        push_event(core::EventKind::authentication_failed, port, port->application_name);
    }
}

bool is_statement_timeout(const ErrorData *edata) {
    // 57014 is also a cancel by user request; the untranslated message tells them apart.
    return edata->message_id &&
           std::strcmp(edata->message_id, "canceling statement due to statement timeout") == 0;
}

extern "C" void on_emit_log(ErrorData *edata) {
    if (previous_emit_log) previous_emit_log(edata);
    // The postmaster must not depend on shared memory contents; only its children report.
    if (!IsUnderPostmaster || edata->elevel < ERROR || !MyProcPort) return;
    core::EventKind kind;
    if (starting_up && edata->elevel >= FATAL &&
        ERRCODE_TO_CATEGORY(edata->sqlerrcode) == ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION) {
        // Authenticated by trust or peer, then refused: the role does not exist or may not
        // log in. To the client this is an authentication failure.
        push_event(core::EventKind::authentication_failed, MyProcPort,
                   MyProcPort->application_name);
        return;
    }
    switch (edata->sqlerrcode) {
        case ERRCODE_TOO_MANY_CONNECTIONS:
            kind = core::EventKind::connection_refused;
            break;
        case ERRCODE_IDLE_IN_TRANSACTION_SESSION_TIMEOUT:
            kind = core::EventKind::idle_in_transaction_timeout;
            break;
        case ERRCODE_IDLE_SESSION_TIMEOUT:
            kind = core::EventKind::idle_session_timeout;
            break;
        case ERRCODE_QUERY_CANCELED:
            if (!is_statement_timeout(edata)) return;
            kind = core::EventKind::statement_timeout;
            break;
        default:
            return;
    }
    // After startup the session's current application_name is the one the sampler sees.
    const char *application =
        (application_name && application_name[0]) ? application_name : MyProcPort->application_name;
    push_event(kind, MyProcPort, application);
}

extern "C" void on_transaction_end(XactEvent event, void *) {
    if (!my_slot) return;
    if (event != XACT_EVENT_COMMIT && event != XACT_EVENT_ABORT && event != XACT_EVENT_PREPARE)
        return;
    if (starting_up) {
        // The first commit after authentication closes InitPostgres' own transaction:
        // the connection is now established. That transaction is not the client's.
        starting_up = false;
        if (event == XACT_EVENT_COMMIT)
            push_event(core::EventKind::connection_accepted, MyProcPort,
                       MyProcPort ? MyProcPort->application_name : nullptr);
        return;
    }
    TimestampTz start = GetCurrentTransactionStartTimestamp();
    TimestampTz end = GetCurrentTimestamp();
    uint64_t busy = end > start ? uint64_t(end - start) : 0;
    // Single writer: a load and a store are exact and cost no locked instruction. The
    // transaction is counted last, with release ordering (shmem.hpp).
    std::atomic<uint64_t> &bucket = my_slot->holds[core::hold_bucket(busy)];
    bucket.store(bucket.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    my_slot->busy_micros.store(my_slot->busy_micros.load(std::memory_order_relaxed) + busy,
                               std::memory_order_relaxed);
    my_slot->transactions.store(my_slot->transactions.load(std::memory_order_relaxed) + 1,
                                std::memory_order_release);
}

}  // namespace

void format_client_address(const SockAddr *address, char *out, size_t out_size) {
    out[0] = '\0';
    if (!address || address->salen == 0) return;
    // inet_ntop rather than getnameinfo: the sampler formats every backend's address on
    // every sample, and the numeric text is the same as pg_stat_activity's.
    const void *raw = nullptr;
    int family = address->addr.ss_family;
    if (family == AF_INET)
        raw = &reinterpret_cast<const sockaddr_in *>(&address->addr)->sin_addr;
    else if (family == AF_INET6)
        raw = &reinterpret_cast<const sockaddr_in6 *>(&address->addr)->sin6_addr;
    else
        return;
    if (!inet_ntop(family, raw, out, socklen_t(out_size))) out[0] = '\0';
}

void install_event_hooks() {
    previous_client_authentication = ClientAuthentication_hook;
    ClientAuthentication_hook = on_client_authentication;
    previous_emit_log = emit_log_hook;
    emit_log_hook = on_emit_log;
    RegisterXactCallback(on_transaction_end, nullptr);
}

}  // namespace poolopt::pg
