// Module initialisation: configuration, shared memory, hooks and the worker, all set up
// at preload time in the postmaster.
#include "pg/event_queue.hpp"

#include "pg/boundary.hpp"
#include "pg/compat.hpp"
#include "pg/events.hpp"
#include "pg/gucs.hpp"
#include "pg/persistence.hpp"
#include "pg/shmem.hpp"
#include "pg/warm_start.hpp"
#include "pg/worker.hpp"

extern "C" {
PG_MODULE_MAGIC;
void _PG_init(void);
}

namespace poolopt::pg {
namespace {

compat::ShmemRequest previous_shmem_request = nullptr;
shmem_startup_hook_type previous_shmem_startup = nullptr;

extern "C" void on_shmem_request(void) {
    if (previous_shmem_request) previous_shmem_request();
    request_shared_memory(compat::backend_slot_count(), gucs::max_pools, gucs::history_size);
}

extern "C" void on_shmem_startup(void) {
    if (previous_shmem_startup) previous_shmem_startup();
    bool created = guarded<bool>("shared memory initialisation", [] {
        return attach_shared_memory(compat::backend_slot_count(), gucs::max_pools,
                                    gucs::history_size);
    });
    // The postmaster (and a single-user backend) owns the saved statistics: it creates the
    // region before any other process exists, at start and again after a crash, and exits
    // after all of them. Backends attaching later must neither load nor save.
    if (IsUnderPostmaster) return;
    save_statistics_at_exit();
    if (created) load_saved_statistics(*shared());
}

}  // namespace
}  // namespace poolopt::pg

extern "C" void _PG_init(void) {
    using namespace poolopt::pg;
    // Loaded on demand by a backend (not preloaded): no shared memory, no worker, no hooks.
    // The SQL functions that need them say how to preload; the others still work.
    if (!process_shared_preload_libraries_in_progress) return;

    gucs::define_all();
    gucs::warn_about_inverted_pool_bounds();
    previous_shmem_request = compat::install_shmem_request(on_shmem_request);
    previous_shmem_startup = shmem_startup_hook;
    shmem_startup_hook = on_shmem_startup;
    install_event_hooks();
    register_worker();
    warm_lazy_bindings();
}
