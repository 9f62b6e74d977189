#include "core/pool_config.hpp"

#include <algorithm>
#include <cctype>

namespace poolopt::core {

namespace {

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::string group_comment(const char *comment, const PoolRecommendation &pool) {
    const PoolIdentity &id = pool.identity;
    std::string line = std::string(comment) + " pool group: database=" + id.database +
                       " role=" + id.role +
                       " application_name=" + (id.application.empty() ? "(none)" : id.application) +
                       " client_addr=" + (id.client_addr.empty() ? "(local)" : id.client_addr) +
                       " (confidence " + confidence_name(pool.confidence) + ")\n";
    return line;
}

std::string sqlalchemy(const PoolRecommendation &p) {
    return group_comment("#", p) + "create_engine(url, pool_size=" + std::to_string(p.pool_size) +
           ", max_overflow=" + std::to_string(p.max_overflow) +
           ", pool_timeout=" + std::to_string(p.pool_timeout_seconds) +
           ", pool_recycle=" + std::to_string(p.pool_recycle_seconds) +
           ", pool_pre_ping=" + (p.pre_ping ? "True" : "False") + ")\n";
}

// HikariCP keeps a fixed pool best (its own advice): minimumIdle is the steady size and
// maximumPoolSize adds the overflow for bursts, closed again after idleTimeout.
std::string hikaricp(const PoolRecommendation &p) {
    int64_t lifetime_ms = int64_t(p.pool_recycle_seconds) * 1000;
    int64_t idle_ms = std::min<int64_t>(600000, lifetime_ms);
    std::string out = group_comment("#", p);
    out += "minimumIdle=" + std::to_string(p.pool_size) + "\n";
    out += "maximumPoolSize=" + std::to_string(p.pool_size + p.max_overflow) + "\n";
    out += "connectionTimeout=" + std::to_string(int64_t(p.pool_timeout_seconds) * 1000) + "\n";
    out += "idleTimeout=" + std::to_string(idle_ms) + "\n";
    out += "maxLifetime=" + std::to_string(lifetime_ms) + "\n";
    // HikariCP validates on borrow anyway; keepalive also tests idle connections, which is
    // what pre_ping buys where the server kills sessions.
    if (p.pre_ping)
        out += "keepaliveTime=" + std::to_string(std::min<int64_t>(60000, lifetime_ms / 2)) + "\n";
    return out;
}

// pool_mode goes on the database line: in [pgbouncer] it would apply to every pool.
std::string pgbouncer(const PoolRecommendation &p) {
    const PoolIdentity &id = p.identity;
    std::string out = "; pgbouncer pool: database=" + id.database + " user=" + id.role +
                      " (confidence " + confidence_name(p.confidence) + ")\n";
    out += "[databases]\n";
    int32_t size = p.transaction_pooling_advised ? p.pgbouncer_default_pool_size : p.pool_size;
    out += id.database + " = dbname=" + id.database + " user=" + id.role +
           " pool_size=" + std::to_string(size) + " reserve_pool=" + std::to_string(p.max_overflow);
    if (p.transaction_pooling_advised) out += " pool_mode=transaction";
    out += "\n[pgbouncer]\n";
    out += "reserve_pool_timeout = 5\n";
    out += "query_wait_timeout = " + std::to_string(p.pool_timeout_seconds) + "\n";
    out += "server_lifetime = " + std::to_string(p.pool_recycle_seconds) + "\n";
    if (p.pre_ping) out += "server_check_delay = 10\n";
    return out;
}

int rank(RecommendationConfidence c) {
    return c == RecommendationConfidence::low ? 0 : c == RecommendationConfidence::medium ? 1 : 2;
}

}  // namespace

std::vector<PoolRecommendation> combine_for_pgbouncer(
    const std::vector<PoolRecommendation> &pools) {
    std::vector<PoolRecommendation> pairs;
    for (const PoolRecommendation &p : pools) {
        auto same_pair = [&](const PoolRecommendation &q) {
            return q.identity.database == p.identity.database && q.identity.role == p.identity.role;
        };
        auto found = std::find_if(pairs.begin(), pairs.end(), same_pair);
        if (found == pairs.end()) {
            PoolRecommendation pair = p;
            pair.identity.application.clear();
            pair.identity.client_addr.clear();
            pairs.push_back(std::move(pair));
            continue;
        }
        PoolRecommendation &pair = *found;
        pair.connections += p.connections;
        pair.pool_size += p.pool_size;
        pair.max_overflow += p.max_overflow;
        pair.pool_timeout_seconds = std::max(pair.pool_timeout_seconds, p.pool_timeout_seconds);
        pair.pool_recycle_seconds = std::min(pair.pool_recycle_seconds, p.pool_recycle_seconds);
        pair.pre_ping = pair.pre_ping || p.pre_ping;
        if (rank(p.confidence) < rank(pair.confidence)) pair.confidence = p.confidence;
        if (p.transaction_pooling_advised) {
            pair.transaction_pooling_advised = true;
            pair.pgbouncer_default_pool_size =
                std::max(pair.pgbouncer_default_pool_size, p.pgbouncer_default_pool_size);
        }
    }
    return pairs;
}

std::optional<PoolConfigFormat> parse_pool_config_format(std::string_view name) noexcept {
    if (equals_ignoring_case(name, "sqlalchemy")) return PoolConfigFormat::sqlalchemy;
    if (equals_ignoring_case(name, "hikaricp")) return PoolConfigFormat::hikaricp;
    if (equals_ignoring_case(name, "pgbouncer")) return PoolConfigFormat::pgbouncer;
    return std::nullopt;
}

const char *known_pool_config_formats() noexcept {
    return "sqlalchemy, hikaricp, pgbouncer";
}

std::string format_pool_config(PoolConfigFormat format, const PoolRecommendation &pool) {
    switch (format) {
        case PoolConfigFormat::sqlalchemy:
            return sqlalchemy(pool);
        case PoolConfigFormat::hikaricp:
            return hikaricp(pool);
        case PoolConfigFormat::pgbouncer:
            return pgbouncer(pool);
    }
    return {};
}

}  // namespace poolopt::core
