// From the worker's per-group aggregates to the facts the pool engine sizes from.
#pragma once

#include <cstdint>

#include "core/group_table.hpp"
#include "core/pool_engine.hpp"

namespace poolopt::core {

enum class FactsWindow {
    completed,  // the window that closed last: what the worker's evaluation judges
    recent,     // the closed window and the current one together: what SQL reports
};

// Per-database session endings over the same span, which pg_stat_database counts per
// database rather than per group.
struct DatabaseEndings {
    uint64_t sessions_killed = 0;
    uint64_t sessions_abandoned = 0;
};

// The facts of one group over the chosen span. `now_micros` ends the span of the recent
// window; the completed window ends where the current one starts.
PoolGroupFacts pool_group_facts(const GroupEntry &entry, const GroupTableHeader &header,
                                FactsWindow window, int64_t now_micros,
                                const DatabaseEndings &endings);

}  // namespace poolopt::core
