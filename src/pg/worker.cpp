// The sampling worker: started once the server is consistent, restarted one second after
// it dies, reloads configuration on SIGHUP, exits on SIGTERM and with the postmaster.
#include "pg/event_queue.hpp"

#include "pg/worker.hpp"

#include "pg/boundary.hpp"
#include "pg/gucs.hpp"
#include "pg/sampler.hpp"
#include "pg/shmem.hpp"
#include "pg/time_units.hpp"

namespace poolopt::pg {

namespace {
constexpr int kRestartSeconds = 1;

void clear_worker_pid(int, Datum) {
    if (const SharedView *view = shared()) view->state->worker_pid.store(0);
}

// Rounded up: rounding down would wake the worker before the deadline and make it spin
// through zero-timeout waits for the last fraction of a millisecond.
long milliseconds_until(TimestampTz deadline) {
    TimestampTz remaining = deadline - GetCurrentTimestamp();
    return remaining <= 0 ? 0 : long((remaining + 999) / 1000);
}
}  // namespace

void register_worker() {
    BackgroundWorker worker;
    std::memset(&worker, 0, sizeof worker);
    worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
    worker.bgw_start_time = BgWorkerStart_ConsistentState;
    worker.bgw_restart_time = kRestartSeconds;
    strlcpy(worker.bgw_library_name, "pool_optimizer", BGW_MAXLEN);
    strlcpy(worker.bgw_function_name, "pool_optimizer_worker_main", BGW_MAXLEN);
    strlcpy(worker.bgw_name, "pool_optimizer worker", BGW_MAXLEN);
    strlcpy(worker.bgw_type, "pool_optimizer worker", BGW_MAXLEN);
    RegisterBackgroundWorker(&worker);
}

}  // namespace poolopt::pg

using namespace poolopt::pg;

// Entry point from the postmaster. Errors inside a pass are reported, cleaned up after and
// the loop carries on: the worker only exits on SIGTERM or postmaster death.
extern "C" void pool_optimizer_worker_main(Datum) {
    pqsignal(SIGHUP, SignalHandlerForConfigReload);
    pqsignal(SIGTERM, die);
    BackgroundWorkerUnblockSignals();
    // No database: the worker reads only shared catalogs (database and role names).
    BackgroundWorkerInitializeConnection(nullptr, nullptr, 0);

    const SharedView &view = require_shared("pool_optimizer worker");
    before_shmem_exit(clear_worker_pid, 0);
    view.state->worker_started_micros.store(unix_micros_now());
    view.state->worker_pid.store(MyProcPid);
    sampler_start();
    ereport(LOG, (errmsg("pool_optimizer worker started, sampling every %d ms",
                         gucs::sample_interval_ms)));

    MemoryContext loop_context = CurrentMemoryContext;
    TimestampTz next_sample = GetCurrentTimestamp();
    sigjmp_buf local_sigjmp_buf;
    if (sigsetjmp(local_sigjmp_buf, 1) != 0) {
        // An ERROR escaped a pass: report it, clean up like a backend's error recovery,
        // and wait one interval before trying again so that a persistent fault cannot spin.
        error_context_stack = nullptr;
        HOLD_INTERRUPTS();
        EmitErrorReport();
        AbortOutOfAnyTransaction();
        LWLockReleaseAll();
        MemoryContextSwitchTo(loop_context);
        FlushErrorState();
        RESUME_INTERRUPTS();
        next_sample = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), gucs::sample_interval_ms);
    }
    PG_exception_stack = &local_sigjmp_buf;

    for (;;) {
        long timeout = gucs::enabled ? milliseconds_until(next_sample) : 60000;
        int rc = WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, timeout,
                           PG_WAIT_EXTENSION);
        if (rc & WL_LATCH_SET) ResetLatch(MyLatch);
        CHECK_FOR_INTERRUPTS();
        if (ConfigReloadPending) {
            ConfigReloadPending = false;
            ProcessConfigFile(PGC_SIGHUP);
            // A new interval applies from now, not after the old one has run out.
            next_sample = GetCurrentTimestamp();
        }
        // pool_optimizer_reset() sets the latch: apply it now rather than up to an interval
        // later, and count the next interval from the fresh start. Only when woken, so that
        // a sample failing before it applies the reset still waits an interval to retry.
        if ((rc & WL_LATCH_SET) && reset_requested()) next_sample = GetCurrentTimestamp();
        if (!gucs::enabled || GetCurrentTimestamp() < next_sample) continue;
        next_sample = TimestampTzPlusMilliseconds(next_sample, gucs::sample_interval_ms);
        // After a long stall (suspend, overload) restart the cadence instead of catching up.
        if (next_sample < GetCurrentTimestamp())
            next_sample =
                TimestampTzPlusMilliseconds(GetCurrentTimestamp(), gucs::sample_interval_ms);
        take_sample();
    }
}
