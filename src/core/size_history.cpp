#include "core/size_history.hpp"

#include <algorithm>
#include <cstdint>

namespace poolopt::core {

void SizeHistory::record(const SizeOutcome &window) noexcept {
    SizeOutcome *oldest = &outcomes[0];
    for (SizeOutcome &slot : outcomes) {
        if (slot.window_end_micros != 0 && slot.connections == window.connections) {
            const double weight = 1.0 / std::min(slot.windows + 1, kAveragedWindows);
            slot.transactions_per_second +=
                (window.transactions_per_second - slot.transactions_per_second) * weight;
            slot.busy_share += (window.busy_share - slot.busy_share) * weight;
            if (slot.windows < UINT32_MAX) ++slot.windows;
            slot.window_end_micros = std::max(slot.window_end_micros, window.window_end_micros);
            return;
        }
        if (slot.window_end_micros < oldest->window_end_micros) oldest = &slot;
    }
    *oldest = window;
    oldest->windows = 1;
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
