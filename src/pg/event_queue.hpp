// The backend -> worker event queue type. Boost must be included before PostgreSQL's
// headers (their macros clash), so this header includes no PostgreSQL header and every
// file that needs it includes it first.
#pragma once

#include <boost/lockfree/queue.hpp>

#include "core/event.hpp"

namespace poolopt::pg {

// Fixed capacity: storage lives inside the object, indices instead of pointers, so the
// queue can be constructed in shared memory and used from every process. Boost requires
// capacity < 65535.
constexpr size_t kEventQueueCapacity = 8192;

// Concurrency protocol: many producers (any backend, in hooks) push with bounded_push,
// which never blocks and never allocates; a full queue makes the push fail and the
// producer counts a drop. One consumer, the worker, pops.
using EventQueue =
    boost::lockfree::queue<core::Event, boost::lockfree::capacity<kEventQueueCapacity>>;

}  // namespace poolopt::pg
