// The workload and the storage a running server is tuned for: set by pool_optimizer.*,
// else inferred from telemetry or detected, else PGTune's defaults; each with its reason.
#include <utility>

#include "core/settings_advisor.hpp"

namespace poolopt::core {

Choice<Workload> choose_workload(std::optional<Workload> setting, const TelemetryWindow &window,
                                 int cpus) {
    if (setting) {
        return {*setting, std::string("workload ") + workload_name(*setting) +
                              " set by pool_optimizer.workload"};
    }
    const std::string assumed = "workload web assumed, PGTune's default";
    if (window.seconds <= 0) {
        return {Workload::web, assumed +
                                   ": no telemetry yet to infer it from; set "
                                   "pool_optimizer.workload meanwhile"};
    }
    WorkloadTelemetry telemetry;
    telemetry.interval_seconds = window.seconds;
    telemetry.transactions = window.transactions();
    // Time in transactions per transaction, as pg_stat_database shows it (tuning-anchors).
    double transaction_ms = window.delta.active_time_ms + window.delta.idle_in_transaction_time_ms;
    telemetry.mean_transaction_seconds =
        telemetry.transactions > 0 ? transaction_ms / 1000 / double(telemetry.transactions) : 0;
    int64_t rows = window.delta.rows_read + window.delta.rows_written;
    if (rows > 0) telemetry.read_share = double(window.delta.rows_read) / double(rows);
    telemetry.temp_bytes = window.delta.temp_bytes;
    telemetry.mean_busy_connections = window.mean_busy;
    telemetry.cpus = cpus > 0 ? cpus : 1;
    ValueOrError<WorkloadInference> inferred = infer_workload(telemetry);
    if (!inferred.ok()) return {Workload::web, assumed + ": " + inferred.error};
    return {inferred.value->workload, std::string("workload ") +
                                          workload_name(inferred.value->workload) +
                                          " inferred from telemetry: " + inferred.value->reason};
}

Choice<Storage> choose_storage(std::optional<Storage> setting, const StorageGuess &detected) {
    if (setting) {
        return {*setting, std::string("storage ") + storage_name(*setting) +
                              " set by pool_optimizer.storage"};
    }
    switch (detected.kind) {
        case StorageKind::ssd:
            return {Storage::ssd, "storage ssd detected (" + detected.how + ")"};
        case StorageKind::hdd:
            if (detected.virtual_disk) {
                return {Storage::ssd,
                        "storage taken as ssd: the data directory is on a virtual disk whose "
                        "rotational flag is the hypervisor's default, not the media, and "
                        "virtual volumes are mostly SSD-backed (" +
                            detected.how + "); set pool_optimizer.storage = 'hdd' if it spins"};
            }
            return {Storage::hdd, "storage hdd detected (" + detected.how + ")"};
        case StorageKind::unknown:
            break;
    }
    return {Storage::ssd, "storage taken as ssd, PGTune's default: detection could not tell (" +
                              detected.how + "); set pool_optimizer.storage"};
}

}  // namespace poolopt::core
