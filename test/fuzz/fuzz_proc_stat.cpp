// /proc/stat: two snapshots (split at a NUL byte), their tick counts, CPU count and the
// usage between them.
#include "core/host_probe.hpp"
#include "fuzz_check.hpp"

using namespace poolopt::core;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    auto [before_text, after_text] = fuzz::split_at_nul(fuzz::as_text(data, size));
    if (auto count = parse_proc_stat_cpu_count(before_text)) FUZZ_CHECK(*count > 0);
    auto before = parse_proc_stat(before_text);
    auto after = parse_proc_stat(after_text);
    if (!before || !after) return 0;
    FUZZ_CHECK(!cpu_usage_between(*before, *before));  // no tick elapsed
    if (auto usage = cpu_usage_between(*before, *after)) {
        FUZZ_CHECK(usage->utilisation >= 0 && usage->utilisation <= 1);
        FUZZ_CHECK(usage->iowait >= 0 && usage->iowait <= 1);
        FUZZ_CHECK(usage->utilisation + usage->iowait <= 1 + 1e-9);
    }
    return 0;
}
