// One sample of the server: backend status, counter slots, database and checkpoint
// counters, host resources and queued events, published into shared memory.
#pragma once

namespace poolopt::pg {

// Allocates the worker-local state; call once in the worker before the first sample.
void sampler_start();
// Takes and publishes one sample. May ereport; the worker's loop recovers.
void take_sample();
// Whether pool_optimizer_reset() was called since the last sample (which applies it).
bool reset_requested();

}  // namespace poolopt::pg
