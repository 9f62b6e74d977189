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

// The incremental form, as a reader of the ring uses it: same figures as the array form,
// and result() may be taken at any point without ending the summary.
TEST(WindowSummariser, FedOneSampleAtATimeMatchesTheArrayForm) {
    std::vector<ServerSample> samples = {sample(1, 50, 40, 5, 100), sample(2, 4, 1, 1, 1),
                                         sample(3, 6, 2, 2, 2), sample(4, 8, 3, 3, 3)};
    samples[2].interval_micros = 0;
    for (int64_t since : {INT64_MIN, 2 * kSecond, 4 * kSecond, 5 * kSecond}) {
        WindowSummariser summariser(since);
        for (size_t n = 0; n < samples.size(); ++n) {
            summariser.add(samples[n]);
            TelemetryWindow got = summariser.result();
            TelemetryWindow want = summarise_window(samples.data(), n + 1, since);
            EXPECT_EQ(got.samples, want.samples);
            EXPECT_DOUBLE_EQ(got.seconds, want.seconds);
            EXPECT_EQ(got.first_micros, want.first_micros);
            EXPECT_EQ(got.last_micros, want.last_micros);
            EXPECT_EQ(got.delta.temp_files, want.delta.temp_files);
            EXPECT_EQ(got.transactions(), want.transactions());
            EXPECT_DOUBLE_EQ(got.mean_client_connections, want.mean_client_connections);
            EXPECT_DOUBLE_EQ(got.mean_busy, want.mean_busy);
            EXPECT_DOUBLE_EQ(got.mean_idle_in_transaction, want.mean_idle_in_transaction);
            EXPECT_EQ(got.peak_client_connections, want.peak_client_connections);
            EXPECT_EQ(got.peak_busy, want.peak_busy);
            EXPECT_EQ(got.last.time_micros, want.last.time_micros);
        }
    }
}

TEST(WindowSummariser, KeepsOnlySamplesFromItsStartAndIsEmptyBeforeAny) {
    WindowSummariser summariser(3 * kSecond);
    TelemetryWindow empty = summariser.result();
    EXPECT_EQ(empty.samples, 0u);
    EXPECT_EQ(empty.first_micros, 0);
    EXPECT_DOUBLE_EQ(empty.mean_busy, 0);
    summariser.add(sample(2, 99, 99, 0, 7));
    EXPECT_EQ(summariser.result().samples, 0u);
    summariser.add(sample(3, 2, 1, 0, 1));
    summariser.add(sample(4, 4, 3, 1, 1));
    TelemetryWindow w = summariser.result();
    EXPECT_EQ(w.samples, 2u);
    EXPECT_EQ(w.first_micros, 3 * kSecond);
    EXPECT_EQ(w.peak_client_connections, 4);
    EXPECT_EQ(w.delta.temp_files, 2);
    EXPECT_DOUBLE_EQ(w.mean_client_connections, 3);
    EXPECT_EQ(w.last.client_connections, 4);
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
