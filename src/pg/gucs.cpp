#include "pg/gucs.hpp"

#include "pg/compat.hpp"

namespace poolopt::pg::gucs {

bool enabled = true;
int sample_interval_ms = 1000;
int evaluation_interval_s = 300;
int history_size = 3600;
int max_pools = 256;
int storage = storage_auto;
int min_pool_size = 5;
int max_pool_size = 50;
double target_wait_probability = 0.05;
int workload = workload_auto;
bool save = true;

namespace {
const struct config_enum_entry kStorageOptions[] = {
    {"auto", storage_auto, false}, {"ssd", storage_ssd, false},   {"hdd", storage_hdd, false},
    {"san", storage_san, false},   {"nvme", storage_nvme, false}, {nullptr, 0, false},
};

// min_pool_size <= max_pool_size, checked against the other's value in force. Setting both
// at once in postgresql.conf applies them in file order: raise the maximum first.
// At server start the two are read one after the other, so the pair is not checked then;
// the engine still never recommends outside [min, max] (it raises max to min).
bool check_min_pool_size(int *newval, void **, GucSource) {
    if (process_shared_preload_libraries_in_progress || *newval <= max_pool_size) return true;
    GUC_check_errcode(ERRCODE_INVALID_PARAMETER_VALUE);
    GUC_check_errdetail(
        "pool_optimizer.min_pool_size (%d) must not exceed "
        "pool_optimizer.max_pool_size (%d).",
        *newval, max_pool_size);
    return false;
}

bool check_max_pool_size(int *newval, void **, GucSource) {
    if (process_shared_preload_libraries_in_progress || *newval >= min_pool_size) return true;
    GUC_check_errcode(ERRCODE_INVALID_PARAMETER_VALUE);
    GUC_check_errdetail(
        "pool_optimizer.max_pool_size (%d) must not be below "
        "pool_optimizer.min_pool_size (%d).",
        *newval, min_pool_size);
    return false;
}

const struct config_enum_entry kWorkloadOptions[] = {
    {"auto", workload_auto, false},
    {"web", workload_web, false},
    {"oltp", workload_oltp, false},
    {"dw", workload_dw, false},
    {"mixed", workload_mixed, false},
    {"desktop", workload_desktop, false},
    {nullptr, 0, false},
};

const char *option_name(const config_enum_entry *options, int setting) {
    for (const config_enum_entry *e = options; e->name; ++e)
        if (e->val == setting) return e->name;
    return "auto";
}
}  // namespace

const char *storage_setting_name(int setting) {
    return option_name(kStorageOptions, setting);
}

const char *workload_setting_name(int setting) {
    return option_name(kWorkloadOptions, setting);
}

void warn_about_inverted_pool_bounds() {
    if (min_pool_size > max_pool_size)
        ereport(WARNING,
                (errmsg("pool_optimizer.min_pool_size (%d) exceeds pool_optimizer.max_pool_size "
                        "(%d)",
                        min_pool_size, max_pool_size),
                 errdetail("Every pool size is held at %d.", min_pool_size),
                 errhint("Set pool_optimizer.max_pool_size to at least "
                         "pool_optimizer.min_pool_size.")));
}

void define_all() {
    DefineCustomBoolVariable("pool_optimizer.enabled",
                             "Whether the pool_optimizer worker samples the server.", nullptr,
                             &enabled, true, PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
    DefineCustomIntVariable("pool_optimizer.sample_interval",
                            "Time between two samples of backend activity and host resources.",
                            nullptr, &sample_interval_ms, 1000, 10, 60000, PGC_SIGHUP, GUC_UNIT_MS,
                            nullptr, nullptr, nullptr);
    DefineCustomIntVariable("pool_optimizer.evaluation_interval",
                            "Length of the window over which busy connections are summarised.",
                            nullptr, &evaluation_interval_s, 300, 10, 86400, PGC_SIGHUP, GUC_UNIT_S,
                            nullptr, nullptr, nullptr);
    DefineCustomIntVariable(
        "pool_optimizer.history_size", "Number of server-wide samples kept in shared memory.",
        nullptr, &history_size, 3600, 60, 100000, PGC_POSTMASTER, 0, nullptr, nullptr, nullptr);
    DefineCustomIntVariable("pool_optimizer.max_pools",
                            "Number of pool groups (database, role, application, client "
                            "address) tracked; the least recently seen is evicted beyond it.",
                            nullptr, &max_pools, 256, 1, 10000, PGC_POSTMASTER, 0, nullptr, nullptr,
                            nullptr);
    DefineCustomEnumVariable(
        "pool_optimizer.storage", "Storage of the data directory: auto detects it from sysfs.",
        "Virtual disks often claim to be rotational; set ssd, hdd, san or "
        "nvme when detection is wrong.",
        &storage, storage_auto, kStorageOptions, PGC_SUSET, 0, nullptr, nullptr, nullptr);
    DefineCustomIntVariable(
        "pool_optimizer.min_pool_size", "Smallest pool_size recommended for any pool group.",
        nullptr, &min_pool_size, 5, 1, 10000, PGC_SUSET, 0, check_min_pool_size, nullptr, nullptr);
    DefineCustomIntVariable(
        "pool_optimizer.max_pool_size", "Largest pool_size recommended for any pool group.",
        nullptr, &max_pool_size, 50, 1, 10000, PGC_SUSET, 0, check_max_pool_size, nullptr, nullptr);
    DefineCustomRealVariable("pool_optimizer.target_wait_probability",
                             "Largest acceptable probability that a checkout waits for a "
                             "connection (Erlang C), which sizes pool_size.",
                             nullptr, &target_wait_probability, 0.05, 0.0001, 1.0, PGC_SUSET, 0,
                             nullptr, nullptr, nullptr);
    DefineCustomEnumVariable(
        "pool_optimizer.workload",
        "Workload the settings are recommended for: auto infers it from telemetry.",
        "web, oltp, dw, mixed and desktop are PGTune's workload types; auto infers one of the "
        "first four from transaction durations, spills and concurrency.",
        &workload, workload_auto, kWorkloadOptions, PGC_SUSET, 0, nullptr, nullptr, nullptr);
    DefineCustomBoolVariable("pool_optimizer.save",
                             "Whether pool statistics and the adaptation history are kept across "
                             "clean server restarts.",
                             nullptr, &save, true, PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
    compat::reserve_guc_prefix("pool_optimizer");
}

}  // namespace poolopt::pg::gucs
