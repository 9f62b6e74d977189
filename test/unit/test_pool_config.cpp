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
              "; pgbouncer pool: database=shop user=web (confidence high)\n"
              "[databases]\nshop = dbname=shop user=web pool_size=4 reserve_pool=3 "
              "pool_mode=transaction\n"
              "[pgbouncer]\nreserve_pool_timeout = 5\n"
              "query_wait_timeout = 30\nserver_lifetime = 1800\n");
}

TEST(PoolConfig, PgbouncerCombinesTheGroupsOfADatabaseAndRole) {
    PoolRecommendation checkout = sample_pool();
    PoolRecommendation reports = sample_pool();
    reports.identity.application = "reports";
    reports.pool_size = 5;
    reports.max_overflow = 1;
    reports.pool_recycle_seconds = 300;
    reports.pre_ping = false;
    reports.confidence = RecommendationConfidence::medium;
    PoolRecommendation other_role = sample_pool();
    other_role.identity.role = "admin";
    std::vector<PoolRecommendation> pairs = combine_for_pgbouncer({checkout, other_role, reports});
    ASSERT_EQ(pairs.size(), 2u);
    EXPECT_EQ(pairs[0].identity.role, "web");
    EXPECT_EQ(pairs[0].identity.application, "");
    EXPECT_EQ(pairs[0].pool_size, 13);
    EXPECT_EQ(pairs[0].max_overflow, 4);
    EXPECT_EQ(pairs[0].pool_recycle_seconds, 300);
    EXPECT_TRUE(pairs[0].pre_ping);
    EXPECT_EQ(pairs[0].confidence, RecommendationConfidence::medium);
    EXPECT_EQ(pairs[1].identity.role, "admin");
    EXPECT_EQ(pairs[1].pool_size, 8);
}
