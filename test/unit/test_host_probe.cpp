// Host probes: every parser on good, garbage and empty text; the readers on the fixture trees
// of test/fixtures (README.md there says what each tree stands for).
#include <unistd.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/host_probe.hpp"

namespace poolopt::core {
namespace {

std::string fixture(const std::string &name) {
    return std::string(FIXTURE_DIR) + "/" + name;
}

constexpr uint64_t kKiB = 1024;
constexpr uint64_t kMiB = 1024 * kKiB;
constexpr uint64_t kGiB = 1024 * kMiB;

void expect_cpu_times(const std::optional<CpuTimes> &times, const CpuTimes &expected) {
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

// ---- read_host_resources on fixture trees ----

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

// ---- detect_storage ----

void expect_storage(unsigned major, unsigned minor, StorageKind kind, const std::string &device,
                    const std::string &how, bool virtual_disk = false) {
    SCOPED_TRACE(std::to_string(major) + ":" + std::to_string(minor));
    StorageGuess guess = detect_storage(fixture("storage"), major, minor);
    EXPECT_STREQ(storage_kind_name(guess.kind), storage_kind_name(kind));
    EXPECT_EQ(guess.device, device);
    EXPECT_EQ(guess.how, how);
    EXPECT_EQ(guess.virtual_disk, virtual_disk);
}

TEST(DetectStorage, PartitionOfARotationalDisk) {
    expect_storage(8, 1, StorageKind::hdd, "sda1",
                   "/sys/dev/block/8:1 -> sda1, partition of sda: queue/rotational=1");
}

TEST(DetectStorage, SolidStateDisks) {
    expect_storage(8, 16, StorageKind::ssd, "sdb",
                   "/sys/dev/block/8:16 -> sdb: queue/rotational=0");
    expect_storage(259, 0, StorageKind::ssd, "nvme0n1",
                   "/sys/dev/block/259:0 -> nvme0n1: queue/rotational=0");
}

TEST(DetectStorage, VirtioDiskIsFlaggedVirtual) {
    expect_storage(254, 17, StorageKind::hdd, "vdb1",
                   "/sys/dev/block/254:17 -> vdb1, partition of vdb: queue/rotational=1 (virtual "
                   "disk: often 1 on SSD-backed volumes)",
                   true);
}

TEST(DetectStorage, DeviceMapperFollowsItsSlaves) {
    expect_storage(253, 0, StorageKind::ssd, "dm-0",
                   "/sys/dev/block/253:0 -> dm-0 over [nvme0n1p2, partition of nvme0n1: "
                   "queue/rotational=0; sdb: queue/rotational=0]");
    expect_storage(253, 1, StorageKind::hdd, "dm-1",
                   "/sys/dev/block/253:1 -> dm-1 over [sda2, partition of sda: "
                   "queue/rotational=1; sdb: queue/rotational=0]");
    expect_storage(253, 2, StorageKind::ssd, "dm-2",
                   "/sys/dev/block/253:2 -> dm-2 over [dm-0 over [nvme0n1p2, partition of "
                   "nvme0n1: queue/rotational=0; sdb: queue/rotational=0]]");
    expect_storage(253, 3, StorageKind::unknown, "dm-3",
                   "/sys/dev/block/253:3 -> dm-3 over [sdb: queue/rotational=0; sdz: cannot "
                   "resolve: No such file or directory]");
}

TEST(DetectStorage, MdRaidFollowsItsSlaves) {
    expect_storage(9, 127, StorageKind::ssd, "md127",
                   "/sys/dev/block/9:127 -> md127 over [sdc1, partition of sdc: "
                   "queue/rotational=0; sdd1, partition of sdd: queue/rotational=0]");
}

TEST(DetectStorage, MissingDeviceOrFlagSaysWhy) {
    expect_storage(8, 99, StorageKind::unknown, "",
                   "cannot resolve /sys/dev/block/8:99: No such file or directory");
    expect_storage(7, 0, StorageKind::unknown, "loop0",
                   "/sys/dev/block/7:0 -> loop0: cannot read queue/rotational: No such file or "
                   "directory");
    StorageGuess empty = detect_storage(fixture("empty"), 8, 1);
    EXPECT_EQ(empty.kind, StorageKind::unknown);
    EXPECT_EQ(empty.how, "cannot resolve /sys/dev/block/8:1: No such file or directory");
}

TEST(DetectStorage, RealDebian12VirtioDisk) {
    StorageGuess guess = detect_storage(fixture("real_debian12") + "/", 254, 0);
    EXPECT_EQ(guess.kind, StorageKind::hdd);
    EXPECT_EQ(guess.device, "vda");
    EXPECT_EQ(guess.how,
              "/sys/dev/block/254:0 -> vda: queue/rotational=1 (virtual disk: often 1 on "
              "SSD-backed volumes)");
    EXPECT_TRUE(guess.virtual_disk);
}

TEST(DetectStorage, OfAPathThatCannotBeStatedSaysWhy) {
    StorageGuess guess = detect_storage_of_path("/", fixture("no/such/directory"));
    EXPECT_EQ(guess.kind, StorageKind::unknown);
    EXPECT_NE(guess.how.find("cannot stat"), std::string::npos) << guess.how;
    EXPECT_NE(guess.how.find("No such file or directory"), std::string::npos) << guess.how;
}

TEST(FilesystemSize, OfThisMachineAndOfNothing) {
    std::optional<uint64_t> size = filesystem_size_bytes(fixture("storage"));
    ASSERT_TRUE(size.has_value());
    EXPECT_GT(*size, 0u);
    EXPECT_FALSE(filesystem_size_bytes(fixture("no/such/directory")).has_value());
}

TEST(StorageKindName, NamesEachKind) {
    EXPECT_STREQ(storage_kind_name(StorageKind::unknown), "unknown");
    EXPECT_STREQ(storage_kind_name(StorageKind::ssd), "ssd");
    EXPECT_STREQ(storage_kind_name(StorageKind::hdd), "hdd");
}

}  // namespace
}  // namespace poolopt::core
