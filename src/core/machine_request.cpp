#include "core/machine_request.hpp"

#include <utility>

namespace poolopt::core {
namespace {

const char *const kSizeHint =
    "Give a number and one of the units B, kB, MB, GB, TB (case-sensitive), as in '16GB', "
    "'512MB' or '1TB'.";

ProfileOrProblem problem(std::string message, std::string detail, std::string hint) {
    return {std::nullopt, {std::move(message), std::move(detail), std::move(hint)}};
}

std::string quoted(const std::string &text) {
    return "\"" + text + "\"";
}

}  // namespace

ProfileOrProblem read_machine_request(const MachineRequest &request) {
    MachineProfile profile;
    profile.pg_major = request.pg_major;

    if (!request.memory) {
        return problem("memory must be given", "", kSizeHint);
    }
    ValueOrError<uint64_t> memory = parse_memory_size(*request.memory, SettingUnit::none());
    if (!memory.ok()) {
        return problem("invalid memory size " + quoted(*request.memory), memory.error, kSizeHint);
    }
    if (*memory.value < kMinProfileMemoryBytes || *memory.value > kMaxProfileMemoryBytes) {
        return problem("memory " + quoted(*request.memory) + " is out of range", "",
                       "Give between 1MB and 1024TB.");
    }
    profile.memory_bytes = *memory.value;

    const std::string cpu_hint = "Give the number of CPUs the server may use, from 1 to " +
                                 std::to_string(kMaxProfileCpus) + ".";
    if (!request.cpus) return problem("cpus must be given", "", cpu_hint);
    if (*request.cpus < 1 || *request.cpus > kMaxProfileCpus) {
        return problem("cpus " + std::to_string(*request.cpus) + " is out of range", "", cpu_hint);
    }
    profile.cpus = static_cast<int>(*request.cpus);

    const char *storage_hint = "Use hdd, ssd, san or nvme.";
    if (!request.storage) return problem("storage must be given", "", storage_hint);
    ValueOrError<Storage> storage = parse_storage(*request.storage);
    if (!storage.ok()) {
        return problem("storage " + quoted(*request.storage) + " is not known", "", storage_hint);
    }
    profile.storage = *storage.value;

    const char *workload_hint = "Use web, oltp, dw, mixed or desktop.";
    if (!request.workload) return problem("workload must be given", "", workload_hint);
    ValueOrError<Workload> workload = parse_workload(*request.workload);
    if (!workload.ok()) {
        return problem("workload " + quoted(*request.workload) + " is not known", "",
                       workload_hint);
    }
    profile.workload = *workload.value;

    if (request.max_connections) {
        if (*request.max_connections < 1 || *request.max_connections > kMaxConnectionsLimit) {
            return problem(
                "max_connections " + std::to_string(*request.max_connections) + " is out of range",
                "",
                "Give from 1 to " + std::to_string(kMaxConnectionsLimit) +
                    ", or NULL for the workload's default.");
        }
        profile.max_connections = static_cast<int>(*request.max_connections);
    }

    if (request.data_size) {
        ValueOrError<uint64_t> size = parse_memory_size(*request.data_size, SettingUnit::none());
        if (!size.ok()) {
            return problem("invalid data_size " + quoted(*request.data_size), size.error,
                           std::string(kSizeHint) + " Or NULL when the size is unknown.");
        }
        profile.database_size_bytes = *size.value;
    }
    return {std::move(profile), {}};
}

}  // namespace poolopt::core
