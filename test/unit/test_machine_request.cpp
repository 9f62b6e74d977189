// recommend_settings()'s arguments: what is accepted, and what each refusal says.
#include <string>

#include <gtest/gtest.h>

#include "core/machine_request.hpp"

namespace poolopt::core {
namespace {

MachineRequest web_16gb() {
    MachineRequest r;
    r.memory = "16GB";
    r.cpus = 4;
    r.storage = "ssd";
    r.workload = "web";
    r.pg_major = 15;
    return r;
}

RequestProblem refused(const MachineRequest &request) {
    ProfileOrProblem read = read_machine_request(request);
    EXPECT_FALSE(read.profile.has_value());
    return read.problem;
}

bool contains(const std::string &text, const std::string &part) {
    return text.find(part) != std::string::npos;
}

TEST(MachineRequest, ReadsAWellFormedRequest) {
    MachineRequest request = web_16gb();
    request.storage = "NVMe";
    request.max_connections = 300;
    request.data_size = "500GB";
    ProfileOrProblem read = read_machine_request(request);
    ASSERT_TRUE(read.profile.has_value()) << read.problem.message;
    EXPECT_EQ(read.profile->memory_bytes, 16 * kGigabyte);
    EXPECT_EQ(read.profile->cpus, 4);
    EXPECT_EQ(read.profile->storage, Storage::nvme);
    EXPECT_EQ(read.profile->workload, Workload::web);
    EXPECT_EQ(read.profile->max_connections, 300);
    EXPECT_EQ(read.profile->database_size_bytes, 500 * kGigabyte);
    EXPECT_EQ(read.profile->pg_major, 15);
    EXPECT_EQ(read.profile->extension_workers, 0);
    request.max_connections.reset();
    request.data_size.reset();
    read = read_machine_request(request);
    EXPECT_FALSE(read.profile->max_connections.has_value());
    EXPECT_FALSE(read.profile->database_size_bytes.has_value());
}

TEST(MachineRequest, RefusesSizesNamingTheUnitsAllowed) {
    for (const char *bad : {"16 gigs", "-1GB", "16", "16gb", ""}) {
        MachineRequest request = web_16gb();
        request.memory = bad;
        RequestProblem problem = refused(request);
        EXPECT_EQ(problem.message, std::string("invalid memory size \"") + bad + "\"");
        EXPECT_FALSE(problem.detail.empty()) << bad;
        EXPECT_TRUE(contains(problem.hint, "B, kB, MB, GB, TB")) << problem.hint;
    }
    MachineRequest request = web_16gb();
    request.memory = "512kB";
    EXPECT_EQ(refused(request).message, "memory \"512kB\" is out of range");
    EXPECT_EQ(refused(request).hint, "Give between 1MB and 1024TB.");
    request.memory.reset();
    EXPECT_EQ(refused(request).message, "memory must be given");
    request = web_16gb();
    request.data_size = "lots";
    EXPECT_EQ(refused(request).message, "invalid data_size \"lots\"");
    EXPECT_TRUE(contains(refused(request).hint, "NULL when the size is unknown"));
}

TEST(MachineRequest, RefusesCpusConnectionsStoragesAndWorkloadsNamingWhatIsAllowed) {
    MachineRequest request = web_16gb();
    request.cpus = 0;
    EXPECT_EQ(refused(request).message, "cpus 0 is out of range");
    EXPECT_EQ(refused(request).hint,
              "Give the number of CPUs the server may use, from 1 to 65536.");
    request.cpus = 100000;
    EXPECT_EQ(refused(request).message, "cpus 100000 is out of range");
    request.cpus.reset();
    EXPECT_EQ(refused(request).message, "cpus must be given");

    request = web_16gb();
    request.storage = "floppy";
    EXPECT_EQ(refused(request).message, "storage \"floppy\" is not known");
    EXPECT_EQ(refused(request).hint, "Use hdd, ssd, san or nvme.");

    request = web_16gb();
    request.workload = "game";
    EXPECT_EQ(refused(request).message, "workload \"game\" is not known");
    EXPECT_EQ(refused(request).hint, "Use web, oltp, dw, mixed or desktop.");

    request = web_16gb();
    request.max_connections = 0;
    EXPECT_EQ(refused(request).message, "max_connections 0 is out of range");
    EXPECT_TRUE(contains(refused(request).hint, "262143, or NULL"));
}

}  // namespace
}  // namespace poolopt::core
