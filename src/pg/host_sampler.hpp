// The worker's reading of the host at each sample: CPU utilisation (of the cgroup's quota
// where there is one), memory, load, and the data disk's spindles, published beside the
// groups' figures. Worker only; its state lives in the worker's TopMemoryContext.
#pragma once

#include <cmath>
#include <cstdint>

#include "pg/shmem.hpp"

namespace poolopt::pg {

struct HostReading {
    double cpu_utilisation = NAN, cpu_iowait = NAN, load_1min = NAN;
    int64_t memory_available_bytes = -1;
    double usable_cpus = 0;
    uint64_t usable_memory_bytes = 0;
};

// Allocates the state, counts the CPUs the worker may run on and detects the data
// directory's storage, which it returns for publishing. Call once, before the first sample.
// May throw (std::bad_alloc, from the storage probe's text): call it inside `guarded`.
StorageFigures start_host_sampler();

// Reads the host; a figure it could not read stays unknown (NaN, -1 or 0) in the reading
// (read_host_resources reports unreadable files in its `problems` and never throws). May
// throw std::bad_alloc: call it inside `guarded_quietly`.
HostReading sample_host(int64_t now_micros);

// Under the LWLock: publishes the reading, and adds its CPU figure to the window's sum.
void publish_host(HostFigures &figures, const HostReading &host, int64_t interval_micros,
                  bool window_closed);

}  // namespace poolopt::pg
