// The part of an evaluation span in which the pools connected now ran and no other did: the
// span the host's CPU must be averaged over for it to be the connected pools' own. The CPU
// cost per transaction depends on the pool that paid it: the sleep workload on 2 cores cost
// 1.32 ms of host CPU per transaction at 96 connections and 0.75–0.86 ms at 15–26. When a
// pool is replaced within the window (96 connections closed, 15 opened), the window's CPU
// charges the new pool with the old one's cost, and its knee comes out too small; an idle
// gap before a new pool opened makes the window's CPU read low and the host look
// unsaturated (58 % over the window while the pool of 20 kept it at 94 %). Part of the pool
// engine's inputs; pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "core/pool_facts.hpp"
#include "core/server_sample.hpp"

namespace poolopt::core {

// A group with less than this share of the span's transactions neither opens nor closes the
// connected span: a monitoring query or a psql session comes and goes every few seconds,
// and its CPU is lost in the noise of the others'.
constexpr double kNegligibleTransactionShare = 0.02;

// A connected span shorter than this share of the whole span is not used: a pool that
// opened or closed moments ago leaves too few samples to average, and the window's figure,
// mostly from before the change, is the better estimate.
constexpr double kMinConnectedSpanShare = 0.5;

struct MicrosSpan {
    int64_t start_micros = 0;
    int64_t end_micros = 0;
};

// The tail of `span` from the latest start of a group with connections now and the latest
// last sighting of a group without, among the groups that carried at least
// kNegligibleTransactionShare of the span's transactions. Nothing when no such group opened
// or closed within the span (its own figures are then the connected pools' already), when
// the tail is shorter than kMinConnectedSpanShare of the span, or when the span is empty.
std::optional<MicrosSpan> connected_span(const GroupSpan *groups, size_t count,
                                         MicrosSpan span) noexcept;

// The host CPU utilisation over a span, from the server samples: each sample's reading
// covers the interval before it, so samples whose interval starts at or after the span's
// start and ends by its end count, weighted by their intervals. Unknown readings are
// skipped.
class SpanCpuAverage {
  public:
    explicit SpanCpuAverage(MicrosSpan span) noexcept : span_(span) {}
    void add(const ServerSample &sample) noexcept;
    // The mean, once the counted intervals cover at least `min_share` of the span.
    std::optional<double> mean(double min_share) const noexcept;

  private:
    MicrosSpan span_;
    double weighted_sum_ = 0;
    int64_t covered_micros_ = 0;
};

}  // namespace poolopt::core
