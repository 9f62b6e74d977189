#include "core/scalability.hpp"

#include <algorithm>
#include <cmath>

namespace poolopt::core {
namespace {

// One point's equation in σ and κ: with the smallest size r as the reference and
// C = (N ÷ r) × (X_r ÷ X_N) its capacity ratio, USL gives
//   C × (1 + σ(r − 1) + κr(r − 1)) = 1 + σ(N − 1) + κN(N − 1).
struct Equation {
    double sigma_coefficient, kappa_coefficient, value;
};

Equation equation_of(const ThroughputPoint &reference, const ThroughputPoint &point) {
    const double r = reference.connections, n = point.connections;
    const double ratio =
        (n / r) * (reference.transactions_per_second / point.transactions_per_second);
    return {(n - 1.0) - ratio * (r - 1.0), n * (n - 1.0) - ratio * r * (r - 1.0), ratio - 1.0};
}

// κ alone, σ = 0, by least squares.
double coherency_alone(const std::vector<Equation> &equations) {
    double products = 0.0, squares = 0.0;
    for (const Equation &e : equations) {
        products += e.kappa_coefficient * e.value;
        squares += e.kappa_coefficient * e.kappa_coefficient;
    }
    return squares > 0.0 ? products / squares : 0.0;
}

}  // namespace

std::optional<ScalabilityFit> fit_scalability(const std::vector<ThroughputPoint> &points) {
    std::vector<ThroughputPoint> usable;
    for (const ThroughputPoint &point : points)
        if (point.connections > 0 && std::isfinite(point.transactions_per_second) &&
            point.transactions_per_second > 0.0)
            usable.push_back(point);
    if (usable.empty()) return std::nullopt;
    const ThroughputPoint reference = *std::min_element(
        usable.begin(), usable.end(), [](const ThroughputPoint &a, const ThroughputPoint &b) {
            return a.connections < b.connections;
        });
    std::vector<Equation> equations;
    for (const ThroughputPoint &point : usable)
        if (point.connections != reference.connections)
            equations.push_back(equation_of(reference, point));
    if (equations.empty()) return std::nullopt;

    ScalabilityFit fit;
    bool solved = false;
    if (equations.size() >= 2) {
        // The normal equations of the two-parameter least squares.
        double aa = 0, ab = 0, bb = 0, ay = 0, by = 0;
        for (const Equation &e : equations) {
            aa += e.sigma_coefficient * e.sigma_coefficient;
            ab += e.sigma_coefficient * e.kappa_coefficient;
            bb += e.kappa_coefficient * e.kappa_coefficient;
            ay += e.sigma_coefficient * e.value;
            by += e.kappa_coefficient * e.value;
        }
        const double determinant = aa * bb - ab * ab;
        if (std::abs(determinant) > 1e-12 * aa * bb) {
            fit.contention = (ay * bb - by * ab) / determinant;
            fit.coherency = (aa * by - ab * ay) / determinant;
            solved = std::isfinite(fit.contention) && std::isfinite(fit.coherency);
        }
    }
    if (!solved || fit.contention < 0.0) {
        fit.contention = 0.0;
        fit.coherency = coherency_alone(equations);
    }
    if (fit.coherency > 0.0 && fit.contention < 1.0)
        fit.peak_connections = std::sqrt((1.0 - fit.contention) / fit.coherency);
    return fit;
}

double relative_throughput(const ScalabilityFit &fit, double connections) noexcept {
    const double n = connections;
    return n / (1.0 + fit.contention * (n - 1.0) + fit.coherency * n * (n - 1.0));
}

}  // namespace poolopt::core
