// pool_health(): the checks an operator would otherwise run by hand, each judged ok, warning
// or critical against a documented threshold. Pure: the glue gathers the figures (the
// sample window, the worker's status, the oldest open transaction, refusals) into
// HealthFacts; evaluate_health() judges them and says why in plain English.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/telemetry_window.hpp"

namespace poolopt::core {

enum class HealthStatus { ok, warning, critical };
const char *health_status_name(HealthStatus status) noexcept;  // "ok", "warning", "critical"

// Thresholds. "Share" checks compare a fraction 0..1; the others a count, rate or age.
// Connection slots taken at the window's peak, of those open to ordinary roles: beyond 80 %
// a burst or a pool's overflow meets "too many clients" (postgresqltuner warns at 70 %).
inline constexpr double kHeadroomWarningShare = 0.80;
inline constexpr double kHeadroomCriticalShare = 0.95;
// Client connections idle in transaction (mean over the window): each holds a connection,
// its snapshot and its locks while the application does something else.
inline constexpr double kIdleInTransactionWarningShare = 0.10;
inline constexpr double kIdleInTransactionCriticalShare = 0.50;
// Age of the oldest open transaction of another client: it holds back VACUUM everywhere.
inline constexpr double kLongTransactionWarningSeconds = 300;
inline constexpr double kLongTransactionCriticalSeconds = 3600;
// Buffer hit ratio over the window; judged from this many block accesses on.
inline constexpr double kHitRatioWarningBelow = 0.95;
inline constexpr double kHitRatioCriticalBelow = 0.90;
inline constexpr int64_t kMinBlockAccessesToJudge = 10000;
// Temp files per hour: from 10 an hour work_mem is worth raising (the settings rule's own
// threshold); from 600 (ten a minute) queries spill as a matter of course.
inline constexpr double kSpillsPerHourWarning = 10;
inline constexpr double kSpillsPerHourCritical = 600;
// Share of checkpoints requested (WAL reached max_wal_size) rather than timed, once at least
// two were requested in the window.
inline constexpr double kRequestedCheckpointWarningShare = 0.5;
inline constexpr double kRequestedCheckpointCriticalShare = 0.9;
inline constexpr int64_t kMinRequestedCheckpointsToJudge = 2;
// Connections refused for too many clients in the last one or two evaluation windows.
inline constexpr double kRefusalsWarning = 1;
inline constexpr double kRefusalsCritical = 10;
// Age of the worker's last sample, in sample intervals, never below a floor in seconds: a
// 100 ms interval must not turn a scheduling hiccup into an alarm.
inline constexpr double kSampleAgeWarningIntervals = 3;
inline constexpr double kSampleAgeWarningFloorSeconds = 2;
inline constexpr double kSampleAgeCriticalIntervals = 10;
inline constexpr double kSampleAgeCriticalFloorSeconds = 10;
// Events dropped because the queue was full, since the server started: any is a warning
// (some refusal or timeout went uncounted); 1 % of all events is critical.
inline constexpr double kDroppedEventsCriticalShare = 0.01;

struct HealthFacts {
    TelemetryWindow window;  // the evaluation window of server-wide samples
    // Connection slots open to ordinary roles: max_connections minus the reserved ones.
    int available_connections = 0;
    // Age of the oldest transaction of any other client backend; unset = none open.
    std::optional<double> oldest_transaction_seconds;
    std::string oldest_transaction_detail;  // "pid 4242 (app), idle in transaction"
    uint64_t refused_connections = 0;       // in the window(s) below
    double refusal_window_seconds = 0;      // span they were counted over
    bool worker_running = false;
    std::optional<double> last_sample_age_seconds;  // unset: no sample taken yet
    double sample_interval_seconds = 1;
    uint64_t events_received = 0;
    uint64_t events_dropped = 0;
};

struct HealthCheck {
    std::string name;  // "connection_headroom", "idle_in_transaction", ...
    HealthStatus status = HealthStatus::ok;
    std::optional<double> value;  // unset when there is nothing to measure yet
    // The threshold crossed (critical or warning), or the warning threshold when ok.
    double threshold = 0;
    std::string unit;  // "share", "seconds", "per hour", "count"
    std::string detail;
};

// Every check, in a fixed order: connection_headroom, idle_in_transaction,
// long_transactions, cache_hit_ratio, temp_spills, checkpoint_pressure,
// refused_connections, worker_running, last_sample_age, events_dropped.
std::vector<HealthCheck> evaluate_health(const HealthFacts &facts);

}  // namespace poolopt::core
