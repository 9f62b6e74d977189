#include "pg/gucs.hpp"

#include "pg/postgres_headers.hpp"

namespace poolopt::pg::gucs {

bool enabled = true;
int sample_interval_ms = 1000;
int evaluation_interval_s = 300;
int history_size = 3600;
int max_pools = 256;
int storage = storage_auto;
int workload = workload_auto;

namespace {
const struct config_enum_entry kStorageOptions[] = {
    {"auto", storage_auto, false}, {"ssd", storage_ssd, false},   {"hdd", storage_hdd, false},
    {"san", storage_san, false},   {"nvme", storage_nvme, false}, {nullptr, 0, false},
};
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
    DefineCustomEnumVariable(
        "pool_optimizer.workload",
        "Workload the settings are recommended for: auto infers it from telemetry.",
        "web, oltp, dw, mixed and desktop are PGTune's workload types; auto infers one of the "
        "first four from transaction durations, spills and concurrency.",
        &workload, workload_auto, kWorkloadOptions, PGC_SUSET, 0, nullptr, nullptr, nullptr);
    MarkGUCPrefixReserved("pool_optimizer");
}

}  // namespace poolopt::pg::gucs
