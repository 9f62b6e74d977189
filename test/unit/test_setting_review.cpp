// Recommendations held against pg_settings rows: the server's unit and bounds, the 5 %
// churn tolerance, values pending in the configuration files, priority and ALTER SYSTEM.
#include <string>

#include <gtest/gtest.h>

#include "core/setting_review.hpp"

namespace poolopt::core {
namespace {

ServerSetting server(std::string name, std::string vartype, std::string unit, std::string value,
                     std::string context = "sighup") {
    ServerSetting s;
    s.name = std::move(name);
    s.vartype = std::move(vartype);
    s.unit = std::move(unit);
    s.value = std::move(value);
    s.context = std::move(context);
    return s;
}

ServerSetting shared_buffers(std::string value) {
    ServerSetting s = server("shared_buffers", "integer", "8kB", std::move(value), "postmaster");
    s.min_value = 16;
    s.max_value = 1073741823;
    return s;
}

ReviewedSetting reviewed(SettingRecommendation rec, Evidence evidence, const ServerSetting &s) {
    ValueOrError<ReviewedSetting> result = review_setting(std::move(rec), evidence, s);
    EXPECT_TRUE(result.ok()) << result.error;
    return result.value.value_or(ReviewedSetting{});
}

bool contains(const std::string &text, const std::string &part) {
    return text.find(part) != std::string::npos;
}

SettingRecommendation four_gigabytes() {
    return memory_setting("shared_buffers", 4 * kGigabyte, SettingUnit::blocks_8kb(), "RAM/4");
}

TEST(SettingReview, AChangeCarriesItsPriorityContextAndStatement) {
    ReviewedSetting row = reviewed(four_gigabytes(), Evidence::hardware, shared_buffers("16384"));
    EXPECT_EQ(row.name, "shared_buffers");
    EXPECT_EQ(row.current_value, "128MB");
    EXPECT_EQ(row.recommended_value, "4GB");
    EXPECT_EQ(row.recommended_setting, "524288");
    EXPECT_EQ(row.unit, "8kB");
    EXPECT_EQ(row.context, "restart");
    EXPECT_EQ(row.status, Status::change);
    EXPECT_EQ(row.priority, Priority::medium);
    EXPECT_EQ(row.alter_system, "ALTER SYSTEM SET shared_buffers = '4GB';");
    EXPECT_EQ(row.reason, "RAM/4; takes effect after a restart");
}

TEST(SettingReview, WithinFivePercentIsFineAndNotChurned) {
    // 3.9GB against 4GB: 2.5 % off.
    ReviewedSetting row = reviewed(four_gigabytes(), Evidence::telemetry, shared_buffers("511180"));
    EXPECT_EQ(row.status, Status::fine);
    EXPECT_FALSE(row.priority.has_value());
    EXPECT_TRUE(row.alter_system.empty());
    EXPECT_TRUE(contains(row.reason, "within 5 % of it: left as it is")) << row.reason;
    // 3.7GB: 7.5 % off.
    row = reviewed(four_gigabytes(), Evidence::hardware, shared_buffers("485000"));
    EXPECT_EQ(row.status, Status::change);
    EXPECT_EQ(row.priority, Priority::low);
}

TEST(SettingReview, PriorityHighForTelemetryMediumFromAFactorOfTwoElseLow) {
    EXPECT_EQ(priority_of(Evidence::telemetry, ValueType::integer, 100, 101), Priority::high);
    EXPECT_EQ(priority_of(Evidence::hardware, ValueType::integer, 100, 200), Priority::medium);
    EXPECT_EQ(priority_of(Evidence::hardware, ValueType::integer, 200, 100), Priority::medium);
    EXPECT_EQ(priority_of(Evidence::hardware, ValueType::real, 4, 1.1), Priority::medium);
    EXPECT_EQ(priority_of(Evidence::hardware, ValueType::real, 0.5, 0.9), Priority::low);
    EXPECT_EQ(priority_of(Evidence::hardware, ValueType::integer, 0, 60000), Priority::medium);
    EXPECT_EQ(priority_of(Evidence::hardware, ValueType::integer, std::nullopt, 1),
              Priority::medium);
    EXPECT_EQ(priority_of(Evidence::hardware, ValueType::enumeration, std::nullopt, 0),
              Priority::low);
    EXPECT_STREQ(priority_name(Priority::high), "high");
    EXPECT_STREQ(status_name(Status::fine), "fine");
}

TEST(SettingReview, ConvertsToTheServersBlockSize) {
    // A server built with 16kB blocks counts shared_buffers in 16kB.
    ServerSetting s = shared_buffers("8192");
    s.unit = "16kB";
    ReviewedSetting row = reviewed(four_gigabytes(), Evidence::hardware, s);
    EXPECT_EQ(row.recommended_setting, "262144");
    EXPECT_EQ(row.recommended_value, "4GB");
    EXPECT_EQ(row.current_value, "128MB");
    EXPECT_EQ(row.unit, "16kB");
}

TEST(SettingReview, ClampsIntoTheServersBounds) {
    ServerSetting s = server("effective_io_concurrency", "integer", "", "1");
    s.min_value = 0;
    s.max_value = 0;  // a platform without posix_fadvise
    ReviewedSetting row =
        reviewed(integer_setting("effective_io_concurrency", 200, SettingUnit::none(), "ssd"),
                 Evidence::hardware, s);
    EXPECT_EQ(row.recommended_value, "0");
    EXPECT_TRUE(contains(row.reason, "above max_val on this server")) << row.reason;
}

TEST(SettingReview, ValuesPendingInTheFilesCountAsWhatTheServerWillRun) {
    ServerSetting s = shared_buffers("16384");
    s.pending_restart = true;
    s.file_value = "4GB";
    ReviewedSetting row = reviewed(four_gigabytes(), Evidence::hardware, s);
    EXPECT_EQ(row.status, Status::fine);
    EXPECT_TRUE(row.pending_restart);
    EXPECT_EQ(row.pending_value, "4GB");
    EXPECT_TRUE(contains(row.reason, "already set 4GB, in effect after a restart")) << row.reason;

    s.file_value = "1GB";
    row = reviewed(four_gigabytes(), Evidence::hardware, s);
    EXPECT_EQ(row.status, Status::change);
    EXPECT_EQ(row.pending_value, "1GB");
    EXPECT_EQ(row.priority, Priority::medium);  // 1GB -> 4GB

    // The same value written another way is not pending.
    s.file_value = "131072kB";
    row = reviewed(four_gigabytes(), Evidence::hardware, s);
    EXPECT_FALSE(row.pending_value.has_value());
    EXPECT_EQ(row.current_value, "128MB");
}

TEST(SettingReview, EnumerationsCompareIgnoringCase) {
    ServerSetting s = server("huge_pages", "enum", "", "try", "postmaster");
    ReviewedSetting row =
        reviewed(enum_setting("huge_pages", "try", "2GB or more"), Evidence::hardware, s);
    EXPECT_EQ(row.status, Status::fine);
    s.value = "off";
    row = reviewed(enum_setting("huge_pages", "try", "2GB or more"), Evidence::hardware, s);
    EXPECT_EQ(row.status, Status::change);
    EXPECT_EQ(row.priority, Priority::low);
    EXPECT_EQ(row.recommended_setting, "try");
    s.file_value = "TRY";
    row = reviewed(enum_setting("huge_pages", "try", "2GB or more"), Evidence::hardware, s);
    EXPECT_EQ(row.status, Status::fine);
}

TEST(SettingReview, RealsAndTimes) {
    ServerSetting cost = server("random_page_cost", "real", "", "4");
    ReviewedSetting row =
        reviewed(real_setting("random_page_cost", 1.1, "ssd"), Evidence::hardware, cost);
    EXPECT_EQ(row.current_value, "4");
    EXPECT_EQ(row.recommended_value, "1.1");
    EXPECT_EQ(row.recommended_setting, "1.1");
    EXPECT_EQ(row.alter_system, "ALTER SYSTEM SET random_page_cost = '1.1';");

    ServerSetting timeout =
        server("idle_in_transaction_session_timeout", "integer", "ms", "0", "user");
    row = reviewed(integer_setting("idle_in_transaction_session_timeout", 60000,
                                   SettingUnit::milliseconds(), "idle"),
                   Evidence::telemetry, timeout);
    EXPECT_EQ(row.current_value, "0");
    EXPECT_EQ(row.recommended_value, "1min");
    EXPECT_EQ(row.context, "reload");
    EXPECT_EQ(row.priority, Priority::high);
}

TEST(SettingReview, RefusesMismatchedKinds) {
    ServerSetting s = server("huge_pages", "enum", "", "try");
    EXPECT_FALSE(review_setting(integer_setting("huge_pages", 1, SettingUnit::none(), ""),
                                Evidence::hardware, s)
                     .ok());
    ServerSetting time = server("shared_buffers", "integer", "ms", "1000");
    std::string error = review_setting(four_gigabytes(), Evidence::hardware, time).error;
    EXPECT_TRUE(contains(error, "shared_buffers is recommended in \"8kB\"")) << error;
}

TEST(SettingReview, ContextsAndStatements) {
    EXPECT_EQ(change_context("postmaster"), "restart");
    EXPECT_EQ(change_context("sighup"), "reload");
    EXPECT_EQ(change_context("superuser"), "reload");
    EXPECT_EQ(change_context("user"), "reload");
    EXPECT_EQ(change_context("backend"), "new sessions");
    EXPECT_EQ(change_context("internal"), "none");
    EXPECT_EQ(alter_system_statement("search_path", "a'b"),
              "ALTER SYSTEM SET search_path = 'a''b';");
}

TEST(SettingReview, NumericValuesOfServerSettings) {
    EXPECT_DOUBLE_EQ(*numeric_value(shared_buffers("16384")).value, 16384);
    EXPECT_DOUBLE_EQ(*base_value(shared_buffers("16384")).value, 128.0 * kMegabyte);
    EXPECT_DOUBLE_EQ(*base_value(server("t", "integer", "ms", "60000")).value, 60e6);
    EXPECT_FALSE(numeric_value(server("huge_pages", "enum", "", "try")).ok());
    EXPECT_FALSE(numeric_value(server("x", "integer", "parsecs", "1")).ok());
}

}  // namespace
}  // namespace poolopt::core
