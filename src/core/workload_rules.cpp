// Workload rules: each a pure function from telemetry figures to one recommendation whose
// reason names those figures. Thresholds are the constants of workload_rules.hpp; the
// workload inference lives in workload_inference.cpp.
#include "core/workload_rules.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

#include "core/telemetry_window.hpp"

namespace poolopt::core {
namespace {

constexpr uint64_t kMinWorkMemBytes = 64 * kKilobyte;  // PostgreSQL's minimum

std::string printf_text(const char *format, double value) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, format, value);
    return buffer;
}

// "the last hour", "the last 3 hours", "the last 20 min", "the last 45 s".
std::string window_text(double seconds) {
    double hours = seconds / 3600;
    if (std::fabs(hours - std::round(hours)) < 0.01 && hours >= 0.99) {
        long long whole = std::llround(hours);
        return whole == 1 ? "the last hour" : "the last " + std::to_string(whole) + " hours";
    }
    if (seconds >= 60) return "the last " + printf_text("%.0f", seconds / 60) + " min";
    return "the last " + printf_text("%.0f", seconds) + " s";
}

std::string kb_setting_text(uint64_t bytes) {
    return format_setting_value(static_cast<int64_t>(bytes / kKilobyte), SettingUnit::kilobytes());
}

bool valid_interval(double seconds) noexcept {
    return std::isfinite(seconds) && seconds > 0;
}

bool valid_non_negative(double value) noexcept {
    return std::isfinite(value) && value >= 0;
}

// The smallest power of two MB holding `bytes`, at least 1MB.
uint64_t power_of_two_megabytes_holding(long double bytes) noexcept {
    uint64_t size = kMegabyte;
    while (static_cast<long double>(size) < bytes && size < (uint64_t(1) << 62)) size *= 2;
    return size;
}

SettingRecommendation with_current(SettingRecommendation row, double current) {
    row.current_value = current;
    return row;
}

}  // namespace

ValueOrError<SettingRecommendation> recommend_work_mem(const WorkMemTelemetry &t) {
    using Result = ValueOrError<SettingRecommendation>;
    if (!valid_interval(t.interval_seconds) || t.temp_files < 0 || t.temp_bytes < 0 ||
        !valid_non_negative(t.peak_busy_connections) || t.usable_memory_bytes == 0 ||
        t.current_work_mem_bytes < kMinWorkMemBytes) {
        return Result::failure(
            "work_mem telemetry is invalid: interval_seconds must be positive, temp_files, "
            "temp_bytes and peak_busy_connections non-negative, usable memory positive and "
            "current work_mem at least 64kB");
    }
    const SettingUnit kb = SettingUnit::kilobytes();
    const double current_kb = static_cast<double>(t.current_work_mem_bytes / kKilobyte);
    const uint64_t busy =
        std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(t.peak_busy_connections)));
    auto memory_needed = [&](uint64_t work_mem) {
        return static_cast<long double>(busy) * work_mem * kWorkMemNodesPerQuery +
               t.shared_buffers_bytes;
    };
    // "peak busy 12 × 16MB × 2 = 384MB + 4GB shared_buffers"
    auto budget_text = [&](uint64_t work_mem) {
        long double per_queries = static_cast<long double>(busy) * work_mem * kWorkMemNodesPerQuery;
        return "peak busy " + std::to_string(static_cast<int64_t>(busy)) + " × " +
               kb_setting_text(work_mem) + " × " + std::to_string(kWorkMemNodesPerQuery) + " = " +
               describe_bytes(static_cast<uint64_t>(per_queries)) + " + " +
               describe_bytes(t.shared_buffers_bytes) + " shared_buffers";
    };
    const std::string current_text = kb_setting_text(t.current_work_mem_bytes);
    const std::string usable_text = describe_bytes(t.usable_memory_bytes) + " usable memory";
    const std::string spills_text = std::to_string(t.temp_files) + " temp files (" +
                                    describe_bytes(static_cast<uint64_t>(t.temp_bytes)) + ") in " +
                                    window_text(t.interval_seconds);

    // Memory first: a work_mem that can exhaust memory is a risk of the OOM killer, whatever
    // the spills say.
    if (memory_needed(t.current_work_mem_bytes) > t.usable_memory_bytes) {
        uint64_t room = t.usable_memory_bytes > t.shared_buffers_bytes
                            ? t.usable_memory_bytes - t.shared_buffers_bytes
                            : 0;
        uint64_t fitting = room / (busy * kWorkMemNodesPerQuery);
        fitting = fitting >= kMegabyte ? fitting / kMegabyte * kMegabyte
                                       : fitting / kKilobyte * kKilobyte;
        if (fitting < kMinWorkMemBytes) fitting = kMinWorkMemBytes;
        std::string reason = budget_text(t.current_work_mem_bytes) + " exceeds " + usable_text +
                             ": work_mem " + current_text + " → " + kb_setting_text(fitting) +
                             ", which fits";
        if (t.temp_files > 0) reason += "; " + spills_text + " may grow";
        return Result::of(
            with_current(memory_setting("work_mem", fitting, kb, std::move(reason)), current_kb));
    }

    auto unchanged = [&](std::string reason) {
        return Result::of(with_current(
            memory_setting("work_mem", t.current_work_mem_bytes, kb, std::move(reason)),
            current_kb));
    };
    if (t.temp_files == 0) {
        return unchanged("no temp files in " + window_text(t.interval_seconds) + ": work_mem " +
                         current_text + " holds every sort and hash");
    }
    double per_hour = hourly_rate_floor(static_cast<double>(t.temp_files), t.interval_seconds);
    if (per_hour < kSpillsPerHourWorthRaising) {
        const bool extrapolated = t.interval_seconds >= kMinSecondsToExtrapolate;
        return unchanged(spills_text + ", " + (extrapolated ? "" : "at least ") +
                         printf_text("%.1f", per_hour) + " per hour: fewer than " +
                         printf_text("%.0f", kSpillsPerHourWorthRaising) +
                         " per hour are not worth more memory for every query");
    }
    uint64_t average_spill = static_cast<uint64_t>(t.temp_bytes / t.temp_files);
    std::string spill_text = spills_text + ", average spill " + describe_bytes(average_spill);
    uint64_t wanted = power_of_two_megabytes_holding(static_cast<long double>(average_spill) *
                                                     kMemoryPerSpilledByte);
    if (wanted <= t.current_work_mem_bytes) {
        return unchanged(spill_text + ", which work_mem " + current_text +
                         " would hold in memory: the spills come from larger-than-average "
                         "sorts or from maintenance; raise work_mem for those sessions only");
    }
    uint64_t proposal = wanted;
    std::string limits;
    auto step_cap = static_cast<uint64_t>(static_cast<double>(t.current_work_mem_bytes) *
                                          kMaxWorkMemGrowthPerStep);
    if (proposal > step_cap) {
        proposal = step_cap / kKilobyte * kKilobyte;
        limits += "; " + kb_setting_text(wanted) + " wanted, at most " +
                  printf_text("%.0f", kMaxWorkMemGrowthPerStep) + " × per step";
    }
    while (proposal > t.current_work_mem_bytes && memory_needed(proposal) > t.usable_memory_bytes) {
        limits +=
            "; " + kb_setting_text(proposal) + " would not fit (" + budget_text(proposal) + ")";
        proposal = proposal / 2 / kKilobyte * kKilobyte;
    }
    if (proposal <= t.current_work_mem_bytes) {
        return unchanged(spill_text + ": memory does not allow more than work_mem " + current_text +
                         limits);
    }
    std::string reason = spill_text + ": work_mem " + current_text + " → " +
                         kb_setting_text(proposal) + "; " + budget_text(proposal) + " fits in " +
                         usable_text + limits;
    return Result::of(
        with_current(memory_setting("work_mem", proposal, kb, std::move(reason)), current_kb));
}

ValueOrError<SettingRecommendation> recommend_max_wal_size(const CheckpointTelemetry &t) {
    using Result = ValueOrError<SettingRecommendation>;
    if (!valid_interval(t.interval_seconds) || t.checkpoints_timed < 0 ||
        t.checkpoints_requested < 0 || t.current_max_wal_size_bytes < kMegabyte ||
        (t.wal_disk_bytes && *t.wal_disk_bytes == 0)) {
        return Result::failure(
            "checkpoint telemetry is invalid: interval_seconds must be positive, checkpoint "
            "counts non-negative, current max_wal_size at least 1MB and the WAL disk size, "
            "when given, positive");
    }
    const SettingUnit mb = SettingUnit::megabytes();
    const uint64_t current_mb = t.current_max_wal_size_bytes / kMegabyte;
    const std::string current_text = format_bytes(current_mb * kMegabyte);
    const std::string counts = std::to_string(t.checkpoints_requested) +
                               " requested checkpoints vs " + std::to_string(t.checkpoints_timed) +
                               " timed in " + window_text(t.interval_seconds);
    auto row = [&](uint64_t megabytes, std::string reason) {
        return Result::of(with_current(
            memory_setting("max_wal_size", megabytes * kMegabyte, mb, std::move(reason)),
            static_cast<double>(current_mb)));
    };
    if (t.checkpoints_requested <= t.checkpoints_timed ||
        t.checkpoints_requested < kMinRequestedCheckpoints) {
        return row(current_mb, counts + ": checkpoint_timeout paces checkpoints, max_wal_size " +
                                   current_text + " is enough");
    }
    uint64_t target_mb = current_mb * 2;
    std::string reason = counts + ": WAL filled max_wal_size " + current_text +
                         " before checkpoint_timeout, so checkpoints came early and wrote more "
                         "full-page images";
    if (t.wal_disk_bytes) {
        // In whole MB of the disk first: 0.6 is not exact in binary, and 60 % of 5GB must be 3GB.
        auto cap_mb = static_cast<uint64_t>(std::floor(
            static_cast<double>(*t.wal_disk_bytes / kMegabyte) * kWalDiskShareForMaxWalSize +
            1e-6));
        std::string cap_text = printf_text("%.0f", kWalDiskShareForMaxWalSize * 100) +
                               " % of the " + describe_bytes(*t.wal_disk_bytes) + " WAL disk";
        if (cap_mb <= current_mb) {
            return row(current_mb, reason + "; but " + cap_text +
                                       " allows no more: give WAL a larger disk or lengthen "
                                       "checkpoint_timeout");
        }
        if (target_mb > cap_mb) {
            target_mb = cap_mb;
            reason += "; capped at " + cap_text;
        }
    }
    return row(target_mb, reason + ": max_wal_size " + current_text + " → " +
                              format_bytes(target_mb * kMegabyte) +
                              ", doubling while requested checkpoints outnumber timed ones");
}

ValueOrError<SettingRecommendation> recommend_shared_buffers(const CacheTelemetry &t) {
    using Result = ValueOrError<SettingRecommendation>;
    if (t.blks_hit < 0 || t.blks_read < 0 || t.usable_memory_bytes == 0 ||
        t.current_shared_buffers_bytes == 0) {
        return Result::failure(
            "cache telemetry is invalid: block counts must be non-negative, usable memory and "
            "current shared_buffers positive");
    }
    const SettingUnit blocks = SettingUnit::blocks_8kb();
    const double current_blocks =
        static_cast<double>(t.current_shared_buffers_bytes / (8 * kKilobyte));
    const std::string current_text = describe_bytes(t.current_shared_buffers_bytes);
    const std::string usable_text = describe_bytes(t.usable_memory_bytes) + " usable memory";
    auto row = [&](uint64_t bytes, std::string reason) {
        return Result::of(with_current(
            memory_setting("shared_buffers", bytes, blocks, std::move(reason)), current_blocks));
    };
    auto unchanged = [&](std::string reason) {
        return row(t.current_shared_buffers_bytes, std::move(reason));
    };

    int64_t accesses = t.blks_hit + t.blks_read;
    if (accesses < kMinBlockAccessesForHitRatio) {
        return unchanged(std::to_string(accesses) +
                         " block accesses are too few to judge the hit "
                         "ratio (at least " +
                         std::to_string(kMinBlockAccessesForHitRatio) + " needed)");
    }
    double ratio = static_cast<double>(t.blks_hit) / static_cast<double>(accesses);
    std::string ratio_text = "hit ratio " + printf_text("%.3f", ratio) + " (" +
                             std::to_string(t.blks_hit) + " hits, " + std::to_string(t.blks_read) +
                             " reads)";
    if (ratio >= kTargetHitRatio) {
        return unchanged(ratio_text + " meets " + printf_text("%.2f", kTargetHitRatio) +
                         ": shared_buffers " + current_text + " holds the working set");
    }
    if (t.workload != Workload::web && t.workload != Workload::oltp) {
        return unchanged(ratio_text + " on a " + workload_name(t.workload) +
                         " workload: its scans miss whatever the cache size, and the OS page "
                         "cache serves them as well");
    }
    const uint64_t quarter = t.usable_memory_bytes / 4 / kMegabyte * kMegabyte;
    const auto upper = static_cast<uint64_t>(static_cast<long double>(t.usable_memory_bytes) *
                                             kSharedBuffersUpperShare) /
                       kMegabyte * kMegabyte;
    if (t.current_shared_buffers_bytes >= upper) {
        return unchanged(ratio_text + ", but shared_buffers " + current_text +
                         " already reaches RAM·0.4 of " + usable_text +
                         ": more would starve the OS page cache; the data outgrows memory");
    }
    uint64_t target = t.current_shared_buffers_bytes < quarter ? quarter : upper;
    std::string bound_text = t.current_shared_buffers_bytes < quarter ? "RAM/4 of " + usable_text
                                                                      : "RAM·0.4 of " + usable_text;
    auto kept = static_cast<uint64_t>(static_cast<long double>(t.usable_memory_bytes) *
                                      kMemoryKeptAvailableShare);
    uint64_t growth_room = t.available_memory_bytes > kept ? t.available_memory_bytes - kept : 0;
    std::string headroom_text = describe_bytes(t.available_memory_bytes) + " available, of which " +
                                describe_bytes(kept) + " (" +
                                printf_text("%.0f", kMemoryKeptAvailableShare * 100) +
                                " % of usable memory) stays free";
    if (target - t.current_shared_buffers_bytes > growth_room) {
        target = (t.current_shared_buffers_bytes + growth_room) / kMegabyte * kMegabyte;
        bound_text = "as far as memory allows: " + headroom_text;
    }
    if (target <= t.current_shared_buffers_bytes ||
        is_within_tolerance(static_cast<double>(t.current_shared_buffers_bytes),
                            static_cast<double>(target))) {
        return unchanged(ratio_text + ", but memory has no room for more: " + headroom_text);
    }
    return row(target, ratio_text + " below " + printf_text("%.2f", kTargetHitRatio) + " on " +
                           workload_name(t.workload) + ": shared_buffers " + current_text + " → " +
                           describe_bytes(target) + " (" + bound_text +
                           "); takes effect after a restart");
}

ValueOrError<SettingRecommendation> recommend_idle_in_transaction_timeout(
    const IdleInTransactionTelemetry &t) {
    using Result = ValueOrError<SettingRecommendation>;
    if (!valid_non_negative(t.mean_idle_in_transaction) ||
        !valid_non_negative(t.mean_pool_connections) ||
        !valid_non_negative(t.p99_transaction_hold_seconds) || t.current_timeout_ms < 0) {
        return Result::failure(
            "idle-in-transaction telemetry is invalid: connection means, the p99 hold time "
            "and the current timeout must be finite and non-negative (0 = timeout disabled)");
    }
    const SettingUnit ms = SettingUnit::milliseconds();
    const std::string name = "idle_in_transaction_session_timeout";
    const std::string current_text =
        t.current_timeout_ms == 0 ? "disabled (0)" : format_setting_value(t.current_timeout_ms, ms);
    auto row = [&](int64_t timeout_ms, std::string reason) {
        return Result::of(with_current(integer_setting(name, timeout_ms, ms, std::move(reason)),
                                       static_cast<double>(t.current_timeout_ms)));
    };
    if (t.mean_pool_connections <= 0) {
        return row(t.current_timeout_ms, "no pooled connections seen: nothing to judge");
    }
    double share = t.mean_idle_in_transaction / t.mean_pool_connections;
    std::string share_text =
        "idle-in-transaction sessions held " + printf_text("%.0f", share * 100) + " % of " +
        printf_text("%.0f", t.mean_pool_connections) + " pooled connections on average (" +
        printf_text("%.1f", t.mean_idle_in_transaction) + ")";
    if (share < kNotableIdleInTransactionShare) {
        return row(t.current_timeout_ms,
                   share_text + ", below " +
                       printf_text("%.0f", kNotableIdleInTransactionShare * 100) +
                       " %: the timeout stays " + current_text);
    }
    double seconds =
        std::ceil(std::max(kMinIdleInTransactionTimeoutSeconds,
                           kIdleTimeoutHoldTimeMultiple * t.p99_transaction_hold_seconds));
    auto timeout_ms = static_cast<int64_t>(seconds * 1000);
    std::string rule_text = "max(" + describe_seconds(kMinIdleInTransactionTimeoutSeconds) + ", " +
                            printf_text("%.0f", kIdleTimeoutHoldTimeMultiple) +
                            " × p99 hold time " + describe_seconds(t.p99_transaction_hold_seconds) +
                            ") = " + format_setting_value(timeout_ms, ms);
    if (t.current_timeout_ms > 0 && t.current_timeout_ms <= timeout_ms) {
        return row(t.current_timeout_ms, share_text + "; the current timeout " + current_text +
                                             " is already at or below " + rule_text);
    }
    return row(timeout_ms, share_text +
                               ": each holds a connection, its snapshot and its locks "
                               "while doing nothing; end them after " +
                               rule_text + " (was " + current_text + ")");
}

ValueOrError<SettingRecommendation> recommend_max_connections(const ConnectionBudget &budget) {
    using Result = ValueOrError<SettingRecommendation>;
    int64_t pooled = 0, sizes = 0, overflows = 0;
    bool valid = budget.other_connections >= 0 && budget.superuser_reserved_connections >= 0 &&
                 budget.reserved_connections >= 0 && budget.peak_client_connections >= 0 &&
                 budget.current_max_connections >= 0;
    for (const PoolAllowance &pool : budget.pools) {
        valid = valid && pool.pool_size >= 0 && pool.max_overflow >= 0;
        sizes += pool.pool_size;
        overflows += pool.max_overflow;
    }
    if (!valid) {
        return Result::failure(
            "connection budget is invalid: pool sizes, overflows and "
            "connection counts must be non-negative");
    }
    pooled = sizes + overflows;
    if (pooled + budget.other_connections == 0 && budget.peak_client_connections == 0) {
        return Result::failure("no pool budget yet: no pools or clients have been observed");
    }
    int64_t clients = pooled + budget.other_connections;
    std::string reason = std::to_string(static_cast<int64_t>(budget.pools.size())) +
                         " pools: " + std::to_string(sizes) + " pool_size + " +
                         std::to_string(overflows) + " max_overflow + " +
                         std::to_string(budget.other_connections) +
                         " other connections = " + std::to_string(clients);
    if (budget.peak_client_connections > clients) {
        clients = budget.peak_client_connections;
        reason += ", below the " + std::to_string(clients) +
                  " client connections seen at peak, so " + std::to_string(clients);
    }
    auto margin = std::max<int64_t>(
        kMinConnectionMargin, static_cast<int64_t>(std::ceil(clients * kConnectionMarginShare)));
    int64_t reserved = budget.superuser_reserved_connections + budget.reserved_connections;
    int64_t total = clients + margin + reserved;
    reason += ", + " + std::to_string(margin) + " margin (" +
              printf_text("%.0f", kConnectionMarginShare * 100) + " %, at least " +
              std::to_string(kMinConnectionMargin) + ") + " +
              std::to_string(budget.superuser_reserved_connections) +
              " superuser_reserved_connections";
    if (budget.reserved_connections > 0) {
        reason += " + " + std::to_string(budget.reserved_connections) + " reserved_connections";
    }
    reason += " = " + std::to_string(total);
    if (total > kMaxConnectionsLimit) {
        return Result::failure("the pool budget needs " + std::to_string(total) +
                               " connections, more than PostgreSQL's limit of " +
                               std::to_string(kMaxConnectionsLimit) +
                               ": put a transaction pooler such as PgBouncer in front");
    }
    return Result::of(with_current(
        integer_setting("max_connections", total, SettingUnit::none(), std::move(reason)),
        static_cast<double>(budget.current_max_connections)));
}

}  // namespace poolopt::core
