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

std::string pgbouncer(const PoolRecommendation &p) {
    const PoolIdentity &id = p.identity;
    std::string out = group_comment(";", p);
    out += "[databases]\n";
    int32_t size = p.transaction_pooling_advised ? p.pgbouncer_default_pool_size : p.pool_size;
    out += id.database + " = dbname=" + id.database + " pool_size=" + std::to_string(size) +
           " reserve_pool=" + std::to_string(p.max_overflow) + "\n";
    out += "[pgbouncer]\n";
    if (p.transaction_pooling_advised) out += "pool_mode = transaction\n";
    out += "reserve_pool_timeout = 5\n";
    out += "query_wait_timeout = " + std::to_string(p.pool_timeout_seconds) + "\n";
    out += "server_lifetime = " + std::to_string(p.pool_recycle_seconds) + "\n";
    if (p.pre_ping) out += "server_check_delay = 10\n";
    return out;
}

}  // namespace

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
