// The hardware rules against PGTune: every rule on the profiles of the brief and at its
// boundaries, with memory and CPUs as the server may use them.
//
// The expected kB figures were produced by running PGTune's own selectors
// (le0pard/pgtune src/features/configuration/configurationSlice.js at 7caef27, rules of April
// 2026) under node for the same profiles, so "parity with PGTune" is checked, not assumed.
#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/settings_engine.hpp"

namespace poolopt::core {
namespace {

MachineProfile profile(Workload workload, uint64_t memory_bytes, int cpus, Storage storage) {
    MachineProfile machine;
    machine.workload = workload;
    machine.memory_bytes = memory_bytes;
    machine.cpus = cpus;
    machine.storage = storage;
    machine.pg_major = 17;
    return machine;
}

std::vector<SettingRecommendation> recommend(const MachineProfile &machine) {
    ValueOrError<std::vector<SettingRecommendation>> result = recommend_hardware_settings(machine);
    EXPECT_TRUE(result.ok()) << result.error;
    return result.value.value_or(std::vector<SettingRecommendation>{});
}

const SettingRecommendation &row(const std::vector<SettingRecommendation> &rows,
                                 const std::string &name) {
    const SettingRecommendation *found = find_setting(rows, name);
    if (found == nullptr) {
        ADD_FAILURE() << name << " missing";
        static const SettingRecommendation missing;
        return missing;
    }
    return *found;
}

// display and numeric value in the setting's unit, and that the reason is not empty.
void expect_setting(const std::vector<SettingRecommendation> &rows, const std::string &name,
                    const std::string &display, double value, const std::string &unit) {
    const SettingRecommendation &setting = row(rows, name);
    EXPECT_EQ(setting.display, display) << name;
    ASSERT_TRUE(setting.value.has_value()) << name;
    EXPECT_DOUBLE_EQ(*setting.value, value) << name;
    EXPECT_EQ(setting.unit, unit) << name;
    EXPECT_FALSE(setting.reason.empty()) << name;
    EXPECT_FALSE(setting.current_value.has_value()) << name;
}

// Values of a kB figure in the units pg_settings uses.
double blocks_of_kb(double kb) {
    return std::floor(kb / 8);
}

void expect_no_parallel_settings(const std::vector<SettingRecommendation> &rows) {
    for (const char *name : {"max_worker_processes", "max_parallel_workers_per_gather",
                             "max_parallel_workers", "max_parallel_maintenance_workers"}) {
        EXPECT_EQ(find_setting(rows, name), nullptr) << name;
    }
}

// ---- PGTune parity on the profiles of the brief ----

TEST(HardwareRules, WorkedExampleWeb16GB4CpusSsdMatchesPgtuneExactly) {
    auto rows = recommend(profile(Workload::web, 16 * kGigabyte, 4, Storage::ssd));
    ASSERT_EQ(rows.size(), 17u);
    expect_setting(rows, "max_connections", "200", 200, "");
    expect_setting(rows, "shared_buffers", "4GB", 524288, "8kB");
    expect_setting(rows, "effective_cache_size", "12GB", 1572864, "8kB");
    expect_setting(rows, "maintenance_work_mem", "1GB", 1048576, "kB");
    expect_setting(rows, "work_mem", "20560kB", 20560, "kB");
    expect_setting(rows, "wal_buffers", "16MB", 2048, "8kB");
    expect_setting(rows, "min_wal_size", "1GB", 1024, "MB");
    expect_setting(rows, "max_wal_size", "4GB", 4096, "MB");
    expect_setting(rows, "checkpoint_completion_target", "0.9", 0.9, "");
    expect_setting(rows, "default_statistics_target", "100", 100, "");
    expect_setting(rows, "random_page_cost", "1.1", 1.1, "");
    expect_setting(rows, "effective_io_concurrency", "200", 200, "");
    expect_setting(rows, "max_worker_processes", "4", 4, "");
    expect_setting(rows, "max_parallel_workers_per_gather", "2", 2, "");
    expect_setting(rows, "max_parallel_workers", "4", 4, "");
    expect_setting(rows, "max_parallel_maintenance_workers", "2", 2, "");
    EXPECT_EQ(row(rows, "huge_pages").display, "try");
    EXPECT_EQ(row(rows, "huge_pages").type, ValueType::enumeration);
    EXPECT_FALSE(row(rows, "huge_pages").value.has_value());
}

TEST(HardwareRules, WorkedExampleReasonsNameTheFigures) {
    auto rows = recommend(profile(Workload::web, 16 * kGigabyte, 4, Storage::ssd));
    EXPECT_EQ(row(rows, "shared_buffers").reason, "RAM/4 of 16GB usable memory");
    EXPECT_NE(row(rows, "effective_cache_size").reason.find("RAM·3/4 of 16GB usable memory"),
              std::string::npos);
    EXPECT_EQ(row(rows, "work_mem").reason,
              "(16GB usable memory − 4GB shared_buffers) / ((200 connections + 4 worker "
              "processes) × 3) = 20560kB; database size unknown, no size factor");
    EXPECT_NE(row(rows, "wal_buffers").reason.find("3 % of 4GB shared_buffers"), std::string::npos);
    EXPECT_NE(row(rows, "huge_pages").reason.find("2048 2MB pages"), std::string::npos);
}

TEST(HardwareRules, WorkedExampleOrderIsPgtunes) {
    auto rows = recommend(profile(Workload::web, 16 * kGigabyte, 4, Storage::ssd));
    std::vector<std::string> names;
    for (const auto &setting : rows) names.push_back(setting.name);
    EXPECT_EQ(names, (std::vector<std::string>{
                         "max_connections", "shared_buffers", "effective_cache_size",
                         "maintenance_work_mem", "checkpoint_completion_target", "wal_buffers",
                         "default_statistics_target", "random_page_cost",
                         "effective_io_concurrency", "work_mem", "huge_pages", "min_wal_size",
                         "max_wal_size", "max_worker_processes", "max_parallel_workers_per_gather",
                         "max_parallel_workers", "max_parallel_maintenance_workers"}));
}

TEST(HardwareRules, Desktop4GB2CpusHdd) {
    auto rows = recommend(profile(Workload::desktop, 4 * kGigabyte, 2, Storage::hdd));
    expect_setting(rows, "max_connections", "20", 20, "");
    expect_setting(rows, "shared_buffers", "256MB", blocks_of_kb(262144), "8kB");
    expect_setting(rows, "effective_cache_size", "1GB", blocks_of_kb(1048576), "8kB");
    expect_setting(rows, "maintenance_work_mem", "256MB", 262144, "kB");
    expect_setting(rows, "wal_buffers", "7864kB", blocks_of_kb(7864), "8kB");
    expect_setting(rows, "work_mem", "7801kB", 7801, "kB");
    expect_setting(rows, "random_page_cost", "4", 4, "");
    expect_setting(rows, "effective_io_concurrency", "2", 2, "");
    expect_setting(rows, "min_wal_size", "100MB", 100, "MB");
    expect_setting(rows, "max_wal_size", "2GB", 2048, "MB");
    expect_setting(rows, "default_statistics_target", "100", 100, "");
    EXPECT_EQ(row(rows, "huge_pages").display, "off");
    EXPECT_NE(row(rows, "shared_buffers").reason.find("RAM/16 of 4GB"), std::string::npos);
    EXPECT_NE(row(rows, "work_mem").reason.find("÷ 6 for desktop"), std::string::npos);
    expect_no_parallel_settings(rows);
}

TEST(HardwareRules, Dw64GB16CpusNvmeWithMaxConnectionsGiven) {
    MachineProfile machine = profile(Workload::dw, 64 * kGigabyte, 16, Storage::nvme);
    machine.max_connections = 100;
    auto rows = recommend(machine);
    expect_setting(rows, "max_connections", "100", 100, "");
    EXPECT_EQ(row(rows, "max_connections").reason, "as given");
    expect_setting(rows, "shared_buffers", "16GB", blocks_of_kb(16777216), "8kB");
    expect_setting(rows, "effective_cache_size", "48GB", blocks_of_kb(50331648), "8kB");
    expect_setting(rows, "maintenance_work_mem", "8GB", 8388608, "kB");
    expect_setting(rows, "work_mem", "72315kB", 72315, "kB");
    expect_setting(rows, "wal_buffers", "16MB", 2048, "8kB");
    expect_setting(rows, "default_statistics_target", "500", 500, "");
    // dw whose size is unknown: PGTune keeps PostgreSQL's 4 even on nvme.
    expect_setting(rows, "random_page_cost", "4", 4, "");
    expect_setting(rows, "effective_io_concurrency", "1000", 1000, "");
    expect_setting(rows, "min_wal_size", "4GB", 4096, "MB");
    expect_setting(rows, "max_wal_size", "16GB", 16384, "MB");
    expect_setting(rows, "max_worker_processes", "16", 16, "");
    expect_setting(rows, "max_parallel_workers_per_gather", "8", 8, "");  // dw: not capped at 4
    expect_setting(rows, "max_parallel_workers", "16", 16, "");
    expect_setting(rows, "max_parallel_maintenance_workers", "4", 4, "");
    EXPECT_EQ(row(rows, "huge_pages").display, "try");
    EXPECT_NE(row(rows, "work_mem").reason.find("÷ 2 for dw"), std::string::npos);
}

TEST(HardwareRules, TinyOltp2GB1CpuRaisesWorkMemToThe4MBFloor) {
    auto rows = recommend(profile(Workload::oltp, 2 * kGigabyte, 1, Storage::ssd));
    expect_setting(rows, "max_connections", "300", 300, "");
    expect_setting(rows, "shared_buffers", "512MB", blocks_of_kb(524288), "8kB");
    expect_setting(rows, "effective_cache_size", "1536MB", blocks_of_kb(1572864), "8kB");
    expect_setting(rows, "maintenance_work_mem", "128MB", 131072, "kB");
    // (2GB - 512MB) / ((300 + 8) × 3) = 1702kB, below PGTune's 4MB floor.
    expect_setting(rows, "work_mem", "4MB", 4096, "kB");
    EXPECT_NE(row(rows, "work_mem").reason.find("= 1702kB"), std::string::npos);
    EXPECT_NE(row(rows, "work_mem").reason.find("4MB floor"), std::string::npos);
    expect_setting(rows, "min_wal_size", "2GB", 2048, "MB");
    expect_setting(rows, "max_wal_size", "8GB", 8192, "MB");
    EXPECT_EQ(row(rows, "huge_pages").display, "off");
    expect_no_parallel_settings(rows);
}

TEST(HardwareRules, Mixed32GB8CpusSan) {
    auto rows = recommend(profile(Workload::mixed, 32 * kGigabyte, 8, Storage::san));
    expect_setting(rows, "max_connections", "100", 100, "");
    expect_setting(rows, "shared_buffers", "8GB", blocks_of_kb(8388608), "8kB");
    expect_setting(rows, "effective_cache_size", "24GB", blocks_of_kb(25165824), "8kB");
    expect_setting(rows, "maintenance_work_mem", "2GB", 2097152, "kB");
    expect_setting(rows, "work_mem", "38836kB", 38836, "kB");
    expect_setting(rows, "random_page_cost", "1.1", 1.1, "");
    expect_setting(rows, "effective_io_concurrency", "300", 300, "");
    expect_setting(rows, "min_wal_size", "1GB", 1024, "MB");
    expect_setting(rows, "max_wal_size", "4GB", 4096, "MB");
    expect_setting(rows, "max_worker_processes", "8", 8, "");
    expect_setting(rows, "max_parallel_workers_per_gather", "4", 4, "");
    expect_setting(rows, "max_parallel_workers", "8", 8, "");
    expect_setting(rows, "max_parallel_maintenance_workers", "4", 4, "");
}

TEST(HardwareRules, Dw256GBCapsMaintenanceWorkMemAt8GB) {
    MachineProfile machine = profile(Workload::dw, 256 * kGigabyte, 32, Storage::nvme);
    machine.database_size_bytes = 100 * kGigabyte;
    machine.pg_major = 16;
    auto rows = recommend(machine);
    expect_setting(rows, "maintenance_work_mem", "8GB", 8388608, "kB");
    const std::string &reason = row(rows, "maintenance_work_mem").reason;
    EXPECT_NE(reason.find("RAM/8 of 256GB usable memory = 32GB, capped at 8GB"), std::string::npos)
        << reason;
    // PostgreSQL 16's VACUUM still stops at 1GB: the reason says so.
    EXPECT_NE(reason.find("before PostgreSQL 17"), std::string::npos) << reason;
    expect_setting(rows, "shared_buffers", "64GB", blocks_of_kb(67108864), "8kB");
    expect_setting(rows, "work_mem", "605842kB", 605842, "kB");
    expect_setting(rows, "random_page_cost", "1.1", 1.1, "");  // 100GB fits in 256GB
    expect_setting(rows, "max_parallel_workers_per_gather", "16", 16, "");
    expect_setting(rows, "max_parallel_maintenance_workers", "4", 4, "");
}

TEST(HardwareRules, MaintenanceWorkMemNotesVacuumLimitOnlyBefore17) {
    MachineProfile machine = profile(Workload::web, 64 * kGigabyte, 8, Storage::ssd);
    machine.pg_major = 17;
    EXPECT_EQ(row(recommend(machine), "maintenance_work_mem").reason.find("VACUUM"),
              std::string::npos);
    machine.pg_major = 13;
    EXPECT_NE(row(recommend(machine), "maintenance_work_mem").reason.find("VACUUM"),
              std::string::npos);
}

// ---- individual rules ----

TEST(HardwareRules, BelowFourCpusLeavesParallelSettingsOutAndCountsEightWorkers) {
    for (int cpus : {1, 2, 3}) {
        auto rows = recommend(profile(Workload::web, 16 * kGigabyte, cpus, Storage::ssd));
        EXPECT_EQ(rows.size(), 13u) << cpus;
        expect_no_parallel_settings(rows);
        // work_mem divides by max_connections + PostgreSQL's default 8 worker processes.
        expect_setting(rows, "work_mem", "20164kB", 20164, "kB");
        EXPECT_NE(row(rows, "work_mem").reason.find("8 worker processes"), std::string::npos);
    }
    EXPECT_EQ(recommend(profile(Workload::web, 16 * kGigabyte, 4, Storage::ssd)).size(), 17u);
}

TEST(HardwareRules, ParallelWorkersPerGatherCapAtFourExceptDw) {
    auto web = recommend(profile(Workload::web, 64 * kGigabyte, 24, Storage::ssd));
    expect_setting(web, "max_parallel_workers_per_gather", "4", 4, "");
    EXPECT_NE(row(web, "max_parallel_workers_per_gather").reason.find("capped at 4"),
              std::string::npos);
    auto odd = recommend(profile(Workload::dw, 64 * kGigabyte, 5, Storage::ssd));
    expect_setting(odd, "max_parallel_workers_per_gather", "3", 3, "");  // ceil(5 / 2)
    expect_setting(odd, "max_parallel_maintenance_workers", "3", 3, "");
}

TEST(HardwareRules, ExtensionWorkersAddSlotsToMaxWorkerProcesses) {
    MachineProfile machine = profile(Workload::web, 16 * kGigabyte, 4, Storage::ssd);
    machine.extension_workers = 1;
    auto rows = recommend(machine);
    expect_setting(rows, "max_worker_processes", "5", 5, "");
    expect_setting(rows, "max_parallel_workers", "4", 4, "");
    // work_mem counts every worker process, as PGTune counts max_worker_processes.
    expect_setting(rows, "work_mem", "20460kB", 20460, "kB");
    EXPECT_NE(row(rows, "max_worker_processes").reason.find("1 background workers"),
              std::string::npos);
}

TEST(HardwareRules, HugePagesOffBelow2GBSharedBuffersAndTryFrom2GB) {
    auto below = recommend(profile(Workload::web, 8 * kGigabyte - kMegabyte, 4, Storage::ssd));
    EXPECT_EQ(row(below, "huge_pages").display, "off");
    EXPECT_NE(row(below, "huge_pages").reason.find("below 2GB"), std::string::npos);
    auto at = recommend(profile(Workload::web, 8 * kGigabyte, 4, Storage::ssd));
    EXPECT_EQ(row(at, "huge_pages").display, "try");
    EXPECT_NE(row(at, "huge_pages").reason.find("1024 2MB pages"), std::string::npos);
    // A desktop needs 32GB for 2GB of shared_buffers.
    auto desktop = recommend(profile(Workload::desktop, 16 * kGigabyte, 4, Storage::ssd));
    EXPECT_EQ(row(desktop, "huge_pages").display, "off");
}

TEST(HardwareRules, HugePagesReasonPointsToTheExactCountFrom15) {
    MachineProfile machine = profile(Workload::web, 16 * kGigabyte, 4, Storage::ssd);
    machine.pg_major = 15;
    EXPECT_NE(row(recommend(machine), "huge_pages").reason.find("shared_memory_size_in_huge_pages"),
              std::string::npos);
    machine.pg_major = 14;
    EXPECT_EQ(row(recommend(machine), "huge_pages").reason.find("shared_memory_size_in_huge_pages"),
              std::string::npos);
}

TEST(HardwareRules, WalBuffersRoundsAsPgtune) {
    // 3 % of shared_buffers, floored in kB.
    auto small = recommend(profile(Workload::desktop, 4 * kGigabyte, 2, Storage::ssd));
    expect_setting(small, "wal_buffers", "7864kB", 983, "8kB");
    // 14MB exactly stays; just above 14MB rounds up to 16MB.
    auto at_14mb = recommend(profile(Workload::web, 1911468 * kKilobyte, 2, Storage::ssd));
    expect_setting(at_14mb, "wal_buffers", "14MB", 1792, "8kB");
    auto above_14mb = recommend(profile(Workload::web, 1911600 * kKilobyte, 2, Storage::ssd));
    expect_setting(above_14mb, "wal_buffers", "16MB", 2048, "8kB");
    EXPECT_NE(row(above_14mb, "wal_buffers").reason.find("rounded up to 16MB"), std::string::npos);
    // Above 16MB: capped.
    auto large = recommend(profile(Workload::web, 16 * kGigabyte, 4, Storage::ssd));
    EXPECT_NE(row(large, "wal_buffers").reason.find("capped at 16MB"), std::string::npos);
    // Tiny shared_buffers: raised to 32kB.
    auto tiny = recommend(profile(Workload::web, 4 * kMegabyte, 1, Storage::ssd));
    expect_setting(tiny, "wal_buffers", "32kB", 4, "8kB");
    EXPECT_NE(row(tiny, "wal_buffers").reason.find("32kB minimum"), std::string::npos);
    EXPECT_NE(row(tiny, "shared_buffers").reason.find("256MB"), std::string::npos);
}

TEST(HardwareRules, SharedBuffersRoundsDownToWhole8kBBlocks) {
    // 1000003 kB of memory: RAM/4 = 250000 kB (floored), 31250 blocks.
    auto rows = recommend(profile(Workload::web, 1000003 * kKilobyte, 2, Storage::ssd));
    expect_setting(rows, "shared_buffers", "250000kB", 31250, "8kB");
    // 1000036 kB: RAM/4 = 250009 kB, not a whole number of blocks: 31251 blocks = 250008 kB.
    rows = recommend(profile(Workload::web, 1000036 * kKilobyte, 2, Storage::ssd));
    expect_setting(rows, "shared_buffers", "250008kB", 31251, "8kB");
}

TEST(HardwareRules, UsesTheCgroupLimitedMemoryNotTheHosts) {
    HostResources host;
    host.memory_total_bytes = 64 * kGigabyte;
    host.memory_limit_bytes = 8 * kGigabyte;
    host.usable_memory_bytes = 8 * kGigabyte;
    host.online_cpus = 16;
    host.cpu_quota = 2.5;
    host.usable_cpus = 2.5;
    ValueOrError<MachineProfile> machine =
        with_host_resources(profile(Workload::web, 0, 0, Storage::ssd), host);
    ASSERT_TRUE(machine.ok()) << machine.error;
    EXPECT_EQ(machine.value->memory_bytes, 8 * kGigabyte);
    EXPECT_EQ(machine.value->cpus, 2);
    auto rows = recommend(*machine.value);
    expect_setting(rows, "shared_buffers", "2GB", 262144, "8kB");
    expect_setting(rows, "effective_cache_size", "6GB", 786432, "8kB");
    EXPECT_EQ(row(rows, "shared_buffers").reason, "RAM/4 of 8GB usable memory");
    expect_no_parallel_settings(rows);  // 2.5 CPUs of quota: 2 whole ones
}

TEST(HardwareRules, HostWithoutKnownMemoryOrCpusIsRefused) {
    HostResources host;
    host.usable_cpus = 4;
    EXPECT_NE(with_host_resources(MachineProfile{}, host).error.find("memory"), std::string::npos);
    host.usable_memory_bytes = kGigabyte;
    host.usable_cpus = 0;
    EXPECT_NE(with_host_resources(MachineProfile{}, host).error.find("CPU"), std::string::npos);
}

TEST(HardwareRules, UsableWholeCpus) {
    EXPECT_EQ(usable_whole_cpus(0), 0);
    EXPECT_EQ(usable_whole_cpus(-1), 0);
    EXPECT_EQ(usable_whole_cpus(NAN), 0);
    EXPECT_EQ(usable_whole_cpus(0.5), 1);
    EXPECT_EQ(usable_whole_cpus(2.5), 2);
    EXPECT_EQ(usable_whole_cpus(3.9999999), 4);
    EXPECT_EQ(usable_whole_cpus(16), 16);
}

TEST(HardwareRules, DatabaseThatFitsInMemoryRaisesWorkMemAndCheapensRandomReads) {
    MachineProfile machine = profile(Workload::web, 16 * kGigabyte, 4, Storage::hdd);
    machine.database_size_bytes = 10 * kGigabyte;
    auto rows = recommend(machine);
    expect_setting(rows, "work_mem", "26728kB", 26728, "kB");  // 20560 × 1.3
    expect_setting(rows, "random_page_cost", "1.1", 1.1, "");  // even on hdd
    EXPECT_NE(row(rows, "work_mem").reason.find("× 1.3 because the 10GB database fits in 16GB"),
              std::string::npos)
        << row(rows, "work_mem").reason;
    EXPECT_NE(row(rows, "random_page_cost").reason.find("fits in 16GB"), std::string::npos);
}

TEST(HardwareRules, DatabaseMoreThanThreeTimesMemoryLowersWorkMem) {
    MachineProfile machine = profile(Workload::web, 16 * kGigabyte, 4, Storage::hdd);
    machine.database_size_bytes = 100 * kGigabyte;
    auto rows = recommend(machine);
    expect_setting(rows, "work_mem", "18504kB", 18504, "kB");  // 20560 × 0.9
    expect_setting(rows, "random_page_cost", "4", 4, "");
    EXPECT_NE(row(rows, "work_mem").reason.find("× 0.9"), std::string::npos);
    // Floor still applies after the factor.
    MachineProfile tiny = profile(Workload::oltp, 2 * kGigabyte, 1, Storage::ssd);
    tiny.database_size_bytes = 10 * kGigabyte;
    expect_setting(recommend(tiny), "work_mem", "4MB", 4096, "kB");
}

TEST(HardwareRules, DatabaseBetweenOneAndThreeTimesMemoryKeepsWorkMem) {
    MachineProfile machine = profile(Workload::web, 16 * kGigabyte, 4, Storage::ssd);
    for (uint64_t size : {16 * kGigabyte, 30 * kGigabyte, 48 * kGigabyte}) {
        machine.database_size_bytes = size;
        auto rows = recommend(machine);
        expect_setting(rows, "work_mem", "20560kB", 20560, "kB");
        EXPECT_NE(row(rows, "work_mem").reason.find("1 to 3 times"), std::string::npos);
    }
}

TEST(HardwareRules, RandomPageCostFollowsStorageWorkloadAndFit) {
    struct Case {
        Workload workload;
        Storage storage;
        std::optional<uint64_t> size;
        double expected;
    } cases[] = {
        {Workload::web, Storage::ssd, std::nullopt, 1.1},
        {Workload::web, Storage::nvme, 100 * kGigabyte, 1.1},
        {Workload::web, Storage::san, std::nullopt, 1.1},
        {Workload::web, Storage::hdd, std::nullopt, 4},
        {Workload::web, Storage::hdd, kGigabyte, 1.1},
        {Workload::dw, Storage::ssd, std::nullopt, 4},
        {Workload::dw, Storage::nvme, 100 * kGigabyte, 4},
        {Workload::dw, Storage::nvme, kGigabyte, 1.1},
    };
    for (const Case &c : cases) {
        MachineProfile machine = profile(c.workload, 16 * kGigabyte, 4, c.storage);
        machine.database_size_bytes = c.size;
        auto rows = recommend(machine);
        const SettingRecommendation &cost = row(rows, "random_page_cost");
        EXPECT_DOUBLE_EQ(cost.value.value_or(-1), c.expected)
            << workload_name(c.workload) << " " << storage_name(c.storage) << ": " << cost.reason;
    }
}

TEST(HardwareRules, CheckpointCompletionTargetReasonKnowsThe13Default) {
    MachineProfile machine = profile(Workload::web, 16 * kGigabyte, 4, Storage::ssd);
    machine.pg_major = 13;
    EXPECT_NE(row(recommend(machine), "checkpoint_completion_target").reason.find("0.5"),
              std::string::npos);
}

TEST(HardwareRules, MemorySettingsScaleWithMemoryInsteadOfFixedValues) {
    // The pool tuning log fixed work_mem 32MB, effective_cache_size 1GB and
    // maintenance_work_mem 256MB whatever the machine; here each follows the memory.
    for (uint64_t gigabytes : {1, 2, 8, 16, 64}) {
        auto rows = recommend(profile(Workload::web, gigabytes * kGigabyte, 4, Storage::ssd));
        uint64_t ram_kb = gigabytes * kGigabyte / kKilobyte;
        EXPECT_DOUBLE_EQ(*row(rows, "effective_cache_size").value, blocks_of_kb(ram_kb * 3 / 4));
        EXPECT_DOUBLE_EQ(*row(rows, "maintenance_work_mem").value, double(ram_kb / 16));
        double per_process = double(ram_kb - ram_kb / 4) / ((200 + 4) * 3);
        EXPECT_DOUBLE_EQ(*row(rows, "work_mem").value, std::max(4096.0, std::floor(per_process)));
    }
}

TEST(HardwareRules, RefusesOutOfRangeProfilesNamingTheRange) {
    MachineProfile machine = profile(Workload::web, 16 * kGigabyte, 4, Storage::ssd);
    auto error_of = [](const MachineProfile &m) { return recommend_hardware_settings(m).error; };

    MachineProfile bad = machine;
    bad.memory_bytes = 0;
    EXPECT_NE(error_of(bad).find("between 1MB and 1024TB"), std::string::npos);
    bad = machine;
    bad.cpus = 0;
    EXPECT_NE(error_of(bad).find("between 1 and 65536"), std::string::npos);
    bad = machine;
    bad.max_connections = 0;
    EXPECT_NE(error_of(bad).find("between 1 and 262143"), std::string::npos);
    bad = machine;
    bad.pg_major = 12;
    EXPECT_NE(error_of(bad).find("13 to 18"), std::string::npos);
    bad.pg_major = 19;
    EXPECT_NE(error_of(bad).find("13 to 18"), std::string::npos);
    bad = machine;
    bad.extension_workers = -1;
    EXPECT_NE(error_of(bad).find("between 0 and 1024"), std::string::npos);
    for (int major = kOldestPgMajor; major <= kNewestPgMajor; ++major) {
        machine.pg_major = major;
        EXPECT_TRUE(recommend_hardware_settings(machine).ok()) << major;
    }
}

}  // namespace
}  // namespace poolopt::core
