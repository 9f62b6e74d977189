#include "pg/shared_reads.hpp"

namespace poolopt::pg {

uint64_t first_sample_since(const SharedView &view, int64_t since_micros) {
    if (since_micros == INT64_MIN) return 0;
    return view.history->first_seqno_where(
        [&](const core::ServerSample &sample) { return sample.time_micros >= since_micros; });
}

core::TelemetryWindow summarise_history(const SharedView &view, int64_t since_micros,
                                        int32_t *ring_peak_client_connections) {
    core::WindowSummariser window(since_micros);
    if (ring_peak_client_connections) {
        int32_t peak = 0;
        view.history->for_each_since(0, [&](uint64_t, const core::ServerSample &sample) {
            window.add(sample);
            if (sample.client_connections > peak) peak = sample.client_connections;
        });
        *ring_peak_client_connections = peak;
    } else {
        view.history->for_each_since(
            first_sample_since(view, since_micros),
            [&](uint64_t, const core::ServerSample &sample) { window.add(sample); });
    }
    return window.result();
}

}  // namespace poolopt::pg
