// From the worker's per-group aggregates to the facts the pool engine sizes from.
#pragma once

#include <cstdint>
#include <type_traits>

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

// What the facts need of one group over the chosen span, summarised from its shared entry:
// the busy histograms reduced to their figures, so a reader copies about 400 bytes per
// group instead of the whole entry (2.5 kB) and merges no histogram. Trivially copyable
// and built without allocation, so it can be taken under the table's lock.
struct GroupSpan {
    GroupKey key;
    int32_t connections;  // at the last sample
    int32_t adapted_pool_size;
    uint64_t samples, busy_sum;
    uint32_t busy_p95, busy_p99, busy_max;
    uint64_t saturated, on_cpu, waiting_on_lock, idle_in_transaction, waiting_on_lwlock;
    GroupTotals from;  // totals when the span began
    GroupTotals to;    // totals when it ended
    // The transactions that ended in the span, by hold time: how many, and their
    // percentiles (summarise_holds).
    HoldSummary holds;
    int64_t start_micros, end_micros;
    int64_t last_seen_micros;  // the group's last sample with a connection, or last event
    // The connections held steady through every sample of the span (held_connections), 0
    // when they changed or the group was not there throughout.
    int32_t held_connections;
    SizeHistory sizes_held;
};
static_assert(std::is_trivially_copyable_v<GroupSpan>);

// `now_micros` ends the span of the recent window; the completed window ends where the
// current one starts.
GroupSpan group_span(const GroupEntry &entry, const GroupTableHeader &header, FactsWindow window,
                     int64_t now_micros) noexcept;

// The facts of one group over its span; its sizes held are the recent_outcomes() at the
// span's end, less any window inside the span itself (its own figures stand for it).
PoolGroupFacts pool_group_facts(const GroupSpan &span, const DatabaseEndings &endings);
PoolGroupFacts pool_group_facts(const GroupEntry &entry, const GroupTableHeader &header,
                                FactsWindow window, int64_t now_micros,
                                const DatabaseEndings &endings);

}  // namespace poolopt::core
