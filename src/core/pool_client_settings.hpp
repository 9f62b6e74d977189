// The client pool settings beside pool_size: max_overflow, pool_timeout, pool_recycle and
// pre_ping, for measured and hardware-only rows alike. Internal to the pool engine: each
// function sets fields of the row and adds the note that explains them to `notes`.
#pragma once

#include <cstdint>
#include <optional>

#include "core/pool_engine.hpp"
#include "core/pool_support.hpp"

namespace poolopt::core::pool_client_settings {

constexpr int32_t kDefaultPoolTimeoutSeconds = 30;  // SQLAlchemy's and HikariCP's default

int32_t overflow_floor(int32_t pool_size) noexcept;    // 20 %, rounded up
int32_t overflow_ceiling(int32_t pool_size) noexcept;  // 50 %, rounded down; >= the floor

// max_overflow from the busy peak (the larger of p99 and max) above row.pool_size, within
// 20–50 % of the pool; the 20 % floor alone when row.cpu_bound.
void plan_overflow(PoolRecommendation &row, uint32_t busy_p99, uint32_t busy_max,
                   pool_support::Notes &notes);

// pool_timeout: 30 s, or 10 × the mean hold or 2 × the p99 hold when longer; at most 600 s.
void plan_timeout(PoolRecommendation &row, double mean_hold_seconds,
                  std::optional<double> p99_hold_seconds, pool_support::Notes &notes);

// How sessions ended, or may be ended, by others than the pool.
struct SessionEndings {
    double idle_session_timeout_seconds = 0;  // in effect for the group; 0 = off
    uint64_t killed = 0;
    uint64_t abandoned = 0;
    uint64_t idle_session_timeouts = 0;
};

// pool_recycle: 1800 s; 3600 s under low load (`low_load_utilisation` set); 300 s where
// sessions were killed or abandoned; below any idle_session_timeout (90 % of it, and at
// least a second under it). pre_ping wherever sessions die while the pool keeps them.
void plan_recycle(PoolRecommendation &row, const SessionEndings &endings,
                  std::optional<double> low_load_utilisation, pool_support::Notes &notes);

}  // namespace poolopt::core::pool_client_settings
