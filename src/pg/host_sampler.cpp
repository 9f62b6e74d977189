#include "pg/host_sampler.hpp"

#include <algorithm>
#include <utility>

#include "core/host_probe.hpp"
#include "core/text_parse.hpp"
#include "pg/gucs.hpp"
#include "pg/plain_text.hpp"

namespace poolopt::pg {
namespace {

// Worker-local, allocated once per worker process and never freed: the process exits
// without running destructors, and nothing here needs one at exit.
struct HostSamplerState {
    core::CpuTimes previous_cpu;
    bool have_previous_cpu;
    uint64_t previous_cgroup_usage_micros;
    int64_t previous_cgroup_usage_at;
    int affinity_cpus;
    bool data_disk_rotational;  // detected once at start: rotational and not a virtual disk
    core::HostResources *host;  // the last full host reading, refreshed in place
    int64_t last_full_host_read_micros;
};
HostSamplerState *g_host = nullptr;

// The fast-moving host figures, read every sample: CPU times, MemAvailable, load.
void read_host_dynamics(core::HostResources &host) {
    if (auto text = core::read_text_file("/proc/stat", nullptr))
        host.cpu_times = core::parse_proc_stat(*text);
    if (auto text = core::read_text_file("/proc/loadavg", nullptr))
        host.load = core::parse_loadavg(*text);
    if (auto text = core::read_text_file("/proc/meminfo", nullptr)) {
        if (auto mem = core::parse_meminfo(*text)) {
            // Under a cgroup limit the full reading's headroom caps what MemAvailable says.
            uint64_t available = mem->available_bytes;
            if (host.memory_limit_bytes && host.memory_available_bytes)
                available = std::min(available, *host.memory_available_bytes);
            host.memory_available_bytes = available;
        }
    }
}

// Spindles as HikariCP counts them: one for a rotational data disk (set, or detected on a
// disk that is not virtual, whose rotational flag means nothing), none otherwise.
int32_t effective_spindles() {
    if (gucs::storage == gucs::storage_hdd) return 1;
    if (gucs::storage != gucs::storage_auto) return 0;
    return g_host->data_disk_rotational ? 1 : 0;
}

}  // namespace

StorageFigures start_host_sampler() {
    auto *state = static_cast<HostSamplerState *>(
        MemoryContextAllocZero(TopMemoryContext, sizeof(HostSamplerState)));
    state->affinity_cpus = core::count_affinity_cpus();
    core::StorageGuess guess = core::detect_storage_of_path("/", DataDir);
    state->data_disk_rotational = guess.kind == core::StorageKind::hdd && !guess.virtual_disk;
    g_host = state;
    StorageFigures storage{};
    storage.kind = int32_t(guess.kind);
    storage.virtual_disk = guess.virtual_disk;
    copy_text(storage.device, sizeof storage.device, guess.device);
    copy_text(storage.how, sizeof storage.how, guess.how);
    return storage;
}

HostReading sample_host(int64_t now_micros) {
    HostSamplerState &s = *g_host;
    HostReading reading;
    // Limits, cgroup paths and CPU counts change rarely: the full probe (mountinfo, the
    // cgroup walk) runs every kFullHostReadMicros, or every sample under a CPU quota, whose
    // cgroup usage counter is the CPU figure there. In between only /proc is read.
    constexpr int64_t kFullHostReadMicros = 10'000'000;
    bool full = !s.host || s.host->cpu_quota ||
                now_micros - s.last_full_host_read_micros >= kFullHostReadMicros;
    if (full) {
        core::HostResources fresh = core::read_host_resources("/", s.affinity_cpus);
        if (!s.host) s.host = new core::HostResources();
        *s.host = std::move(fresh);
        s.last_full_host_read_micros = now_micros;
    } else {
        read_host_dynamics(*s.host);
    }
    const core::HostResources &host = *s.host;
    if (host.cpu_times) {
        if (s.have_previous_cpu) {
            if (auto usage = core::cpu_usage_between(s.previous_cpu, *host.cpu_times)) {
                reading.cpu_utilisation = usage->utilisation;
                reading.cpu_iowait = usage->iowait;
            }
        }
        s.previous_cpu = *host.cpu_times;
        s.have_previous_cpu = true;
    }
    // Under a CPU quota /proc/stat shows the whole host; the cgroup's own usage against
    // its quota is what the server can still get.
    if (host.cpu_quota && host.cgroup_cpu_usage_usec) {
        if (s.previous_cgroup_usage_micros && now_micros > s.previous_cgroup_usage_at) {
            if (auto share = core::cgroup_cpu_utilisation(
                    s.previous_cgroup_usage_micros, *host.cgroup_cpu_usage_usec,
                    uint64_t(now_micros - s.previous_cgroup_usage_at), host.usable_cpus))
                reading.cpu_utilisation = *share;
        }
        s.previous_cgroup_usage_micros = *host.cgroup_cpu_usage_usec;
        s.previous_cgroup_usage_at = now_micros;
    }
    if (host.load) reading.load_1min = host.load->one;
    reading.usable_cpus = host.usable_cpus;
    reading.usable_memory_bytes = host.usable_memory_bytes;
    if (host.memory_available_bytes)
        reading.memory_available_bytes = int64_t(*host.memory_available_bytes);
    return reading;
}

void publish_host(HostFigures &figures, const HostReading &host, int64_t interval_micros,
                  bool window_closed) {
    figures.valid = true;
    figures.cpu_utilisation = host.cpu_utilisation;
    figures.cpu_iowait = host.cpu_iowait;
    figures.interval_micros = interval_micros;
    figures.usable_cpus = host.usable_cpus;
    figures.usable_memory_bytes = host.usable_memory_bytes;
    figures.memory_available_bytes =
        host.memory_available_bytes > 0 ? uint64_t(host.memory_available_bytes) : 0;
    figures.effective_spindles = effective_spindles();
    if (window_closed) {
        figures.previous_window_cpu_sum = figures.window_cpu_sum;
        figures.previous_window_cpu_samples = figures.window_cpu_samples;
        figures.window_cpu_sum = 0;
        figures.window_cpu_samples = 0;
    }
    if (!std::isnan(host.cpu_utilisation)) {
        figures.window_cpu_sum += host.cpu_utilisation;
        figures.window_cpu_samples++;
    }
}

}  // namespace poolopt::pg
