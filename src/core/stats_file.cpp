#include "core/stats_file.hpp"

#include <cstdio>
#include <cstring>

namespace poolopt::core {

namespace {

// Reflected Castagnoli polynomial, as iSCSI, ext4 and PostgreSQL use it.
constexpr uint32_t kCastagnoli = 0x82F63B78u;

struct Crc32cTable {
    uint32_t entries[256];
    constexpr Crc32cTable() : entries() {
        for (uint32_t i = 0; i < 256; ++i) {
            uint32_t crc = i;
            for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1) ? kCastagnoli : 0);
            entries[i] = crc;
        }
    }
};
constexpr Crc32cTable kCrc32cTable;

uint64_t group_section_bytes(const StatsFileShape &shape) {
    return uint64_t(shape.group_header_bytes) +
           uint64_t(shape.group_entry_bytes) * uint64_t(shape.max_pools);
}

bool fail(char *why, size_t why_size, const char *format, unsigned long long got,
          unsigned long long expected) {
    if (why && why_size) std::snprintf(why, why_size, format, got, expected);
    return false;
}

}  // namespace

uint32_t crc32c_portable(const void *bytes, size_t size) {
    const auto *p = static_cast<const unsigned char *>(bytes);
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < size; ++i) crc = kCrc32cTable.entries[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
    return crc ^ 0xFFFFFFFFu;
}

uint64_t stats_payload_bytes(const StatsFileShape &shape, uint32_t adjustment_count) {
    return group_section_bytes(shape) + uint64_t(shape.adjustment_bytes) * adjustment_count;
}

StatsFileHeader make_stats_header(const StatsFileShape &shape, uint32_t adjustment_count,
                                  const void *payload, Checksum checksum) {
    StatsFileHeader header;
    std::memset(&header, 0, sizeof header);
    header.magic = kStatsFileMagic;
    header.format_version = kStatsFileFormatVersion;
    header.header_bytes = sizeof(StatsFileHeader);
    header.shape = shape;
    header.adjustment_count = adjustment_count;
    header.payload_bytes = stats_payload_bytes(shape, adjustment_count);
    header.payload_checksum = checksum(payload, size_t(header.payload_bytes));
    return header;
}

bool check_stats_file(const void *file, size_t file_size, const StatsFileShape &expected,
                      Checksum checksum, StatsFileSections *sections, char *why, size_t why_size) {
    if (file_size < sizeof(StatsFileHeader))
        return fail(why, why_size, "truncated: %llu bytes, shorter than the %llu-byte header",
                    file_size, sizeof(StatsFileHeader));
    StatsFileHeader h;
    std::memcpy(&h, file, sizeof h);  // the buffer need not be aligned
    // Identity first: a foreign file should be called foreign, not corrupt.
    if (h.magic != kStatsFileMagic)
        return fail(why, why_size, "wrong magic number 0x%08llx, expected 0x%08llx", h.magic,
                    kStatsFileMagic);
    if (h.format_version != kStatsFileFormatVersion)
        return fail(why, why_size, "format version %llu, expected %llu", h.format_version,
                    kStatsFileFormatVersion);
    if (h.header_bytes != sizeof(StatsFileHeader))
        return fail(why, why_size, "header of %llu bytes, expected %llu", h.header_bytes,
                    sizeof(StatsFileHeader));
    if (h.shape.pg_major != expected.pg_major)
        return fail(why, why_size, "written by PostgreSQL major version %llu, this is %llu",
                    h.shape.pg_major, expected.pg_major);
    if (h.shape.group_header_bytes != expected.group_header_bytes)
        return fail(why, why_size, "group table header of %llu bytes, expected %llu",
                    h.shape.group_header_bytes, expected.group_header_bytes);
    if (h.shape.group_entry_bytes != expected.group_entry_bytes)
        return fail(why, why_size, "group entries of %llu bytes, expected %llu",
                    h.shape.group_entry_bytes, expected.group_entry_bytes);
    if (h.shape.adjustment_bytes != expected.adjustment_bytes)
        return fail(why, why_size, "adjustment records of %llu bytes, expected %llu",
                    h.shape.adjustment_bytes, expected.adjustment_bytes);
    if (h.shape.max_pools != expected.max_pools)
        return fail(why, why_size, "written with max_pools = %llu, now %llu", h.shape.max_pools,
                    expected.max_pools);

    // Sizes from here on are checked against the file before anything is multiplied out
    // of a count, so that a corrupt count cannot overflow.
    const uint64_t available = file_size - sizeof(StatsFileHeader);
    const uint64_t groups = group_section_bytes(expected);
    if (available < groups ||
        (expected.adjustment_bytes &&
         uint64_t(h.adjustment_count) > (available - groups) / expected.adjustment_bytes))
        return fail(why, why_size, "truncated: %llu payload bytes, shorter than %llu", available,
                    groups + uint64_t(expected.adjustment_bytes) * h.adjustment_count);
    const uint64_t payload = stats_payload_bytes(expected, h.adjustment_count);
    if (h.payload_bytes != payload)
        return fail(why, why_size, "header says %llu payload bytes, its counts make %llu",
                    h.payload_bytes, payload);
    if (available != payload)
        return fail(why, why_size, "%llu bytes after the header, expected %llu", available,
                    payload);
    const auto *bytes = static_cast<const unsigned char *>(file);
    const uint32_t actual = checksum(bytes + sizeof(StatsFileHeader), size_t(payload));
    if (actual != h.payload_checksum)
        return fail(why, why_size, "checksum mismatch: payload has 0x%08llx, header says 0x%08llx",
                    actual, h.payload_checksum);

    sections->group_header = sizeof(StatsFileHeader);
    sections->group_entries = sections->group_header + expected.group_header_bytes;
    sections->adjustments = sizeof(StatsFileHeader) + size_t(groups);
    sections->adjustment_count = h.adjustment_count;
    if (why && why_size) why[0] = '\0';
    return true;
}

}  // namespace poolopt::core
