// host_resources(): what the server may really use, read fresh from /proc, cgroups and
// sysfs by the calling backend, with the worker's CPU figures of its last interval.
#include "pg/event_queue.hpp"

#include "core/host_probe.hpp"
#include "pg/boundary.hpp"
#include "pg/gucs.hpp"
#include "pg/plain_text.hpp"
#include "pg/row_builder.hpp"
#include "pg/shmem.hpp"

extern "C" {
PG_FUNCTION_INFO_V1(host_resources);
}

using namespace poolopt;
using namespace poolopt::pg;

namespace {

// host_resources' figures as plain data: the C++ strings and vectors of the probe are
// gone before any PostgreSQL call can raise an error.
struct HostRow {
    double usable_cpus;
    int affinity_cpus, online_cpus;
    bool has_quota;
    double cpu_quota;
    int64_t memory_total, memory_available, memory_limit, usable_memory;  // -1 unknown
    bool has_load;
    double load1, load5, load15;
    char cgroup_version[16];
    char storage[16];
    char storage_source[512];
    char problems[2048];
};

int64_t or_unknown(const std::optional<uint64_t> &v) {
    return v ? int64_t(*v) : -1;
}

HostRow probe_host(const char *data_directory, int storage_setting) {
    HostRow row{};
    core::HostResources host = core::read_host_resources("/", core::count_affinity_cpus());
    row.usable_cpus = host.usable_cpus;
    row.affinity_cpus = host.affinity_cpus;
    row.online_cpus = host.online_cpus;
    row.has_quota = host.cpu_quota.has_value();
    row.cpu_quota = host.cpu_quota.value_or(0);
    row.memory_total = or_unknown(host.memory_total_bytes);
    row.memory_available = or_unknown(host.memory_available_bytes);
    row.memory_limit = or_unknown(host.memory_limit_bytes);
    row.usable_memory = host.usable_memory_bytes ? int64_t(host.usable_memory_bytes) : -1;
    row.has_load = host.load.has_value();
    if (host.load)
        row.load1 = host.load->one, row.load5 = host.load->five, row.load15 = host.load->fifteen;
    copy_text(row.cgroup_version, sizeof row.cgroup_version, host.cgroup_version);

    if (storage_setting != gucs::storage_auto) {
        copy_text(row.storage, sizeof row.storage, gucs::storage_setting_name(storage_setting));
        copy_text(row.storage_source, sizeof row.storage_source, "set by pool_optimizer.storage");
    } else {
        core::StorageGuess guess = core::detect_storage_of_path("/", data_directory);
        copy_text(row.storage, sizeof row.storage, core::storage_kind_name(guess.kind));
        copy_text(row.storage_source, sizeof row.storage_source, guess.how);
    }
    std::string problems;
    for (const std::string &p : host.problems) problems += (problems.empty() ? "" : "; ") + p;
    copy_text(row.problems, sizeof row.problems, problems);
    return row;
}

Datum host_resources_rows(FunctionCallInfo fcinfo) {
    compat::init_materialized_srf(fcinfo);
    const char *data_directory = DataDir;
    int storage_setting = gucs::storage;
    HostRow host = guarded<HostRow>("host_resources",
                                    [&] { return probe_host(data_directory, storage_setting); });

    // CPU figures need two readings apart in time: the worker's, when it runs.
    HostFigures cpu{};
    if (const SharedView *view = shared()) {
        LWLockAcquire(view->lock, LW_SHARED);
        cpu = view->state->host;
        LWLockRelease(view->lock);
    }
    RowBuilder row;
    row.float8(host.usable_cpus);
    row.int4(host.affinity_cpus);
    row.int4(host.online_cpus);
    host.has_quota ? row.float8(host.cpu_quota) : row.null();
    for (int64_t bytes :
         {host.memory_total, host.memory_available, host.memory_limit, host.usable_memory})
        bytes >= 0 ? row.int8(bytes) : row.null();
    host.has_load ? row.float8(host.load1) : row.null();
    host.has_load ? row.float8(host.load5) : row.null();
    host.has_load ? row.float8(host.load15) : row.null();
    cpu.valid ? row.float8(cpu.cpu_utilisation) : row.null();
    cpu.valid ? row.float8(cpu.cpu_iowait) : row.null();
    row.text(host.cgroup_version);
    row.text(host.storage);
    row.text(host.storage_source);
    row.text_or_null(host.problems);
    row.emit(fcinfo);
    return Datum(0);
}

}  // namespace

extern "C" Datum host_resources(PG_FUNCTION_ARGS) {
    return guarded<Datum>("host_resources", [&] { return host_resources_rows(fcinfo); });
}
