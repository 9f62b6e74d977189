#include <gtest/gtest.h>

#include "core/pool_config.hpp"

using namespace poolopt::core;

namespace {
PoolRecommendation sample_pool() {
    PoolRecommendation p;
    p.identity = PoolIdentity{"shop", "web", "checkout", "10.0.0.5"};
    p.pool_size = 8;
    p.max_overflow = 3;
    p.pool_timeout_seconds = 30;
    p.pool_recycle_seconds = 1800;
    p.pre_ping = true;
    p.confidence = RecommendationConfidence::high;
    return p;
}
}  // namespace

TEST(PoolConfig, FormatsAreParsedCaseInsensitivelyAndOthersRefused) {
    EXPECT_EQ(parse_pool_config_format("SQLAlchemy"), PoolConfigFormat::sqlalchemy);
    EXPECT_EQ(parse_pool_config_format("hikaricp"), PoolConfigFormat::hikaricp);
    EXPECT_EQ(parse_pool_config_format("PGBOUNCER"), PoolConfigFormat::pgbouncer);
    EXPECT_FALSE(parse_pool_config_format("django"));
    EXPECT_FALSE(parse_pool_config_format(""));
    EXPECT_STREQ(known_pool_config_formats(), "sqlalchemy, hikaricp, pgbouncer");
}

TEST(PoolConfig, SqlalchemyKeywordArguments) {
    EXPECT_EQ(format_pool_config(PoolConfigFormat::sqlalchemy, sample_pool()),
              "# pool group: database=shop role=web application_name=checkout "
              "client_addr=10.0.0.5 (confidence high)\n"
              "create_engine(url, pool_size=8, max_overflow=3, pool_timeout=30, "
              "pool_recycle=1800, pool_pre_ping=True)\n");
}

TEST(PoolConfig, HikariProperties) {
    EXPECT_EQ(format_pool_config(PoolConfigFormat::hikaricp, sample_pool()),
              "# pool group: database=shop role=web application_name=checkout "
              "client_addr=10.0.0.5 (confidence high)\n"
              "minimumIdle=8\nmaximumPoolSize=11\nconnectionTimeout=30000\n"
              "idleTimeout=600000\nmaxLifetime=1800000\nkeepaliveTime=60000\n");
}

TEST(PoolConfig, PgbouncerIniWithTransactionPoolingWhenAdvised) {
    PoolRecommendation p = sample_pool();
    p.identity.application = "";
    p.identity.client_addr = "";
    p.pre_ping = false;
    p.transaction_pooling_advised = true;
    p.pgbouncer_default_pool_size = 4;
    EXPECT_EQ(format_pool_config(PoolConfigFormat::pgbouncer, p),
              "; pool group: database=shop role=web application_name=(none) "
              "client_addr=(local) (confidence high)\n"
              "[databases]\nshop = dbname=shop pool_size=4 reserve_pool=3\n"
              "[pgbouncer]\npool_mode = transaction\nreserve_pool_timeout = 5\n"
              "query_wait_timeout = 30\nserver_lifetime = 1800\n");
}
