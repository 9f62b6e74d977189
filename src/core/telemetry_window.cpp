#include "core/telemetry_window.hpp"

namespace poolopt::core {

void WindowSummariser::add(const ServerSample &s) noexcept {
    if (s.time_micros < since_micros_) return;
    if (window_.samples == 0) window_.first_micros = s.time_micros;
    window_.samples++;
    window_.last_micros = s.time_micros;
    window_.last = s;
    interval_micros_ += s.interval_micros > 0 ? s.interval_micros : 0;
    window_.delta = counter_sum(window_.delta, s.delta);
    int32_t sample_busy = s.active + s.idle_in_transaction;
    connections_ += s.client_connections;
    busy_ += sample_busy;
    idle_in_transaction_ += s.idle_in_transaction;
    if (s.client_connections > window_.peak_client_connections)
        window_.peak_client_connections = s.client_connections;
    if (sample_busy > window_.peak_busy) window_.peak_busy = sample_busy;
}

TelemetryWindow WindowSummariser::result() const noexcept {
    TelemetryWindow window = window_;
    window.seconds = static_cast<double>(interval_micros_) / 1e6;
    if (window.samples > 0) {
        double n = static_cast<double>(window.samples);
        window.mean_client_connections = connections_ / n;
        window.mean_busy = busy_ / n;
        window.mean_idle_in_transaction = idle_in_transaction_ / n;
    }
    return window;
}

TelemetryWindow summarise_window(const ServerSample *samples, size_t count,
                                 int64_t since_micros) noexcept {
    WindowSummariser summariser(since_micros);
    for (size_t i = 0; i < count; ++i) summariser.add(samples[i]);
    return summariser.result();
}

double hourly_rate_floor(double count, double seconds) noexcept {
    if (seconds < kMinSecondsToExtrapolate) return count;
    return count * 3600 / seconds;
}

}  // namespace poolopt::core
