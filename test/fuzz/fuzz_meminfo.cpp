// /proc/meminfo: MemTotal and MemAvailable in kB.
#include "core/host_probe.hpp"
#include "fuzz_check.hpp"

using namespace poolopt::core;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (auto meminfo = parse_meminfo(fuzz::as_text(data, size))) {
        FUZZ_CHECK(meminfo->total_bytes % 1024 == 0);
        FUZZ_CHECK(meminfo->available_bytes % 1024 == 0);
    }
    return 0;
}
