// Queueing maths for connection pools: a pool of c connections serving transactions that
// arrive at rate λ and hold a connection for W seconds on average is an M/M/c queue with
// offered load A = λ·W erlangs. Erlang C gives the probability that a checkout has to wait;
// Little's law ties busy connections, throughput and hold time together.
//
// Every function is noexcept and total. Inputs that make no sense (negative, NaN) are read
// as documented below rather than rejected, because the figures come from live sampling
// and a recommendation must still be produced from imperfect ones.
#pragma once

#include <cstdint>

namespace poolopt::core {

// PostgreSQL cannot run more than MAX_BACKENDS (2^18 - 1) backends, so no pool can use
// more connections; it also bounds the work of the recurrences below (about 1 ms).
constexpr int32_t kMaxServers = (1 << 18) - 1;

// Erlang B: probability that an arrival finds every one of `servers` busy when arrivals
// that find no free server are lost. 1 for no servers; 0 for no load (NaN and negative
// loads count as no load); 1 for an infinite load. Servers above kMaxServers count as
// kMaxServers.
double erlang_b(double offered_load, int32_t servers) noexcept;

// Erlang C: probability that an arrival has to wait when arrivals that find every server
// busy queue (P(wait)). 0 for no load, whatever the number of servers; 1 when
// offered_load >= servers, where the queue grows without bound. Uses the Erlang B
// recurrence (no factorials or powers), so it stays accurate for thousands of servers.
// Here and below, servers above kMaxServers count as kMaxServers.
double erlang_c_wait_probability(double offered_load, int32_t servers) noexcept;

// Mean time an arrival spends waiting for a server, over all arrivals (those that find a
// free server wait 0): W_q = C / (c·μ − λ) with μ = 1 / mean hold time. 0 without
// arrivals or hold time; +infinity when λ·W >= servers.
double erlang_c_mean_wait_seconds(double arrivals_per_second, double mean_hold_seconds,
                                  int32_t servers) noexcept;

// The smallest c in [0, server_limit] with erlang_c_wait_probability(offered_load, c) <=
// target_wait_probability, or server_limit + 1 when even server_limit servers make
// arrivals wait more often ("more than the limit", and it still orders correctly).
// No load needs no server: offered_load <= 0 (or NaN) gives 0; callers apply their own
// minimum. Any positive load gives at least floor(offered_load) + 1, the fewest servers
// with a finite queue. The target is clamped to [1e-9, 1] (NaN counts as 1e-9);
// server_limit to [0, kMaxServers]. Cost: O(result) steps.
int32_t smallest_servers_for_wait_probability(double offered_load, double target_wait_probability,
                                              int32_t server_limit = kMaxServers) noexcept;

// The finite-source queue (the machine-repairman model): `population` connections each
// alternate between `think_seconds` away from the CPUs (sleeping, waiting on I/O or a remote
// client) and `service_seconds` of CPU work served by `servers` CPUs, with exponential
// times. Returns the mean share of the servers busy, in [0, 1). It is what a closed loop
// of that many connections can get out of the CPUs: throughput = utilisation × servers /
// service_seconds. No population, or no service time (NaN, negative), gives 0; no think
// time (or an infinite service time) gives min(population, servers) / servers. Servers are clamped
// to [1, kMaxServers]. Computed with rescaled products, so thousands of connections neither
// overflow nor lose precision. Cost: O(population) multiplications.
double finite_source_utilisation(int32_t population, double think_seconds, double service_seconds,
                                 int32_t servers) noexcept;

// Independent sources: `population` connections each want a CPU a share p = service ÷
// (think + service) of the time, independently of one another and of the CPUs' queue: a
// connection's waits (a timer, its client) run their course whether or not the cores were
// free when it last wanted one. The busy servers are then min(K, servers) with K ~
// Binomial(population, p); returns E[min(K, servers)] ÷ servers, in [0, 1]. The
// machine-repairman model above lets a connection queued for a core hold on to its demand
// until served, which fills the cores sooner: at 49–96 sleeping connections on 2 cores it
// put them 96–100 % busy where the host read 80–95 %; this model read it from 8 points
// below to 3 above (bench/RESULTS.md, session 18). Inputs read as
// finite_source_utilisation's; cost O(min(population, servers)) logarithms, so any
// population up to kMaxServers.
double independent_sources_utilisation(int32_t population, double think_seconds,
                                       double service_seconds, int32_t servers) noexcept;

// Which of the two models above a population search uses.
enum class CpuQueueModel { finite_source, independent_sources };

// The smallest population in [1, population_limit] whose utilisation under `model`
// reaches target_utilisation (clamped to [0, 1]; NaN counts as 1), or population_limit + 1
// when none does. A target of 1 is reached only without think time, or where the idle
// share falls below double precision. population_limit is clamped to [1, kMaxServers].
// Utilisation grows with the population, so doubling then bisection finds it: cost
// O(answer · log answer) steps.
int32_t smallest_population_for_utilisation(
    double think_seconds, double service_seconds, int32_t servers, double target_utilisation,
    int32_t population_limit = kMaxServers,
    CpuQueueModel model = CpuQueueModel::finite_source) noexcept;

// Little's law, L = λ·W: mean number in the system (busy connections) from the arrival rate
// and the mean time in the system (hold time). For a pool this is the offered load A.
// Negative or NaN inputs count as 0; the result is 0 or positive (possibly infinite).
double littles_law_mean_in_system(double arrivals_per_second, double mean_seconds) noexcept;
// W = L / λ; 0 when λ is 0 or either input is negative or NaN.
double littles_law_mean_seconds(double mean_in_system, double arrivals_per_second) noexcept;
// λ = L / W; 0 when W is 0 or either input is negative or NaN.
double littles_law_arrivals_per_second(double mean_in_system, double mean_seconds) noexcept;

}  // namespace poolopt::core
