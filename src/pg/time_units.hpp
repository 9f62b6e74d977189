// Conversions between Unix-epoch microseconds (what shared memory stores) and
// PostgreSQL's TimestampTz (microseconds since 2000-01-01).
#pragma once

#include <ctime>

#include "pg/postgres_headers.hpp"

namespace poolopt::pg {

constexpr int64 kPostgresEpochOffsetMicros =
    int64(POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY;

inline int64_t unix_micros_now() {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return int64_t(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

inline TimestampTz timestamptz_from_unix_micros(int64_t micros) {
    return TimestampTz(micros - kPostgresEpochOffsetMicros);
}

inline int64_t unix_micros_from_timestamptz(TimestampTz ts) {
    return int64_t(ts) + kPostgresEpochOffsetMicros;
}

}  // namespace poolopt::pg
