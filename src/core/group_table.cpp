#include "core/group_table.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

namespace poolopt::core {

namespace {

void count_state(GroupCounts &counts, const BackendObservation &backend) {
    counts.connections++;
    switch (backend.state) {
        case SessionState::active:
            counts.active++;
            break;
        case SessionState::idle:
            counts.idle++;
            break;
        case SessionState::idle_in_transaction:
            counts.idle_in_transaction++;
            break;
        case SessionState::idle_in_transaction_aborted:
            counts.idle_in_transaction_aborted++;
            break;
        case SessionState::starting:
        case SessionState::disabled:
            counts.starting++;
            break;
    }
    if (backend.waiting_on_lock) counts.waiting_on_lock++;
    if (backend.on_cpu) counts.on_cpu++;
    if (backend.waiting_on_lwlock) counts.waiting_on_lwlock++;
}

void start_window(GroupWindow &window, const GroupEntry &entry) {
    std::memset(&window, 0, sizeof window);
    window.busy.reset();
    window.totals_at_start = entry.totals;
    window.holds_at_start = entry.hold_totals;
}

}  // namespace

void restart_loaded_table(GroupTableHeader *header, GroupEntry *entries, uint32_t capacity) {
    uint64_t evicted = header->evicted;
    std::memset(header, 0, sizeof *header);
    header->capacity = capacity;
    header->evicted = evicted;
    for (uint32_t i = 0; i < capacity; ++i) {
        GroupEntry &entry = entries[i];
        if (!entry.in_use) {
            std::memset(&entry, 0, sizeof entry);
            continue;
        }
        header->in_use++;
        entry.now = GroupCounts{};
        start_window(entry.current, entry);
        start_window(entry.previous, entry);
    }
}

GroupTableWriter::GroupTableWriter(GroupTableHeader *header, GroupEntry *entries)
    : header_(header), entries_(entries), incarnations_(header->capacity, 0) {
    // Rebuild the index from whatever the table holds (a restarted worker finds the
    // entries its predecessor left in shared memory).
    for (uint32_t i = 0; i < header_->capacity; ++i) {
        if (!entries_[i].in_use) continue;
        index_.emplace(entries_[i].key, i);
        incarnations_[i] = next_incarnation_++;
    }
}

void GroupTableWriter::reset(int64_t now_micros, const SlotReadings &slots) {
    uint32_t capacity = header_->capacity;
    std::memset(entries_, 0, sizeof(GroupEntry) * capacity);
    std::memset(header_, 0, sizeof *header_);
    header_->capacity = capacity;
    header_->window_start_micros = now_micros;
    index_.clear();
    previous_backends_.clear();
    for (uint64_t &incarnation : incarnations_) incarnation = 0;
    previous_slots_.assign(slots.count, PreviousSlot{});
    previous_holds_.assign(slots.count, HoldCounts{});
    for (size_t i = 0; i < slots.count; ++i) {
        PreviousSlot &slot = previous_slots_[i];
        slot.baseline_taken = true;
        slot.pid = slots.counters[i].pid;
        slot.transactions = slots.counters[i].transactions;
        slot.busy_micros = slots.counters[i].busy_micros;
        previous_holds_[i] = slots.holds[i].holds;
    }
}

bool GroupTableWriter::is_current(const GroupRef &group) const {
    return group.index < header_->capacity && entries_[group.index].in_use &&
           incarnations_[group.index] == group.incarnation;
}

const GroupTableWriter::SeenBackend *GroupTableWriter::find_previous(int32_t pid) const {
    auto at = std::lower_bound(previous_backends_.begin(), previous_backends_.end(), pid,
                               [](const SeenBackend &b, int32_t p) { return b.pid < p; });
    return at != previous_backends_.end() && at->pid == pid ? &*at : nullptr;
}

void GroupTableWriter::evict(uint32_t index) {
    index_.erase(entries_[index].key);
    std::memset(&entries_[index], 0, sizeof(GroupEntry));
    incarnations_[index] = 0;
    header_->in_use--;
    header_->evicted++;
}

uint32_t GroupTableWriter::find_or_add(const GroupKey &key, int64_t now_micros) {
    auto found = index_.find(key);
    if (found != index_.end()) return found->second;

    uint32_t slot = header_->capacity;
    for (uint32_t i = 0; i < header_->capacity; ++i) {
        if (!entries_[i].in_use) {
            slot = i;
            break;
        }
    }
    if (slot == header_->capacity) {
        // Full: evict the least recently seen group, preferring one with no connections.
        int64_t oldest_idle = std::numeric_limits<int64_t>::max();
        int64_t oldest_any = std::numeric_limits<int64_t>::max();
        uint32_t idle_victim = header_->capacity, any_victim = 0;
        for (uint32_t i = 0; i < header_->capacity; ++i) {
            const GroupEntry &entry = entries_[i];
            if (entry.now.connections == 0 && entry.last_seen_micros < oldest_idle) {
                oldest_idle = entry.last_seen_micros;
                idle_victim = i;
            }
            if (entry.last_seen_micros < oldest_any) {
                oldest_any = entry.last_seen_micros;
                any_victim = i;
            }
        }
        slot = idle_victim < header_->capacity ? idle_victim : any_victim;
        evict(slot);
    }

    GroupEntry &entry = entries_[slot];
    std::memset(&entry, 0, sizeof entry);
    entry.key = key;
    entry.in_use = true;
    entry.first_seen_micros = now_micros;
    entry.last_seen_micros = now_micros;
    start_window(entry.current, entry);
    start_window(entry.previous, entry);
    entry.started_last_minute.reset();
    entry.ended_last_minute.reset();
    entry.transactions_last_minute.reset();
    entry.busy_micros_last_minute.reset();
    header_->in_use++;
    index_.emplace(key, slot);
    incarnations_[slot] = next_incarnation_++;
    return slot;
}

void GroupTableWriter::record_size_held(GroupEntry &entry, int64_t now_micros) const {
    const GroupWindow &window = entry.current;
    const uint64_t samples = window.busy.samples();
    if (samples < kMinHeldSamples || samples != header_->window_samples) return;
    const int32_t held = held_connections(window.min_connections, window.max_connections);
    const int64_t span = now_micros - header_->window_start_micros;
    const uint64_t transactions = entry.totals.transactions - window.totals_at_start.transactions;
    if (held == 0 || span <= 0 || transactions == 0 ||
        entry.totals.transactions < window.totals_at_start.transactions)
        return;
    SizeOutcome outcome{};
    outcome.window_end_micros = now_micros;
    outcome.connections = held;
    outcome.transactions_per_second = double(transactions) * 1e6 / double(span);
    outcome.busy_share = window.busy.mean() / double(held);
    entry.sizes_held.record(outcome);
}

void GroupTableWriter::roll_window(int64_t now_micros) {
    for (uint32_t i = 0; i < header_->capacity; ++i) {
        GroupEntry &entry = entries_[i];
        if (!entry.in_use) continue;
        record_size_held(entry, now_micros);
        entry.previous = entry.current;
        start_window(entry.current, entry);
    }
    header_->previous_window_start_micros = header_->window_start_micros;
    header_->previous_window_samples = header_->window_samples;
    header_->window_start_micros = now_micros;
    header_->window_samples = 0;
}

bool GroupTableWriter::begin_sample(int64_t now_micros, int64_t window_micros) {
    bool rolled = false;
    if (header_->window_start_micros == 0 || now_micros < header_->window_start_micros) {
        header_->window_start_micros = now_micros;
    } else if (now_micros - header_->window_start_micros >= window_micros) {
        roll_window(now_micros);
        rolled = true;
    }
    header_->window_samples++;
    return rolled;
}

void GroupTableWriter::record_sample(const BackendObservation *backends, size_t backend_count,
                                     const SlotReadings &slots, int64_t now_micros) {
    for (uint32_t i = 0; i < header_->capacity; ++i)
        if (entries_[i].in_use) entries_[i].now = GroupCounts{};

    // Counts per group, and which backends are new since the last sample.
    current_backends_.clear();
    for (size_t i = 0; i < backend_count; ++i) {
        const BackendObservation &backend = backends[i];
        uint32_t index = find_or_add(backend.key, now_micros);
        GroupEntry &entry = entries_[index];
        count_state(entry.now, backend);
        entry.last_seen_micros = now_micros;
        current_backends_.push_back(
            SeenBackend{backend.pid, GroupRef{index, incarnations_[index]}});
    }
    std::sort(current_backends_.begin(), current_backends_.end(),
              [](const SeenBackend &a, const SeenBackend &b) { return a.pid < b.pid; });

    // One merge walk over both sorted lists: a pid new to its group started a session there,
    // a pid gone from its group (or moved to another) ended one in the old group.
    auto count_start = [&](const SeenBackend &now) {
        GroupEntry &entry = entries_[now.group.index];
        entry.totals.sessions_started++;
        entry.started_last_minute.add(now_micros, 1);
    };
    auto count_end = [&](const SeenBackend &before) {
        if (!is_current(before.group)) return;
        GroupEntry &entry = entries_[before.group.index];
        entry.totals.sessions_ended++;
        entry.ended_last_minute.add(now_micros, 1);
    };
    size_t p = 0, c = 0;
    while (p < previous_backends_.size() || c < current_backends_.size()) {
        if (c == current_backends_.size() ||
            (p < previous_backends_.size() &&
             previous_backends_[p].pid < current_backends_[c].pid)) {
            count_end(previous_backends_[p++]);
        } else if (p == previous_backends_.size() ||
                   current_backends_[c].pid < previous_backends_[p].pid) {
            count_start(current_backends_[c++]);
        } else {
            if (!(previous_backends_[p].group == current_backends_[c].group)) {
                count_end(previous_backends_[p]);
                count_start(current_backends_[c]);
            }
            ++p, ++c;
        }
    }
    previous_backends_.swap(current_backends_);

    // Transactions and busy time since the last reading of each counter slot, credited to
    // the slot's current owner, or to its last known owner when that backend has exited.
    if (previous_slots_.size() < slots.count) {
        previous_slots_.resize(slots.count, PreviousSlot{});
        previous_holds_.resize(slots.count, HoldCounts{});
    }
    auto credit = [&](const PreviousSlot &slot, uint64_t transactions, uint64_t busy,
                      const HoldCounts &holds) {
        // The holds are checked too: a reading may catch a backend between its counters.
        if ((transactions == 0 && busy == 0 && hold_total(holds) == 0) || !slot.has_group ||
            !is_current(slot.group))
            return;
        GroupEntry &entry = entries_[slot.group.index];
        entry.totals.transactions += transactions;
        entry.totals.busy_micros += busy;
        add_hold_counts(entry.hold_totals, holds);
        entry.transactions_last_minute.add(now_micros, transactions);
        entry.busy_micros_last_minute.add(now_micros, busy);
    };
    auto grown = [](uint64_t later, uint64_t earlier) {
        return later >= earlier ? later - earlier : later;
    };
    for (size_t i = 0; i < slots.count; ++i) {
        const SlotReading &reading = slots.counters[i];
        PreviousSlot &before = previous_slots_[i];
        HoldCounts &holds_before = previous_holds_[i];
        if (!before.baseline_taken) {
            before.baseline_taken = true;
            before.pid = reading.pid;
            before.transactions = reading.transactions;
            before.busy_micros = reading.busy_micros;
            holds_before = slots.holds[i].holds;
        }
        // The owner's group is kept current even while it is idle: its last transactions
        // before an exit go to the group it was last seen in.
        const SeenBackend *owner = reading.pid != 0 ? find_previous(reading.pid) : nullptr;
        if (reading.pid == before.pid) {
            if (owner) {
                before.has_group = true;
                before.group = owner->group;
            }
            // No transaction since the last reading, nothing new to credit: the busy time and
            // the hold buckets move only with the transaction count (shmem.hpp).
            if (reading.transactions == before.transactions) continue;
        }
        const SlotHolds &reading_holds = slots.holds[i];
        uint64_t from_transactions = before.transactions, from_busy = before.busy_micros;
        const HoldCounts *from_holds = &holds_before;
        if (reading.pid != before.pid && before.pid != 0) {
            // The slot changed hands since the last reading: what the previous owner ran
            // up to the takeover is its own, even when the new owner is in another group.
            credit(before, grown(reading.owner_base_transactions, from_transactions),
                   grown(reading.owner_base_busy_micros, from_busy),
                   hold_counts_since(reading_holds.owner_base_holds, holds_before));
            from_transactions = reading.owner_base_transactions;
            from_busy = reading.owner_base_busy_micros;
            from_holds = &reading_holds.owner_base_holds;
            before.has_group = false;
        }
        const HoldCounts holds = hold_counts_since(reading_holds.holds, *from_holds);
        before.transactions = reading.transactions;
        before.busy_micros = reading.busy_micros;
        holds_before = reading_holds.holds;
        before.pid = reading.pid;
        if (owner) {
            before.has_group = true;
            before.group = owner->group;
        }
        credit(before, grown(reading.transactions, from_transactions),
               grown(reading.busy_micros, from_busy), holds);
    }

    for (uint32_t i = 0; i < header_->capacity; ++i) {
        GroupEntry &entry = entries_[i];
        if (!entry.in_use) continue;
        int32_t busy = entry.now.busy();
        entry.current.busy.add(static_cast<uint32_t>(busy));
        if (entry.now.connections > 0 && busy == entry.now.connections)
            entry.current.saturated_samples++;
        if (entry.now.connections > entry.current.max_connections)
            entry.current.max_connections = entry.now.connections;
        if (entry.current.busy.samples() == 1 ||
            entry.now.connections < entry.current.min_connections)
            entry.current.min_connections = entry.now.connections;
        entry.current.on_cpu_sum += uint64_t(entry.now.on_cpu);
        entry.current.waiting_on_lock_sum += uint64_t(entry.now.waiting_on_lock);
        entry.current.waiting_on_lwlock_sum += uint64_t(entry.now.waiting_on_lwlock);
        entry.current.idle_in_transaction_sum +=
            uint64_t(entry.now.idle_in_transaction + entry.now.idle_in_transaction_aborted);
    }
}

void GroupTableWriter::record_event(const Event &event) {
    uint32_t group = find_or_add(event.key, event.time_micros);
    GroupEntry &entry = entries_[group];
    entry.totals.events[static_cast<int>(event.kind)]++;
    if (event.time_micros > entry.last_seen_micros) entry.last_seen_micros = event.time_micros;
}

GroupFigures figures_of(const GroupEntry &entry, int64_t now_micros) {
    GroupFigures figures{};
    const BusyHistogram &busy = entry.current.busy;
    figures.window_samples = busy.samples();
    figures.busy_mean = busy.mean();
    figures.busy_p95 = busy.percentile(0.95);
    figures.busy_p99 = busy.percentile(0.99);
    figures.busy_max = busy.max();
    figures.saturation_share =
        busy.samples() ? double(entry.current.saturated_samples) / double(busy.samples()) : 0.0;
    figures.sessions_started_last_minute = entry.started_last_minute.sum(now_micros);
    figures.sessions_ended_last_minute = entry.ended_last_minute.sum(now_micros);
    uint64_t transactions = entry.transactions_last_minute.sum(now_micros);
    int64_t covered =
        entry.transactions_last_minute.covered_micros(now_micros, entry.first_seen_micros);
    figures.transactions_per_second =
        covered > 0 ? double(transactions) * 1e6 / double(covered) : 0.0;
    figures.mean_hold_micros = mean_hold_micros(entry, now_micros);
    // The previous window's start is the entry's first baseline until a window has closed.
    figures.holds = summarise_holds(entry.hold_totals, entry.previous.holds_at_start);
    return figures;
}

double mean_hold_micros(const GroupEntry &entry, int64_t now_micros) {
    uint64_t transactions = entry.transactions_last_minute.sum(now_micros);
    return transactions
               ? double(entry.busy_micros_last_minute.sum(now_micros)) / double(transactions)
               : 0.0;
}

uint64_t recent_events(const GroupEntry &entry, EventKind kind, bool include_previous_window) {
    const GroupWindow &since = include_previous_window ? entry.previous : entry.current;
    uint64_t now = entry.totals.events[int(kind)];
    uint64_t before = since.totals_at_start.events[int(kind)];
    return now >= before ? now - before : now;
}

}  // namespace poolopt::core
