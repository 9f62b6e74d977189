// Host probes: every parser of /proc and cgroup files on good, garbage and empty text, and
// the file reader.
#include <unistd.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/host_probe.hpp"
#include "host_test_support.hpp"

namespace poolopt::core {
namespace {

using namespace host_test_support;

// ---- /proc/stat ----

TEST(ParseProcStat, ReadsTheAggregateLineAndIgnoresGuestColumns) {
    auto times = parse_proc_stat(
        "cpu  6496 1 1514 82074 1661 2 69 9 7 8\n"
        "cpu0 3000 0 700 41000 800 0 30 4 0 0\n"
        "intr 1 2 3\n");
    expect_cpu_times(times, {6496, 1, 1514, 82074, 1661, 2, 69, 9});
}

TEST(ParseProcStat, RejectsGarbage) {
    EXPECT_FALSE(parse_proc_stat(""));
    EXPECT_FALSE(parse_proc_stat("\n\n"));
    EXPECT_FALSE(parse_proc_stat("cpu0 1 2 3 4 5 6 7 8\n"));       // no aggregate line
    EXPECT_FALSE(parse_proc_stat("cpu  1 2 3 4 5 6 7\n"));         // steal missing
    EXPECT_FALSE(parse_proc_stat("cpu  1 two 3 4 5 6 7 8\n"));     // not a number
    EXPECT_FALSE(parse_proc_stat("cpu  1 2 3 4 5 6 7 8 junk\n"));  // trailing junk
    EXPECT_FALSE(parse_proc_stat("cpu  1 -2 3 4 5 6 7 8\n"));      // negative
    EXPECT_FALSE(parse_proc_stat("cpu  1 2 3 4 5 6 7 99999999999999999999\n"));  // overflow
}

TEST(ParseProcStatCpuCount, CountsPerCpuLines) {
    EXPECT_EQ(parse_proc_stat_cpu_count("cpu  1 2 3 4 5 6 7 8\ncpu0 1\ncpu1 1\ncpu12 1\n"), 3);
    EXPECT_FALSE(parse_proc_stat_cpu_count("cpu  1 2 3 4 5 6 7 8\ncpufreq 1\n"));
    EXPECT_FALSE(parse_proc_stat_cpu_count(""));
}

TEST(CpuUsageBetween, SplitsTicksIntoUtilisationAndIowait) {
    CpuTimes before{1000, 10, 500, 8000, 100, 0, 20, 5};
    // +300 user, +100 system, +500 idle, +50 iowait, +25 softirq, +25 steal = 1000 ticks.
    CpuTimes after{1300, 10, 600, 8500, 150, 0, 45, 30};
    auto usage = cpu_usage_between(before, after);
    ASSERT_TRUE(usage);
    EXPECT_DOUBLE_EQ(usage->utilisation, 0.45);
    EXPECT_DOUBLE_EQ(usage->iowait, 0.05);
}

TEST(CpuUsageBetween, FullyBusyAndFullyIdle) {
    CpuTimes before{0, 0, 0, 0, 0, 0, 0, 0};
    auto busy = cpu_usage_between(before, {60, 20, 20, 0, 0, 0, 0, 0});
    ASSERT_TRUE(busy);
    EXPECT_DOUBLE_EQ(busy->utilisation, 1.0);
    EXPECT_DOUBLE_EQ(busy->iowait, 0.0);
    auto idle = cpu_usage_between(before, {0, 0, 0, 100, 0, 0, 0, 0});
    ASSERT_TRUE(idle);
    EXPECT_DOUBLE_EQ(idle->utilisation, 0.0);
}

TEST(CpuUsageBetween, NoTicksOrCountersGoingBackwardsGiveNothing) {
    CpuTimes sample{1000, 10, 500, 8000, 100, 0, 20, 5};
    EXPECT_FALSE(cpu_usage_between(sample, sample));
    CpuTimes iowait_dropped = sample;
    iowait_dropped.idle += 100;
    iowait_dropped.iowait -= 1;
    EXPECT_FALSE(cpu_usage_between(sample, iowait_dropped));
    EXPECT_FALSE(cpu_usage_between({2000, 10, 500, 8000, 100, 0, 20, 5}, sample));
}

// Found by fuzz_proc_stat: the elapsed ticks summed past 2^64 and wrapped, so busy ticks
// (total - idle - iowait) wrapped too and utilisation came out far above 1.
TEST(CpuUsageBetween, TicksSummingPast64BitsGiveNothing) {
    auto before = parse_proc_stat("cpu  18073709551615 0 0 0 0 0 0 0\n");
    auto after = parse_proc_stat("cpu  18446744073709551615 1 0 18426744073709551615 0 0 0 0\n");
    ASSERT_TRUE(before && after);
    EXPECT_FALSE(cpu_usage_between(*before, *after));
}

// ---- /proc/meminfo, /proc/loadavg, CPU lists ----

TEST(ParseMeminfo, ConvertsKilobytesToBytes) {
    auto meminfo = parse_meminfo(
        "MemTotal:       24684092 kB\n"
        "MemFree:        22537440 kB\n"
        "MemAvailable:   24136176 kB\n"
        "HugePages_Total:       0\n");
    ASSERT_TRUE(meminfo);
    EXPECT_EQ(meminfo->total_bytes, 24684092 * kKiB);
    EXPECT_EQ(meminfo->available_bytes, 24136176 * kKiB);
}

TEST(ParseMeminfo, RejectsGarbage) {
    EXPECT_FALSE(parse_meminfo(""));
    EXPECT_FALSE(parse_meminfo("MemTotal: 1024 kB\nMemFree: 512 kB\n"));  // before Linux 3.14
    EXPECT_FALSE(parse_meminfo("MemAvailable: 512 kB\n"));
    EXPECT_FALSE(parse_meminfo("MemTotal: 1024 MB\nMemAvailable: 512 kB\n"));
    EXPECT_FALSE(parse_meminfo("MemTotal: 1024\nMemAvailable: 512 kB\n"));
    EXPECT_FALSE(parse_meminfo("MemTotal: lots kB\nMemAvailable: 512 kB\n"));
    EXPECT_FALSE(parse_meminfo("MemTotal: 1024 kB extra\nMemAvailable: 512 kB\n"));
    EXPECT_FALSE(parse_meminfo("MemTotal: 18014398509481984 kB\nMemAvailable: 1 kB\n"));
}

TEST(ParseLoadavg, ReadsTheThreeAverages) {
    auto load = parse_loadavg("0.53 0.20 12.08 2/85 5238\n");
    ASSERT_TRUE(load);
    EXPECT_DOUBLE_EQ(load->one, 0.53);
    EXPECT_DOUBLE_EQ(load->five, 0.20);
    EXPECT_DOUBLE_EQ(load->fifteen, 12.08);
}

TEST(ParseLoadavg, RejectsGarbage) {
    EXPECT_FALSE(parse_loadavg(""));
    EXPECT_FALSE(parse_loadavg("0.53 0.20\n"));
    EXPECT_FALSE(parse_loadavg("high medium low\n"));
    EXPECT_FALSE(parse_loadavg("0.53 -0.20 0.08\n"));
    EXPECT_FALSE(parse_loadavg("0.53 nan 0.08\n"));
    EXPECT_FALSE(parse_loadavg("0.53 inf 0.08\n"));
    EXPECT_FALSE(parse_loadavg("0,53 0,20 0,08\n"));
}

TEST(ParseCpuListCount, CountsRangesAndSingles) {
    EXPECT_EQ(parse_cpu_list_count("0-1\n"), 2);
    EXPECT_EQ(parse_cpu_list_count("0-3,6,8-9\n"), 7);
    EXPECT_EQ(parse_cpu_list_count("5"), 1);
    EXPECT_EQ(parse_cpu_list_count("0-1023"), 1024);
}

TEST(ParseCpuListCount, RejectsGarbage) {
    EXPECT_FALSE(parse_cpu_list_count(""));
    EXPECT_FALSE(parse_cpu_list_count("\n"));
    EXPECT_FALSE(parse_cpu_list_count("3-1"));
    EXPECT_FALSE(parse_cpu_list_count("0-"));
    EXPECT_FALSE(parse_cpu_list_count("0-3,"));
    EXPECT_FALSE(parse_cpu_list_count("0,,1"));
    EXPECT_FALSE(parse_cpu_list_count("zero-to-three"));
    EXPECT_FALSE(parse_cpu_list_count("0-99999999"));
}

// ---- /proc/self/cgroup ----

TEST(ParseProcSelfCgroup, ReadsUnifiedPath) {
    auto membership = parse_proc_self_cgroup("0::/machine.slice/pg.scope\n");
    ASSERT_TRUE(membership);
    EXPECT_EQ(membership->unified_path, "/machine.slice/pg.scope");
    EXPECT_EQ(membership->cpu_v1_path, "");
    EXPECT_EQ(membership->memory_v1_path, "");
    EXPECT_EQ(membership->cpuacct_v1_path, "");
}

TEST(ParseProcSelfCgroup, ReadsCoMountedV1Controllers) {
    auto membership = parse_proc_self_cgroup(
        "11:cpuset:/\n"
        "9:memory:/docker/abc\n"
        "4:cpu,cpuacct:/docker/abc\n"
        "1:name=systemd:/docker/abc\n");
    ASSERT_TRUE(membership);
    EXPECT_EQ(membership->unified_path, "");
    EXPECT_EQ(membership->cpu_v1_path, "/docker/abc");
    EXPECT_EQ(membership->cpuacct_v1_path, "/docker/abc");
    EXPECT_EQ(membership->memory_v1_path, "/docker/abc");
}

TEST(ParseProcSelfCgroup, ReadsSeparateV1HierarchiesAndHybridUnified) {
    auto membership = parse_proc_self_cgroup(
        "4:memory:/process_api/244a\n3:cpuset:/other\n2:cpuacct:/acct\n1:cpu:/\n0::/\n");
    ASSERT_TRUE(membership);
    EXPECT_EQ(membership->unified_path, "/");
    EXPECT_EQ(membership->cpu_v1_path, "/");
    EXPECT_EQ(membership->cpuacct_v1_path, "/acct");
    EXPECT_EQ(membership->memory_v1_path, "/process_api/244a");
}

TEST(ParseProcSelfCgroup, KeepsColonsInsidePaths) {
    auto membership = parse_proc_self_cgroup("0::/kubepods/pod:1\n");
    ASSERT_TRUE(membership);
    EXPECT_EQ(membership->unified_path, "/kubepods/pod:1");
}

TEST(ParseProcSelfCgroup, RejectsGarbage) {
    EXPECT_FALSE(parse_proc_self_cgroup(""));
    EXPECT_FALSE(parse_proc_self_cgroup("\n\n"));
    EXPECT_FALSE(parse_proc_self_cgroup("this is not a cgroup file\n"));
    EXPECT_FALSE(parse_proc_self_cgroup("0:/only-one-colon\n"));
    EXPECT_FALSE(parse_proc_self_cgroup("x::/a\n"));
    EXPECT_FALSE(parse_proc_self_cgroup("0::relative\n"));
    EXPECT_FALSE(parse_proc_self_cgroup("0::\n"));
    EXPECT_FALSE(parse_proc_self_cgroup("0::/\ngarbage\n"));
}

// ---- /proc/self/mountinfo ----

TEST(ParseMountinfo, FindsUnifiedAndV1Mounts) {
    auto mounts = parse_mountinfo(
        "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"
        "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
        "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
        "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
        "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
        "35 31 0:32 /docker/abc /sys/fs/cgroup/memory rw,relatime shared:7 - cgroup cgroup "
        "rw,memory\n"
        "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:4 master:1 - cgroup2 cgroup2 "
        "rw\n");
    ASSERT_TRUE(mounts);
    ASSERT_TRUE(mounts->unified);
    EXPECT_EQ(mounts->unified->root, "/");
    EXPECT_EQ(mounts->unified->mount_point, "/sys/fs/cgroup/unified");
    ASSERT_TRUE(mounts->cpu_v1);
    EXPECT_EQ(mounts->cpu_v1->mount_point, "/sys/fs/cgroup/cpu");
    ASSERT_TRUE(mounts->cpuacct_v1);
    EXPECT_EQ(mounts->cpuacct_v1->mount_point, "/sys/fs/cgroup/cpuacct");
    ASSERT_TRUE(mounts->memory_v1);
    EXPECT_EQ(mounts->memory_v1->root, "/docker/abc");
    EXPECT_EQ(mounts->memory_v1->mount_point, "/sys/fs/cgroup/memory");
}

TEST(ParseMountinfo, CoMountedControllersShareOneMount) {
    auto mounts = parse_mountinfo(
        "32 27 0:28 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n");
    ASSERT_TRUE(mounts);
    ASSERT_TRUE(mounts->cpu_v1);
    ASSERT_TRUE(mounts->cpuacct_v1);
    EXPECT_EQ(mounts->cpu_v1->mount_point, "/sys/fs/cgroup/cpu,cpuacct");
    EXPECT_EQ(mounts->cpuacct_v1->mount_point, "/sys/fs/cgroup/cpu,cpuacct");
    EXPECT_FALSE(mounts->memory_v1);
    EXPECT_FALSE(mounts->unified);
}

TEST(ParseMountinfo, DecodesEscapesAndKeepsTheFirstMount) {
    auto mounts = parse_mountinfo(
        "40 22 0:23 /a\\040b /sys/fs/my\\040cgroup rw - cgroup2 cgroup2 rw\n"
        "41 22 0:23 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
    ASSERT_TRUE(mounts);
    ASSERT_TRUE(mounts->unified);
    EXPECT_EQ(mounts->unified->root, "/a b");
    EXPECT_EQ(mounts->unified->mount_point, "/sys/fs/my cgroup");
}

TEST(ParseMountinfo, NoCgroupMountsIsNotGarbage) {
    auto mounts = parse_mountinfo("27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n");
    ASSERT_TRUE(mounts);
    EXPECT_FALSE(mounts->unified);
    EXPECT_FALSE(mounts->cpu_v1);
    EXPECT_FALSE(mounts->memory_v1);
    EXPECT_FALSE(mounts->cpuacct_v1);
}

TEST(ParseMountinfo, RejectsGarbage) {
    EXPECT_FALSE(parse_mountinfo(""));
    EXPECT_FALSE(parse_mountinfo("garbage\n"));
    EXPECT_FALSE(parse_mountinfo("27 1 254:0 / / rw,relatime ext4 /dev/vda rw\n"));  // no "-"
    EXPECT_FALSE(parse_mountinfo("27 1 254:0 / / rw - cgroup2\n"));  // fields after "-" missing
    EXPECT_FALSE(parse_mountinfo("27 1 254:0 / / rw - cgroup2 cgroup2 rw\ngarbage\n"));
}

TEST(CgroupPathWithinMount, StripsTheMountRoot) {
    EXPECT_EQ(cgroup_path_within_mount("/", "/a/b"), "/a/b");
    EXPECT_EQ(cgroup_path_within_mount("/", "/"), "/");
    EXPECT_EQ(cgroup_path_within_mount("/docker/x", "/docker/x"), "/");
    EXPECT_EQ(cgroup_path_within_mount("/docker/x", "/docker/x/y/z"), "/y/z");
    EXPECT_EQ(cgroup_path_within_mount("/docker/x/", "/docker/x/y/"), "/y");
}

TEST(CgroupPathWithinMount, RefusesPathsOutsideTheMount) {
    EXPECT_FALSE(cgroup_path_within_mount("/docker/x", "/docker/xy"));
    EXPECT_FALSE(cgroup_path_within_mount("/kubepods/pod1", "/system.slice/other.service"));
    EXPECT_FALSE(cgroup_path_within_mount("/kubepods/pod1", "/"));
    EXPECT_FALSE(cgroup_path_within_mount("/", "/../../system.slice"));
    EXPECT_FALSE(cgroup_path_within_mount("/", "relative"));
    EXPECT_FALSE(cgroup_path_within_mount("", "/a"));
}

// ---- cgroup limit and usage files ----

TEST(Limit, FactoriesSayWhatTheyHold) {
    auto limited = Limit<double>::of(0.5);
    EXPECT_TRUE(limited.parsed());
    EXPECT_TRUE(limited.limited());
    EXPECT_EQ(limited.amount, 0.5);
    EXPECT_TRUE(Limit<double>::unlimited().parsed());
    EXPECT_FALSE(Limit<double>::unlimited().limited());
    EXPECT_FALSE(Limit<double>::unparseable().parsed());
    EXPECT_FALSE(Limit<double>::unparseable().limited());
}

void expect_limited(const Limit<double> &limit, double amount) {
    EXPECT_EQ(limit.kind, LimitKind::limited);
    EXPECT_DOUBLE_EQ(limit.amount, amount);
}

TEST(ParseCgroup2CpuMax, ReadsQuotaOverPeriod) {
    expect_limited(parse_cgroup2_cpu_max("50000 100000\n"), 0.5);
    expect_limited(parse_cgroup2_cpu_max("150000 100000\n"), 1.5);
    expect_limited(parse_cgroup2_cpu_max("400000 100000"), 4.0);
    EXPECT_EQ(parse_cgroup2_cpu_max("max 100000\n").kind, LimitKind::unlimited);
}

TEST(ParseCgroup2CpuMax, RejectsGarbage) {
    for (const char *text : {"", "\n", "max", "100000", "fast 100000", "max abc", "0 100000",
                             "50000 0", "-1 100000", "50000 100000 7"}) {
        EXPECT_EQ(parse_cgroup2_cpu_max(text).kind, LimitKind::unparseable) << text;
    }
}

TEST(ParseCgroup1CpuQuota, ReadsQuotaOverPeriod) {
    expect_limited(parse_cgroup1_cpu_quota("250000\n", "100000\n"), 2.5);
    expect_limited(parse_cgroup1_cpu_quota("125000\n", "50000\n"), 2.5);
    EXPECT_EQ(parse_cgroup1_cpu_quota("-1\n", "100000\n").kind, LimitKind::unlimited);
}

TEST(ParseCgroup1CpuQuota, RejectsGarbage) {
    EXPECT_EQ(parse_cgroup1_cpu_quota("", "100000").kind, LimitKind::unparseable);
    EXPECT_EQ(parse_cgroup1_cpu_quota("unlimited", "100000").kind, LimitKind::unparseable);
    EXPECT_EQ(parse_cgroup1_cpu_quota("0", "100000").kind, LimitKind::unparseable);
    EXPECT_EQ(parse_cgroup1_cpu_quota("-2", "100000").kind, LimitKind::unparseable);
    EXPECT_EQ(parse_cgroup1_cpu_quota("100000", "0").kind, LimitKind::unparseable);
    EXPECT_EQ(parse_cgroup1_cpu_quota("100000", "").kind, LimitKind::unparseable);
    EXPECT_EQ(parse_cgroup1_cpu_quota("-1", "soon").kind, LimitKind::unparseable);
}

TEST(ParseCgroupMemoryLimit, ReadsBytesAndBothSpellingsOfUnlimited) {
    auto limit = parse_cgroup_memory_limit("2147483648\n");
    EXPECT_EQ(limit.kind, LimitKind::limited);
    EXPECT_EQ(limit.amount, 2147483648u);
    auto zero = parse_cgroup_memory_limit("0\n");
    EXPECT_EQ(zero.kind, LimitKind::limited);
    EXPECT_EQ(zero.amount, 0u);
    auto below_cutoff = parse_cgroup_memory_limit("4611686018427387903");
    EXPECT_EQ(below_cutoff.kind, LimitKind::limited);
    EXPECT_EQ(below_cutoff.amount, 4611686018427387903u);
    EXPECT_EQ(parse_cgroup_memory_limit("max\n").kind, LimitKind::unlimited);
    EXPECT_EQ(parse_cgroup_memory_limit("9223372036854771712\n").kind, LimitKind::unlimited);
    EXPECT_EQ(parse_cgroup_memory_limit("4611686018427387904").kind, LimitKind::unlimited);
}

TEST(ParseCgroupMemoryLimit, RejectsGarbage) {
    for (const char *text : {"", "\n", "lots", "1G", "-1", "max max", "18446744073709551616"}) {
        EXPECT_EQ(parse_cgroup_memory_limit(text).kind, LimitKind::unparseable) << text;
    }
}

TEST(ParseCgroupMemoryUsage, ReadsOneByteCount) {
    EXPECT_EQ(parse_cgroup_memory_usage("1610612736\n"), 1610612736u);
    EXPECT_FALSE(parse_cgroup_memory_usage(""));
    EXPECT_FALSE(parse_cgroup_memory_usage("a lot\n"));
    EXPECT_FALSE(parse_cgroup_memory_usage("-5\n"));
}

TEST(ParseCgroup2CpuUsage, ReadsUsageUsec) {
    EXPECT_EQ(parse_cgroup2_cpu_usage_usec(
                  "usage_usec 80851364\nuser_usec 64985669\nsystem_usec 15865694\n"),
              80851364u);
    EXPECT_FALSE(parse_cgroup2_cpu_usage_usec(""));
    EXPECT_FALSE(parse_cgroup2_cpu_usage_usec("user_usec 64985669\n"));
    EXPECT_FALSE(parse_cgroup2_cpu_usage_usec("usage_usec many\n"));
    EXPECT_FALSE(parse_cgroup2_cpu_usage_usec("usage_usec\n"));
    EXPECT_FALSE(parse_cgroup2_cpu_usage_usec("usage_usec 1 2\n"));
}

TEST(ParseCgroup1CpuacctUsage, ConvertsNanosecondsToMicroseconds) {
    EXPECT_EQ(parse_cgroup1_cpuacct_usage_usec("81451542522\n"), 81451542u);
    EXPECT_FALSE(parse_cgroup1_cpuacct_usage_usec(""));
    EXPECT_FALSE(parse_cgroup1_cpuacct_usage_usec("-1\n"));
}

TEST(CgroupCpuUtilisation, DividesUsageByWallTimeAndCpus) {
    EXPECT_DOUBLE_EQ(*cgroup_cpu_utilisation(1000000, 1500000, 1000000, 2.0), 0.25);
    EXPECT_DOUBLE_EQ(*cgroup_cpu_utilisation(0, 250000, 1000000, 0.5), 0.5);
    EXPECT_DOUBLE_EQ(*cgroup_cpu_utilisation(0, 3000000, 1000000, 2.0), 1.0);
    EXPECT_FALSE(cgroup_cpu_utilisation(0, 100, 0, 2.0));
    EXPECT_FALSE(cgroup_cpu_utilisation(0, 100, 1000, 0.0));
    EXPECT_FALSE(cgroup_cpu_utilisation(200, 100, 1000, 2.0));
}

// ---- read_text_file, count_affinity_cpus ----

TEST(ReadTextFile, ReadsWholeFiles) {
    std::string error = "untouched";
    auto text = read_text_file(fixture("real_debian12/sys/devices/system/cpu/online"), &error);
    EXPECT_EQ(text, "0-1\n");
    EXPECT_EQ(error, "untouched");
}

TEST(ReadTextFile, SaysWhyItFailed) {
    std::string error;
    std::string missing = fixture("empty/proc/meminfo");
    EXPECT_FALSE(read_text_file(missing, &error));
    EXPECT_EQ(error, "cannot read " + missing + ": No such file or directory");

    std::string directory = fixture("empty");
    EXPECT_FALSE(read_text_file(directory, &error));
    EXPECT_EQ(error, "cannot read " + directory + ": Is a directory");

    std::string loadavg = fixture("real_debian12/proc/loadavg");
    EXPECT_FALSE(read_text_file(loadavg, &error, 4));
    EXPECT_EQ(error, "cannot read " + loadavg + ": larger than 4 bytes");

    EXPECT_FALSE(read_text_file(missing, nullptr));
}

TEST(CountAffinityCpus, CountsAtLeastOneAndNoMoreThanConfigured) {
    int cpus = count_affinity_cpus();
    EXPECT_GE(cpus, 1);
    EXPECT_LE(cpus, sysconf(_SC_NPROCESSORS_CONF));
}

}  // namespace
}  // namespace poolopt::core
