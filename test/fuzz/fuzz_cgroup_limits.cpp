// The cgroup limit and usage files: v2 cpu.max, memory.max, memory.current, cpu.stat; v1
// cpu.cfs_quota_us with cpu.cfs_period_us (split at a NUL byte), memory.limit_in_bytes,
// cpuacct.usage. Every parser sees every input: the formats overlap.
#include <cmath>

#include "core/host_probe.hpp"
#include "fuzz_check.hpp"

using namespace poolopt::core;

namespace {

void check_cpu_limit(Limit<double> limit) {
    if (limit.limited()) FUZZ_CHECK(std::isfinite(limit.amount) && limit.amount > 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    std::string_view text = fuzz::as_text(data, size);
    auto [quota, period] = fuzz::split_at_nul(text);
    check_cpu_limit(parse_cgroup2_cpu_max(text));
    check_cpu_limit(parse_cgroup1_cpu_quota(quota, period));
    Limit<uint64_t> memory = parse_cgroup_memory_limit(text);
    if (memory.limited()) FUZZ_CHECK(memory.amount < (uint64_t{1} << 62));
    (void)parse_cgroup_memory_usage(text);
    (void)parse_cgroup2_cpu_usage_usec(text);
    // Two readings of v1 cpuacct.usage, a second apart.
    auto before = parse_cgroup1_cpuacct_usage_usec(quota);
    auto after = parse_cgroup1_cpuacct_usage_usec(period);
    if (before && after) {
        auto share = cgroup_cpu_utilisation(*before, *after, 1000000, 2.0);
        if (share) FUZZ_CHECK(*share >= 0 && *share <= 1);
    }
    return 0;
}
