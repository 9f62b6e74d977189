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

// What the group served at one size, over the windows in which it held that size.
struct SizeOutcome {
    int64_t window_end_micros;  // epoch, of the latest such window; 0 marks an empty slot
    int32_t connections;        // the size held (the window's largest count)
    uint32_t windows;           // how many windows the figures below average
    double transactions_per_second;
    double busy_share;  // busy mean ÷ connections, 0..1
};
static_assert(std::is_trivially_copyable_v<SizeOutcome>);

// Eight sizes per group: the adaptation's steps and an operator's resizes rarely visit more
// within the hour that an outcome counts for.
constexpr uint32_t kSizeHistoryLength = 8;

// One slot per size held, so that a pool that stays at one size keeps the evidence of the
// others until it ages out (a ring of windows would fill with the one size and forget why it
// left the others). Concurrency protocol: that of its GroupEntry (written by the worker under
// the pool_optimizer LWLock held exclusively, read under it shared or from a copy). All-zero
// memory is an empty history.
struct SizeHistory {
    SizeOutcome outcomes[kSizeHistoryLength];

    // A window at a size already held joins its slot's averages, with a weight of at least
    // 1 / kAveragedWindows, and moves its time forward; a new size takes an empty slot, or
    // the one whose latest window is oldest.
    void record(const SizeOutcome &window) noexcept;
};

// The running average becomes an exponential one past this many windows, so that the
// figures follow a load that drifts.
constexpr uint32_t kAveragedWindows = 8;
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
