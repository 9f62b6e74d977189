// /proc/self/mountinfo: the cgroup mounts, with their octal escapes decoded.
#include "core/host_probe.hpp"
#include "fuzz_check.hpp"

using namespace poolopt::core;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    std::string_view text = fuzz::as_text(data, size);
    auto mounts = parse_mountinfo(text);
    if (!mounts) return 0;
    for (const auto *mount :
         {&mounts->unified, &mounts->cpu_v1, &mounts->memory_v1, &mounts->cpuacct_v1}) {
        // Decoding only ever shortens a field, and a field came from a line of the text.
        if (*mount) FUZZ_CHECK((*mount)->root.size() + (*mount)->mount_point.size() < size);
    }
    return 0;
}
