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

// Little's law, L = λ·W: mean number in the system (busy connections) from the arrival rate
// and the mean time in the system (hold time). For a pool this is the offered load A.
// Negative or NaN inputs count as 0; the result is 0 or positive (possibly infinite).
double littles_law_mean_in_system(double arrivals_per_second, double mean_seconds) noexcept;
// W = L / λ; 0 when λ is 0 or either input is negative or NaN.
double littles_law_mean_seconds(double mean_in_system, double arrivals_per_second) noexcept;
// λ = L / W; 0 when W is 0 or either input is negative or NaN.
double littles_law_arrivals_per_second(double mean_in_system, double mean_seconds) noexcept;

}  // namespace poolopt::core
