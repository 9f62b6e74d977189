// The server-wide samples of one evaluation window, summed and averaged: what the workload
// rules and the health checks read instead of single samples, whose counter deltas arrive
// in bursts (backends flush pg_stat_database about once a second).
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/server_sample.hpp"

namespace poolopt::core {

struct TelemetryWindow {
    size_t samples = 0;
    // Span of the summed deltas: the sum of the samples' intervals. The first sample after a
    // (re)start has no interval and no delta, so this can be shorter than last - first.
    double seconds = 0;
    int64_t first_micros = 0;  // time of the oldest sample in the window; 0 when empty
    int64_t last_micros = 0;   // time of the newest
    DatabaseCounters delta{};  // pg_stat_database and checkpoint counters, summed

    // Means over the samples (client backends only; busy = active + idle in transaction).
    double mean_client_connections = 0;
    double mean_busy = 0;
    double mean_idle_in_transaction = 0;
    // The largest counts seen in one sample: how many at once, not summed over groups.
    int32_t peak_client_connections = 0;
    int32_t peak_busy = 0;
    ServerSample last{};  // the newest sample; all zero when empty

    int64_t transactions() const { return delta.xact_commit + delta.xact_rollback; }
};

// Counters below this span are not scaled up to an hourly rate: the 4 temp files of one
// `pgbench -i` in a 15 s window are a burst, not 960 an hour.
constexpr double kMinSecondsToExtrapolate = 300;

// Events per hour from `count` events over `seconds`. Over a span shorter than
// kMinSecondsToExtrapolate the count itself is returned: a floor, since that many happened
// within the last hour, which a rule may act on without guessing the rest of the hour.
double hourly_rate_floor(double count, double seconds) noexcept;

// Summarises samples one at a time, oldest first, as the history ring yields them, so
// that a reader can summarise the ring without copying it. Samples taken before
// `since_micros` (INT64_MIN: none) are left out. Plain data, no allocation.
class WindowSummariser {
  public:
    explicit WindowSummariser(int64_t since_micros) noexcept : since_micros_(since_micros) {}
    void add(const ServerSample &sample) noexcept;
    TelemetryWindow result() const noexcept;

  private:
    int64_t since_micros_;
    TelemetryWindow window_;
    double connections_ = 0, busy_ = 0, idle_in_transaction_ = 0;
    int64_t interval_micros_ = 0;
};

// Summarises the samples taken at or after `since_micros` (INT64_MIN: all of them).
// `samples` are oldest first, as the history ring yields them.
TelemetryWindow summarise_window(const ServerSample *samples, size_t count,
                                 int64_t since_micros) noexcept;

}  // namespace poolopt::core
