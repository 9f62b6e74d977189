// What the host-probe tests share: the captured /proc, cgroup and sysfs trees of
// test/fixtures by name (README.md there says what each tree stands for), byte units, and a
// field-by-field check of CPU times.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "core/host_probe.hpp"

namespace poolopt::core::host_test_support {

inline std::string fixture(const std::string &name) {
    return std::string(FIXTURE_DIR) + "/" + name;
}

inline constexpr uint64_t kKiB = 1024;
inline constexpr uint64_t kMiB = 1024 * kKiB;
inline constexpr uint64_t kGiB = 1024 * kMiB;

inline void expect_cpu_times(const std::optional<CpuTimes> &times, const CpuTimes &expected) {
    ASSERT_TRUE(times.has_value());
    EXPECT_EQ(times->user, expected.user);
    EXPECT_EQ(times->nice, expected.nice);
    EXPECT_EQ(times->system, expected.system);
    EXPECT_EQ(times->idle, expected.idle);
    EXPECT_EQ(times->iowait, expected.iowait);
    EXPECT_EQ(times->irq, expected.irq);
    EXPECT_EQ(times->softirq, expected.softirq);
    EXPECT_EQ(times->steal, expected.steal);
}

}  // namespace poolopt::core::host_test_support
