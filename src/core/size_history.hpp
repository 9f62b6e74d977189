// What a pool group's connections served at each size it held through a whole evaluation
// window: the measured points of its throughput curve. One window's figures cannot tell
// whether more connections would add throughput past the CPUs' saturation point (the CPU
// per transaction falls with connections on some hosts and rises on others, bench/RESULTS.md
// session 13); the sizes a group has run at, each with what it served, can. The engine weighs
// them in pool_history.cpp. Pure; the ring lives in shared memory inside GroupEntry.
#pragma once

#include <cstdint>
#include <type_traits>
#include <vector>

namespace poolopt::core {

// One window in which the group's open connections held steady.
struct SizeOutcome {
    int64_t window_end_micros;  // epoch; 0 marks an empty slot
    int32_t connections;        // the size held (the window's largest count)
    int32_t reserved;           // keeps the layout free of implicit padding
    double transactions_per_second;
    double busy_share;  // busy mean ÷ connections over the window, 0..1
};
static_assert(std::is_trivially_copyable_v<SizeOutcome>);

// Eight windows: 40 minutes at the default evaluation_interval of 300 s.
constexpr uint32_t kSizeHistoryLength = 8;

// A ring of the group's latest held windows, oldest overwritten first. Concurrency protocol:
// that of its GroupEntry (written by the worker under the pool_optimizer LWLock held
// exclusively, read under it shared or from a copy). All-zero memory is an empty history.
struct SizeHistory {
    SizeOutcome outcomes[kSizeHistoryLength];
    uint32_t next;  // the slot the next outcome goes to
    uint32_t reserved;

    void record(const SizeOutcome &outcome) noexcept;
};
static_assert(std::is_trivially_copyable_v<SizeHistory>);

// The connections a window held steady, or 0 when they did not: at least one open in every
// sample, and the fewest within a tenth of the most (a pool recycling a connection dips by
// one for a moment; a pool being replaced or resized does not hold). Pools below 10 must
// hold exactly.
int32_t held_connections(int32_t min_connections, int32_t max_connections) noexcept;

// How long a held window stays evidence: the load a pool serves changes over the day, and a
// point from another hour describes another workload.
constexpr int64_t kSizeOutcomeMaxAgeMicros = 3600LL * 1'000'000;

// The outcomes that ended within kSizeOutcomeMaxAgeMicros before `now_micros` (and not after
// it), oldest first. May throw std::bad_alloc.
std::vector<SizeOutcome> recent_outcomes(const SizeHistory &history, int64_t now_micros);

}  // namespace poolopt::core
