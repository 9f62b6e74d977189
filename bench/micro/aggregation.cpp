// Google Benchmark of the sampling path's aggregation core: what the worker does per backend
// per sample once PostgreSQL's status arrays are read (bench/aggregation.sh runs it).
// Per sample: a group key built for every backend (make_group_key), then
// GroupTableWriter::begin_sample and record_sample over the backends and their counter slots,
// with the sessions working, and (BM_AggregateIdleSample) open and idle.
// Reported per sample and per backend (the target: ≤ 1 µs per backend).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "core/group_table.hpp"

using namespace poolopt::core;

namespace {

constexpr int64_t kSampleMicros = 1'000'000;
constexpr int64_t kWindowMicros = 300 * kSampleMicros;

struct Backend {
    std::string application;
    std::string address;
    int32_t pid;
};

// One sample after another over `backends` sessions in up to 64 groups. Working: every
// sample finds three of four counter slots with new transactions (and their hold buckets), the
// states rotating. Idle: connections open and idle, their slots unchanged since the last
// sample, as at 1000 idle connections in bench/cost.sh.
void aggregate_samples(benchmark::State &state, bool working) {
    const auto backends = static_cast<size_t>(state.range(0));
    const size_t groups = std::min<size_t>(backends, 64);
    const uint32_t capacity = 256;
    GroupTableHeader header{};
    header.capacity = capacity;
    std::vector<GroupEntry> entries(capacity);
    GroupTableWriter writer(&header, entries.data());

    std::vector<Backend> sessions(backends);
    for (size_t i = 0; i < backends; ++i)
        sessions[i] = {"app-" + std::to_string(i % groups),
                       i % 2 ? "10.0.0." + std::to_string(i % 7) : "", int32_t(1000 + i)};
    std::vector<BackendObservation> observations(backends);
    std::vector<SlotReading> slots(backends);
    std::vector<SlotHolds> holds(backends);
    for (size_t i = 0; i < backends; ++i) {
        slots[i] = SlotReading{};
        slots[i].pid = sessions[i].pid;
    }

    std::vector<char> cache_evictor(working ? 0 : 16 << 20);
    int64_t now = kSampleMicros;
    uint64_t tick = 0;
    for (auto _ : state) {
        ++tick;
        if (!working) {
            state.PauseTiming();
            for (size_t i = 0; i < cache_evictor.size(); i += 64) cache_evictor[i] += char(tick);
            benchmark::ClobberMemory();
            state.ResumeTiming();
        }
        for (size_t i = 0; i < backends; ++i) {
            const SessionState states[] = {SessionState::active, SessionState::idle,
                                           SessionState::idle_in_transaction};
            const SessionState s = working ? states[(i + tick) % 3] : SessionState::idle;
            observations[i] =
                BackendObservation{make_group_key("shop", "app", sessions[i].application.c_str(),
                                                  sessions[i].address.c_str()),
                                   sessions[i].pid,
                                   s,
                                   working && (i + tick) % 11 == 0,
                                   s == SessionState::active,
                                   false};
            if (!working) continue;
            slots[i].transactions += (i + tick) % 4;
            slots[i].busy_micros += 700 * ((i + tick) % 3);
            holds[i].holds.buckets[hold_bucket(700 * ((i + tick) % 3))] += (i + tick) % 4;
        }
        writer.begin_sample(now, kWindowMicros);
        writer.record_sample(observations.data(), backends, {slots.data(), holds.data(), backends},
                             now);
        benchmark::ClobberMemory();
        now += kSampleMicros;
    }
    state.counters["per_backend"] =
        benchmark::Counter(double(backends), benchmark::Counter::kIsIterationInvariantRate |
                                                 benchmark::Counter::kInvert);
}

void BM_AggregateOneSample(benchmark::State &state) {
    aggregate_samples(state, true);
}
void BM_AggregateIdleSample(benchmark::State &state) {
    aggregate_samples(state, false);
}

BENCHMARK(BM_AggregateOneSample)->Arg(10)->Arg(100)->Arg(1000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_AggregateIdleSample)->Arg(1000)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
