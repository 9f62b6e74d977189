// /proc/loadavg: three load averages.
#include <cmath>

#include "core/host_probe.hpp"
#include "fuzz_check.hpp"

using namespace poolopt::core;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (auto load = parse_loadavg(fuzz::as_text(data, size))) {
        for (double value : {load->one, load->five, load->fifteen}) {
            FUZZ_CHECK(std::isfinite(value) && value >= 0);
        }
    }
    return 0;
}
