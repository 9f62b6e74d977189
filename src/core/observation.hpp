// What the sampler hands to the aggregation core: plain data copied out of PostgreSQL's
// backend status, process array and per-backend counter slots. No PostgreSQL types here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "core/group_key.hpp"
#include "core/hold_histogram.hpp"

namespace poolopt::core {

enum class SessionState : uint8_t {
    starting,  // no state reported yet (authentication, or pg_stat_activity's NULL state)
    active,    // running a statement or a fast-path call
    idle,
    idle_in_transaction,
    idle_in_transaction_aborted,
    disabled,  // track_activities is off for this backend
};

// One client backend at the moment of a sample.
struct BackendObservation {
    GroupKey key;
    int32_t pid;
    SessionState state;
    bool waiting_on_lock;  // on a heavyweight lock
    bool on_cpu;           // active with no wait event
    // On an LWLock: queued inside the server behind another backend (the WAL flush, the
    // lock manager, a buffer), work that more connections lengthen rather than share.
    bool waiting_on_lwlock;
};
static_assert(std::is_trivially_copyable_v<BackendObservation>);

// One per-backend counter slot as read by the sampler. Counters are cumulative for the
// life of the server (never reset on reuse), so the difference between two readings of
// the same slot is exact even when its owner changed in between.
struct SlotReading {
    int32_t pid;  // owner at the time of reading, 0 if never used
    uint64_t transactions;
    uint64_t busy_micros;
    // The counters when the current owner took the slot over: what lies below them belongs
    // to the previous owner.
    uint64_t owner_base_transactions;
    uint64_t owner_base_busy_micros;
};
static_assert(std::is_trivially_copyable_v<SlotReading>);

// The same slot's transactions by hold time, kept apart from its SlotReading: every sample
// walks all the slots' readings (40 bytes each), and the 512 bytes of buckets are read only
// where the owner or its transaction count moved (bench/RESULTS.md, session 21).
struct SlotHolds {
    HoldCounts holds;
    HoldCounts owner_base_holds;  // the buckets when the current owner took the slot over
};
static_assert(std::is_trivially_copyable_v<SlotHolds>);

// The counter slots as read at one sample: `count` readings and, at the same index, their
// hold buckets.
struct SlotReadings {
    const SlotReading *counters = nullptr;
    const SlotHolds *holds = nullptr;
    size_t count = 0;
};

inline bool is_busy(SessionState state) {
    return state == SessionState::active || state == SessionState::idle_in_transaction ||
           state == SessionState::idle_in_transaction_aborted;
}

}  // namespace poolopt::core
