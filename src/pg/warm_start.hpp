// Resolving the C++ runtime's lazily bound calls in the postmaster, before backends fork.
#pragma once

namespace poolopt::pg {

// Runs the pool and settings engines once on a made-up server, so that libstdc++'s own
// lazily bound calls (string growth, operator new, memcpy, ...) are resolved in the
// postmaster and every backend inherits them. libstdc++ is loaded by PostgreSQL itself
// (through ICU) without BIND_NOW, so otherwise each new session's first call to
// pool_recommendations() or setting_recommendations() resolves about a dozen symbols, each
// lookup faulting in pages of the symbol tables of postgres and its libraries: about 35
// page faults and 0.3 ms (bench/RESULTS.md, "cold latency"). Starting the server with
// LD_BIND_NOW=1 does the same for every library. Best effort: never fails, never raises.
void warm_lazy_bindings() noexcept;

}  // namespace poolopt::pg
