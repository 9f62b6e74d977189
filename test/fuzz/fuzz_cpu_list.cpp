// sysfs CPU lists such as /sys/devices/system/cpu/online: "0-3,6,8-9".
#include "core/host_probe.hpp"
#include "fuzz_check.hpp"

using namespace poolopt::core;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (auto count = parse_cpu_list_count(fuzz::as_text(data, size))) {
        FUZZ_CHECK(*count >= 1 && *count <= (1 << 20));
    }
    return 0;
}
