// Per-pool-group aggregates. The entries live in PostgreSQL shared memory; the writer is
// worker-local and keeps the index and the previous sample that deltas need.
#pragma once

#include <cstdint>
#include <memory>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "core/busy_histogram.hpp"
#include "core/event.hpp"
#include "core/group_key.hpp"
#include "core/hold_histogram.hpp"
#include "core/observation.hpp"
#include "core/size_history.hpp"
#include "core/sliding_counter.hpp"

namespace poolopt::core {

// Twelve five-second buckets: "in the last minute" at any sample interval up to 5 s.
using MinuteCounter = SlidingCounter<12, 5'000'000>;

struct GroupCounts {
    int32_t connections;
    int32_t active;
    int32_t idle;
    int32_t idle_in_transaction;
    int32_t idle_in_transaction_aborted;
    int32_t waiting_on_lock;
    int32_t on_cpu;    // active with no wait event
    int32_t starting;  // authenticating, or state not tracked
    int32_t waiting_on_lwlock;
    int32_t busy() const { return active + idle_in_transaction + idle_in_transaction_aborted; }
};

// Cumulative since the group was first seen (or the last reset).
struct GroupTotals {
    uint64_t sessions_started;  // pids that appeared between two samples
    uint64_t sessions_ended;    // pids that disappeared between two samples
    uint64_t events[kEventKinds];
    uint64_t transactions;  // completed by the group's backends (commit or abort)
    uint64_t busy_micros;   // summed transaction durations: hold time numerator
};

// Busy-connection statistics over one evaluation window.
struct GroupWindow {
    BusyHistogram busy;
    uint64_t saturated_samples;  // samples in which every connection of the group was busy
    int32_t max_connections;
    int32_t min_connections;  // over the window's samples (0 when none had a connection)
    // Sums over the window's samples, for the shares of the busy connections.
    uint64_t on_cpu_sum;
    uint64_t waiting_on_lock_sum;
    uint64_t idle_in_transaction_sum;
    uint64_t waiting_on_lwlock_sum;
    GroupTotals totals_at_start;  // to turn cumulative totals into window figures
    HoldCounts holds_at_start;    // the same for the hold times
};

// One pool group. Concurrency protocol: written only by the worker, while it holds the
// pool_optimizer LWLock exclusively; read by SQL functions under the same lock in shared
// mode, which copy out what they need of each entry (or figures computed from it without
// allocating or raising errors) and release it before doing anything else.
struct GroupEntry {
    GroupKey key;
    bool in_use;
    int64_t first_seen_micros;
    int64_t last_seen_micros;  // last sample with a connection, or last event
    GroupCounts now;           // at the last sample
    GroupTotals totals;
    // Hold times of the transactions counted in totals; apart from GroupTotals so that the
    // readers' spans, which copy two GroupTotals, carry percentiles instead of histograms.
    HoldCounts hold_totals;
    GroupWindow current;
    GroupWindow previous;
    MinuteCounter started_last_minute;
    MinuteCounter ended_last_minute;
    MinuteCounter transactions_last_minute;
    MinuteCounter busy_micros_last_minute;
    // The pool size the worker's adaptation settled on at its last evaluation; 0 before
    // the first one.
    int32_t adapted_pool_size;
    // Each closed window in which the group's connections held steady (size_history.hpp).
    SizeHistory sizes_held;
};
static_assert(std::is_trivially_copyable_v<GroupEntry>);

// Table-wide state beside the entries; same protocol as GroupEntry.
struct GroupTableHeader {
    uint32_t capacity;
    uint32_t in_use;
    uint64_t evicted;
    int64_t window_start_micros;
    int64_t previous_window_start_micros;  // 0 until one window has closed
    uint64_t window_samples;               // samples taken in the current window
    uint64_t previous_window_samples;
};
static_assert(std::is_trivially_copyable_v<GroupTableHeader>);

// Fewer samples than this say too little about a window's throughput to keep it.
constexpr uint64_t kMinHeldSamples = 5;

// Makes a table saved by an earlier server fit this one before any worker sees it: the
// cumulative totals, first and last seen, the minute counters (epoch time: they age out
// on their own), the adapted pool sizes and the sizes held (they age out too) carry over; the
// counts "at the last sample" are zeroed (no connection survives a restart), both evaluation
// windows start afresh (a window must not span the downtime) and the header is recounted from the
// entries.
void restart_loaded_table(GroupTableHeader *header, GroupEntry *entries, uint32_t capacity);

// The worker's handle on the shared table. Not thread-safe and not for shared memory: it
// keeps heap-allocated indexes. Every method may throw std::bad_alloc; callers at the
// PostgreSQL boundary catch it.
class GroupTableWriter {
  public:
    GroupTableWriter(GroupTableHeader *header, GroupEntry *entries);

    // Empties the table (entries and counters) and starts a window at `now`. The counter
    // slots as read now become the baseline, so that only later transactions count.
    void reset(int64_t now_micros, const SlotReadings &slots);

    // Closes the current window when it has lasted `window_micros`, then counts this sample.
    // A group present in every sample of the closed window, with kMinHeldSamples of them and
    // its connections held steady (held_connections), gets the window's outcome in its
    // sizes_held. Returns true when a window was closed: time to evaluate it.
    bool begin_sample(int64_t now_micros, int64_t window_micros);

    // Applies one sample: per-group counts, busy statistics, sessions started and ended,
    // and the transactions and busy time from the counter slots since the last sample.
    void record_sample(const BackendObservation *backends, size_t backend_count,
                       const SlotReadings &slots, int64_t now_micros);

    void record_event(const Event &event);

    // Index of the group's entry, adding it (and evicting the least recently seen group
    // without connections, else the least recently seen) when it is new. Never fails for
    // a table with capacity >= 1.
    uint32_t find_or_add(const GroupKey &key, int64_t now_micros);

  private:
    // An entry and which of its occupants: the incarnation changes whenever the entry is
    // given to another group, so a stale reference is never credited to the newcomer.
    struct GroupRef {
        uint32_t index;
        uint64_t incarnation;
        bool operator==(const GroupRef &o) const {
            return index == o.index && incarnation == o.incarnation;
        }
    };
    struct SeenBackend {
        int32_t pid;
        GroupRef group;
    };
    struct PreviousSlot {
        bool baseline_taken;  // the first reading after a (re)start only sets the baseline
        int32_t pid;
        uint64_t transactions;
        uint64_t busy_micros;
        bool has_group;
        GroupRef group;
    };

    void evict(uint32_t index);
    void roll_window(int64_t now_micros);
    void record_size_held(GroupEntry &entry, int64_t now_micros) const;
    bool is_current(const GroupRef &group) const;
    const SeenBackend *find_previous(int32_t pid) const;

    GroupTableHeader *header_;
    GroupEntry *entries_;
    std::unordered_map<GroupKey, uint32_t, GroupKeyHash> index_;
    std::vector<uint64_t> incarnations_;  // per entry
    uint64_t next_incarnation_ = 1;
    // The backends of the last sample, sorted by pid; the buffer for the next one. Vectors
    // reused from sample to sample: no allocation per backend on the sampling path.
    std::vector<SeenBackend> previous_backends_;
    std::vector<SeenBackend> current_backends_;
    std::vector<PreviousSlot> previous_slots_;
    std::vector<HoldCounts> previous_holds_;  // per slot, beside previous_slots_ (SlotHolds)
};

// Figures derived from one entry, as SQL reports them.
struct GroupFigures {
    double busy_mean;
    uint32_t busy_p95;
    uint32_t busy_p99;
    uint32_t busy_max;
    double saturation_share;  // 0..1 over the window's samples
    uint64_t window_samples;  // samples of the current window in which the group existed
    uint64_t sessions_started_last_minute;
    uint64_t sessions_ended_last_minute;
    double transactions_per_second;  // over the last minute (or less, if seen for less)
    double mean_hold_micros;         // busy time per transaction over the last minute; 0 if none
    // The transactions that ended since the previous window began (the span the pool
    // engine reads), by hold time (summarise_holds).
    HoldSummary holds;
};
GroupFigures figures_of(const GroupEntry &entry, int64_t now_micros);
// figures_of(entry, now).mean_hold_micros alone, reading only the two minute counters.
double mean_hold_micros(const GroupEntry &entry, int64_t now_micros);

// Events of one kind counted since the current window began, or since the previous one
// began when `include_previous_window` (a window that has just begun holds little). A group
// first seen meanwhile counts all of its events.
uint64_t recent_events(const GroupEntry &entry, EventKind kind, bool include_previous_window);

}  // namespace poolopt::core
