// The background worker that samples the server.
#pragma once

extern "C" {
#include "postgres.h"
#include "fmgr.h"
}

namespace poolopt::pg {
void register_worker();
}

extern "C" PGDLLEXPORT void pool_optimizer_worker_main(Datum argument);
