// Counter-slot readings for the tests: the counts given (their hold buckets, SlotHolds, are
// separate: zero unless a test gives them).
#pragma once

#include "core/observation.hpp"

inline poolopt::core::SlotReading slot_reading(int32_t pid, uint64_t transactions,
                                               uint64_t busy_micros,
                                               uint64_t owner_base_transactions = 0,
                                               uint64_t owner_base_busy_micros = 0) {
    poolopt::core::SlotReading reading{};
    reading.pid = pid;
    reading.transactions = transactions;
    reading.busy_micros = busy_micros;
    reading.owner_base_transactions = owner_base_transactions;
    reading.owner_base_busy_micros = owner_base_busy_micros;
    return reading;
}
