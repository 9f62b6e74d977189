// recommend_settings()'s arguments read into a MachineProfile. A bad argument is refused
// with the three parts of a PostgreSQL error: what is wrong (message), why (detail, may be
// empty) and what is allowed (hint).
#pragma once

#include <optional>
#include <string>

#include "core/settings_engine.hpp"

namespace poolopt::core {

// As SQL passed them; unset = NULL.
struct MachineRequest {
    std::optional<std::string> memory;  // "16GB"
    std::optional<int64_t> cpus;
    std::optional<std::string> storage;      // hdd, ssd, san, nvme
    std::optional<std::string> workload;     // web, oltp, dw, mixed, desktop
    std::optional<int64_t> max_connections;  // unset: the workload's default
    std::optional<std::string> data_size;    // unset: unknown
    int pg_major = kNewestPgMajor;
};

struct RequestProblem {
    std::string message;
    std::string detail;
    std::string hint;
};

struct ProfileOrProblem {
    std::optional<MachineProfile> profile;
    RequestProblem problem;  // meaningful when profile is unset
};

// Sizes are read as PostgreSQL reads them (parse_memory_size), but a bare number is
// refused: "16" could mean bytes or gigabytes. extension_workers stays 0, for parity with
// PGTune, which knows of no extension.
ProfileOrProblem read_machine_request(const MachineRequest &request);

}  // namespace poolopt::core
