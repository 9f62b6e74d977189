// /proc/self/cgroup: the process's cgroup path per hierarchy.
#include "core/host_probe.hpp"
#include "fuzz_check.hpp"

using namespace poolopt::core;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (auto membership = parse_proc_self_cgroup(fuzz::as_text(data, size))) {
        for (const std::string *path :
             {&membership->unified_path, &membership->cpu_v1_path, &membership->memory_v1_path,
              &membership->cpuacct_v1_path}) {
            FUZZ_CHECK(path->empty() || path->front() == '/');
        }
    }
    return 0;
}
