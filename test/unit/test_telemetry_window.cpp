// The evaluation window over the sample history: counter deltas summed over the samples in
// the window, connections averaged, peaks taken from single samples.
#include <climits>
#include <vector>

#include <gtest/gtest.h>

#include "core/telemetry_window.hpp"

namespace poolopt::core {
namespace {

constexpr int64_t kSecond = 1000000;

ServerSample sample(int64_t at_seconds, int32_t clients, int32_t active, int32_t idle_in_tx,
                    int64_t temp_files) {
    ServerSample s{};
    s.time_micros = at_seconds * kSecond;
    s.interval_micros = kSecond;
    s.client_connections = clients;
    s.active = active;
    s.idle_in_transaction = idle_in_tx;
    s.delta.temp_files = temp_files;
    s.delta.temp_bytes = temp_files * 1000;
    s.delta.xact_commit = 10;
    s.delta.xact_rollback = 1;
    s.delta.rows_read = 90;
    s.delta.rows_written = 10;
    return s;
}

TEST(TelemetryWindow, SumsDeltasAndAveragesConnectionsOverTheWindowOnly) {
    std::vector<ServerSample> samples = {sample(1, 50, 40, 5, 100), sample(2, 4, 1, 1, 1),
                                         sample(3, 6, 2, 2, 2), sample(4, 8, 3, 3, 3)};
    TelemetryWindow w = summarise_window(samples.data(), samples.size(), 2 * kSecond);
    EXPECT_EQ(w.samples, 3u);
    EXPECT_DOUBLE_EQ(w.seconds, 3);
    EXPECT_EQ(w.first_micros, 2 * kSecond);
    EXPECT_EQ(w.last_micros, 4 * kSecond);
    EXPECT_EQ(w.delta.temp_files, 6);
    EXPECT_EQ(w.delta.temp_bytes, 6000);
    EXPECT_EQ(w.transactions(), 33);
    EXPECT_EQ(w.delta.rows_read, 270);
    EXPECT_EQ(w.delta.rows_written, 30);
    EXPECT_DOUBLE_EQ(w.mean_client_connections, 6);
    EXPECT_DOUBLE_EQ(w.mean_busy, (2 + 4 + 6) / 3.0);
    EXPECT_DOUBLE_EQ(w.mean_idle_in_transaction, 2);
    EXPECT_EQ(w.peak_client_connections, 8);
    EXPECT_EQ(w.peak_busy, 6);
    EXPECT_EQ(w.last.client_connections, 8);

    TelemetryWindow all = summarise_window(samples.data(), samples.size(), INT64_MIN);
    EXPECT_EQ(all.samples, 4u);
    EXPECT_EQ(all.peak_client_connections, 50);
    EXPECT_EQ(all.peak_busy, 45);
}

TEST(TelemetryWindow, TheFirstSampleAfterAStartAddsNoSpan) {
    std::vector<ServerSample> samples = {sample(1, 1, 1, 0, 0), sample(2, 1, 1, 0, 0)};
    samples[0].interval_micros = 0;
    TelemetryWindow w = summarise_window(samples.data(), samples.size(), INT64_MIN);
    EXPECT_DOUBLE_EQ(w.seconds, 1);
}

TEST(TelemetryWindow, EmptyWhenNoSampleIsRecentEnough) {
    std::vector<ServerSample> samples = {sample(1, 3, 1, 0, 0)};
    TelemetryWindow w = summarise_window(samples.data(), samples.size(), 5 * kSecond);
    EXPECT_EQ(w.samples, 0u);
    EXPECT_DOUBLE_EQ(w.seconds, 0);
    EXPECT_DOUBLE_EQ(w.mean_client_connections, 0);
    EXPECT_EQ(w.peak_client_connections, 0);
    EXPECT_EQ(summarise_window(nullptr, 0, INT64_MIN).samples, 0u);
}

TEST(HourlyRateFloor, ExtrapolatesOnlyLongEnoughWindows) {
    EXPECT_DOUBLE_EQ(hourly_rate_floor(4, 15), 4);  // a burst: the count is the floor
    EXPECT_DOUBLE_EQ(hourly_rate_floor(4, 299.9), 4);
    EXPECT_DOUBLE_EQ(hourly_rate_floor(5, 300), 60);    // 5 min: × 12
    EXPECT_DOUBLE_EQ(hourly_rate_floor(30, 7200), 15);  // longer than an hour scales down
    EXPECT_DOUBLE_EQ(hourly_rate_floor(0, 0), 0);
}

}  // namespace
}  // namespace poolopt::core
