// The health checks of health_checks.hpp: each turns one figure into a status by its
// thresholds and a sentence naming the figure, the threshold and what to do.
#include "core/health_checks.hpp"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "core/units.hpp"

namespace poolopt::core {
namespace {

std::string printf_text(const char *format, double value) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, format, value);
    return buffer;
}

std::string percent(double share) {
    return printf_text("%.0f", share * 100) + " %";
}

std::string count_text(double value) {
    return printf_text("%.0f", value);
}

std::string over_window(const TelemetryWindow &window) {
    return "over the last " + describe_seconds(window.seconds);
}

// Higher is worse.
HealthStatus judge_high(double value, double warning, double critical) {
    if (value >= critical) return HealthStatus::critical;
    if (value >= warning) return HealthStatus::warning;
    return HealthStatus::ok;
}

// Lower is worse.
HealthStatus judge_low(double value, double warning_below, double critical_below) {
    if (value < critical_below) return HealthStatus::critical;
    if (value < warning_below) return HealthStatus::warning;
    return HealthStatus::ok;
}

double threshold_for(HealthStatus status, double warning, double critical) {
    return status == HealthStatus::critical ? critical : warning;
}

HealthCheck check(std::string name, HealthStatus status, std::optional<double> value,
                  double threshold, std::string unit, std::string detail) {
    return HealthCheck{std::move(name), status,          value,
                       threshold,       std::move(unit), std::move(detail)};
}

HealthCheck connection_headroom(const HealthFacts &f) {
    const double warn = kHeadroomWarningShare, crit = kHeadroomCriticalShare;
    if (f.available_connections <= 0 || f.window.samples == 0) {
        return check("connection_headroom", HealthStatus::ok, std::nullopt, warn, "share",
                     "no sample of client connections yet");
    }
    double share = double(f.window.peak_client_connections) / f.available_connections;
    HealthStatus status = judge_high(share, warn, crit);
    std::string detail = "peak " + std::to_string(f.window.peak_client_connections) + " of " +
                         std::to_string(f.available_connections) +
                         " connection slots open to ordinary roles (" + percent(share) + ") " +
                         over_window(f.window) + ", " +
                         std::to_string(f.window.last.client_connections) + " now";
    if (status != HealthStatus::ok) {
        detail += "; from " + percent(threshold_for(status, warn, crit)) +
                  " a burst meets \"too many clients\": shrink the pools, put PgBouncer in "
                  "front, or raise max_connections (see setting_recommendations())";
    }
    return check("connection_headroom", status, share, threshold_for(status, warn, crit), "share",
                 std::move(detail));
}

HealthCheck idle_in_transaction(const HealthFacts &f) {
    const double warn = kIdleInTransactionWarningShare, crit = kIdleInTransactionCriticalShare;
    if (f.window.mean_client_connections <= 0) {
        return check("idle_in_transaction", HealthStatus::ok, std::nullopt, warn, "share",
                     "no client connections " + over_window(f.window));
    }
    double share = f.window.mean_idle_in_transaction / f.window.mean_client_connections;
    HealthStatus status = judge_high(share, warn, crit);
    std::string detail = printf_text("%.1f", f.window.mean_idle_in_transaction) + " of " +
                         printf_text("%.1f", f.window.mean_client_connections) +
                         " client connections idle in transaction on average (" + percent(share) +
                         ") " + over_window(f.window) + ", " +
                         std::to_string(f.window.last.idle_in_transaction) + " now";
    if (status != HealthStatus::ok) {
        detail +=
            "; each holds a connection, its snapshot and its locks while the "
            "application does something else: commit sooner, or set "
            "idle_in_transaction_session_timeout (see setting_recommendations())";
    }
    return check("idle_in_transaction", status, share, threshold_for(status, warn, crit), "share",
                 std::move(detail));
}

HealthCheck long_transactions(const HealthFacts &f) {
    const double warn = kLongTransactionWarningSeconds, crit = kLongTransactionCriticalSeconds;
    if (!f.oldest_transaction_seconds) {
        return check("long_transactions", HealthStatus::ok, 0.0, warn, "seconds",
                     "no other client has a transaction open");
    }
    double age = *f.oldest_transaction_seconds;
    HealthStatus status = judge_high(age, warn, crit);
    std::string detail = "oldest open transaction " + describe_seconds(age);
    if (!f.oldest_transaction_detail.empty()) detail += ": " + f.oldest_transaction_detail;
    if (status != HealthStatus::ok) {
        detail += "; from " + describe_seconds(threshold_for(status, warn, crit)) +
                  " it holds back VACUUM in every database and bloats tables: end it, or "
                  "bound transactions with statement_timeout and "
                  "idle_in_transaction_session_timeout";
    }
    return check("long_transactions", status, age, threshold_for(status, warn, crit), "seconds",
                 std::move(detail));
}

HealthCheck cache_hit_ratio(const HealthFacts &f) {
    const double warn = kHitRatioWarningBelow, crit = kHitRatioCriticalBelow;
    int64_t accesses = f.window.delta.blks_hit + f.window.delta.blks_read;
    if (accesses < kMinBlockAccessesToJudge) {
        return check("cache_hit_ratio", HealthStatus::ok, std::nullopt, warn, "share",
                     std::to_string(accesses) + " block accesses " + over_window(f.window) +
                         ": too few to judge (at least " +
                         std::to_string(kMinBlockAccessesToJudge) + ")");
    }
    double ratio = double(f.window.delta.blks_hit) / double(accesses);
    HealthStatus status = judge_low(ratio, warn, crit);
    std::string detail = printf_text("%.3f", ratio) + " of " + std::to_string(accesses) +
                         " block accesses found in shared_buffers " + over_window(f.window);
    if (status != HealthStatus::ok) {
        detail += "; below " + printf_text("%.2f", threshold_for(status, warn, crit)) +
                  " reads reach the OS cache or the disk: on web and oltp workloads grow "
                  "shared_buffers (see setting_recommendations())";
    }
    return check("cache_hit_ratio", status, ratio, threshold_for(status, warn, crit), "share",
                 std::move(detail));
}

HealthCheck temp_spills(const HealthFacts &f) {
    const double warn = kSpillsPerHourWarning, crit = kSpillsPerHourCritical;
    if (f.window.seconds <= 0) {
        return check("temp_spills", HealthStatus::ok, std::nullopt, warn, "per hour",
                     "no sample interval yet");
    }
    double per_hour = hourly_rate_floor(double(f.window.delta.temp_files), f.window.seconds);
    HealthStatus status = judge_high(per_hour, warn, crit);
    std::string detail = std::to_string(f.window.delta.temp_files) + " temp files (" +
                         describe_bytes(uint64_t(std::max<int64_t>(0, f.window.delta.temp_bytes))) +
                         ") " + over_window(f.window) + ", ";
    detail += f.window.seconds < kMinSecondsToExtrapolate
                  ? "at least " + printf_text("%.0f", per_hour) + " per hour (a window under " +
                        describe_seconds(kMinSecondsToExtrapolate) + " is not extrapolated)"
                  : printf_text("%.0f", per_hour) + " per hour";
    if (status != HealthStatus::ok) {
        detail +=
            "; sorts and hashes larger than work_mem write to disk: raise work_mem if "
            "memory allows (see setting_recommendations())";
    }
    return check("temp_spills", status, per_hour, threshold_for(status, warn, crit), "per hour",
                 std::move(detail));
}

HealthCheck checkpoint_pressure(const HealthFacts &f) {
    const double warn = kRequestedCheckpointWarningShare, crit = kRequestedCheckpointCriticalShare;
    int64_t timed = f.window.delta.checkpoints_timed;
    int64_t requested = f.window.delta.checkpoints_requested;
    int64_t all = timed + requested;
    if (all == 0) {
        return check("checkpoint_pressure", HealthStatus::ok, std::nullopt, warn, "share",
                     "no checkpoint " + over_window(f.window));
    }
    double share = double(requested) / double(all);
    HealthStatus status = requested >= kMinRequestedCheckpointsToJudge && share > warn
                              ? judge_high(share, warn, crit)
                              : HealthStatus::ok;
    std::string detail = std::to_string(requested) + " requested and " + std::to_string(timed) +
                         " timed checkpoints " + over_window(f.window);
    if (status != HealthStatus::ok) {
        detail +=
            "; WAL reached max_wal_size before checkpoint_timeout, so checkpoints come "
            "early and write more full-page images: raise max_wal_size (see "
            "setting_recommendations())";
    }
    return check("checkpoint_pressure", status, share, threshold_for(status, warn, crit), "share",
                 std::move(detail));
}

HealthCheck refused_connections(const HealthFacts &f) {
    const double warn = kRefusalsWarning, crit = kRefusalsCritical;
    double refused = double(f.refused_connections);
    HealthStatus status = judge_high(refused, warn, crit);
    std::string detail = count_text(refused) + " connections refused for too many clients " +
                         "over the last " + describe_seconds(f.refusal_window_seconds);
    if (status != HealthStatus::ok) {
        detail +=
            "; clients were turned away: see connection_headroom and "
            "setting_recommendations() for max_connections";
    }
    return check("refused_connections", status, refused, threshold_for(status, warn, crit), "count",
                 std::move(detail));
}

HealthCheck worker_running(const HealthFacts &f) {
    if (f.worker_running) {
        return check("worker_running", HealthStatus::ok, 1.0, 1, "count",
                     "the pool_optimizer worker is running");
    }
    return check("worker_running", HealthStatus::critical, 0.0, 1, "count",
                 "the pool_optimizer worker is not running: no new samples are taken; the "
                 "postmaster restarts it after a crash, see the server log");
}

HealthCheck last_sample_age(const HealthFacts &f) {
    double interval = f.sample_interval_seconds;
    double warn = std::max(kSampleAgeWarningIntervals * interval, kSampleAgeWarningFloorSeconds);
    double crit = std::max(kSampleAgeCriticalIntervals * interval, kSampleAgeCriticalFloorSeconds);
    if (!f.last_sample_age_seconds) {
        return check("last_sample_age",
                     f.worker_running ? HealthStatus::ok : HealthStatus::critical, std::nullopt,
                     warn, "seconds", "no sample taken yet");
    }
    double age = *f.last_sample_age_seconds;
    HealthStatus status = judge_high(age, warn, crit);
    std::string detail = "last sample " + describe_seconds(age) + " ago, sample_interval " +
                         describe_seconds(interval);
    if (status != HealthStatus::ok) {
        detail += "; beyond " + describe_seconds(threshold_for(status, warn, crit)) +
                  " the figures are stale: is pool_optimizer.enabled off, or the worker stuck?";
    }
    return check("last_sample_age", status, age, threshold_for(status, warn, crit), "seconds",
                 std::move(detail));
}

HealthCheck events_dropped(const HealthFacts &f) {
    double dropped = double(f.events_dropped);
    double offered = double(f.events_received + f.events_dropped);
    HealthStatus status = HealthStatus::ok;
    if (dropped >= 1) {
        status = dropped >= kDroppedEventsCriticalShare * offered ? HealthStatus::critical
                                                                  : HealthStatus::warning;
    }
    std::string detail = count_text(dropped) + " of " + count_text(offered) +
                         " events dropped since the server started";
    if (status != HealthStatus::ok) {
        detail +=
            "; the event queue was full, so some connections, refusals or timeouts went "
            "uncounted: a shorter sample_interval drains it more often";
    }
    double threshold =
        status == HealthStatus::critical ? kDroppedEventsCriticalShare * offered : 1.0;
    return check("events_dropped", status, dropped, threshold, "count", std::move(detail));
}

}  // namespace

const char *health_status_name(HealthStatus status) noexcept {
    switch (status) {
        case HealthStatus::ok:
            return "ok";
        case HealthStatus::warning:
            return "warning";
        case HealthStatus::critical:
            return "critical";
    }
    return "ok";
}

std::vector<HealthCheck> evaluate_health(const HealthFacts &facts) {
    return {connection_headroom(facts), idle_in_transaction(facts), long_transactions(facts),
            cache_hit_ratio(facts),     temp_spills(facts),         checkpoint_pressure(facts),
            refused_connections(facts), worker_running(facts),      last_sample_age(facts),
            events_dropped(facts)};
}

}  // namespace poolopt::core
