// The CPUs' knee for pools whose connections mostly wait (sleeping, on I/O, for a remote
// client): how many connections keep the host's CPUs busy, from what each transaction
// costs them and how long it spends away from them. Beyond the knee more connections do
// not add throughput; they queue for a core, and that queueing lengthens every transaction
// they hold, so λ·W measured on an oversized pool asks for ever more connections. Part of
// the pool engine; pure.
#pragma once

#include <cstdint>
#include <optional>

namespace poolopt::core {

// The share of time the knee keeps the CPUs busy: a pool that leaves them idle at most 5 %
// of the time for want of a connection gets at least 95 % of the throughput they allow,
// as the benchmark's throughput target asks, and no connection more.
constexpr double kKneeCpuBusyShare = 0.95;

// CPU time per transaction by Little's law on the CPUs: utilisation × cores = throughput ×
// CPU time. Every CPU second of the host over the window is charged to the transactions of
// every group: clients on this host and the server's own processes run on the same cores,
// so they belong in it; another process on them makes the cost an overestimate, and the
// knee a cautious (smaller) one.
struct HostCpuCost {
    int32_t cores = 1;                   // whole usable cores, unknown counting as 1
    double host_cpu = 0;                 // 0..1 over the window
    double transactions_per_second = 0;  // of every group
    double seconds_per_transaction = 0;  // 0 when unknown

    bool known() const noexcept { return seconds_per_transaction > 0.0; }
};

// Unknown (cost 0) without a host CPU figure, without throughput, or with the CPU idle.
HostCpuCost host_cpu_cost(std::optional<double> host_cpu, double usable_cpus,
                          double transactions_per_second) noexcept;

// The fewest connections that keep the CPUs kKneeCpuBusyShare busy when each transaction
// spends `away_seconds` off them and cost.seconds_per_transaction on them (the
// finite-source queue of queueing.hpp); limit + 1 when more than `limit` are needed or the
// cost is unknown. At least 1.
int32_t cpu_knee_connections(double away_seconds, const HostCpuCost &cost, int32_t limit) noexcept;

}  // namespace poolopt::core
