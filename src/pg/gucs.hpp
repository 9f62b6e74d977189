// pool_optimizer.* configuration parameters. Defined in module.cpp at preload time.
#pragma once

namespace poolopt::pg::gucs {

enum StorageSetting { storage_auto, storage_ssd, storage_hdd, storage_san, storage_nvme };
enum WorkloadSetting {
    workload_auto,
    workload_web,
    workload_oltp,
    workload_dw,
    workload_mixed,
    workload_desktop
};

extern bool enabled;               // sampling on/off (reload)
extern int sample_interval_ms;     // between samples (reload)
extern int evaluation_interval_s;  // length of the busy-statistics window (reload)
extern int history_size;           // samples kept in the history ring (restart)
extern int max_pools;              // pool groups tracked (restart)
extern int storage;                // StorageSetting (superuser, any time)
extern int min_pool_size;          // bounds of every recommended pool_size (superuser)
extern int max_pool_size;
extern double target_wait_probability;  // Erlang C target for pool_size (superuser)
extern int workload;               // WorkloadSetting (superuser, any time)
extern bool save;                       // keep statistics across clean restarts (reload)

const char *storage_setting_name(int setting);
const char *workload_setting_name(int setting);
void define_all();
// At start the pool-size bounds are read one by one and cannot be checked as a pair.
void warn_about_inverted_pool_bounds();

}  // namespace poolopt::pg::gucs
