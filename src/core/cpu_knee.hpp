// The CPUs' knee for pools whose connections mostly wait (sleeping, on I/O, for a remote
// client): how many connections keep the host's CPUs busy, from what each transaction
// costs them and how long it spends away from them. Beyond the knee more connections do
// not add throughput; they queue for a core, and that queueing lengthens every transaction
// they hold, so λ·W measured on an oversized pool asks for ever more connections. Part of
// the pool engine; pure.
#pragma once

#include <cstdint>
#include <optional>

#include "core/queueing.hpp"

namespace poolopt::core {

// The share of time the knee keeps the CPUs busy. Not the 95 % of the benchmark's
// throughput target: the CPU cost of a transaction falls as connections are added (group
// commit and the client's event loop batch more work per wake-up: 0.42 ms at 8 sleeping
// connections, 0.34 at 32, 0.31 at 96 on 2 cores), so the last few percent of CPU still
// carry throughput. At 95 % the knee gave 0.91–0.92 of the best throughput of the sleep
// workload's sweep (bench/RESULTS.md, runs 14 and 15); at 99 %, 64 from 96 clients, whose
// p95 at the fixed rate was 1.21–1.25 times the best in runs 16 and 17.
constexpr double kKneeCpuBusyShare = 0.98;

// CPU time per transaction by Little's law on the CPUs: utilisation × cores = throughput ×
// CPU time. Every CPU second of the host over the window is charged to the transactions of
// every group: clients on this host and the server's own processes run on the same cores,
// so they belong in it; another process on them makes the cost an overestimate, and the
// knee a cautious (smaller) one. The throughput must span what the CPU figure spans: a
// group seen for part of the window (a pool resized or replaced within it) has a rate over
// that part only, and adding such rates up counts its transactions as if they had run for
// the whole window, which makes the cost too small and the knee too large.
struct HostCpuCost {
    int32_t cores = 1;                   // whole usable cores, unknown counting as 1
    double host_cpu = 0;                 // 0..1 over the window
    double transactions_per_second = 0;  // of every group, over the window
    double seconds_per_transaction = 0;  // 0 when unknown
    // The groups with connections open now, each at its rate over the part of the window it
    // was seen in, and the share of the CPUs they keep busy at that cost (0..1): what the
    // fitted away time reproduces. Equal to the window's figures when every group ran
    // through the whole window; it leaves out a pool that closed within it, whose
    // connections no longer compete for the cores.
    double connected_transactions_per_second = 0;
    double connected_utilisation = 0;
    // The CPU figure spans only the part of the window since the last pool opened or
    // closed (connected_span.hpp), not the whole window.
    bool since_pools_changed = false;

    bool known() const noexcept { return seconds_per_transaction > 0.0; }
};

// Unknown (cost 0) without a host CPU figure, without throughput, or with the CPU idle.
// `connected_transactions_per_second` defaults to the window's throughput.
HostCpuCost host_cpu_cost(std::optional<double> host_cpu, double usable_cpus,
                          double transactions_per_second,
                          std::optional<double> connected_transactions_per_second = {}) noexcept;

// The fewest connections in a transaction that keep the CPUs kKneeCpuBusyShare busy when
// each transaction spends `away_seconds` off them and cost.seconds_per_transaction on them,
// under `model` (queueing.hpp); limit + 1 when more than `limit` are needed or the cost is
// unknown. At least 1.
int32_t cpu_knee_connections(double away_seconds, const HostCpuCost &cost, int32_t limit,
                             CpuQueueModel model = CpuQueueModel::finite_source) noexcept;

// The connections (the nearest whole number) at which a pool whose connections mostly wait
// brings the CPUs to kKneeCpuBusyShare, if the CPU it uses grows in proportion to its
// connections (each one
// completes a transaction per away + CPU time) and the other pools' use stays as it is:
// `own_utilisation` is the pool's (its rate × the cost ÷ cores), `other_utilisation` the
// rest of the connected pools'. The cautious reading of a host below saturation, where
// the fitted away time extrapolates the model from a share of the CPUs to all of them.
// At least `connections`; limit + 1 when the pool uses no CPU or more than `limit` are needed.
int32_t proportional_knee_connections(int32_t connections, double own_utilisation,
                                      double other_utilisation, int32_t limit) noexcept;

// How far past the saturation point of the sampled waits a knee extrapolated from a host
// below saturation may reach. That point, cores × (away + CPU) ÷ CPU per transaction, is where
// the CPUs would be busy if every transaction were alike (Kleinrock's N*); past it each
// connection mostly adds queueing for a core. The fitted away time reads the host's idle share
// as room to grow, but that share is not always usable: the clients on the host compete for the
// same cores and the CPU per transaction can rise with connections. On 2 slower cores the
// sleep workload's throughput peaked at 24 connections with the host at 86 %, N* was 15–18,
// and the fit with the proportional hold asked for 24–28, whose p95 at the fixed rate was
// 1.32–1.52 times the best (bench/RESULTS.md, runs 26 and 27). The sizes meeting both of the
// benchmark's targets lay at 1.2–1.3 times N* there and at 1.2–1.5 times on 2 faster cores
// (N* 41–48 at 32–60 connections; 50–64 met them).
constexpr double kSaturationMargin = 1.25;

// Kleinrock's saturation point: cores × (away + CPU) ÷ CPU per transaction; 0 when the cost is
// unknown.
double saturation_point_connections(double away_seconds, const HostCpuCost &cost) noexcept;

// kSaturationMargin × that point, the nearest whole number, at least 1; limit + 1 when past
// `limit` or the cost is unknown. A margin past the `open` connections allows at least the next
// one: rounded to the nearest it could fall back onto them and stop a growth it allows (TPC-B
// at 3 connections, 1.25 × 2.78 = 3.48, where 4 served the most: bench/RESULTS.md, run 51).
int32_t saturation_bound_connections(double away_seconds, const HostCpuCost &cost, int32_t open,
                                     int32_t limit) noexcept;
// Whether that rule applied: the margin lies past the `open` connections but its nearest
// whole number does not.
bool saturation_margin_rounds_onto_open(double margin, int32_t open) noexcept;

// The away time at which the finite-source queue with `connections` sources keeps the CPUs
// as busy as the connected pools did (cost.connected_utilisation), never below
// `sampled_away_seconds`; the sampled one when the cost is unknown. Sampled wait events miss time
// off the CPUs: a backend waiting for a client on this host is not counted away (that time may be
// the client's CPU work), yet at moderate load it is mostly wake-up latency and the client's event
// loop; and wake-ups that come in bursts (group commit, timers) leave the CPUs idle more often than
// independent ones would. Both show as a host less busy than the model says: at 32 sleeping
// connections on 2 cores the host read 66–69 % where the sampled away time predicts 81–85 %. Only
// meaningful below saturation: at its plateau the host's utilisation no longer tells how many more
// connections it could use, and the fit would ask for ever more.
double away_seconds_fitted_to_host_cpu(double sampled_away_seconds, int32_t connections,
                                       const HostCpuCost &cost) noexcept;

// The away time at which independent sources, `in_transaction` connections of them, keep
// the CPUs as busy as the connected pools did (cost.connected_utilisation), never above
// `sampled_away_seconds`: where the host reads busier than the sampled waits predict (work
// the samples miss, another process on the cores), each connection is taken to want a core
// as often as the host shows, which brings the knee closer. A figure past kKneeCpuBusyShare
// counts as that share: the connections in a transaction are then the knee. 0 when even no
// time away falls short of the figure; the sampled one when the cost is unknown.
double away_seconds_fitted_down_to_host_cpu(double sampled_away_seconds, int32_t in_transaction,
                                            const HostCpuCost &cost) noexcept;

}  // namespace poolopt::core
