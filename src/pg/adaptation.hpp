// The worker's evaluation at the end of each window: adapt every group's running pool
// size and record the changes in the adjustment ring.
#pragma once

#include <cstdint>

#include "pg/shmem.hpp"

namespace poolopt::pg {

// Runs in the worker, outside any lock, after the sample that closed a window.
void evaluate_closed_window(const SharedView &view, int64_t now_micros);

}  // namespace poolopt::pg
