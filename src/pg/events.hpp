// Backend-side hooks that feed the worker: connection and error events into the queue,
// transaction counts and busy time into the backend's own counter slot.
#pragma once

#include "pg/postgres_headers.hpp"

namespace poolopt::pg {

void install_event_hooks();

// Text form of a client address as pg_stat_activity shows it; empty for Unix sockets
// and for processes without a client.
void format_client_address(const SockAddr *address, char *out, size_t out_size);

}  // namespace poolopt::pg
