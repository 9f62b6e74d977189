// The format of pool_optimizer's statistics file (pg_stat/pool_optimizer.stat): a fixed
// header, then the payload. Pure: it encodes and checks bytes; the I/O lives in
// src/pg/persistence.cpp.
//
//   StatsFileHeader | group table header | group entry x max_pools
//                   | adjustment record x adjustment_count
//
// The records are written as the server holds them in memory, so the file is only ever
// read back by the same build layout: the header names the PostgreSQL major version and
// the size of every record type, and any difference makes the file foreign. The checksum
// covers the payload; the header's own fields are each checked against what is expected.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace poolopt::core {

constexpr uint32_t kStatsFileMagic = 0x504f5354;  // "POST"
// Bump whenever the payload's layout changes in a way the record sizes would not show.
constexpr uint32_t kStatsFileFormatVersion = 1;

// What the running server expects: its version and its record sizes.
struct StatsFileShape {
    uint32_t pg_major;  // PG_VERSION_NUM / 100
    uint32_t group_header_bytes;
    uint32_t group_entry_bytes;
    uint32_t adjustment_bytes;
    uint32_t max_pools;
};

struct StatsFileHeader {
    uint32_t magic;
    uint32_t format_version;
    uint32_t header_bytes;  // sizeof(StatsFileHeader) of the writer
    StatsFileShape shape;
    uint32_t adjustment_count;
    uint32_t payload_checksum;
    uint64_t payload_bytes;
};
static_assert(std::is_trivially_copyable_v<StatsFileHeader>);
// No padding: every byte of the header is a field that is checked.
static_assert(sizeof(StatsFileHeader) == 48);

// CRC-32C of a byte buffer. The extension passes PostgreSQL's (hardware-accelerated)
// implementation; crc32c_portable is the same function in plain C++, for tests.
using Checksum = uint32_t (*)(const void *bytes, size_t size);
uint32_t crc32c_portable(const void *bytes, size_t size);

// Payload bytes for a shape and a number of adjustment records.
uint64_t stats_payload_bytes(const StatsFileShape &shape, uint32_t adjustment_count);

// The header for a payload already laid out after it.
StatsFileHeader make_stats_header(const StatsFileShape &shape, uint32_t adjustment_count,
                                  const void *payload, Checksum checksum);

// Where the sections of a valid file start, as offsets into the file.
struct StatsFileSections {
    size_t group_header;
    size_t group_entries;
    size_t adjustments;
    uint32_t adjustment_count;
};

// Checks a whole file read into memory against the expected shape. On success fills
// `sections` and returns true; otherwise writes why into `why` (NUL-terminated, at most
// why_size bytes, e.g. "format version 7, expected 1") and returns false.
bool check_stats_file(const void *file, size_t file_size, const StatsFileShape &expected,
                      Checksum checksum, StatsFileSections *sections, char *why, size_t why_size);

}  // namespace poolopt::core
