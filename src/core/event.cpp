#include "core/event.hpp"

namespace poolopt::core {

const char *event_kind_name(EventKind kind) {
    switch (kind) {
        case EventKind::connection_accepted:
            return "connection_accepted";
        case EventKind::authentication_failed:
            return "authentication_failed";
        case EventKind::connection_refused:
            return "connection_refused";
        case EventKind::statement_timeout:
            return "statement_timeout";
        case EventKind::idle_in_transaction_timeout:
            return "idle_in_transaction_timeout";
        case EventKind::idle_session_timeout:
            return "idle_session_timeout";
    }
    return "unknown";
}

}  // namespace poolopt::core
