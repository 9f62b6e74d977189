// Single-writer, many-reader ring of recent records in one shared-memory region.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <type_traits>

namespace poolopt::core {

// A ring of the `capacity` most recent values of T, in one contiguous caller-provided
// region (PostgreSQL shared memory, mapped at the same address in every backend).
//
// Concurrency protocol (PostgreSQL's st_changecount as the model):
// - One writer at a time calls push() and clear(); the owner guarantees that (only the
//   worker writes). Readers in any process call read(), for_each_since(),
//   first_seqno_where(), cursor_since(), copy_chunk(), pushed(), generation(), capacity();
//   they take no lock, never block or slow the writer, and never consume entries.
// - Each slot has a change counter: odd while the writer is filling the slot, even when
//   the slot is stable. The writer makes it odd, stores the payload, then makes it even
//   again (release). A reader loads it (acquire), copies the payload into local memory,
//   issues an acquire fence and loads it again: if the two loads differ or the first was
//   odd, the copy may be torn and is dropped. The writer's release fence after the odd
//   store and the reader's acquire fence before the second load make any torn copy show
//   up as a changed counter (Boehm, "Can seqlocks get along with programming language
//   memory models?", 2012).
// - Every payload byte is stored in std::atomic<uint64_t> words accessed relaxed, so a
//   reader racing the writer reads stale or mixed words, which the counter rejects, but
//   never has a data race in the C++ sense.
// - The slot also records which entry it holds (seqno and generation). The writer
//   publishes pushed() only after the slot is stable, so a reader that saw pushed() > n
//   and then finds the slot of n odd, changed or holding another seqno knows entry n has
//   been overwritten: it skips it at once instead of retrying. read() is wait-free.
// - clear() bumps the generation, then restarts seqnos at 0. Readers compare each slot's
//   generation with the one they loaded first, so after clear() they see nothing older;
//   a read that began before the clear may still return pre-clear entries, as if it had
//   finished first. Readers that keep a cursor restart it when generation() changes.
//
// Layout: this header (atomics only, no pointers), then the slots, starting at the first
// 64-byte boundary after it, computed from `this`, so the same region works at any
// address the mapping gets.
template <typename T>
class SeqlockRing {
    static_assert(std::is_trivially_copyable_v<T>, "entries are copied with memcpy");
    static_assert(std::is_default_constructible_v<T>, "readers copy entries into a local T");
    static_assert(std::atomic<uint64_t>::is_always_lock_free, "must work across processes");
    static_assert(std::atomic<uint32_t>::is_always_lock_free, "must work across processes");

    static constexpr size_t kPayloadWords = (sizeof(T) + sizeof(uint64_t) - 1) / sizeof(uint64_t);
    static constexpr size_t kSlotAlignment = 64;  // one cache line
    // Identifies a created ring and the entry size it was created for, so attach() can
    // refuse memory that holds something else.
    static constexpr uint64_t kMagic = 0x706f6f6c52494e47ull ^ sizeof(T);  // "poolRING"

    struct Slot {
        std::atomic<uint64_t> change_count;
        std::atomic<uint64_t> generation;
        std::atomic<uint64_t> seqno;
        std::atomic<uint64_t> payload[kPayloadWords];
    };

  public:
    // Enough for the header, the worst-case padding to the slots and the slots, whatever
    // (8-byte aligned) address the region gets.
    static size_t bytes_needed(uint32_t capacity) {
        return sizeof(SeqlockRing) + kSlotAlignment + static_cast<size_t>(capacity) * sizeof(Slot);
    }

    // Initialises raw memory of at least bytes_needed(capacity) bytes. Returns nullptr if
    // memory is null or not aligned for the header's atomics, or capacity is 0.
    static SeqlockRing *create(void *memory, uint32_t capacity) {
        if (memory == nullptr || capacity == 0 ||
            reinterpret_cast<uintptr_t>(memory) % alignof(SeqlockRing) != 0) {
            return nullptr;
        }
        static_assert(std::is_standard_layout_v<SeqlockRing>, "same layout in every process");
        static_assert(
            std::is_trivially_destructible_v<SeqlockRing> && std::is_trivially_destructible_v<Slot>,
            "shared memory is never destroyed object by object");
        SeqlockRing *ring = new (memory) SeqlockRing;
        // Memory that held a ring before must not look attachable while half initialised.
        ring->magic_.store(0, std::memory_order_relaxed);
        ring->capacity_.store(capacity, std::memory_order_relaxed);
        ring->generation_.store(0, std::memory_order_relaxed);
        ring->pushed_.store(0, std::memory_order_relaxed);
        for (uint32_t i = 0; i < capacity; ++i) {
            Slot *slot = new (ring->slot_address(i)) Slot;
            slot->change_count.store(0, std::memory_order_relaxed);
            slot->generation.store(0, std::memory_order_relaxed);
            // No seqno is ever UINT64_MAX, so an unwritten slot never matches a read.
            slot->seqno.store(UINT64_MAX, std::memory_order_relaxed);
            for (auto &word : slot->payload) word.store(0, std::memory_order_relaxed);
        }
        // Last, so a process that sees the magic sees an initialised ring.
        ring->magic_.store(kMagic, std::memory_order_release);
        return ring;
    }

    // A ring that create() initialised (in this or another process); nullptr if the
    // memory does not hold one for this T.
    static SeqlockRing *attach(void *memory) {
        if (memory == nullptr || reinterpret_cast<uintptr_t>(memory) % alignof(SeqlockRing) != 0) {
            return nullptr;
        }
        SeqlockRing *ring = static_cast<SeqlockRing *>(memory);
        if (ring->magic_.load(std::memory_order_acquire) != kMagic) return nullptr;
        return ring;
    }

    SeqlockRing(const SeqlockRing &) = delete;
    SeqlockRing &operator=(const SeqlockRing &) = delete;

    uint32_t capacity() const { return capacity_.load(std::memory_order_relaxed); }
    // Entries pushed since create() or the last clear(); entry n has seqno n.
    uint64_t pushed() const { return pushed_.load(std::memory_order_acquire); }
    // Bumped by every clear().
    uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

    // Single writer only.
    void push(const T &value) {
        const uint64_t seqno = pushed_.load(std::memory_order_relaxed);
        const uint64_t generation = generation_.load(std::memory_order_relaxed);
        Slot &slot = slot_at(seqno % capacity());

        uint64_t words[kPayloadWords] = {};
        std::memcpy(words, &value, sizeof(T));

        uint64_t change = slot.change_count.load(std::memory_order_relaxed);
        // A writer that died mid-write left the count odd; keep "odd = being written".
        if (change & 1) ++change;
        slot.change_count.store(change + 1, std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_release);
        slot.generation.store(generation, std::memory_order_relaxed);
        slot.seqno.store(seqno, std::memory_order_relaxed);
        for (size_t i = 0; i < kPayloadWords; ++i) {
            slot.payload[i].store(words[i], std::memory_order_relaxed);
        }
        slot.change_count.store(change + 2, std::memory_order_release);

        pushed_.store(seqno + 1, std::memory_order_release);
    }

    // Single writer only. Readers see no entry pushed before it once it has returned.
    void clear() {
        generation_.store(generation_.load(std::memory_order_relaxed) + 1,
                          std::memory_order_release);
        pushed_.store(0, std::memory_order_release);
    }

    // Calls fn(seqno, value) for each readable entry with seqno >= from_seqno, oldest
    // first: at most capacity() of the newest. Entries overwritten while being copied are
    // skipped, so seqnos increase but may have gaps.
    template <typename Fn>
    void for_each_since(uint64_t from_seqno, Fn &&fn) const {
        const uint64_t generation = generation_.load(std::memory_order_acquire);
        const uint64_t pushed = pushed_.load(std::memory_order_acquire);
        const uint64_t capacity = this->capacity();
        const uint64_t oldest_kept = pushed > capacity ? pushed - capacity : 0;
        T value{};
        for (uint64_t seqno = from_seqno > oldest_kept ? from_seqno : oldest_kept; seqno < pushed;
             ++seqno) {
            if (read_entry(generation, pushed, seqno, &value)) fn(seqno, value);
        }
    }

    // False if entry seqno was overwritten, not yet pushed, or torn by a concurrent push.
    bool read(uint64_t seqno, T *out) const {
        const uint64_t generation = generation_.load(std::memory_order_acquire);
        const uint64_t pushed = pushed_.load(std::memory_order_acquire);
        return read_entry(generation, pushed, seqno, out);
    }

    // The seqno of the oldest entry that meets `meets`, for a predicate that the entries,
    // pushed in the order of a key, meet from some entry on (key >= x): a binary search
    // that reads about log2(capacity) entries. An entry that cannot be read (overwritten
    // meanwhile, so among the oldest) counts as not meeting it. pushed() when none does.
    template <typename Pred>
    uint64_t first_seqno_where(Pred &&meets) const {
        const uint64_t generation = generation_.load(std::memory_order_acquire);
        const uint64_t pushed = pushed_.load(std::memory_order_acquire);
        uint64_t low = pushed > capacity() ? pushed - capacity() : 0, high = pushed;
        T value{};
        while (low < high) {
            const uint64_t middle = low + (high - low) / 2;
            if (read_entry(generation, pushed, middle, &value) &&
                meets(static_cast<const T &>(value)))
                high = middle;
            else
                low = middle + 1;
        }
        return low;
    }

    // A reader's place when it copies the ring a chunk at a time (copy_chunk), doing other
    // work between chunks: the generation it began in, and the seqnos left to read up to
    // what had been pushed when it began.
    struct Cursor {
        uint64_t generation;
        uint64_t next_seqno;
        uint64_t end_seqno;
    };
    Cursor cursor_since(uint64_t from_seqno) const {
        const uint64_t generation = generation_.load(std::memory_order_acquire);
        const uint64_t pushed = pushed_.load(std::memory_order_acquire);
        return Cursor{generation, from_seqno, pushed};
    }

    // Copies the cursor's next readable entries, oldest first, into out (room for `room`)
    // and moves the cursor past them; returns how many, 0 when none is left. As in
    // for_each_since, overwritten entries are skipped; entries pushed after a clear() that
    // followed cursor_since() are never copied, so a chunked read never mixes generations.
    size_t copy_chunk(Cursor *cursor, T *out, size_t room) const {
        size_t copied = 0;
        while (copied < room && cursor->next_seqno < cursor->end_seqno) {
            const uint64_t pushed = pushed_.load(std::memory_order_acquire);
            const uint64_t oldest_kept = pushed > capacity() ? pushed - capacity() : 0;
            // Entries overwritten since the last chunk: skip them without reading each.
            if (cursor->next_seqno < oldest_kept) cursor->next_seqno = oldest_kept;
            if (cursor->next_seqno >= cursor->end_seqno) break;
            if (read_entry(cursor->generation, pushed, cursor->next_seqno, &out[copied])) ++copied;
            ++cursor->next_seqno;
        }
        return copied;
    }

  private:
    SeqlockRing() = default;

    void *slot_address(uint32_t index) const {
        const uintptr_t header_end = reinterpret_cast<uintptr_t>(this) + sizeof(SeqlockRing);
        const uintptr_t first_slot = (header_end + kSlotAlignment - 1) & ~(kSlotAlignment - 1);
        return reinterpret_cast<void *>(first_slot + static_cast<uintptr_t>(index) * sizeof(Slot));
    }
    Slot &slot_at(uint64_t index) const {
        return *std::launder(static_cast<Slot *>(slot_address(static_cast<uint32_t>(index))));
    }

    bool read_entry(uint64_t generation, uint64_t pushed, uint64_t seqno, T *out) const {
        if (seqno >= pushed || pushed - seqno > capacity()) return false;
        const Slot &slot = slot_at(seqno % capacity());

        const uint64_t change_before = slot.change_count.load(std::memory_order_acquire);
        if (change_before & 1) return false;
        const uint64_t slot_generation = slot.generation.load(std::memory_order_relaxed);
        const uint64_t slot_seqno = slot.seqno.load(std::memory_order_relaxed);
        uint64_t words[kPayloadWords];
        for (size_t i = 0; i < kPayloadWords; ++i) {
            words[i] = slot.payload[i].load(std::memory_order_relaxed);
        }
        std::atomic_thread_fence(std::memory_order_acquire);
        const uint64_t change_after = slot.change_count.load(std::memory_order_relaxed);

        if (change_after != change_before) return false;
        if (slot_generation != generation || slot_seqno != seqno) return false;
        std::memcpy(out, words, sizeof(T));
        return true;
    }

    std::atomic<uint64_t> magic_;
    std::atomic<uint32_t> capacity_;
    std::atomic<uint64_t> generation_;
    std::atomic<uint64_t> pushed_;
};

}  // namespace poolopt::core
