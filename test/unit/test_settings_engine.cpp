// What every recommendation shares: workload and storage names, the row builders, the
// churn tolerance and the clamp to the server's bounds. The rules have tests of their own.
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/settings_engine.hpp"

namespace poolopt::core {
namespace {

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

// ---- names ----

TEST(Names, WorkloadsAndStoragesParseCaseInsensitively) {
    EXPECT_EQ(parse_workload("web").value, Workload::web);
    EXPECT_EQ(parse_workload("OLTP").value, Workload::oltp);
    EXPECT_EQ(parse_workload(" Dw ").value, Workload::dw);
    EXPECT_EQ(parse_workload("mixed").value, Workload::mixed);
    EXPECT_EQ(parse_workload("desktop").value, Workload::desktop);
    EXPECT_EQ(parse_storage("NVMe").value, Storage::nvme);
    EXPECT_EQ(parse_storage("san").value, Storage::san);
    EXPECT_NE(parse_workload("olap").error.find("web, oltp, dw, mixed or desktop"),
              std::string::npos);
    EXPECT_NE(parse_storage("tape").error.find("hdd, ssd, san or nvme"), std::string::npos);
    for (Workload w :
         {Workload::web, Workload::oltp, Workload::dw, Workload::mixed, Workload::desktop}) {
        EXPECT_EQ(parse_workload(workload_name(w)).value, w);
    }
    for (Storage s : {Storage::hdd, Storage::ssd, Storage::san, Storage::nvme}) {
        EXPECT_EQ(parse_storage(storage_name(s)).value, s);
    }
}

// ---- tolerance ----

TEST(Tolerance, WithinFivePercentOfTheRecommendationIsFine) {
    EXPECT_TRUE(is_within_tolerance(100, 100));
    EXPECT_TRUE(is_within_tolerance(95, 100));
    EXPECT_TRUE(is_within_tolerance(105, 100));
    EXPECT_FALSE(is_within_tolerance(94.9, 100));
    EXPECT_FALSE(is_within_tolerance(105.1, 100));
    // 16MB against 16.5MB recommended (in kB): fine, not churned.
    EXPECT_TRUE(is_within_tolerance(16384, 16896));
    EXPECT_FALSE(is_within_tolerance(4096, 16384));
    EXPECT_TRUE(is_within_tolerance(0, 0));
    EXPECT_FALSE(is_within_tolerance(1, 0));
    EXPECT_TRUE(is_within_tolerance(-98, -100));
    EXPECT_TRUE(is_within_tolerance(110, 100, 0.10));
    EXPECT_FALSE(is_within_tolerance(NAN, 100));
    EXPECT_FALSE(is_within_tolerance(100, INFINITY));
    EXPECT_FALSE(is_within_tolerance(100, 100, -0.01));
}

// ---- clamp ----

TEST(Clamp, BringsValuesIntoTheServersBoundsAndSaysSo) {
    SettingRecommendation big =
        memory_setting("maintenance_work_mem", 4 * kTerabyte, SettingUnit::kilobytes(), "RAM/16");
    ValueOrError<SettingRecommendation> clamped = clamp_to_bounds(big, 1024, 2147483647);
    ASSERT_TRUE(clamped.ok()) << clamped.error;
    EXPECT_DOUBLE_EQ(*clamped.value->value, 2147483647);
    EXPECT_EQ(clamped.value->display, "2147483647kB");
    EXPECT_NE(clamped.value->reason.find("4TB is above max_val"), std::string::npos)
        << clamped.value->reason;

    SettingRecommendation small =
        integer_setting("max_connections", 0, SettingUnit::none(), "budget");
    clamped = clamp_to_bounds(small, 1, 262143);
    ASSERT_TRUE(clamped.ok());
    EXPECT_DOUBLE_EQ(*clamped.value->value, 1);
    EXPECT_EQ(clamped.value->display, "1");
    EXPECT_NE(clamped.value->reason.find("below min_val"), std::string::npos);

    SettingRecommendation cost = real_setting("random_page_cost", 1.1, "ssd");
    clamped = clamp_to_bounds(cost, 2, 1.79769e+308);
    ASSERT_TRUE(clamped.ok());
    EXPECT_EQ(clamped.value->display, "2");
}

TEST(Clamp, LeavesValuesInsideTheBoundsAndEnumerationsAlone) {
    SettingRecommendation inside =
        memory_setting("shared_buffers", 4 * kGigabyte, SettingUnit::blocks_8kb(), "RAM/4");
    ValueOrError<SettingRecommendation> clamped = clamp_to_bounds(inside, 16, 1073741823);
    ASSERT_TRUE(clamped.ok());
    EXPECT_EQ(clamped.value->display, "4GB");
    EXPECT_EQ(clamped.value->reason, "RAM/4");
    SettingRecommendation huge = enum_setting("huge_pages", "try", "2GB");
    clamped = clamp_to_bounds(huge, 0, 0);
    ASSERT_TRUE(clamped.ok());
    EXPECT_EQ(clamped.value->display, "try");
}

TEST(Clamp, RefusesInvalidBoundsNamingTheSetting) {
    SettingRecommendation setting =
        integer_setting("max_connections", 100, SettingUnit::none(), "");
    std::string error = clamp_to_bounds(setting, 10, 5).error;
    EXPECT_NE(error.find("max_connections"), std::string::npos);
    EXPECT_NE(error.find("min_val <= max_val"), std::string::npos);
    EXPECT_FALSE(clamp_to_bounds(setting, NAN, 5).ok());
}

TEST(Clamp, AllRowsByNameFromPgSettingsBounds) {
    MachineProfile machine;
    machine.workload = Workload::dw;
    machine.memory_bytes = 64 * kGigabyte;
    machine.cpus = 16;
    machine.storage = Storage::nvme;
    std::vector<SettingRecommendation> rows = *recommend_hardware_settings(machine).value;
    // A server that allows at most 1000 effective_io_concurrency and 4 workers per gather.
    std::vector<SettingBounds> bounds = {{"effective_io_concurrency", 0, 1000},
                                         {"max_parallel_workers_per_gather", 0, 4},
                                         {"shared_buffers", 16, 1073741823}};
    ValueOrError<std::vector<SettingRecommendation>> clamped = clamp_all_to_bounds(rows, bounds);
    ASSERT_TRUE(clamped.ok()) << clamped.error;
    EXPECT_EQ(row(*clamped.value, "effective_io_concurrency").display, "1000");
    EXPECT_EQ(row(*clamped.value, "max_parallel_workers_per_gather").display, "4");
    EXPECT_EQ(row(*clamped.value, "shared_buffers").display, "16GB");
    EXPECT_EQ(clamped.value->size(), rows.size());

    bounds.push_back({"work_mem", 100, 64});
    clamped = clamp_all_to_bounds(rows, bounds);
    EXPECT_FALSE(clamped.ok());
    EXPECT_NE(clamped.error.find("work_mem"), std::string::npos);
}

TEST(Builders, FillValueUnitAndDisplayConsistently) {
    SettingRecommendation setting =
        memory_setting("wal_buffers", 16 * kMegabyte, SettingUnit::blocks_8kb(), "why");
    EXPECT_DOUBLE_EQ(*setting.value, 2048);
    EXPECT_EQ(setting.unit, "8kB");
    EXPECT_EQ(setting.display, "16MB");
    EXPECT_EQ(format_real(1.1), "1.1");
    EXPECT_EQ(format_real(4), "4");
    EXPECT_EQ(format_real(0.9), "0.9");
}

}  // namespace
}  // namespace poolopt::core
