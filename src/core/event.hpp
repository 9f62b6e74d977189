// Events that backends report to the worker through the shared-memory queue.
#pragma once

#include <cstdint>
#include <type_traits>

#include "core/group_key.hpp"

namespace poolopt::core {

enum class EventKind : uint8_t {
    connection_accepted,          // ClientAuthentication_hook, status OK
    authentication_failed,        // ClientAuthentication_hook, any other status
    connection_refused,           // SQLSTATE 53300, too many connections
    statement_timeout,            // SQLSTATE 57014 raised by statement_timeout
    idle_in_transaction_timeout,  // SQLSTATE 25P03
    idle_session_timeout,         // SQLSTATE 57P05
};
constexpr int kEventKinds = 6;

struct Event {
    GroupKey key;
    int64_t time_micros;  // Unix epoch microseconds
    EventKind kind;
};
static_assert(std::is_trivially_copyable_v<Event>);
static_assert(std::is_trivially_destructible_v<Event>);

const char *event_kind_name(EventKind kind);

}  // namespace poolopt::core
