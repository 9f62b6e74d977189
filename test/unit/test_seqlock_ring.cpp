#include "core/seqlock_ring.hpp"

#include <atomic>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

using poolopt::core::SeqlockRing;

namespace {

// Every field derives from seq, so a record mixing two pushes is detectable.
struct Record {
    uint64_t seq;
    uint64_t triple;
    uint64_t inverted;
    uint64_t checksum;
};

Record make_record(uint64_t seq) {
    Record record{seq, seq * 3, ~seq, 0};
    record.checksum = (record.seq ^ record.triple ^ record.inverted) * 0x9e3779b97f4a7c15ull;
    return record;
}

bool is_intact(const Record &record) {
    const Record expected = make_record(record.seq);
    return std::memcmp(&record, &expected, sizeof(Record)) == 0;
}

// An odd size checks that payloads not a multiple of 8 bytes round-trip.
struct Odd {
    char bytes[13];
};

// Stands in for a shared-memory segment: 64-byte aligned, zero-filled, optionally with
// the ring starting at an offset inside it.
class Region {
  public:
    explicit Region(size_t bytes) : storage_(new uint64_t[bytes / 8 + 16]()) {}
    void *at(size_t offset) {
        const uintptr_t base = (reinterpret_cast<uintptr_t>(storage_.get()) + 63) & ~uintptr_t{63};
        return reinterpret_cast<void *>(base + offset);
    }

  private:
    std::unique_ptr<uint64_t[]> storage_;
};

template <typename T>
std::vector<std::pair<uint64_t, T>> collect_since(const SeqlockRing<T> &ring, uint64_t from) {
    std::vector<std::pair<uint64_t, T>> entries;
    ring.for_each_since(
        from, [&](uint64_t seqno, const T &value) { entries.emplace_back(seqno, value); });
    return entries;
}

// A ring of `capacity` in `region` into which records 0..pushed-1 have been pushed.
SeqlockRing<Record> *ring_with(Region &region, uint32_t capacity, uint64_t pushed) {
    auto *ring = SeqlockRing<Record>::create(region.at(0), capacity);
    for (uint64_t seq = 0; seq < pushed; ++seq) ring->push(make_record(seq));
    return ring;
}

}  // namespace

TEST(SeqlockRing, CreateRejectsBadArguments) {
    Region region(SeqlockRing<Record>::bytes_needed(4));
    EXPECT_EQ(SeqlockRing<Record>::create(nullptr, 4), nullptr);
    EXPECT_EQ(SeqlockRing<Record>::create(region.at(0), 0), nullptr);
    EXPECT_EQ(SeqlockRing<Record>::create(region.at(4), 4), nullptr);  // misaligned atomics
}

TEST(SeqlockRing, EmptyRingReadsNothing) {
    Region region(SeqlockRing<Record>::bytes_needed(4));
    auto *ring = SeqlockRing<Record>::create(region.at(0), 4);
    ASSERT_NE(ring, nullptr);
    EXPECT_EQ(static_cast<void *>(ring), region.at(0));
    EXPECT_EQ(ring->capacity(), 4u);
    EXPECT_EQ(ring->pushed(), 0u);
    Record record{};
    EXPECT_FALSE(ring->read(0, &record));
    EXPECT_TRUE(collect_since(*ring, 0).empty());
}

TEST(SeqlockRing, PushThenRead) {
    Region region(SeqlockRing<Record>::bytes_needed(4));
    auto *ring = SeqlockRing<Record>::create(region.at(0), 4);
    for (uint64_t seq = 0; seq < 3; ++seq) ring->push(make_record(seq));
    EXPECT_EQ(ring->pushed(), 3u);
    for (uint64_t seq = 0; seq < 3; ++seq) {
        Record record{};
        ASSERT_TRUE(ring->read(seq, &record));
        EXPECT_EQ(record.seq, seq);
        EXPECT_TRUE(is_intact(record));
    }
    Record record{};
    EXPECT_FALSE(ring->read(3, &record));  // not pushed yet
}

TEST(SeqlockRing, WraparoundKeepsTheNewestCapacityEntries) {
    Region region(SeqlockRing<Record>::bytes_needed(4));
    auto *ring = SeqlockRing<Record>::create(region.at(0), 4);
    for (uint64_t seq = 0; seq < 10; ++seq) ring->push(make_record(seq));
    EXPECT_EQ(ring->pushed(), 10u);
    Record record{};
    for (uint64_t seq = 0; seq < 6; ++seq) EXPECT_FALSE(ring->read(seq, &record)) << seq;
    for (uint64_t seq = 6; seq < 10; ++seq) {
        ASSERT_TRUE(ring->read(seq, &record)) << seq;
        EXPECT_EQ(record.seq, seq);
    }

    const auto all = collect_since(*ring, 0);
    ASSERT_EQ(all.size(), 4u);
    for (size_t i = 0; i < all.size(); ++i) {
        EXPECT_EQ(all[i].first, 6 + i);
        EXPECT_EQ(all[i].second.seq, 6 + i);
    }
    const auto recent = collect_since(*ring, 8);
    ASSERT_EQ(recent.size(), 2u);
    EXPECT_EQ(recent[0].first, 8u);
    EXPECT_EQ(recent[1].first, 9u);
    EXPECT_TRUE(collect_since(*ring, 10).empty());
    EXPECT_TRUE(collect_since(*ring, 1000).empty());
}

TEST(SeqlockRing, CapacityOne) {
    Region region(SeqlockRing<Record>::bytes_needed(1));
    auto *ring = SeqlockRing<Record>::create(region.at(0), 1);
    ASSERT_NE(ring, nullptr);
    ring->push(make_record(0));
    ring->push(make_record(1));
    Record record{};
    EXPECT_FALSE(ring->read(0, &record));
    ASSERT_TRUE(ring->read(1, &record));
    EXPECT_EQ(record.seq, 1u);
    const auto all = collect_since(*ring, 0);
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0].first, 1u);
}

TEST(SeqlockRing, ClearHidesOlderEntriesAndRestartsSeqnos) {
    Region region(SeqlockRing<Record>::bytes_needed(4));
    auto *ring = SeqlockRing<Record>::create(region.at(0), 4);
    for (uint64_t seq = 0; seq < 3; ++seq) ring->push(make_record(seq));
    const uint64_t generation = ring->generation();
    ring->clear();
    EXPECT_NE(ring->generation(), generation);
    EXPECT_EQ(ring->pushed(), 0u);
    Record record{};
    EXPECT_FALSE(ring->read(0, &record));
    EXPECT_TRUE(collect_since(*ring, 0).empty());

    ring->push(make_record(100));
    EXPECT_EQ(ring->pushed(), 1u);
    ASSERT_TRUE(ring->read(0, &record));
    EXPECT_EQ(record.seq, 100u);
    // Slot 1 still physically holds the pre-clear entry 1; it must stay invisible even
    // once seqno 1 is within the readable range again.
    ring->push(make_record(101));
    ASSERT_TRUE(ring->read(1, &record));
    EXPECT_EQ(record.seq, 101u);
    const auto all = collect_since(*ring, 0);
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].second.seq, 100u);
    EXPECT_EQ(all[1].second.seq, 101u);
}

TEST(SeqlockRing, FirstSeqnoWhereFindsWhereOrderedEntriesBeginToQualify) {
    auto at_least = [](uint64_t seq) { return [seq](const Record &r) { return r.seq >= seq; }; };
    Region region(SeqlockRing<Record>::bytes_needed(8));
    auto *ring = ring_with(region, 8, 0);
    EXPECT_EQ(ring->first_seqno_where(at_least(0)), 0u);  // empty: pushed()
    for (uint64_t pushed = 1; pushed <= 20; ++pushed) {
        ring->push(make_record(pushed - 1));
        const uint64_t oldest = pushed > 8 ? pushed - 8 : 0;
        for (uint64_t seq = 0; seq <= pushed + 1; ++seq) {
            const uint64_t want = seq < oldest ? oldest : seq < pushed ? seq : pushed;
            EXPECT_EQ(ring->first_seqno_where(at_least(seq)), want)
                << "pushed " << pushed << ", from " << seq;
        }
    }
    Region one(SeqlockRing<Record>::bytes_needed(1));
    auto *single = ring_with(one, 1, 5);  // keeps 4
    EXPECT_EQ(single->first_seqno_where(at_least(0)), 4u);
    EXPECT_EQ(single->first_seqno_where(at_least(5)), 5u);
}

// Read in chunks of 3 from a ring of 8: every entry once, in order, chunk by chunk.
TEST(SeqlockRing, CopyChunkReadsTheRangeOnceInOrder) {
    Region region(SeqlockRing<Record>::bytes_needed(8));
    auto *ring = ring_with(region, 8, 13);  // keeps 5..12
    auto cursor = ring->cursor_since(0);
    Record chunk[3];
    std::vector<uint64_t> seen, sizes;
    while (size_t n = ring->copy_chunk(&cursor, chunk, 3)) {
        sizes.push_back(n);
        for (size_t i = 0; i < n; ++i) {
            EXPECT_TRUE(is_intact(chunk[i]));
            seen.push_back(chunk[i].seq);
        }
    }
    EXPECT_EQ(seen, (std::vector<uint64_t>{5, 6, 7, 8, 9, 10, 11, 12}));
    EXPECT_EQ(sizes, (std::vector<uint64_t>{3, 3, 2}));
    EXPECT_EQ(ring->copy_chunk(&cursor, chunk, 3), 0u);

    auto from_ten = ring->cursor_since(10);
    ASSERT_EQ(ring->copy_chunk(&from_ten, chunk, 3), 3u);
    EXPECT_EQ(chunk[0].seq, 10u);
    EXPECT_EQ(chunk[2].seq, 12u);
}

TEST(SeqlockRing, CopyChunkSkipsOverwrittenEntriesAndNeverMixesGenerations) {
    Region region(SeqlockRing<Record>::bytes_needed(4));
    auto *ring = ring_with(region, 4, 4);
    auto cursor = ring->cursor_since(0);
    Record chunk[2];
    ASSERT_EQ(ring->copy_chunk(&cursor, chunk, 2), 2u);
    EXPECT_EQ(chunk[1].seq, 1u);
    // Between two chunks the writer pushes 4..7, overwriting 2 and 3; the new entries are
    // after the cursor's end: nothing more is read.
    for (uint64_t seq = 4; seq < 8; ++seq) ring->push(make_record(seq));
    EXPECT_EQ(ring->copy_chunk(&cursor, chunk, 2), 0u);

    auto second = ring->cursor_since(0);  // 4..7 kept; 4 overwritten before the first chunk
    ring->push(make_record(8));
    std::vector<uint64_t> seen;
    while (size_t n = ring->copy_chunk(&second, chunk, 2))
        for (size_t i = 0; i < n; ++i) seen.push_back(chunk[i].seq);
    EXPECT_EQ(seen, (std::vector<uint64_t>{5, 6, 7}));

    // A clear() between two chunks, then new entries that reuse the seqnos: they must not
    // be read as if they followed the old ones.
    auto third = ring->cursor_since(0);  // 5..8 kept
    ASSERT_EQ(ring->copy_chunk(&third, chunk, 2), 2u);
    ring->clear();
    for (uint64_t seq = 100; seq < 109; ++seq) ring->push(make_record(seq));
    EXPECT_EQ(ring->copy_chunk(&third, chunk, 2), 0u);
}

TEST(SeqlockRing, AttachSeesTheCreatedRing) {
    const size_t offset = 8;  // a ring embedded after other data, not 64-byte aligned
    Region region(SeqlockRing<Record>::bytes_needed(8) + offset);
    auto *created = SeqlockRing<Record>::create(region.at(offset), 8);
    ASSERT_NE(created, nullptr);
    created->push(make_record(42));

    auto *attached = SeqlockRing<Record>::attach(region.at(offset));
    ASSERT_EQ(attached, created);
    Record record{};
    ASSERT_TRUE(attached->read(0, &record));
    EXPECT_EQ(record.seq, 42u);
    EXPECT_EQ(attached->capacity(), 8u);
}

TEST(SeqlockRing, AttachRefusesMemoryWithoutARing) {
    Region region(SeqlockRing<Record>::bytes_needed(8));
    EXPECT_EQ(SeqlockRing<Record>::attach(region.at(0)), nullptr);  // zeroed
    EXPECT_EQ(SeqlockRing<Record>::attach(nullptr), nullptr);
    ASSERT_NE(SeqlockRing<Record>::create(region.at(0), 8), nullptr);
    // Same memory, different entry type.
    EXPECT_EQ(SeqlockRing<Odd>::attach(region.at(0)), nullptr);
}

TEST(SeqlockRing, SlotsStayInsideBytesNeeded) {
    // Fill a canary after bytes_needed and check pushes never touch it, for every
    // header alignment the region might get.
    for (size_t offset = 0; offset < 64; offset += 8) {
        const size_t bytes = SeqlockRing<Odd>::bytes_needed(5);
        Region region(bytes + offset + 64);
        auto *canary = static_cast<unsigned char *>(region.at(offset + bytes));
        std::memset(canary, 0xAB, 64);
        auto *ring = SeqlockRing<Odd>::create(region.at(offset), 5);
        ASSERT_NE(ring, nullptr);
        for (int i = 0; i < 12; ++i) ring->push(Odd{});
        for (int i = 0; i < 64; ++i) ASSERT_EQ(canary[i], 0xAB) << "offset " << offset;
    }
}

TEST(SeqlockRing, PayloadsNotAMultipleOfEightBytesRoundTrip) {
    Region region(SeqlockRing<Odd>::bytes_needed(3));
    auto *ring = SeqlockRing<Odd>::create(region.at(0), 3);
    Odd in{};
    std::memcpy(in.bytes, "pool_optimiz", sizeof(in.bytes));
    ring->push(in);
    Odd out{};
    ASSERT_TRUE(ring->read(0, &out));
    EXPECT_EQ(std::memcmp(in.bytes, out.bytes, sizeof(in.bytes)), 0);
}

// One writer pushes self-checking records as fast as it can into a small ring, so slots
// are overwritten while readers copy them; readers must never see a torn record, and
// each reader's seqnos must increase.
TEST(SeqlockRing, ConcurrentReadersNeverSeeTornRecords) {
#if defined(__SANITIZE_THREAD__)
    constexpr uint64_t kRecords = 200000;  // TSan makes every atomic access ~10x slower
#else
    constexpr uint64_t kRecords = 1000000;
#endif
    constexpr uint32_t kCapacity = 64;
    constexpr int kReaders = 3;

    Region region(SeqlockRing<Record>::bytes_needed(kCapacity));
    auto *ring = SeqlockRing<Record>::create(region.at(0), kCapacity);
    ASSERT_NE(ring, nullptr);

    std::atomic<bool> writer_done{false};
    std::atomic<uint64_t> torn{0};
    std::atomic<uint64_t> out_of_order{0};
    std::atomic<uint64_t> mislabelled{0};
    std::vector<uint64_t> entries_seen(kReaders, 0);
    std::vector<uint64_t> single_reads(kReaders, 0);
    std::vector<uint64_t> last_seen(kReaders, 0);

    auto reader = [&](int id) {
        auto *view = SeqlockRing<Record>::attach(region.at(0));
        uint64_t cursor = 0;
        bool first = true;
        uint64_t last_seqno = 0;
        uint64_t seen = 0;
        uint64_t reads = 0;
        auto check = [&](uint64_t seqno, const Record &record) {
            if (!is_intact(record)) torn.fetch_add(1, std::memory_order_relaxed);
            if (record.seq != seqno) mislabelled.fetch_add(1, std::memory_order_relaxed);
            if (!first && seqno <= last_seqno) out_of_order.fetch_add(1, std::memory_order_relaxed);
            first = false;
            last_seqno = seqno;
            cursor = seqno + 1;
            ++seen;
        };
        while (true) {
            const bool finished = writer_done.load(std::memory_order_acquire);
            view->for_each_since(cursor, check);
            // Random access to the newest entries, the ones most likely being overwritten.
            const uint64_t pushed = view->pushed();
            Record record{};
            if (pushed > 0 && view->read(pushed - 1, &record)) {
                ++reads;
                if (!is_intact(record)) torn.fetch_add(1, std::memory_order_relaxed);
                if (record.seq != pushed - 1) mislabelled.fetch_add(1, std::memory_order_relaxed);
            }
            if (finished) break;
        }
        entries_seen[id] = seen;
        last_seen[id] = last_seqno;
        single_reads[id] = reads;
    };

    std::vector<std::thread> readers;
    for (int id = 0; id < kReaders; ++id) readers.emplace_back(reader, id);
    std::thread writer([&] {
        for (uint64_t seq = 0; seq < kRecords; ++seq) ring->push(make_record(seq));
        writer_done.store(true, std::memory_order_release);
    });
    writer.join();
    for (auto &thread : readers) thread.join();

    EXPECT_EQ(ring->pushed(), kRecords);
    EXPECT_EQ(torn.load(), 0u);
    EXPECT_EQ(mislabelled.load(), 0u);
    EXPECT_EQ(out_of_order.load(), 0u);
    for (int id = 0; id < kReaders; ++id) {
        // Each reader made progress and, having read after the writer finished, saw the
        // final record.
        EXPECT_GT(entries_seen[id], 0u) << "reader " << id;
        EXPECT_EQ(last_seen[id], kRecords - 1) << "reader " << id;
        RecordProperty("reader" + std::to_string(id) + "_entries",
                       std::to_string(entries_seen[id]));
        RecordProperty("reader" + std::to_string(id) + "_reads", std::to_string(single_reads[id]));
    }
}

// White-box: a writer that dies between its two counter stores (a crashed worker that
// PostgreSQL did not reinitialise shared memory after) leaves a slot's count odd.
// Readers must treat that slot as unreadable, and the next writer must restore
// "odd = being written" rather than publish the slot with an odd count.
TEST(SeqlockRing, SlotLeftOddByADeadWriterIsSkippedThenRepaired) {
    Region region(SeqlockRing<Record>::bytes_needed(2));
    auto *ring = SeqlockRing<Record>::create(region.at(0), 2);
    ring->push(make_record(7));
    // The header is 32 bytes, so with a 64-byte aligned region the first slot starts at
    // +64: change count, generation, seqno, then the payload words.
    auto *slot_words =
        reinterpret_cast<std::atomic<uint64_t> *>(static_cast<unsigned char *>(region.at(0)) + 64);
    ASSERT_EQ(slot_words[3].load(), 7u) << "slot layout assumption broken";
    const uint64_t stable_count = slot_words[0].load();
    ASSERT_EQ(stable_count % 2, 0u);

    slot_words[0].store(stable_count + 1);  // died mid-write
    Record record{};
    EXPECT_FALSE(ring->read(0, &record));
    EXPECT_TRUE(collect_since(*ring, 0).empty());

    ring->push(make_record(8));  // slot 1
    ring->push(make_record(9));  // slot 0 again
    EXPECT_EQ(slot_words[0].load() % 2, 0u);
    ASSERT_TRUE(ring->read(2, &record));
    EXPECT_EQ(record.seq, 9u);
}
