// Saving the group aggregates and the adaptation history across a clean restart, in
// pg_stat/pool_optimizer.stat (format: core/stats_file.hpp). pg_stat_statements is the
// model: the postmaster saves at its exit and loads right after creating the region.
#pragma once

#include "pg/shmem.hpp"

namespace poolopt::pg {

// In the postmaster only, right after it created the region and before any other process
// can attach: loads the file when pool_optimizer.save is on, then removes it (with save
// off it is removed unread). Never
// raises: a missing file is a fresh start; an unreadable or foreign one is a WARNING and
// a fresh start.
void load_saved_statistics(const SharedView &view);

// In the postmaster only: registers the save at its exit (on_shmem_exit). A crash exit
// saves nothing; the region may be inconsistent then.
void save_statistics_at_exit();

}  // namespace poolopt::pg
