// setting_recommendations() without PostgreSQL: a scripted server (PostgreSQL 15's default
// settings on 16GB and 4 CPUs) and scripted telemetry, end to end through the hardware
// rules, the workload rules, their combination and the review against pg_settings.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/settings_advisor.hpp"

namespace poolopt::core {
namespace {

ServerSetting setting(const char *name, const char *vartype, const char *unit, const char *value,
                      const char *context, double min, double max) {
    ServerSetting s;
    s.name = name;
    s.vartype = vartype;
    s.unit = unit;
    s.value = value;
    s.context = context;
    if (std::string(vartype) == "integer" || std::string(vartype) == "real") {
        s.min_value = min;
        s.max_value = max;
    }
    return s;
}

// pg_settings of a fresh PostgreSQL 15.
std::vector<ServerSetting> postgres15_defaults() {
    return {
        setting("max_connections", "integer", "", "100", "postmaster", 1, 262143),
        setting("shared_buffers", "integer", "8kB", "16384", "postmaster", 16, 1073741823),
        setting("effective_cache_size", "integer", "8kB", "524288", "user", 1, 2147483647),
        setting("maintenance_work_mem", "integer", "kB", "65536", "user", 1024, 2147483647),
        setting("checkpoint_completion_target", "real", "", "0.9", "sighup", 0, 1),
        setting("wal_buffers", "integer", "8kB", "512", "postmaster", -1, 262143),
        setting("default_statistics_target", "integer", "", "100", "user", 1, 10000),
        setting("random_page_cost", "real", "", "4", "user", 0, 1.79769e+308),
        setting("effective_io_concurrency", "integer", "", "1", "user", 0, 1000),
        setting("work_mem", "integer", "kB", "4096", "user", 64, 2147483647),
        setting("huge_pages", "enum", "", "try", "postmaster", 0, 0),
        setting("min_wal_size", "integer", "MB", "80", "sighup", 2, 2147483647),
        setting("max_wal_size", "integer", "MB", "1024", "sighup", 2, 2147483647),
        setting("max_worker_processes", "integer", "", "8", "postmaster", 0, 262143),
        setting("max_parallel_workers_per_gather", "integer", "", "2", "user", 0, 1024),
        setting("max_parallel_workers", "integer", "", "8", "user", 0, 1024),
        setting("max_parallel_maintenance_workers", "integer", "", "2", "user", 0, 1024),
        setting("idle_in_transaction_session_timeout", "integer", "ms", "0", "user", 0, 2147483647),
    };
}

// A quiet web server with 16GB and 4 CPUs, observed for 5 minutes.
LiveServer quiet_server() {
    LiveServer s;
    s.usable_memory_bytes = 16 * kGigabyte;
    s.usable_cpus = 4;
    s.available_memory_bytes = 12 * kGigabyte;
    s.workload_setting = Workload::web;
    s.storage_setting = Storage::ssd;
    s.pg_major = 15;
    s.window.samples = 300;
    s.window.seconds = 300;
    s.window.mean_client_connections = 10;
    s.window.peak_client_connections = 12;
    s.window.peak_busy = 4;
    s.peak_client_connections = 12;
    s.settings = postgres15_defaults();
    return s;
}

LiveAdvice advise(const LiveServer &server) {
    ValueOrError<LiveAdvice> advice = recommend_live_settings(server);
    EXPECT_TRUE(advice.ok()) << advice.error;
    return advice.value.value_or(LiveAdvice{});
}

const ReviewedSetting &row(const LiveAdvice &advice, const std::string &name) {
    for (const ReviewedSetting &r : advice.rows)
        if (r.name == name) return r;
    ADD_FAILURE() << name << " missing";
    static const ReviewedSetting missing;
    return missing;
}

bool contains(const std::string &text, const std::string &part) {
    return text.find(part) != std::string::npos;
}

void set_value(LiveServer &server, const std::string &name, const std::string &value) {
    for (ServerSetting &s : server.settings)
        if (s.name == name) s.value = value;
}

TEST(SettingsAdvisor, QuietServerGetsTheHardwareRulesOnItsOwnMaxConnections) {
    LiveAdvice advice = advise(quiet_server());
    EXPECT_EQ(advice.rows.size(), 18u);
    const ReviewedSetting &buffers = row(advice, "shared_buffers");
    EXPECT_EQ(buffers.recommended_value, "4GB");
    EXPECT_EQ(buffers.status, Status::change);
    EXPECT_EQ(buffers.priority, Priority::medium);
    EXPECT_EQ(buffers.alter_system, "ALTER SYSTEM SET shared_buffers = '4GB';");
    EXPECT_EQ(row(advice, "effective_cache_size").recommended_value, "12GB");
    // max_connections stays 100 (the 12 clients fit), and work_mem is sized for 100
    // connections and 4 + 1 worker processes (this extension's worker).
    const ReviewedSetting &connections = row(advice, "max_connections");
    EXPECT_EQ(connections.status, Status::fine);
    EXPECT_TRUE(contains(connections.reason, "never lowers it")) << connections.reason;
    const ReviewedSetting &work_mem = row(advice, "work_mem");
    EXPECT_EQ(work_mem.recommended_value, "39945kB");
    EXPECT_TRUE(contains(work_mem.reason, "(100 connections + 5 worker processes)"))
        << work_mem.reason;
    EXPECT_TRUE(contains(work_mem.reason, "telemetry: no temp files")) << work_mem.reason;
    EXPECT_EQ(row(advice, "max_worker_processes").recommended_value, "5");
    EXPECT_EQ(row(advice, "idle_in_transaction_session_timeout").status, Status::fine);
    EXPECT_EQ(row(advice, "huge_pages").status, Status::fine);
    // Every value the advisor did not change is reviewed as fine; nothing is high.
    for (const ReviewedSetting &r : advice.rows) {
        EXPECT_NE(r.priority, Priority::high) << r.name << ": " << r.reason;
        EXPECT_EQ(r.alter_system.empty(), r.status == Status::fine) << r.name;
    }
}

TEST(SettingsAdvisor, RowsComeByPriorityThenFine) {
    LiveServer server = quiet_server();
    server.window.delta.temp_files = 60;
    server.window.delta.temp_bytes = 60 * 8 * kMegabyte;
    LiveAdvice advice = advise(server);
    int last = -1;
    for (const ReviewedSetting &r : advice.rows) {
        int rank = r.status == Status::fine ? 3 : static_cast<int>(*r.priority);
        EXPECT_GE(rank, last) << r.name;
        last = rank;
    }
    EXPECT_EQ(advice.rows.front().name, "work_mem");
}

TEST(SettingsAdvisor, SpillsRaiseWorkMemAtLeastToTheHardwareValue) {
    LiveServer server = quiet_server();
    server.window.delta.temp_files = 60;
    server.window.delta.temp_bytes = 60 * 8 * kMegabyte;  // average spill 8MB
    LiveAdvice advice = advise(server);
    const ReviewedSetting &work_mem = row(advice, "work_mem");
    EXPECT_EQ(work_mem.status, Status::change);
    EXPECT_EQ(work_mem.priority, Priority::high);
    // The spills ask for 16MB; the hardware rule gives more, and a raise goes at least there.
    EXPECT_EQ(work_mem.recommended_value, "39945kB");
    EXPECT_TRUE(contains(work_mem.reason, "60 temp files (480MB) in the last 5 min"))
        << work_mem.reason;
    EXPECT_TRUE(contains(work_mem.reason, "work_mem 4MB → 16MB")) << work_mem.reason;
    EXPECT_TRUE(contains(work_mem.reason, "the hardware rule gives more, 39945kB"))
        << work_mem.reason;
}

TEST(SettingsAdvisor, SpillsRaiseWorkMemBeyondTheHardwareValue) {
    LiveServer server = quiet_server();
    set_value(server, "max_connections", "1000");  // hardware work_mem 4173kB
    server.window.delta.temp_files = 60;
    server.window.delta.temp_bytes = 60 * 8 * kMegabyte;
    LiveAdvice advice = advise(server);
    const ReviewedSetting &work_mem = row(advice, "work_mem");
    EXPECT_EQ(work_mem.recommended_value, "16MB");
    EXPECT_EQ(work_mem.priority, Priority::high);
    EXPECT_TRUE(contains(work_mem.reason, "average spill 8MB: work_mem 4MB → 16MB"))
        << work_mem.reason;
}

TEST(SettingsAdvisor, ARaiseIsNotUndoneOnceTheSpillsAreGone) {
    LiveServer server = quiet_server();
    set_value(server, "work_mem", "65536");  // 64MB, above the hardware rule's 39945kB
    LiveAdvice advice = advise(server);
    const ReviewedSetting &work_mem = row(advice, "work_mem");
    EXPECT_EQ(work_mem.status, Status::fine);
    EXPECT_EQ(work_mem.recommended_value, "64MB");
    EXPECT_TRUE(contains(work_mem.reason, "without evidence against the current value it stays"))
        << work_mem.reason;
}

TEST(SettingsAdvisor, WorkMemThatThreatensMemoryComesDown) {
    LiveServer server = quiet_server();
    set_value(server, "work_mem", "1048576");  // 1GB
    server.window.peak_busy = 20;
    LiveAdvice advice = advise(server);
    const ReviewedSetting &work_mem = row(advice, "work_mem");
    EXPECT_EQ(work_mem.status, Status::change);
    EXPECT_EQ(work_mem.priority, Priority::high);
    EXPECT_EQ(work_mem.recommended_value, "406MB");
    EXPECT_TRUE(contains(work_mem.reason, "exceeds 16GB usable memory")) << work_mem.reason;
}

TEST(SettingsAdvisor, RequestedCheckpointsRaiseMaxWalSize) {
    LiveServer server = quiet_server();
    set_value(server, "max_wal_size", "8192");  // 8GB, already above the hardware 4GB
    server.window.delta.checkpoints_requested = 6;
    server.window.delta.checkpoints_timed = 1;
    LiveAdvice advice = advise(server);
    const ReviewedSetting &wal = row(advice, "max_wal_size");
    EXPECT_EQ(wal.recommended_value, "16GB");
    EXPECT_EQ(wal.priority, Priority::high);
    EXPECT_TRUE(contains(wal.reason, "6 requested checkpoints vs 1 timed")) << wal.reason;
}

TEST(SettingsAdvisor, ALowHitRatioGrowsSharedBuffersBeyondAQuarter) {
    LiveServer server = quiet_server();
    set_value(server, "shared_buffers", "524288");  // 4GB = RAM/4 already
    server.window.delta.blks_hit = 90000;
    server.window.delta.blks_read = 10000;
    LiveAdvice advice = advise(server);
    const ReviewedSetting &buffers = row(advice, "shared_buffers");
    EXPECT_EQ(buffers.status, Status::change);
    EXPECT_EQ(buffers.priority, Priority::high);
    EXPECT_EQ(buffers.recommended_value, "6553MB");
    EXPECT_TRUE(contains(buffers.reason, "hit ratio 0.900")) << buffers.reason;
}

TEST(SettingsAdvisor, ClientsBeyondMaxConnectionsRaiseIt) {
    LiveServer server = quiet_server();
    server.peak_client_connections = 120;
    LiveAdvice advice = advise(server);
    const ReviewedSetting &connections = row(advice, "max_connections");
    EXPECT_EQ(connections.status, Status::change);
    EXPECT_EQ(connections.priority, Priority::high);
    EXPECT_EQ(connections.recommended_value, "135");  // 120 + 12 margin + 3 reserved
    EXPECT_EQ(connections.context, "restart");
    EXPECT_TRUE(contains(connections.reason, "connections beyond it are refused"))
        << connections.reason;
    // work_mem is sized for the raised max_connections.
    EXPECT_TRUE(contains(row(advice, "work_mem").reason, "(135 connections"));
}

TEST(SettingsAdvisor, APoolBudgetPlugsIntoMaxConnections) {
    LiveServer server = quiet_server();
    server.pools = {{20, 10}, {50, 20}};
    LiveAdvice advice = advise(server);
    const ReviewedSetting &connections = row(advice, "max_connections");
    EXPECT_EQ(connections.recommended_value, "113");  // 100 + 10 margin + 3 reserved
    EXPECT_TRUE(contains(connections.reason, "2 pools: 70 pool_size + 30 max_overflow"))
        << connections.reason;
}

TEST(SettingsAdvisor, IdleTransactionsHoldingConnectionsGetATimeout) {
    LiveServer server = quiet_server();
    server.window.mean_idle_in_transaction = 3;  // of 10
    server.longest_p99_hold_seconds = 30;
    LiveAdvice advice = advise(server);
    const ReviewedSetting &timeout = row(advice, "idle_in_transaction_session_timeout");
    EXPECT_EQ(timeout.status, Status::change);
    EXPECT_EQ(timeout.priority, Priority::high);
    EXPECT_EQ(timeout.recommended_value, "5min");
    EXPECT_EQ(timeout.alter_system,
              "ALTER SYSTEM SET idle_in_transaction_session_timeout = '5min';");
}

TEST(SettingsAdvisor, HugePagesTryIsKeptBelowTwoGigabytesOfSharedBuffers) {
    LiveServer server = quiet_server();
    server.usable_memory_bytes = 4 * kGigabyte;
    LiveAdvice advice = advise(server);
    const ReviewedSetting &huge = row(advice, "huge_pages");
    EXPECT_EQ(huge.status, Status::fine);
    EXPECT_EQ(huge.recommended_value, "try");
    EXPECT_TRUE(contains(huge.reason, "not worth a restart")) << huge.reason;
}

TEST(SettingsAdvisor, MeasuredMemoryIsRoundedSoMemorySettingsPrintInMegabytes) {
    // 23.54 GiB as the kernel counts it: the fractions come out of 24096MB, not of the kB.
    LiveServer server = quiet_server();
    server.usable_memory_bytes = 24'683'544ull * 1024;  // 24105.0234 MB
    LiveAdvice advice = advise(server);
    EXPECT_EQ(row(advice, "shared_buffers").recommended_value, "6024MB");
    EXPECT_EQ(row(advice, "effective_cache_size").recommended_value, "18072MB");
    EXPECT_EQ(row(advice, "maintenance_work_mem").recommended_value, "1506MB");
}

TEST(SettingsAdvisor, WorkloadSetInferredOrAssumed) {
    LiveServer server = quiet_server();
    server.workload_setting = Workload::dw;
    LiveAdvice advice = advise(server);
    EXPECT_EQ(advice.workload.value, Workload::dw);
    EXPECT_EQ(row(advice, "default_statistics_target").recommended_value, "500");
    EXPECT_TRUE(
        contains(row(advice, "work_mem").reason, "workload dw set by pool_optimizer.workload"));

    server.workload_setting.reset();
    advice = advise(server);
    EXPECT_EQ(advice.workload.value, Workload::web);
    EXPECT_TRUE(contains(advice.workload.reason,
                         "workload web assumed, PGTune's default: 0 "
                         "transactions"))
        << advice.workload.reason;

    // 200 transactions of 5 s each, 2 busy on 4 CPUs: a warehouse.
    server.window.delta.xact_commit = 200;
    server.window.delta.active_time_ms = 200 * 5000;
    server.window.mean_busy = 2;
    advice = advise(server);
    EXPECT_EQ(advice.workload.value, Workload::dw);
    EXPECT_TRUE(contains(advice.workload.reason,
                         "workload dw inferred from telemetry: mean "
                         "transaction 5.0s"))
        << advice.workload.reason;
    EXPECT_TRUE(contains(row(advice, "maintenance_work_mem").reason, "inferred from telemetry"));

    // 3000 transactions of 20 ms, a third of the rows written: oltp.
    server.window.delta.xact_commit = 3000;
    server.window.delta.active_time_ms = 3000 * 20;
    server.window.delta.rows_read = 20000;
    server.window.delta.rows_written = 10000;
    advice = advise(server);
    EXPECT_EQ(advice.workload.value, Workload::oltp);
    EXPECT_TRUE(contains(advice.workload.reason, "67 % of rows read")) << advice.workload.reason;
    EXPECT_EQ(row(advice, "min_wal_size").recommended_value, "2GB");
    // The same with reads only: web.
    server.window.delta.rows_written = 0;
    EXPECT_EQ(advise(server).workload.value, Workload::web);
    // Storage-only rows do not carry the workload.
    EXPECT_FALSE(contains(row(advice, "effective_io_concurrency").reason, "workload"));
}

TEST(SettingsAdvisor, StorageSetDetectedOrTakenAsSsd) {
    StorageGuess rotating{StorageKind::hdd, "sda", "sda: queue/rotational=1", false};
    EXPECT_EQ(choose_storage(std::nullopt, rotating).value, Storage::hdd);
    EXPECT_EQ(choose_storage(std::nullopt, rotating).reason,
              "storage hdd detected (sda: queue/rotational=1)");
    StorageGuess virtual_disk{StorageKind::hdd, "vda", "vda: queue/rotational=1", true};
    Choice<Storage> taken = choose_storage(std::nullopt, virtual_disk);
    EXPECT_EQ(taken.value, Storage::ssd);
    EXPECT_TRUE(contains(taken.reason, "virtual disk")) << taken.reason;
    EXPECT_TRUE(contains(taken.reason, "pool_optimizer.storage = 'hdd'")) << taken.reason;
    StorageGuess unknown{StorageKind::unknown, "", "cannot resolve", false};
    EXPECT_EQ(choose_storage(std::nullopt, unknown).value, Storage::ssd);
    EXPECT_EQ(choose_storage(Storage::nvme, rotating).value, Storage::nvme);
    EXPECT_EQ(choose_storage(Storage::nvme, rotating).reason,
              "storage nvme set by pool_optimizer.storage");

    LiveServer server = quiet_server();
    server.storage_setting.reset();
    server.detected_storage = rotating;
    LiveAdvice advice = advise(server);
    EXPECT_EQ(row(advice, "effective_io_concurrency").recommended_value, "2");
    EXPECT_TRUE(contains(row(advice, "random_page_cost").reason, "storage hdd detected"));
}

TEST(SettingsAdvisor, TheDatabaseSizeDecidesWhetherDataFitsInMemory) {
    LiveServer server = quiet_server();
    server.database_size_bytes = 2 * kGigabyte;
    LiveAdvice advice = advise(server);
    EXPECT_TRUE(contains(row(advice, "work_mem").reason, "× 1.3 because the 2GB database fits"));
}

TEST(SettingsAdvisor, WithoutSamplesTheHardwareRulesStand) {
    LiveServer server = quiet_server();
    server.window = TelemetryWindow{};
    server.peak_client_connections = 0;
    LiveAdvice advice = advise(server);
    EXPECT_TRUE(contains(row(advice, "work_mem").reason, "telemetry: no samples yet"));
    EXPECT_TRUE(contains(row(advice, "max_connections").reason, "max_connections stays 100"));
}

TEST(SettingsAdvisor, SettingsThisVersionLacksAreLeftOutAndMissingInputsRefused) {
    LiveServer server = quiet_server();
    server.settings.erase(server.settings.begin() + 14);  // max_parallel_workers_per_gather
    EXPECT_EQ(advise(server).rows.size(), 17u);
    server.settings.erase(server.settings.begin() + 9);  // work_mem
    std::string error = recommend_live_settings(server).error;
    EXPECT_TRUE(contains(error, "work_mem is missing")) << error;
    server = quiet_server();
    server.usable_memory_bytes = 0;
    EXPECT_FALSE(recommend_live_settings(server).ok());
}

}  // namespace
}  // namespace poolopt::core
