#include "core/size_history.hpp"

#include <algorithm>

namespace poolopt::core {

void SizeHistory::record(const SizeOutcome &outcome) noexcept {
    outcomes[next % kSizeHistoryLength] = outcome;
    next = (next + 1) % kSizeHistoryLength;
}

int32_t held_connections(int32_t min_connections, int32_t max_connections) noexcept {
    if (min_connections <= 0 || max_connections < min_connections) return 0;
    return max_connections - min_connections <= max_connections / 10 ? max_connections : 0;
}

std::vector<SizeOutcome> recent_outcomes(const SizeHistory &history, int64_t now_micros) {
    std::vector<SizeOutcome> recent;
    for (const SizeOutcome &outcome : history.outcomes) {
        if (outcome.window_end_micros == 0 || outcome.window_end_micros > now_micros) continue;
        if (now_micros - outcome.window_end_micros > kSizeOutcomeMaxAgeMicros) continue;
        recent.push_back(outcome);
    }
    std::sort(recent.begin(), recent.end(), [](const SizeOutcome &a, const SizeOutcome &b) {
        return a.window_end_micros < b.window_end_micros;
    });
    return recent;
}

}  // namespace poolopt::core
