// The statistics file read back at startup (pg_stat/pool_optimizer.stat). The first input
// byte chooses the expected shape and the size of the reason buffer, and whether the
// checksum is set right, so that the fuzzer gets past it to the checks behind it.
#include <cstring>
#include <vector>

#include "core/stats_file.hpp"
#include "fuzz_check.hpp"

using namespace poolopt::core;

namespace {

// Small shapes keep valid files small; one has zero-byte adjustment records.
constexpr StatsFileShape kShapes[] = {
    {15, 16, 24, 8, 3},
    {15, 8, 4, 0, 2},
    {16, 64, 128, 32, 1},
    {15, 0, 0, 1, 0},
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    const uint8_t control = data[0];
    const StatsFileShape &expected = kShapes[control & 3];
    const bool fix_checksum = control & 4;
    const size_t why_size = (control >> 3) & 1 ? 8 : (control >> 4) & 1 ? 0 : 200;

    std::vector<uint8_t> file(data + 1, data + size);
    if (fix_checksum && file.size() >= sizeof(StatsFileHeader)) {
        uint32_t crc = crc32c_portable(file.data() + sizeof(StatsFileHeader),
                                       file.size() - sizeof(StatsFileHeader));
        std::memcpy(file.data() + offsetof(StatsFileHeader, payload_checksum), &crc, sizeof crc);
    }

    char why[200];
    std::memset(why, 'x', sizeof why);
    StatsFileSections sections{};
    bool valid = check_stats_file(file.data(), file.size(), expected, crc32c_portable, &sections,
                                  why_size ? why : nullptr, why_size);
    if (why_size) FUZZ_CHECK(std::memchr(why, '\0', why_size) != nullptr);
    if (!valid) {
        if (why_size) FUZZ_CHECK(why[0] != '\0');
        return 0;
    }
    // Every section the reader will copy from lies inside the file.
    FUZZ_CHECK(sections.group_header == sizeof(StatsFileHeader));
    FUZZ_CHECK(sections.group_entries == sections.group_header + expected.group_header_bytes);
    FUZZ_CHECK(sections.adjustments ==
               sections.group_entries + uint64_t(expected.group_entry_bytes) * expected.max_pools);
    FUZZ_CHECK(sections.adjustments +
                   uint64_t(expected.adjustment_bytes) * sections.adjustment_count ==
               file.size());
    // A file that passes is one the writer could have written.
    StatsFileHeader rewritten =
        make_stats_header(expected, sections.adjustment_count,
                          file.data() + sizeof(StatsFileHeader), crc32c_portable);
    FUZZ_CHECK(std::memcmp(&rewritten, file.data(), sizeof rewritten) == 0);
    return 0;
}
