// Where a cgroup lies below a mount: a mount root and a cgroup path, split at a NUL byte.
#include "core/host_probe.hpp"
#include "fuzz_check.hpp"

using namespace poolopt::core;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    auto [mount_root, cgroup_path] = fuzz::split_at_nul(fuzz::as_text(data, size));
    auto within = cgroup_path_within_mount(mount_root, cgroup_path);
    if (!within) return 0;
    FUZZ_CHECK(!within->empty() && within->front() == '/');
    FUZZ_CHECK(within->size() <= cgroup_path.size());
    // The result is joined to a mount point and read: it must not climb out of it.
    std::string_view rest = *within;
    while (!rest.empty()) {
        size_t slash = rest.find('/');
        FUZZ_CHECK(rest.substr(0, slash) != "..");
        rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
    }
    return 0;
}
