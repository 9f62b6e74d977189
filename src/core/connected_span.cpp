#include "core/connected_span.hpp"

#include <algorithm>
#include <cmath>

namespace poolopt::core {

namespace {

uint64_t transactions_of(const GroupSpan &group) {
    return group.to.transactions >= group.from.transactions
               ? group.to.transactions - group.from.transactions
               : 0;
}

}  // namespace

std::optional<MicrosSpan> connected_span(const GroupSpan *groups, size_t count,
                                         MicrosSpan span) noexcept {
    const int64_t length = span.end_micros - span.start_micros;
    if (length <= 0 || (count > 0 && !groups)) return std::nullopt;
    double total = 0;
    for (size_t i = 0; i < count; ++i) total += double(transactions_of(groups[i]));
    if (!(total > 0)) return std::nullopt;
    int64_t start = span.start_micros;
    for (size_t i = 0; i < count; ++i) {
        const GroupSpan &group = groups[i];
        if (double(transactions_of(group)) < kNegligibleTransactionShare * total) continue;
        start =
            std::max(start, group.connections > 0 ? group.start_micros : group.last_seen_micros);
    }
    if (start <= span.start_micros) return std::nullopt;
    if (double(span.end_micros - start) < kMinConnectedSpanShare * double(length))
        return std::nullopt;
    return MicrosSpan{start, span.end_micros};
}

void SpanCpuAverage::add(const ServerSample &sample) noexcept {
    if (sample.interval_micros <= 0 || !std::isfinite(sample.cpu_utilisation)) return;
    if (sample.time_micros - sample.interval_micros < span_.start_micros) return;
    if (sample.time_micros > span_.end_micros) return;
    weighted_sum_ += std::clamp(sample.cpu_utilisation, 0.0, 1.0) * double(sample.interval_micros);
    covered_micros_ += sample.interval_micros;
}

std::optional<double> SpanCpuAverage::mean(double min_share) const noexcept {
    const int64_t length = span_.end_micros - span_.start_micros;
    if (length <= 0 || covered_micros_ <= 0) return std::nullopt;
    if (double(covered_micros_) < min_share * double(length)) return std::nullopt;
    return weighted_sum_ / double(covered_micros_);
}

}  // namespace poolopt::core
