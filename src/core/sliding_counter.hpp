// Event counts over a sliding time window, sized to live in PostgreSQL shared memory.
#pragma once

#include <cstdint>
#include <type_traits>

namespace poolopt::core {

// Counts events over the last Buckets x BucketMicros microseconds (12 x 5 s = the last
// minute) with a ring of time buckets. Each slot remembers which absolute bucket number
// it holds, so slots left behind by a gap in time are ignored instead of being cleared
// eagerly, and the caller supplies the clock (monotonic or epoch microseconds).
//
// The window that sum() covers is the current, partly elapsed bucket plus the
// Buckets - 1 before it: between (Buckets - 1) x BucketMicros and Buckets x BucketMicros
// long. covered_micros() reports exactly that span (cut at first_seen), so
// sum() / covered_micros() is an unbiased rate.
//
// Time going backwards (a clock step, two callers disagreeing) is read as "now = the
// latest time seen": nothing is overwritten and no slot moves back.
//
// Concurrency protocol: none inside; the owner's lock provides it. One writer (the
// worker) calls reset() and add() holding the owner's LWLock exclusively; readers call
// sum() and covered_micros() holding it shared, or work on a copy (trivially copyable).
// All-zero memory is an empty counter (a slot's bucket number only matters when its count
// is not zero); the owner still calls reset() once.
template <uint32_t Buckets, int64_t BucketMicros>
class SlidingCounter {
    static_assert(Buckets >= 1, "a window needs at least one bucket");
    static_assert(BucketMicros > 0, "buckets must have a positive length");
    static_assert(BucketMicros <= INT64_MAX / Buckets, "window length overflows int64");

  public:
    static constexpr int64_t window_micros() { return Buckets * BucketMicros; }

    void reset() { *this = SlidingCounter{}; }

    void add(int64_t now_us, uint64_t n) {
        const int64_t now = effective_now(now_us);
        const int64_t bucket = bucket_number(now);
        const uint32_t slot = slot_of(bucket);
        if (slot_bucket_[slot] != bucket) {
            slot_bucket_[slot] = bucket;
            counts_[slot] = 0;
        }
        counts_[slot] += n;
        latest_us_ = now;
        has_data_ = true;
    }

    uint64_t sum(int64_t now_us) const {
        if (!has_data_) return 0;
        const int64_t newest = bucket_number(effective_now(now_us));
        const int64_t oldest = newest - static_cast<int64_t>(Buckets) + 1;
        uint64_t total = 0;
        for (uint32_t slot = 0; slot < Buckets; ++slot) {
            if (slot_bucket_[slot] >= oldest && slot_bucket_[slot] <= newest) {
                total += counts_[slot];
            }
        }
        return total;
    }

    // How much of the window ending at now_us has been observed, given that counting
    // began at first_seen_us: the divisor for a rate.
    int64_t covered_micros(int64_t now_us, int64_t first_seen_us) const {
        const int64_t now = effective_now(now_us);
        const int64_t window_start =
            (bucket_number(now) - static_cast<int64_t>(Buckets) + 1) * BucketMicros;
        const int64_t start = first_seen_us > window_start ? first_seen_us : window_start;
        return now > start ? now - start : 0;
    }

  private:
    int64_t effective_now(int64_t now_us) const {
        return has_data_ && now_us < latest_us_ ? latest_us_ : now_us;
    }
    // Floor division, so that times before the clock's epoch still map to buckets in order.
    static int64_t bucket_number(int64_t now_us) {
        const int64_t quotient = now_us / BucketMicros;
        return (now_us % BucketMicros < 0) ? quotient - 1 : quotient;
    }
    static uint32_t slot_of(int64_t bucket) {
        const int64_t remainder = bucket % static_cast<int64_t>(Buckets);
        return static_cast<uint32_t>(remainder < 0 ? remainder + Buckets : remainder);
    }
    // Without has_data_, a zeroed latest_us_ would make every negative clock reading
    // look like time going backwards.
    int64_t latest_us_;
    bool has_data_;
    int64_t slot_bucket_[Buckets];
    uint64_t counts_[Buckets];
};

static_assert(std::is_trivially_copyable_v<SlidingCounter<12, 5000000>>, "lives in shared memory");
static_assert(std::is_trivially_default_constructible_v<SlidingCounter<12, 5000000>>,
              "usable on zeroed shared memory without construction");

}  // namespace poolopt::core
