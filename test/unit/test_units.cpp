// Units: memory sizes parsed as PostgreSQL parses them, settings printed as SHOW prints
// them, and pg_settings unit strings both ways.
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "core/units.hpp"

namespace poolopt::core {
namespace {

uint64_t parsed_bytes(const std::string &text, SettingUnit bare = SettingUnit::bytes()) {
    ValueOrError<uint64_t> result = parse_memory_size(text, bare);
    EXPECT_TRUE(result.ok()) << text << ": " << result.error;
    EXPECT_TRUE(result.error.empty());
    return result.value.value_or(0);
}

std::string parse_error(const std::string &text, SettingUnit bare = SettingUnit::bytes()) {
    ValueOrError<uint64_t> result = parse_memory_size(text, bare);
    EXPECT_FALSE(result.ok()) << text << " parsed as " << result.value.value_or(0);
    return result.error;
}

// ---- parse_memory_size ----

TEST(ParseMemorySize, ReadsEveryUnitPostgresqlAccepts) {
    EXPECT_EQ(parsed_bytes("512B"), 512u);
    EXPECT_EQ(parsed_bytes("8kB"), 8 * kKilobyte);
    EXPECT_EQ(parsed_bytes("20560kB"), 20560 * kKilobyte);
    EXPECT_EQ(parsed_bytes("512MB"), 512 * kMegabyte);
    EXPECT_EQ(parsed_bytes("16GB"), 16 * kGigabyte);
    EXPECT_EQ(parsed_bytes("1TB"), kTerabyte);
}

TEST(ParseMemorySize, AcceptsBlanksAroundAndBetweenAsPostgresqlDoes) {
    EXPECT_EQ(parsed_bytes("16 GB"), 16 * kGigabyte);
    EXPECT_EQ(parsed_bytes("  16GB\n"), 16 * kGigabyte);
    EXPECT_EQ(parsed_bytes("\t4 \t MB "), 4 * kMegabyte);
}

TEST(ParseMemorySize, AcceptsDecimalFractionsRoundedToTheByte) {
    EXPECT_EQ(parsed_bytes("1.5GB"), 1610612736u);
    EXPECT_EQ(parsed_bytes("0.5kB"), 512u);
    EXPECT_EQ(parsed_bytes(".25MB"), 262144u);
    EXPECT_EQ(parsed_bytes("16.GB"), 16 * kGigabyte);
    EXPECT_EQ(parsed_bytes("0.0001kB"), 0u);  // 0.1 byte rounds to none
}

TEST(ParseMemorySize, CountsBareNumbersInTheGivenUnit) {
    EXPECT_EQ(parsed_bytes("1048576"), kMegabyte);
    EXPECT_EQ(parsed_bytes("20560", SettingUnit::kilobytes()), 20560 * kKilobyte);
    EXPECT_EQ(parsed_bytes("524288", SettingUnit::blocks_8kb()), 4 * kGigabyte);
    EXPECT_EQ(parsed_bytes("1024", SettingUnit::megabytes()), kGigabyte);
    // A unit in the text wins over the bare-number unit.
    EXPECT_EQ(parsed_bytes("2GB", SettingUnit::blocks_8kb()), 2 * kGigabyte);
}

TEST(ParseMemorySize, RefusesWrongCaseNamingTheUnitMeant) {
    std::string error = parse_error("16gb");
    EXPECT_NE(error.find("case-sensitive"), std::string::npos) << error;
    EXPECT_NE(error.find("\"GB\""), std::string::npos) << error;
    error = parse_error("8KB");
    EXPECT_NE(error.find("\"kB\""), std::string::npos) << error;
}

TEST(ParseMemorySize, RefusesUnknownUnitsNamingTheValidOnes) {
    for (const char *text : {"16 gigs", "16G", "16 GiB", "16 G B", "1e3", "0x10MB", "16GBs"}) {
        std::string error = parse_error(text);
        EXPECT_NE(error.find("B, kB, MB, GB and TB"), std::string::npos) << text << ": " << error;
    }
}

TEST(ParseMemorySize, RefusesNegativeEmptyAndNonNumbers) {
    EXPECT_NE(parse_error("-1GB").find("negative"), std::string::npos);
    EXPECT_NE(parse_error("").find("empty"), std::string::npos);
    EXPECT_NE(parse_error("   ").find("empty"), std::string::npos);
    EXPECT_NE(parse_error("GB").find("start with a number"), std::string::npos);
    EXPECT_NE(parse_error("+5GB").find("start with a number"), std::string::npos);
    EXPECT_NE(parse_error(".").find("start with a number"), std::string::npos);
}

TEST(ParseMemorySize, RefusesABareNumberWhenNoUnitIsImplied) {
    std::string error = parse_error("100", SettingUnit::none());
    EXPECT_NE(error.find("no unit"), std::string::npos) << error;
    EXPECT_FALSE(parse_memory_size("100", SettingUnit::milliseconds()).ok());
}

TEST(ParseMemorySize, RefusesSizesBeyondInt64Bytes) {
    EXPECT_EQ(parsed_bytes("8388607TB"), 8388607 * kTerabyte);
    std::string error = parse_error("8388608TB");
    EXPECT_NE(error.find("too large"), std::string::npos) << error;
    EXPECT_NE(error.find("8388607TB"), std::string::npos) << error;
    EXPECT_FALSE(parse_memory_size("99999999999999999999999B").ok());
    EXPECT_FALSE(parse_memory_size("9223372036854775807.9B").ok());
    EXPECT_EQ(parsed_bytes("9223372036854775807B"), 9223372036854775807u);
}

// ---- pg_settings units ----

TEST(SettingUnits, ParseWhatPgSettingsShows) {
    struct Case {
        const char *text;
        SettingUnit unit;
    } cases[] = {
        {"", SettingUnit::none()},
        {"B", SettingUnit::bytes()},
        {"kB", SettingUnit::kilobytes()},
        {"8kB", SettingUnit::blocks_8kb()},
        {"MB", SettingUnit::megabytes()},
        {"ms", SettingUnit::milliseconds()},
        {"s", SettingUnit::seconds()},
        {"min", SettingUnit::minutes()},
        {"16kB", SettingUnit{UnitKind::memory, 16 * kKilobyte}},
        {"16MB", SettingUnit{UnitKind::memory, 16 * kMegabyte}},
        {"us", SettingUnit{UnitKind::time, 1}},
        {"d", SettingUnit{UnitKind::time, 86400ull * 1000 * 1000}},
    };
    for (const Case &c : cases) {
        ValueOrError<SettingUnit> parsed = parse_setting_unit(c.text);
        ASSERT_TRUE(parsed.ok()) << c.text << ": " << parsed.error;
        EXPECT_EQ(*parsed.value, c.unit) << c.text;
        EXPECT_EQ(setting_unit_name(*parsed.value), c.text) << c.text;
    }
}

TEST(SettingUnits, RefuseUnknownUnitsNamingTheKnownOnes) {
    for (const char *text : {"kb", "8", "8s", "0kB", "blocks", "99999999kB"}) {
        ValueOrError<SettingUnit> parsed = parse_setting_unit(text);
        EXPECT_FALSE(parsed.ok()) << text;
        EXPECT_NE(parsed.error.find("8kB"), std::string::npos) << parsed.error;
    }
}

TEST(SettingUnits, ConvertValuesToAndFromBytesAndMicroseconds) {
    EXPECT_EQ(setting_value_to_base(524288, SettingUnit::blocks_8kb()), 4 * kGigabyte);
    EXPECT_EQ(setting_value_to_base(20560, SettingUnit::kilobytes()), 20560 * kKilobyte);
    EXPECT_EQ(setting_value_to_base(4096, SettingUnit::megabytes()), 4 * kGigabyte);
    EXPECT_EQ(setting_value_to_base(60000, SettingUnit::milliseconds()), 60000000u);
    EXPECT_EQ(setting_value_to_base(30, SettingUnit::seconds()), 30000000u);
    EXPECT_EQ(setting_value_to_base(200, SettingUnit::none()), 200u);
    EXPECT_FALSE(setting_value_to_base(-1, SettingUnit::kilobytes()).has_value());
    EXPECT_FALSE(setting_value_to_base(INT64_MAX, SettingUnit::megabytes()).has_value());

    EXPECT_EQ(base_to_setting_value(4 * kGigabyte, SettingUnit::blocks_8kb()), 524288u);
    // Rounded down: a budget is never exceeded by rounding.
    EXPECT_EQ(base_to_setting_value(20001 * kKilobyte, SettingUnit::blocks_8kb()), 2500u);
    EXPECT_EQ(base_to_setting_value(1500000, SettingUnit::seconds()), 1u);
}

// ---- parse_setting_number ----

double parsed_number(const std::string &text, SettingUnit unit) {
    ValueOrError<double> result = parse_setting_number(text, unit);
    EXPECT_TRUE(result.ok()) << text << ": " << result.error;
    return result.value.value_or(-1);
}

TEST(ParseSettingNumber, ReadsValuesAsConfigurationFilesWriteThem) {
    EXPECT_DOUBLE_EQ(parsed_number("4GB", SettingUnit::blocks_8kb()), 524288);
    EXPECT_DOUBLE_EQ(parsed_number("524288", SettingUnit::blocks_8kb()), 524288);
    EXPECT_DOUBLE_EQ(parsed_number(" 16 MB ", SettingUnit::kilobytes()), 16384);
    EXPECT_DOUBLE_EQ(parsed_number("1min", SettingUnit::milliseconds()), 60000);
    EXPECT_DOUBLE_EQ(parsed_number("90s", SettingUnit::milliseconds()), 90000);
    EXPECT_DOUBLE_EQ(parsed_number("1.5h", SettingUnit::seconds()), 5400);
    EXPECT_DOUBLE_EQ(parsed_number("1.1", SettingUnit::none()), 1.1);
    EXPECT_DOUBLE_EQ(parsed_number("-1", SettingUnit::blocks_8kb()), -1);
    EXPECT_DOUBLE_EQ(parsed_number("1e3", SettingUnit::none()), 1000);
    // A fraction of the setting's unit is left for the caller to round.
    EXPECT_DOUBLE_EQ(parsed_number("12kB", SettingUnit::blocks_8kb()), 1.5);
}

TEST(ParseSettingNumber, RefusesUnitsOfTheWrongKindAndGarbage) {
    for (auto [text, unit] : {std::pair<const char *, SettingUnit>{"4GB", SettingUnit::none()},
                              {"4GB", SettingUnit::milliseconds()},
                              {"1min", SettingUnit::kilobytes()},
                              {"4gb", SettingUnit::kilobytes()},
                              {"try", SettingUnit::none()},
                              {"", SettingUnit::none()},
                              {"inf", SettingUnit::none()},
                              {"nan", SettingUnit::none()},
                              {"0x10", SettingUnit::none()}}) {
        ValueOrError<double> result = parse_setting_number(text, unit);
        EXPECT_FALSE(result.ok()) << text << " parsed as " << result.value.value_or(0);
        EXPECT_NE(result.error.find(std::string("\"") + text + "\""), std::string::npos)
            << result.error;
    }
}

// ---- printing ----

TEST(FormatSettingValue, PrintsTheLargestUnitThatDividesAsShowDoes) {
    EXPECT_EQ(format_setting_value(4194304, SettingUnit::kilobytes()), "4GB");
    EXPECT_EQ(format_setting_value(20560, SettingUnit::kilobytes()), "20560kB");
    EXPECT_EQ(format_setting_value(16384, SettingUnit::kilobytes()), "16MB");
    EXPECT_EQ(format_setting_value(1073741824, SettingUnit::kilobytes()), "1TB");
    EXPECT_EQ(format_setting_value(1, SettingUnit::kilobytes()), "1kB");
}

TEST(FormatSettingValue, PrintsBlockSettingsInKilobytesAtLeast) {
    EXPECT_EQ(format_setting_value(524288, SettingUnit::blocks_8kb()), "4GB");
    EXPECT_EQ(format_setting_value(2048, SettingUnit::blocks_8kb()), "16MB");
    EXPECT_EQ(format_setting_value(983, SettingUnit::blocks_8kb()), "7864kB");
    EXPECT_EQ(format_setting_value(1, SettingUnit::blocks_8kb()), "8kB");
    EXPECT_EQ(format_setting_value(16384, SettingUnit::blocks_8kb()), "128MB");
}

TEST(FormatSettingValue, PrintsMegabyteSettingsInMegabytesAtLeast) {
    EXPECT_EQ(format_setting_value(4096, SettingUnit::megabytes()), "4GB");
    EXPECT_EQ(format_setting_value(100, SettingUnit::megabytes()), "100MB");
    EXPECT_EQ(format_setting_value(1536, SettingUnit::megabytes()), "1536MB");
}

TEST(FormatSettingValue, PrintsBytesDownToBytes) {
    EXPECT_EQ(format_setting_value(16777216, SettingUnit::bytes()), "16MB");
    EXPECT_EQ(format_setting_value(1000, SettingUnit::bytes()), "1000B");
}

TEST(FormatSettingValue, PrintsTimesAsShowDoes) {
    EXPECT_EQ(format_setting_value(60000, SettingUnit::milliseconds()), "1min");
    EXPECT_EQ(format_setting_value(90000, SettingUnit::milliseconds()), "90s");
    EXPECT_EQ(format_setting_value(1500, SettingUnit::milliseconds()), "1500ms");
    EXPECT_EQ(format_setting_value(86400000, SettingUnit::milliseconds()), "1d");
    EXPECT_EQ(format_setting_value(300, SettingUnit::seconds()), "5min");
    EXPECT_EQ(format_setting_value(7200, SettingUnit::seconds()), "2h");
    EXPECT_EQ(format_setting_value(1, SettingUnit::minutes()), "1min");
}

TEST(FormatSettingValue, PrintsZeroNegativeAndUnitlessBare) {
    EXPECT_EQ(format_setting_value(0, SettingUnit::milliseconds()), "0");
    EXPECT_EQ(format_setting_value(-1, SettingUnit::blocks_8kb()), "-1");
    EXPECT_EQ(format_setting_value(200, SettingUnit::none()), "200");
}

TEST(FormatSettingValue, FallsBackToItsOwnUnitWhenBytesWouldOverflow) {
    EXPECT_EQ(format_setting_value(INT64_MAX, SettingUnit::megabytes()), "9223372036854775807MB");
}

TEST(FormatSettingValue, RoundTripsThroughParseMemorySize) {
    const SettingUnit units[] = {SettingUnit::kilobytes(), SettingUnit::blocks_8kb(),
                                 SettingUnit::megabytes()};
    const int64_t values[] = {1, 7, 983, 1024, 2048, 20560, 131072, 524288, 1048577, 1073741824};
    for (SettingUnit unit : units) {
        for (int64_t value : values) {
            std::string shown = format_setting_value(value, unit);
            ValueOrError<uint64_t> bytes = parse_memory_size(shown);
            ASSERT_TRUE(bytes.ok()) << shown << ": " << bytes.error;
            EXPECT_EQ(base_to_setting_value(*bytes.value, unit), uint64_t(value)) << shown;
        }
    }
}

TEST(FormatBytes, PrintsExactlyDownToBytes) {
    EXPECT_EQ(format_bytes(4 * kGigabyte), "4GB");
    EXPECT_EQ(format_bytes(512), "512B");
    EXPECT_EQ(format_bytes(0), "0B");
    EXPECT_EQ(format_bytes(kTerabyte + kKilobyte), "1073741825kB");
}

TEST(DescribeBytes, RoundsToOneDecimalForSentences) {
    EXPECT_EQ(describe_bytes(16 * kGigabyte), "16GB");
    EXPECT_EQ(describe_bytes(3328599654), "3.1GB");
    EXPECT_EQ(describe_bytes(8079125), "7.7MB");
    EXPECT_EQ(describe_bytes(20560 * kKilobyte), "20.1MB");
    EXPECT_EQ(describe_bytes(512), "512B");
    EXPECT_EQ(describe_bytes(kGigabyte - 1000), "1.0GB");
}

TEST(DescribeSeconds, PrintsDurationsForSentences) {
    EXPECT_EQ(describe_seconds(0.15), "150ms");
    EXPECT_EQ(describe_seconds(2.3), "2.3s");
    EXPECT_EQ(describe_seconds(30), "30s");
    EXPECT_EQ(describe_seconds(90), "90s");
    EXPECT_EQ(describe_seconds(60), "1min");
    EXPECT_EQ(describe_seconds(600), "10min");
    EXPECT_EQ(describe_seconds(7200), "2h");
    EXPECT_EQ(describe_seconds(NAN), "unknown");
}

TEST(ValueOrError, CarriesAValueOrAMessage) {
    auto good = ValueOrError<int>::of(3);
    EXPECT_TRUE(good.ok());
    EXPECT_TRUE(good.error.empty());
    auto bad = ValueOrError<int>::failure("no");
    EXPECT_FALSE(bad.ok());
    EXPECT_EQ(bad.error, "no");
}

}  // namespace
}  // namespace poolopt::core
