#include "core/pool_client_settings.hpp"

#include <algorithm>
#include <cmath>

#include "core/pool_support.hpp"
#include "core/queueing.hpp"

namespace poolopt::core::pool_client_settings {

using pool_support::duration;
using pool_support::finite_non_negative;
using pool_support::floor_tolerant;
using pool_support::percent;

namespace {

// A checkout that waits ten holds is queueing behind a burst; waiting longer than ten
// minutes helps no caller, so longer holds get the cap and need timeouts of their own.
constexpr double kTimeoutMeanHolds = 10.0;
constexpr double kTimeoutP99Holds = 2.0;
constexpr int32_t kMaxPoolTimeoutSeconds = 600;

// Recycling bounds what a long-lived backend accumulates (catalog caches, prepared
// statements, fragmented memory) at the price of a backend start. 30 min is HikariCP's
// maxLifetime; a lightly used connection accumulates slowly and may live an hour. Where
// sessions get killed, 5 min stays below the 350 s idle limit common in cloud load
// balancers and NAT gateways, the usual killers besides the server itself.
constexpr int32_t kDefaultRecycleSeconds = 1800;
constexpr int32_t kLowLoadRecycleSeconds = 3600;
constexpr int32_t kKilledRecycleSeconds = 300;
// Recycle at 90 % of idle_session_timeout: a connection idle that long is already gone.
constexpr double kIdleSessionTimeoutShare = 0.9;

}  // namespace

int32_t overflow_floor(int32_t pool_size) noexcept {
    return (std::max(pool_size, 0) + 4) / 5;
}

int32_t overflow_ceiling(int32_t pool_size) noexcept {
    return std::max(overflow_floor(pool_size), std::max(pool_size, 0) / 2);
}

void plan_overflow(PoolRecommendation &row, uint32_t busy_p99, uint32_t busy_max,
                   pool_support::Notes &notes) {
    const int32_t low = overflow_floor(row.pool_size);
    const int32_t high = overflow_ceiling(row.pool_size);
    if (row.cpu_bound) {
        row.max_overflow = low;
        notes.add("max_overflow ", low,
                  ", the 20 % floor: with the CPU saturated extra connections only queue");
        return;
    }
    // Overflow connections open only for a burst and close when returned, so sizing them to
    // the largest burst seen costs little; the clamp keeps an outlier from mattering.
    const int64_t peak = std::min<int64_t>(std::max(busy_p99, busy_max), kMaxServers);
    const int64_t burst = std::max<int64_t>(peak - row.pool_size, 0);
    row.max_overflow = static_cast<int32_t>(std::clamp<int64_t>(burst, low, high));
    notes.add("max_overflow ", row.max_overflow, " for peaks of ", peak, " busy (p99 ", busy_p99,
              ", max ", busy_max, ") over the pool of ", row.pool_size, ", within 20–50 % of it (",
              low, "–", high, ")");
}

void plan_timeout(PoolRecommendation &row, double mean_hold_seconds,
                  std::optional<double> p99_hold_seconds, pool_support::Notes &notes) {
    double timeout = kDefaultPoolTimeoutSeconds;
    enum class Why { default_timeout, mean_holds, p99_holds } why = Why::default_timeout;
    const double hold = finite_non_negative(mean_hold_seconds);
    if (kTimeoutMeanHolds * hold > timeout) {
        timeout = kTimeoutMeanHolds * hold;
        why = Why::mean_holds;
    }
    const double p99_hold = p99_hold_seconds ? finite_non_negative(*p99_hold_seconds) : 0.0;
    if (kTimeoutP99Holds * p99_hold > timeout) {
        timeout = kTimeoutP99Holds * p99_hold;
        why = Why::p99_holds;
    }
    row.pool_timeout_seconds =
        static_cast<int32_t>(std::min<double>(std::ceil(timeout - 1e-9), kMaxPoolTimeoutSeconds));
    if (why == Why::default_timeout) return;
    notes.add("pool_timeout ", row.pool_timeout_seconds, " s: ");
    if (why == Why::mean_holds)
        notes.extend("10 × the ", duration(hold), " mean hold");
    else
        notes.extend("2 × the ", duration(p99_hold), " p99 hold");
    if (row.pool_timeout_seconds == kMaxPoolTimeoutSeconds) notes.extend(", capped");
}

void plan_recycle(PoolRecommendation &row, const SessionEndings &endings,
                  std::optional<double> low_load_utilisation, pool_support::Notes &notes) {
    const double idle_timeout = finite_non_negative(endings.idle_session_timeout_seconds);
    const uint64_t dropped = endings.killed + endings.abandoned;
    int32_t recycle = kDefaultRecycleSeconds;
    enum class Why {
        default_age,
        low_load,
        sessions_lost,
        below_idle_timeout
    } why = Why::default_age;
    if (low_load_utilisation) {
        recycle = kLowLoadRecycleSeconds;
        why = Why::low_load;
    }
    if (dropped > 0) {
        recycle = std::min(recycle, kKilledRecycleSeconds);
        why = Why::sessions_lost;
    }
    if (idle_timeout > 0.0) {
        const int64_t below =
            std::max<int64_t>(1, std::min(floor_tolerant(idle_timeout * kIdleSessionTimeoutShare),
                                          static_cast<int64_t>(std::ceil(idle_timeout)) - 1));
        if (below < recycle) {
            recycle = static_cast<int32_t>(below);
            why = Why::below_idle_timeout;
        }
    }
    row.pool_recycle_seconds = recycle;
    if (why != Why::default_age) notes.add("pool_recycle ", recycle, " s: ");
    if (why == Why::low_load)
        notes.extend("under low load (utilisation ", percent(*low_load_utilisation),
                     ") connections age slowly");
    else if (why == Why::sessions_lost)
        notes.extend("sessions were killed (", endings.killed, ") or abandoned (",
                     endings.abandoned, ") in the window");
    else if (why == Why::below_idle_timeout)
        notes.extend("below idle_session_timeout ", duration(idle_timeout));

    row.pre_ping = dropped > 0 || idle_timeout > 0.0 || endings.idle_session_timeouts > 0;
    if (!row.pre_ping) return;
    notes.add("pre_ping on: ");
    const char *separator = "";
    if (dropped > 0) {
        notes.extend(separator, "sessions are killed or abandoned");
        separator = ", ";
    }
    if (idle_timeout > 0.0) {
        notes.extend(separator, "the server closes sessions idle for ", duration(idle_timeout));
        separator = ", ";
    }
    if (endings.idle_session_timeouts > 0)
        notes.extend(separator, endings.idle_session_timeouts,
                     " sessions ended by idle_session_timeout");
}

}  // namespace poolopt::core::pool_client_settings
