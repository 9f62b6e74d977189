// The recommendations as configuration a client pool takes as it is: SQLAlchemy
// create_engine keyword arguments, HikariCP properties, PgBouncer ini lines.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/pool_engine.hpp"

namespace poolopt::core {

enum class PoolConfigFormat { sqlalchemy, hikaricp, pgbouncer };

// Case-insensitive; std::nullopt for anything else.
std::optional<PoolConfigFormat> parse_pool_config_format(std::string_view name) noexcept;
// "sqlalchemy, hikaricp, pgbouncer": for the error that names what is allowed.
const char *known_pool_config_formats() noexcept;

// One block for one group, ending in a newline; comment lines name the group and the figures.
std::string format_pool_config(PoolConfigFormat format, const PoolRecommendation &pool);

// PgBouncer pools per (database, user), not per application: the groups of one pair become
// one pool whose size and reserve are the sums of theirs, in transaction mode when any of
// them was advised it (with the pair's default_pool_size), the shortest recycle, the longest
// timeout, pre_ping when any needs it and the lowest confidence. The result's application
// and client address are empty; its order is that of each pair's first group.
std::vector<PoolRecommendation> combine_for_pgbouncer(const std::vector<PoolRecommendation> &pools);

}  // namespace poolopt::core
