#include "core/telemetry_window.hpp"

namespace poolopt::core {

TelemetryWindow summarise_window(const ServerSample *samples, size_t count,
                                 int64_t since_micros) noexcept {
    TelemetryWindow window;
    double connections = 0, busy = 0, idle_in_transaction = 0;
    int64_t interval_micros = 0;
    for (size_t i = 0; i < count; ++i) {
        const ServerSample &s = samples[i];
        if (s.time_micros < since_micros) continue;
        if (window.samples == 0) window.first_micros = s.time_micros;
        window.samples++;
        window.last_micros = s.time_micros;
        window.last = s;
        interval_micros += s.interval_micros > 0 ? s.interval_micros : 0;
        window.delta = counter_sum(window.delta, s.delta);
        int32_t sample_busy = s.active + s.idle_in_transaction;
        connections += s.client_connections;
        busy += sample_busy;
        idle_in_transaction += s.idle_in_transaction;
        if (s.client_connections > window.peak_client_connections)
            window.peak_client_connections = s.client_connections;
        if (sample_busy > window.peak_busy) window.peak_busy = sample_busy;
    }
    window.seconds = static_cast<double>(interval_micros) / 1e6;
    if (window.samples > 0) {
        double n = static_cast<double>(window.samples);
        window.mean_client_connections = connections / n;
        window.mean_busy = busy / n;
        window.mean_idle_in_transaction = idle_in_transaction / n;
    }
    return window;
}

double hourly_rate_floor(double count, double seconds) noexcept {
    if (seconds < kMinSecondsToExtrapolate) return count;
    return count * 3600 / seconds;
}

}  // namespace poolopt::core
