// The Universal Scalability Law (N. J. Gunther) fitted to the sizes a pool held: what its
// throughput does as connections are added, from the points measured rather than from a
// model of the host. X(N) = λN ÷ (1 + σ(N − 1) + κN(N − 1)): σ is contention (a share of
// the work that serialises), κ coherency (a cost every pair of connections pays, the
// queues inside the server and the CPUs' caches); with κ > 0 throughput peaks at
// N = √((1 − σ) ÷ κ) and falls beyond. Pure; part of the pool engine.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace poolopt::core {

struct ThroughputPoint {
    int32_t connections = 0;
    double transactions_per_second = 0;
};

struct ScalabilityFit {
    double contention = 0;  // σ, at least 0
    double coherency = 0;   // κ; at most 0 is no peak
    // √((1 − σ) ÷ κ), the connections that serve most; nullopt without a peak.
    std::optional<double> peak_connections;
};

// σ and κ by least squares from two points or more at different sizes, relative to the
// smallest (its λ is not known: each point's capacity ratio to it is fitted). Two points
// fit κ alone, σ = 0: a contention that is really σ is then read as κ, which puts the peak
// too low, never too high. A negative σ is refitted as 0 likewise. nullopt with fewer than
// two usable points (positive sizes and throughput).
std::optional<ScalabilityFit> fit_scalability(const std::vector<ThroughputPoint> &points);

// X(N) ÷ λ under the fit: comparable between sizes, not an absolute throughput.
double relative_throughput(const ScalabilityFit &fit, double connections) noexcept;

}  // namespace poolopt::core
