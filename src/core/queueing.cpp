#include "core/queueing.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace poolopt::core {

namespace {

constexpr double kMinTargetWaitProbability = 1e-9;

// The finite-source recurrence multiplies each term by at most kMaxServers · ratio. With the
// ratio capped (beyond it the think time is negligible beside the service time) and the sums
// rescaled once past 1e200, no term exceeds about 1e256 and no sum about 1e262.
constexpr double kNoThinkRatio = 1e50;
constexpr double kRescaleAbove = 1e200;

// NaN and negative figures carry no load.
double non_negative(double value) {
    return value > 0.0 ? value : 0.0;
}

int32_t clamp_servers(int32_t servers) {
    return std::clamp<int32_t>(servers, 0, kMaxServers);
}

// One step of the Erlang B recurrence, B(k) = A·B(k−1) / (k + A·B(k−1)). Every B(k) lies in
// (0, 1], so nothing overflows; a B that underflows to 0 stays 0, which is its true value
// to double precision.
double next_erlang_b(double offered_load, double previous_b, int32_t k) {
    const double numerator = offered_load * previous_b;
    return numerator / (static_cast<double>(k) + numerator);
}

// C = c·B / (c − A·(1 − B)), valid for c > A, where the denominator is positive.
double erlang_c_from_b(double offered_load, double b, int32_t servers) {
    const double c = static_cast<double>(servers);
    const double probability = c * b / (c - offered_load * (1.0 - b));
    return std::min(probability, 1.0);
}

}  // namespace

double erlang_b(double offered_load, int32_t servers) noexcept {
    servers = clamp_servers(servers);
    if (servers == 0) return 1.0;
    const double load = non_negative(offered_load);
    if (load == 0.0) return 0.0;
    if (std::isinf(load)) return 1.0;
    double b = 1.0;
    for (int32_t k = 1; k <= servers && b > 0.0; ++k) b = next_erlang_b(load, b, k);
    return b;
}

double erlang_c_wait_probability(double offered_load, int32_t servers) noexcept {
    const double load = non_negative(offered_load);
    if (load == 0.0) return 0.0;
    servers = clamp_servers(servers);
    if (load >= static_cast<double>(servers)) return 1.0;
    return erlang_c_from_b(load, erlang_b(load, servers), servers);
}

double erlang_c_mean_wait_seconds(double arrivals_per_second, double mean_hold_seconds,
                                  int32_t servers) noexcept {
    const double arrivals = non_negative(arrivals_per_second);
    const double hold = non_negative(mean_hold_seconds);
    if (arrivals == 0.0 || hold == 0.0) return 0.0;
    const double load = arrivals * hold;
    servers = clamp_servers(servers);
    if (load >= static_cast<double>(servers)) return std::numeric_limits<double>::infinity();
    // C / (c·μ − λ) with μ = 1/W, rewritten as C·W / (c − A) to avoid dividing by a tiny W.
    return erlang_c_wait_probability(load, servers) * hold / (static_cast<double>(servers) - load);
}

int32_t smallest_servers_for_wait_probability(double offered_load, double target_wait_probability,
                                              int32_t server_limit) noexcept {
    const double load = non_negative(offered_load);
    if (load == 0.0) return 0;
    server_limit = clamp_servers(server_limit);
    if (load >= static_cast<double>(server_limit)) return server_limit + 1;
    const double target = std::isnan(target_wait_probability)
                              ? kMinTargetWaitProbability
                              : std::clamp(target_wait_probability, kMinTargetWaitProbability, 1.0);

    // One pass: B(k) is needed for every k anyway, and C(k) falls as k grows, so the first
    // k past the load that meets the target is the answer.
    double b = 1.0;
    for (int32_t k = 1; k <= server_limit; ++k) {
        b = next_erlang_b(load, b, k);
        if (static_cast<double>(k) > load && erlang_c_from_b(load, b, k) <= target) return k;
    }
    return server_limit + 1;
}

double finite_source_utilisation(int32_t population, double think_seconds, double service_seconds,
                                 int32_t servers) noexcept {
    const double service = non_negative(service_seconds);
    if (population <= 0 || service == 0.0) return 0.0;
    servers = std::clamp<int32_t>(servers, 1, kMaxServers);
    const double think = non_negative(think_seconds);
    if (std::isinf(think)) return 0.0;
    if (think == 0.0 || std::isinf(service))
        return static_cast<double>(std::min(population, servers)) / servers;

    // P(n at the CPUs) ∝ t(n), t(n) = t(n−1) · (population − n + 1) · (service / think) /
    // min(n, servers). Products, not logarithms, for speed; the sums are rescaled before
    // they can overflow, and terms that underflow are below double precision of the sum.
    const double ratio = service / think;
    if (ratio > kNoThinkRatio) return static_cast<double>(std::min(population, servers)) / servers;
    double term = 1.0;   // t(0)
    double total = 1.0;  // Σ t(n), as rescaled
    double busy = 0.0;   // Σ min(n, servers) · t(n), as rescaled
    for (int32_t n = 1; n <= population; ++n) {
        if (total > kRescaleAbove) {
            term /= kRescaleAbove;
            total /= kRescaleAbove;
            busy /= kRescaleAbove;
        }
        const int32_t working = std::min(n, servers);
        term *= static_cast<double>(population - n + 1) * ratio / working;
        total += term;
        busy += working * term;
    }
    return std::min(busy / (total * servers), 1.0);
}

double independent_sources_utilisation(int32_t population, double think_seconds,
                                       double service_seconds, int32_t servers) noexcept {
    const double service = non_negative(service_seconds);
    if (population <= 0 || service == 0.0) return 0.0;
    population = std::min(population, kMaxServers);
    servers = std::clamp<int32_t>(servers, 1, kMaxServers);
    const double think = non_negative(think_seconds);
    if (std::isinf(think)) return 0.0;
    if (think == 0.0 || std::isinf(service))
        return static_cast<double>(std::min(population, servers)) / servers;
    const double wanting = service / (think + service);  // p
    // Think time below double precision of the service time: every connection wants a core.
    if (!(wanting < 1.0)) return static_cast<double>(std::min(population, servers)) / servers;
    if (population <= servers) return population * wanting / servers;
    // E[min(K, c)] = c − Σ_{k<c} (c − k)·P(K = k): only the c terms below the cores, each
    // from the one before in logarithms, since (1 − p)^population underflows long before
    // the terms that matter do.
    const double log_odds = std::log(wanting) - std::log1p(-wanting);
    double log_term = population * std::log1p(-wanting);  // log P(K = 0)
    double short_of_servers = 0.0;
    for (int32_t k = 0; k < servers; ++k) {
        if (k > 0) log_term += std::log(static_cast<double>(population - k + 1) / k) + log_odds;
        short_of_servers += (servers - k) * std::exp(log_term);
    }
    return std::clamp(1.0 - short_of_servers / servers, 0.0, 1.0);
}

int32_t smallest_population_for_utilisation(double think_seconds, double service_seconds,
                                            int32_t servers, double target_utilisation,
                                            int32_t population_limit,
                                            CpuQueueModel model) noexcept {
    population_limit = std::clamp<int32_t>(population_limit, 1, kMaxServers);
    const double target =
        std::isnan(target_utilisation) ? 1.0 : std::clamp(target_utilisation, 0.0, 1.0);
    const auto reaches = [&](int32_t population) {
        const double utilisation =
            model == CpuQueueModel::independent_sources
                ? independent_sources_utilisation(population, think_seconds, service_seconds,
                                                  servers)
                : finite_source_utilisation(population, think_seconds, service_seconds, servers);
        return utilisation >= target;
    };
    // Doubling, then bisection: the cost follows the answer, not the limit.
    int32_t low = 1;  // invariant: the answer lies in [low, high]
    int32_t high = 1;
    while (!reaches(high)) {
        if (high == population_limit) return population_limit + 1;
        low = high + 1;
        high = static_cast<int32_t>(std::min<int64_t>(int64_t{2} * high, population_limit));
    }
    while (low < high) {
        const int32_t middle = low + (high - low) / 2;
        if (reaches(middle))
            high = middle;
        else
            low = middle + 1;
    }
    return low;
}

double littles_law_mean_in_system(double arrivals_per_second, double mean_seconds) noexcept {
    const double arrivals = non_negative(arrivals_per_second);
    const double seconds = non_negative(mean_seconds);
    if (arrivals == 0.0 || seconds == 0.0) return 0.0;  // also keeps infinity · 0 from being NaN
    return arrivals * seconds;
}

double littles_law_mean_seconds(double mean_in_system, double arrivals_per_second) noexcept {
    const double arrivals = non_negative(arrivals_per_second);
    if (arrivals == 0.0 || std::isinf(arrivals)) return 0.0;
    return non_negative(mean_in_system) / arrivals;
}

double littles_law_arrivals_per_second(double mean_in_system, double mean_seconds) noexcept {
    const double seconds = non_negative(mean_seconds);
    if (seconds == 0.0 || std::isinf(seconds)) return 0.0;
    return non_negative(mean_in_system) / seconds;
}

}  // namespace poolopt::core
