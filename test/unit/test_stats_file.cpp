#include "core/stats_file.hpp"

#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

using namespace poolopt::core;

namespace {

constexpr StatsFileShape kShape{15, 48, 200, 4, 96};

// A file as the extension writes it: header, then a payload of recognisable bytes.
std::vector<unsigned char> make_file(const StatsFileShape &shape, uint32_t adjustments) {
    std::vector<unsigned char> payload(size_t(stats_payload_bytes(shape, adjustments)));
    for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<unsigned char>(i * 7 + 3);
    StatsFileHeader header = make_stats_header(shape, adjustments, payload.data(), crc32c_portable);
    std::vector<unsigned char> file(sizeof header + payload.size());
    std::memcpy(file.data(), &header, sizeof header);
    std::memcpy(file.data() + sizeof header, payload.data(), payload.size());
    return file;
}

std::string reason(const std::vector<unsigned char> &file, const StatsFileShape &expected,
                   size_t size) {
    StatsFileSections sections{};
    char why[256] = "untouched";
    if (check_stats_file(file.data(), size, expected, crc32c_portable, &sections, why, sizeof why))
        return "";
    return why;
}

StatsFileHeader header_of(const std::vector<unsigned char> &file) {
    StatsFileHeader h;
    std::memcpy(&h, file.data(), sizeof h);
    return h;
}

void set_header(std::vector<unsigned char> &file, const StatsFileHeader &h) {
    std::memcpy(file.data(), &h, sizeof h);
}

}  // namespace

TEST(StatsFile, Crc32cMatchesTheStandardCheckValue) {
    // The check value of CRC-32C (RFC 3720, and PostgreSQL's pg_crc32c) for "123456789".
    EXPECT_EQ(crc32c_portable("123456789", 9), 0xE3069283u);
    EXPECT_EQ(crc32c_portable("", 0), 0u);
}

TEST(StatsFile, RoundTripFindsEverySection) {
    auto file = make_file(kShape, 3);
    StatsFileSections sections{};
    char why[128];
    ASSERT_TRUE(check_stats_file(file.data(), file.size(), kShape, crc32c_portable, &sections, why,
                                 sizeof why))
        << why;
    EXPECT_EQ(sections.group_header, sizeof(StatsFileHeader));
    EXPECT_EQ(sections.group_entries, sizeof(StatsFileHeader) + 48);
    EXPECT_EQ(sections.adjustments, sizeof(StatsFileHeader) + 48 + 200 * 96);
    EXPECT_EQ(sections.adjustment_count, 3u);
    EXPECT_EQ(sections.adjustments + 3 * 4, file.size());
    // The payload comes back byte for byte where it was put.
    EXPECT_EQ(file[sections.group_header], 3);
    EXPECT_EQ(file[sections.group_entries], static_cast<unsigned char>(48 * 7 + 3));
}

TEST(StatsFile, NoAdjustmentsIsValid) {
    auto file = make_file(kShape, 0);
    EXPECT_EQ(reason(file, kShape, file.size()), "");
}

TEST(StatsFile, TruncatedAtEveryLengthIsRejected) {
    auto file = make_file(kShape, 2);
    for (size_t size = 0; size < file.size(); ++size) {
        std::string why = reason(file, kShape, size);
        ASSERT_FALSE(why.empty()) << "accepted a file cut at " << size << " bytes";
        EXPECT_NE(why.find("truncated"), std::string::npos) << size << ": " << why;
    }
}

TEST(StatsFile, TrailingBytesAreRejected) {
    auto file = make_file(kShape, 1);
    file.push_back(0);
    EXPECT_NE(reason(file, kShape, file.size()).find("bytes after the header"), std::string::npos);
}

TEST(StatsFile, EveryFlippedByteIsRejected) {
    const auto good = make_file(kShape, 2);
    for (size_t at = 0; at < good.size(); ++at) {
        auto file = good;
        file[at] ^= 0x5A;
        ASSERT_NE(reason(file, kShape, file.size()), "") << "accepted a flip at byte " << at;
    }
    auto file = good;
    file[sizeof(StatsFileHeader) + 10] ^= 1;
    EXPECT_NE(reason(file, kShape, file.size()).find("checksum mismatch"), std::string::npos);
}

TEST(StatsFile, ForeignFilesAreNamedForWhatIsWrong) {
    const auto good = make_file(kShape, 1);
    struct Case {
        void (*change)(StatsFileHeader &);
        const char *expected;
    };
    const Case cases[] = {
        {[](StatsFileHeader &h) { h.magic = 0xDEADBEEF; }, "wrong magic number 0xdeadbeef"},
        {[](StatsFileHeader &h) { h.format_version = 7; }, "format version 7, expected 1"},
        {[](StatsFileHeader &h) { h.header_bytes = 12; }, "header of 12 bytes"},
        {[](StatsFileHeader &h) { h.shape.pg_major = 16; }, "major version 16, this is 15"},
        {[](StatsFileHeader &h) { h.shape.group_header_bytes = 40; }, "group table header of 40"},
        {[](StatsFileHeader &h) { h.shape.group_entry_bytes = 208; }, "group entries of 208"},
        {[](StatsFileHeader &h) { h.shape.adjustment_bytes = 8; }, "adjustment records of 8"},
        {[](StatsFileHeader &h) { h.shape.max_pools = 4; }, "max_pools = 4, now 96"},
        {[](StatsFileHeader &h) { h.payload_bytes += 1; }, "header says"},
        {[](StatsFileHeader &h) { h.adjustment_count = 0xFFFFFFFF; }, "truncated"},
    };
    for (const Case &c : cases) {
        auto file = good;
        StatsFileHeader h = header_of(file);
        c.change(h);
        set_header(file, h);
        std::string why = reason(file, kShape, file.size());
        EXPECT_NE(why.find(c.expected), std::string::npos) << "got: " << why;
    }
}

TEST(StatsFile, AReasonIsCutToTheBuffer) {
    auto file = make_file(kShape, 0);
    StatsFileSections sections{};
    char why[8];
    EXPECT_FALSE(
        check_stats_file(file.data(), 3, kShape, crc32c_portable, &sections, why, sizeof why));
    EXPECT_EQ(std::strlen(why), 7u);
}
