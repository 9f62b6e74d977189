// detect_storage on the sysfs fixture tree: rotational and solid-state disks, partitions,
// virtio, device-mapper and md RAID.
#include <string>

#include <gtest/gtest.h>

#include "core/host_probe.hpp"
#include "host_test_support.hpp"

namespace poolopt::core {
namespace {

using namespace host_test_support;

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
