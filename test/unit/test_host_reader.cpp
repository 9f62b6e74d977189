// read_host_resources on the fixture trees: cgroup v1, v2 and hybrid hierarchies, nested
// limits, containers, and files missing or full of garbage.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/host_probe.hpp"
#include "host_test_support.hpp"

namespace poolopt::core {
namespace {

using namespace host_test_support;

using Problems = std::vector<std::string>;

TEST(ReadHostResources, RealDebian12HybridCgroupsWithoutLimits) {
    HostResources host = read_host_resources(fixture("real_debian12"), 2);
    EXPECT_EQ(host.problems, Problems{});
    EXPECT_EQ(host.cgroup_version, "v1");
    EXPECT_EQ(host.online_cpus, 2);
    EXPECT_EQ(host.affinity_cpus, 2);
    EXPECT_FALSE(host.cpu_quota);
    EXPECT_EQ(host.cpu_quota_source, "");
    EXPECT_DOUBLE_EQ(host.usable_cpus, 2.0);
    EXPECT_EQ(host.memory_total_bytes, 24684092 * kKiB);
    EXPECT_EQ(host.memory_available_bytes, 24136176 * kKiB);
    EXPECT_FALSE(host.memory_limit_bytes);
    EXPECT_EQ(host.memory_limit_source, "");
    EXPECT_EQ(host.usable_memory_bytes, 24684092 * kKiB);
    ASSERT_TRUE(host.load);
    EXPECT_DOUBLE_EQ(host.load->one, 0.53);
    EXPECT_DOUBLE_EQ(host.load->five, 0.20);
    EXPECT_DOUBLE_EQ(host.load->fifteen, 0.08);
    expect_cpu_times(host.cpu_times, {6496, 0, 1514, 82074, 1661, 0, 69, 9});
    EXPECT_EQ(host.cgroup_cpu_usage_usec, 81451542u);
}

TEST(ReadHostResources, Cgroup2NestedLimitsTakeTheSmallestOfEach) {
    HostResources host = read_host_resources(fixture("cgroup2_limits"), 8);
    EXPECT_EQ(host.problems, Problems{});
    EXPECT_EQ(host.cgroup_version, "v2");
    EXPECT_EQ(host.online_cpus, 8);
    EXPECT_EQ(host.cpu_quota, 1.5);
    EXPECT_EQ(host.cpu_quota_source, "/sys/fs/cgroup/machine.slice/pg.scope/postgres/cpu.max");
    EXPECT_DOUBLE_EQ(host.usable_cpus, 1.5);
    EXPECT_EQ(host.memory_total_bytes, 16 * kGiB);
    EXPECT_EQ(host.memory_limit_bytes, 2 * kGiB);
    EXPECT_EQ(host.memory_limit_source, "/sys/fs/cgroup/machine.slice/pg.scope/memory.max");
    EXPECT_EQ(host.usable_memory_bytes, 2 * kGiB);
    // The parent's headroom, 2 GiB - 1.5 GiB, not MemAvailable's 12 GiB.
    EXPECT_EQ(host.memory_available_bytes, 512 * kMiB);
    ASSERT_TRUE(host.load);
    EXPECT_DOUBLE_EQ(host.load->one, 1.5);
    expect_cpu_times(host.cpu_times, {10000, 200, 3000, 80000, 500, 0, 100, 40});
    EXPECT_EQ(host.cgroup_cpu_usage_usec, 123456789u);
}

TEST(ReadHostResources, Cgroup2WithoutLimitsUsesTheHost) {
    HostResources host = read_host_resources(fixture("cgroup2_unlimited"), 4);
    EXPECT_EQ(host.problems, Problems{});
    EXPECT_EQ(host.cgroup_version, "v2");
    EXPECT_EQ(host.online_cpus, 4);
    EXPECT_FALSE(host.cpu_quota);
    EXPECT_DOUBLE_EQ(host.usable_cpus, 4.0);
    EXPECT_EQ(host.memory_total_bytes, 8 * kGiB);
    EXPECT_EQ(host.memory_available_bytes, 6 * kGiB);
    EXPECT_FALSE(host.memory_limit_bytes);
    EXPECT_EQ(host.usable_memory_bytes, 8 * kGiB);
    EXPECT_EQ(host.cgroup_cpu_usage_usec, 42u);
}

TEST(ReadHostResources, Cgroup1ParentLimitsAndTheUnlimitedValue) {
    HostResources host = read_host_resources(fixture("cgroup1"), 4);
    EXPECT_EQ(host.problems, Problems{});
    EXPECT_EQ(host.cgroup_version, "v1");
    EXPECT_EQ(host.online_cpus, 4);
    EXPECT_EQ(host.cpu_quota, 2.0);
    EXPECT_EQ(host.cpu_quota_source, "/sys/fs/cgroup/cpu,cpuacct/db/cpu.cfs_quota_us");
    EXPECT_DOUBLE_EQ(host.usable_cpus, 2.0);
    EXPECT_EQ(host.memory_total_bytes, 4 * kGiB);
    EXPECT_EQ(host.memory_limit_bytes, 1 * kGiB);
    EXPECT_EQ(host.memory_limit_source, "/sys/fs/cgroup/memory/db/memory.limit_in_bytes");
    EXPECT_EQ(host.usable_memory_bytes, 1 * kGiB);
    EXPECT_EQ(host.memory_available_bytes, 768 * kMiB);
    EXPECT_EQ(host.cgroup_cpu_usage_usec, 987654321u);
}

TEST(ReadHostResources, ContainerAtItsCgroupNamespaceRoot) {
    HostResources host = read_host_resources(fixture("container_root"), 16);
    EXPECT_EQ(host.problems, Problems{});
    EXPECT_EQ(host.cgroup_version, "v2");
    EXPECT_EQ(host.online_cpus, 16);
    EXPECT_EQ(host.cpu_quota, 0.5);
    EXPECT_EQ(host.cpu_quota_source, "/sys/fs/cgroup/cpu.max");
    EXPECT_DOUBLE_EQ(host.usable_cpus, 1.0);  // half a CPU still runs one backend
    EXPECT_EQ(host.memory_total_bytes, 64 * kGiB);
    EXPECT_EQ(host.memory_limit_bytes, 512 * kMiB);
    EXPECT_EQ(host.memory_limit_source, "/sys/fs/cgroup/memory.max");
    EXPECT_EQ(host.usable_memory_bytes, 512 * kMiB);
    EXPECT_EQ(host.memory_available_bytes, 412 * kMiB);
    EXPECT_EQ(host.cgroup_cpu_usage_usec, 5000000u);
}

TEST(ReadHostResources, UnknownAffinityFallsBackToOnlineCpus) {
    HostResources host = read_host_resources(fixture("cgroup1"), 0);
    EXPECT_EQ(host.affinity_cpus, 0);
    EXPECT_EQ(host.online_cpus, 4);
    EXPECT_DOUBLE_EQ(host.usable_cpus, 2.0);
    HostResources unlimited = read_host_resources(fixture("cgroup2_unlimited"), -3);
    EXPECT_EQ(unlimited.affinity_cpus, 0);
    EXPECT_DOUBLE_EQ(unlimited.usable_cpus, 4.0);
}

TEST(ReadHostResources, AffinityNarrowerThanTheQuotaWins) {
    HostResources host = read_host_resources(fixture("cgroup2_limits"), 1);
    EXPECT_DOUBLE_EQ(host.usable_cpus, 1.0);
}

TEST(ReadHostResources, CgroupOutsideTheMountRootReadsTheMountPoint) {
    HostResources host = read_host_resources(fixture("cgroup2_outside_root"), 4);
    EXPECT_EQ(host.problems,
              Problems{"the unified cgroup /system.slice/other.service is outside the cgroup "
                       "mount at /sys/fs/cgroup (which shows /kubepods/pod1); reading limits "
                       "from the mount point"});
    EXPECT_EQ(host.cgroup_version, "v2");
    EXPECT_FALSE(host.cpu_quota);
    EXPECT_DOUBLE_EQ(host.usable_cpus, 4.0);
    EXPECT_EQ(host.memory_limit_bytes, 1 * kGiB);
    EXPECT_EQ(host.memory_limit_source, "/sys/fs/cgroup/memory.max");
    EXPECT_EQ(host.usable_memory_bytes, 1 * kGiB);
    EXPECT_EQ(host.memory_available_bytes, 1 * kGiB);
    EXPECT_EQ(host.cgroup_cpu_usage_usec, 7u);
}

TEST(ReadHostResources, StaleCgroupPathStillHonoursItsParent) {
    HostResources host = read_host_resources(fixture("cgroup2_stale_path"), 4);
    EXPECT_EQ(host.problems,
              (Problems{"cannot find cgroup directory /sys/fs/cgroup/batch/job42",
                        "cannot read /sys/fs/cgroup/batch/job42/cpu.stat: No such file or "
                        "directory"}));
    EXPECT_EQ(host.cpu_quota, 3.0);
    EXPECT_EQ(host.cpu_quota_source, "/sys/fs/cgroup/batch/cpu.max");
    EXPECT_DOUBLE_EQ(host.usable_cpus, 3.0);
    EXPECT_EQ(host.memory_limit_bytes, 3 * kGiB);
    EXPECT_EQ(host.usable_memory_bytes, 3 * kGiB);
    EXPECT_EQ(host.memory_available_bytes, 2 * kGiB);
    EXPECT_FALSE(host.cgroup_cpu_usage_usec);
}

TEST(ReadHostResources, EmptyRootReportsEveryMissingFile) {
    HostResources host = read_host_resources(fixture("empty"), 3);
    EXPECT_EQ(host.problems,
              (Problems{"cannot read /proc/stat: No such file or directory",
                        "cannot read /sys/devices/system/cpu/online: No such file or directory",
                        "cannot read /proc/meminfo: No such file or directory",
                        "cannot read /proc/loadavg: No such file or directory",
                        "cannot read /proc/self/cgroup: No such file or directory",
                        "cannot read /proc/self/mountinfo: No such file or directory"}));
    EXPECT_EQ(host.cgroup_version, "unknown");
    EXPECT_EQ(host.online_cpus, 3);
    EXPECT_DOUBLE_EQ(host.usable_cpus, 3.0);
    EXPECT_FALSE(host.cpu_quota);
    EXPECT_FALSE(host.memory_total_bytes);
    EXPECT_FALSE(host.memory_available_bytes);
    EXPECT_FALSE(host.memory_limit_bytes);
    EXPECT_EQ(host.usable_memory_bytes, 0u);
    EXPECT_FALSE(host.load);
    EXPECT_FALSE(host.cpu_times);
    EXPECT_FALSE(host.cgroup_cpu_usage_usec);
}

TEST(ReadHostResources, EmptyRootWithoutAffinityKnowsNothing) {
    HostResources host = read_host_resources(fixture("empty"), 0);
    EXPECT_EQ(host.online_cpus, 0);
    EXPECT_DOUBLE_EQ(host.usable_cpus, 0.0);
}

TEST(ReadHostResources, GarbageInEveryProcFile) {
    HostResources host = read_host_resources(fixture("garbage_proc"), 2);
    EXPECT_EQ(
        host.problems,
        (Problems{"cannot parse /proc/stat: expected a \"cpu\" line of 8 tick counts",
                  "cannot parse /sys/devices/system/cpu/online: expected a CPU list such as 0-3,6",
                  "cannot parse /proc/meminfo: expected MemTotal and MemAvailable in kB",
                  "cannot parse /proc/loadavg: expected three load averages",
                  "cannot parse /proc/self/cgroup: expected lines ID:CONTROLLERS:/PATH",
                  "cannot parse /proc/self/mountinfo: expected mountinfo lines (proc(5))"}));
    EXPECT_EQ(host.cgroup_version, "unknown");
    EXPECT_EQ(host.online_cpus, 2);
    EXPECT_DOUBLE_EQ(host.usable_cpus, 2.0);
    EXPECT_FALSE(host.cpu_times);
    EXPECT_FALSE(host.memory_total_bytes);
    EXPECT_FALSE(host.load);
    EXPECT_EQ(host.usable_memory_bytes, 0u);
}

TEST(ReadHostResources, GarbageInCgroup2Files) {
    HostResources host = read_host_resources(fixture("garbage_cgroup2"), 4);
    EXPECT_EQ(
        host.problems,
        (Problems{
            "cannot parse /sys/fs/cgroup/pg/cpu.max: expected \"QUOTA PERIOD\" or \"max PERIOD\"",
            "cannot parse /sys/fs/cgroup/cpu.max: expected \"QUOTA PERIOD\" or \"max PERIOD\"",
            "cannot parse /sys/fs/cgroup/pg/cpu.stat: expected a usage_usec line",
            "cannot parse /sys/fs/cgroup/pg/memory.max: expected bytes or \"max\"",
            "cannot parse /sys/fs/cgroup/memory.current: expected a byte count"}));
    EXPECT_EQ(host.cgroup_version, "v2");
    EXPECT_FALSE(host.cpu_quota);
    EXPECT_DOUBLE_EQ(host.usable_cpus, 4.0);
    EXPECT_FALSE(host.cgroup_cpu_usage_usec);
    EXPECT_EQ(host.memory_limit_bytes, 1 * kGiB);
    EXPECT_EQ(host.memory_limit_source, "/sys/fs/cgroup/memory.max");
    EXPECT_EQ(host.usable_memory_bytes, 1 * kGiB);
    // Usage unreadable: the limit itself caps MemAvailable's 6 GiB.
    EXPECT_EQ(host.memory_available_bytes, 1 * kGiB);
}

TEST(ReadHostResources, GarbageInCgroup1Files) {
    HostResources host = read_host_resources(fixture("garbage_cgroup1"), 4);
    EXPECT_EQ(host.problems,
              (Problems{"cannot parse /sys/fs/cgroup/cpu,cpuacct/pg/cpu.cfs_quota_us: expected -1 "
                        "or a positive quota over a positive period",
                        "cannot parse /sys/fs/cgroup/cpu,cpuacct/pg/cpuacct.usage: expected "
                        "nanoseconds",
                        "cannot parse /sys/fs/cgroup/memory/pg/memory.limit_in_bytes: expected a "
                        "byte count"}));
    EXPECT_EQ(host.cgroup_version, "v1");
    EXPECT_FALSE(host.cpu_quota);
    EXPECT_FALSE(host.cgroup_cpu_usage_usec);
    EXPECT_FALSE(host.memory_limit_bytes);
    EXPECT_EQ(host.usable_memory_bytes, 8 * kGiB);
    EXPECT_EQ(host.memory_available_bytes, 6 * kGiB);
}

// Whatever machine runs the tests has /proc: the production root reads without trouble.
TEST(ReadHostResources, ThisMachine) {
    HostResources host = read_host_resources("/", count_affinity_cpus());
    EXPECT_TRUE(host.cpu_times);
    EXPECT_TRUE(host.memory_total_bytes);
    EXPECT_TRUE(host.load);
    EXPECT_GE(host.online_cpus, 1);
    EXPECT_GE(host.usable_cpus, 1.0);
    EXPECT_GT(host.usable_memory_bytes, 0u);
    EXPECT_NE(host.cgroup_version, "unknown");
}

}  // namespace
}  // namespace poolopt::core
