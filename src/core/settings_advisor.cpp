// recommend_live_settings(): the steps of settings_advisor.hpp, in order.
#include "core/settings_advisor.hpp"

#include <algorithm>
#include <cmath>
#include <string_view>
#include <utility>

namespace poolopt::core {
namespace {

struct Advice {
    SettingRecommendation recommendation;
    Evidence evidence = Evidence::hardware;
};

constexpr std::string_view kWorkloadDependent[] = {"shared_buffers",
                                                   "effective_cache_size",
                                                   "maintenance_work_mem",
                                                   "default_statistics_target",
                                                   "random_page_cost",
                                                   "work_mem",
                                                   "min_wal_size",
                                                   "max_wal_size",
                                                   "max_parallel_workers_per_gather"};
constexpr std::string_view kStorageDependent[] = {"random_page_cost", "effective_io_concurrency"};

template <size_t N>
bool listed(const std::string_view (&names)[N], std::string_view name) {
    return std::find(std::begin(names), std::end(names), name) != std::end(names);
}

// The server-wide value of `name` in bytes, microseconds, or as it is.
ValueOrError<double> current_base(const LiveServer &server, const char *name) {
    const ServerSetting *setting = find_server_setting(server.settings, name);
    if (setting == nullptr) {
        return ValueOrError<double>::failure(std::string(name) +
                                             " is missing from the pg_settings rows given");
    }
    return base_value(*setting);
}

std::string number_text(double value) {
    return std::to_string(static_cast<long long>(std::llround(value)));
}

// A hardware rule and a workload rule for the same setting, combined as the header says.
Advice combine(SettingRecommendation hardware, SettingRecommendation telemetry) {
    double current = telemetry.current_value.value_or(*telemetry.value);
    double wanted = *telemetry.value;
    double baseline = *hardware.value;
    if (wanted > current) {
        if (baseline > wanted) {
            hardware.reason = telemetry.reason + "; the hardware rule gives more, " +
                              hardware.display + ": " + hardware.reason;
            return {std::move(hardware), Evidence::telemetry};
        }
        return {std::move(telemetry), Evidence::telemetry};
    }
    if (wanted < current) return {std::move(telemetry), Evidence::telemetry};
    if (baseline > current) {
        hardware.reason += "; telemetry: " + telemetry.reason;
        return {std::move(hardware), Evidence::hardware};
    }
    if (baseline < current) {
        telemetry.reason += "; the hardware rule alone gives " + hardware.display +
                            ", but without evidence against the current value it stays";
    }
    return {std::move(telemetry), Evidence::hardware};
}

// The hardware row alone, saying why telemetry had nothing to add.
Advice hardware_only(SettingRecommendation hardware, const std::string &why) {
    hardware.reason += "; telemetry: " + why;
    return {std::move(hardware), Evidence::hardware};
}

Advice max_connections_advice(const LiveServer &server, double current) {
    ConnectionBudget budget;
    budget.pools = server.pools;
    budget.superuser_reserved_connections = server.superuser_reserved_connections;
    budget.reserved_connections = server.reserved_connections;
    budget.peak_client_connections =
        std::max(server.peak_client_connections, server.window.peak_client_connections);
    budget.current_max_connections = static_cast<int>(current);
    ValueOrError<SettingRecommendation> measured = recommend_max_connections(budget);
    const std::string current_text = number_text(current);
    if (!measured.ok()) {
        return {integer_setting("max_connections", std::llround(current), SettingUnit::none(),
                                measured.error + ": max_connections stays " + current_text),
                Evidence::telemetry};
    }
    SettingRecommendation row = std::move(*measured.value);
    if (*row.value > current) {
        row.reason +=
            ", more than max_connections " + current_text + ": connections beyond it are refused";
        return {std::move(row), Evidence::telemetry};
    }
    return {integer_setting("max_connections", std::llround(current), SettingUnit::none(),
                            "connection budget " + row.reason + " fits in max_connections " +
                                current_text +
                                "; telemetry alone never lowers it: clients the history did "
                                "not see may connect later"),
            Evidence::telemetry};
}

struct Currents {
    double work_mem = 0, shared_buffers = 0, max_wal_size = 0;  // bytes
    double idle_in_transaction_timeout_ms = 0;
    double max_connections = 0;
};

ValueOrError<Currents> read_currents(const LiveServer &server) {
    using Result = ValueOrError<Currents>;
    Currents c;
    struct Wanted {
        const char *name;
        double *out;
    } wanted[] = {{"work_mem", &c.work_mem},
                  {"shared_buffers", &c.shared_buffers},
                  {"max_wal_size", &c.max_wal_size},
                  {"idle_in_transaction_session_timeout", &c.idle_in_transaction_timeout_ms},
                  {"max_connections", &c.max_connections}};
    for (const Wanted &w : wanted) {
        ValueOrError<double> value = current_base(server, w.name);
        if (!value.ok()) return Result::failure(std::move(value.error));
        *w.out = *value.value;
    }
    c.idle_in_transaction_timeout_ms /= 1000;  // microseconds -> ms
    return Result::of(c);
}

// The workload rules that pair with a hardware rule, from the window's telemetry.
Advice telemetry_advice(const LiveServer &server, const Currents &current, Workload workload,
                        SettingRecommendation hardware) {
    const TelemetryWindow &w = server.window;
    ValueOrError<SettingRecommendation> rule;
    if (hardware.name == "work_mem") {
        if (w.seconds <= 0) return hardware_only(std::move(hardware), "no samples yet");
        WorkMemTelemetry t;
        t.interval_seconds = w.seconds;
        t.temp_files = w.delta.temp_files;
        t.temp_bytes = w.delta.temp_bytes;
        t.peak_busy_connections = w.peak_busy;
        t.current_work_mem_bytes = static_cast<uint64_t>(current.work_mem);
        t.shared_buffers_bytes = static_cast<uint64_t>(current.shared_buffers);
        t.usable_memory_bytes = server.usable_memory_bytes;
        rule = recommend_work_mem(t);
    } else if (hardware.name == "max_wal_size") {
        if (w.seconds <= 0) return hardware_only(std::move(hardware), "no samples yet");
        CheckpointTelemetry t;
        t.interval_seconds = w.seconds;
        t.checkpoints_timed = w.delta.checkpoints_timed;
        t.checkpoints_requested = w.delta.checkpoints_requested;
        t.current_max_wal_size_bytes = static_cast<uint64_t>(current.max_wal_size);
        t.wal_disk_bytes = server.wal_disk_bytes;
        rule = recommend_max_wal_size(t);
    } else if (hardware.name == "shared_buffers") {
        CacheTelemetry t;
        t.blks_hit = w.delta.blks_hit;
        t.blks_read = w.delta.blks_read;
        t.workload = workload;
        t.current_shared_buffers_bytes = static_cast<uint64_t>(current.shared_buffers);
        t.usable_memory_bytes = server.usable_memory_bytes;
        t.available_memory_bytes = server.available_memory_bytes.value_or(0);
        rule = recommend_shared_buffers(t);
    } else {
        return {std::move(hardware), Evidence::hardware};
    }
    if (!rule.ok()) return hardware_only(std::move(hardware), rule.error);
    if (rule.value->unit != hardware.unit) {
        return hardware_only(std::move(hardware), "the workload rule's unit differs");
    }
    return combine(std::move(hardware), std::move(*rule.value));
}

ValueOrError<Advice> idle_timeout_advice(const LiveServer &server, const Currents &current) {
    IdleInTransactionTelemetry t;
    t.mean_idle_in_transaction = server.window.mean_idle_in_transaction;
    t.mean_pool_connections = server.window.mean_client_connections;
    t.p99_transaction_hold_seconds = server.longest_p99_hold_seconds;
    t.current_timeout_ms = std::llround(current.idle_in_transaction_timeout_ms);
    ValueOrError<SettingRecommendation> rule = recommend_idle_in_transaction_timeout(t);
    if (!rule.ok()) return ValueOrError<Advice>::failure(std::move(rule.error));
    bool changed = *rule.value->value != *rule.value->current_value;
    return ValueOrError<Advice>::of(
        {std::move(*rule.value), changed ? Evidence::telemetry : Evidence::hardware});
}

// PostgreSQL's default huge_pages = try falls back to normal pages by itself: turning it
// off below 2GB of shared_buffers is not worth a restart.
void keep_huge_pages_try(const LiveServer &server, Advice &advice) {
    const ServerSetting *setting = find_server_setting(server.settings, "huge_pages");
    if (setting == nullptr || setting->value != "try" || advice.recommendation.display != "off") {
        return;
    }
    advice.recommendation.display = "try";
    advice.recommendation.reason +=
        "; but the current try falls back to normal pages by itself, so turning it off is "
        "not worth a restart";
}

int rank(const ReviewedSetting &row) {
    if (row.status == Status::fine || !row.priority) return 3;
    return static_cast<int>(*row.priority);
}

constexpr uint64_t kLiveMemoryGranule = 16 * kMegabyte;

}  // namespace

ValueOrError<LiveAdvice> recommend_live_settings(const LiveServer &server) {
    using Result = ValueOrError<LiveAdvice>;
    int cpus = usable_whole_cpus(server.usable_cpus);
    if (server.usable_memory_bytes == 0 || cpus == 0) {
        return Result::failure(
            "the host probes found no usable memory or CPU count; host_resources() shows what "
            "they could read");
    }
    ValueOrError<Currents> current = read_currents(server);
    if (!current.ok()) return Result::failure(std::move(current.error));

    LiveAdvice result{{},
                      choose_workload(server.workload_setting, server.window, cpus),
                      choose_storage(server.storage_setting, server.detected_storage)};
    Advice connections = max_connections_advice(server, current.value->max_connections);

    MachineProfile profile;
    // PGTune's fractions of a memory measured to the kB print in kB (6171016kB); rounded
    // down to 16MB, shared_buffers (1/4), effective_cache_size (3/4) and
    // maintenance_work_mem (1/16) come out in whole megabytes, for 16MB at most.
    profile.memory_bytes =
        server.usable_memory_bytes >= kLiveMemoryGranule
            ? server.usable_memory_bytes / kLiveMemoryGranule * kLiveMemoryGranule
            : server.usable_memory_bytes;
    profile.cpus = cpus;
    profile.storage = result.storage.value;
    profile.workload = result.workload.value;
    profile.max_connections = static_cast<int>(*connections.recommendation.value);
    profile.database_size_bytes = server.database_size_bytes;
    profile.pg_major = server.pg_major;
    profile.extension_workers = server.extension_workers;
    ValueOrError<std::vector<SettingRecommendation>> hardware =
        recommend_hardware_settings(profile);
    if (!hardware.ok()) return Result::failure(std::move(hardware.error));

    std::vector<Advice> advice;
    for (SettingRecommendation &row : *hardware.value) {
        if (row.name == "max_connections") {
            advice.push_back(std::move(connections));
        } else {
            advice.push_back(
                telemetry_advice(server, *current.value, result.workload.value, std::move(row)));
        }
        if (advice.back().recommendation.name == "huge_pages") {
            keep_huge_pages_try(server, advice.back());
        }
    }
    ValueOrError<Advice> idle = idle_timeout_advice(server, *current.value);
    if (!idle.ok()) return Result::failure(std::move(idle.error));
    advice.push_back(std::move(*idle.value));

    for (Advice &a : advice) {
        SettingRecommendation &row = a.recommendation;
        if (listed(kWorkloadDependent, row.name)) row.reason += "; " + result.workload.reason;
        if (listed(kStorageDependent, row.name)) row.reason += "; " + result.storage.reason;
        const ServerSetting *setting = find_server_setting(server.settings, row.name);
        if (setting == nullptr) continue;  // not a setting of this PostgreSQL version
        ValueOrError<ReviewedSetting> reviewed =
            review_setting(std::move(row), a.evidence, *setting);
        if (!reviewed.ok()) return Result::failure(std::move(reviewed.error));
        result.rows.push_back(std::move(*reviewed.value));
    }
    std::stable_sort(
        result.rows.begin(), result.rows.end(),
        [](const ReviewedSetting &a, const ReviewedSetting &b) { return rank(a) < rank(b); });
    return Result::of(std::move(result));
}

}  // namespace poolopt::core
