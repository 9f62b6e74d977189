// The pool engine on a saturated host: how many busy connections the CPUs serve at once and
// how that capacity is shared among the CPU-bound pools.

#include "core/pool_engine.hpp"

#include "core/pool_support.hpp"

#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "pool_engine_fixtures.hpp"
#include "text_assertions.hpp"

using namespace poolopt::core;
using namespace pool_engine_fixtures;

TEST(PoolEngine, CpuCapacityCountsRunningAndOverlappingConnections) {
    // One running per core, + the busy connections in waits that overlap CPU work (the
    // share neither on CPU nor on locks, here I/O), to the nearest: by Little's law the
    // number the waits hold at the throughput the cores allow.
    PoolPolicy no_floor;
    no_floor.min_pool_size = 1;
    for (const auto &[busy, on_cpu, capacity] : std::vector<std::tuple<double, double, int32_t>>{
             {96, 1.0, 2}, {96, 0.995, 2}, {96, 0.99, 3}, {20, 0.9, 4}, {10, 0.5, 7}}) {
        PoolGroupFacts facts = cpu_bound_oversized_pool();
        set_busy(facts, busy, 96, 96, 96, 1.0);
        facts.on_cpu_share = on_cpu;
        const PoolRecommendations result = recommend_pools({facts}, server_with(2, 0.98), no_floor);
        EXPECT_EQ(result.cpu_capacity_connections, capacity) << busy << " busy, " << on_cpu;
        EXPECT_EQ(result.pools.at(0).pool_size, capacity) << busy << " busy, " << on_cpu;
    }
    // Lock waits do not overlap CPU work: a longer lock queue serves nobody.
    PoolGroupFacts locked = cpu_bound_oversized_pool();
    set_busy(locked, 20, 20, 20, 20, 1.0);
    locked.on_cpu_share = 0.6;
    locked.lock_wait_share = 0.3;
    EXPECT_EQ(recommend_pools({locked}, server_with(2, 0.98), no_floor).cpu_capacity_connections,
              4);  // 2 + 20 × 10 %
    // Spindles add to it, as in HikariCP's formula.
    ServerFacts with_disks = server_with(2, 0.98);
    with_disks.effective_spindles = 2;
    EXPECT_EQ(recommend_pools({cpu_bound_oversized_pool()}, with_disks, no_floor)
                  .cpu_capacity_connections,
              4);
}

// TPC-B with pgbench on the same 2 cores at 12 clients (bench/RESULTS.md, session 4): 58 %
// of the busy time idle in transaction waiting for pgbench, 18 % on row locks, 5 % on CPU,
// the rest in WAL waits.
static PoolGroupFacts local_tpcb_pool(const std::string &client_addr) {
    PoolGroupFacts facts = measured_group("tpcb", 3084, 0.0036, 12);
    facts.identity.client_addr = client_addr;
    set_busy(facts, 11.09, 12, 12, 12, 0.36);
    facts.idle_in_transaction_share = 0.58;
    facts.lock_wait_share = 0.18;
    facts.on_cpu_share = 0.05;
    return facts;
}

TEST(PoolEngine, ClientOnThisHostCompetesForTheCpus) {
    PoolPolicy no_floor;
    no_floor.min_pool_size = 1;
    for (const char *address : {"", "127.0.0.1", "::1", "::ffff:127.0.0.1"}) {
        const PoolRecommendations result =
            recommend_pools({local_tpcb_pool(address)}, server_with(2, 0.97), no_floor);
        const PoolRecommendation &row = result.pools.at(0);
        EXPECT_TRUE(row.cpu_bound) << address;
        // 2 running, + 2 × 92 % (0.58 ÷ 0.63 of the CPU-side time in pgbench) in the clients,
        // + 11.09 × 19 % = 2.1 in WAL waits: 5.9, rounded down to 5 as 18 % of the busy
        // connections wait on row locks.
        EXPECT_EQ(result.cpu_capacity_connections, 5) << address;
        EXPECT_EQ(row.pool_size, 5) << address;
        EXPECT_CONTAINS(row.reason,
                        "58 % waiting for their client on this host (on the same "
                        "CPUs) and 19 % in waits that overlap CPU work");
        EXPECT_CONTAINS(row.reason,
                        "2 running, + 1.84 in the clients on this host, 92.1 % of "
                        "the CPU-side time, + 2.11 in overlapping waits, + 0 spindles, "
                        "rounded down: 18 % of them wait on locks, and one more connection "
                        "would lengthen that queue too; HikariCP's");
    }
    // With fewer lock waits than the 10 % that discount the load, the nearest (2.96 is 3 in
    // CpuCapacityCountsRunningAndOverlappingConnections): the 13 % no longer on locks overlap
    // CPU work, 2 + 1.84 + 11.09 × 32 % = 7.4, and 7.
    PoolGroupFacts few_locks = local_tpcb_pool("");
    few_locks.lock_wait_share = 0.05;
    const PoolRecommendations nearest =
        recommend_pools({few_locks}, server_with(2, 0.97), no_floor);
    EXPECT_EQ(nearest.cpu_capacity_connections, 7);
    EXPECT_LACKS(nearest.pools.at(0).reason, "rounded down");
    for (const char *address : {"10.0.0.7", "::ffff:10.0.0.7", "::ffff:", "128.0.0.1", "::2"})
        EXPECT_FALSE(pool_support::client_on_this_host(address)) << address;
    // A remote client's time between statements leaves the cores to others: the pool is not
    // CPU-bound by its shares, and Erlang C on the load doing work gives 16. Its busy
    // connections mostly wait away from the CPUs, each wanting a core independently of the
    // others; the host, at 97 %, is busier than the 2.77 ms of sampled waits predict for
    // the 11.1 in a transaction (76.3 %), and 1.12 ms away reproduce it: 13 in a transaction
    // keep the CPUs 98 % busy, 14 open with 11.1 of the 12 in one at a time.
    const PoolRecommendation remote =
        recommend_pools({local_tpcb_pool("10.0.0.7")}, server_with(2, 0.97), no_floor).pools.at(0);
    EXPECT_EQ(remote.erlang_pool_size, 16);
    EXPECT_EQ(remote.pool_size, 14);
    EXPECT_TRUE(remote.cpu_bound);
    EXPECT_CONTAINS(remote.reason,
                    "the host CPU, higher than 2.77 ms of sampled waits predicts for the 11.1 "
                    "connections in a transaction (76.3 %), fits 1.12 ms away from the CPUs per "
                    "transaction; at 629 µs of host CPU per transaction (97 % of 2 CPUs over "
                    "3084 tx/s) and 1.12 ms away from them, a connection in a transaction wants "
                    "a core 36 % of the time, whatever the others do: its waits run their "
                    "course, not lengthened by the CPUs' queue; 13 connections in a transaction "
                    "keep the CPUs 98 % busy (independent sources); 11.1 of its 12 connections "
                    "were in a transaction at a time, the others between transactions in their "
                    "clients' hands, away from the CPUs too: 13 in a transaction take 14 open, "
                    "down from 16");
    EXPECT_LACKS(remote.reason, "CPU is the bottleneck");
    // Nor does a local client on a host with CPU to spare.
    EXPECT_FALSE(only_row(local_tpcb_pool(""), server_with(2, 0.6), no_floor).cpu_bound);
}

TEST(PoolEngine, LWLockQueuesDoNotCountAsOverlappingWaits) {
    // TPC-B with pgbench on the same 2 cores at 96 clients (bench/RESULTS.md, session 8):
    // 78 % on row locks, 13 % idle in transaction, 2 % on CPU, 7 % in other waits, of which
    // 6 % on the WALWrite and LockManager LWLocks.
    PoolGroupFacts facts = measured_group("tpcb", 1356, 0.0689, 96);
    facts.identity.client_addr = "";
    set_busy(facts, 93.43, 96, 96, 96, 0.12);
    facts.lock_wait_share = 0.78;
    facts.idle_in_transaction_share = 0.13;
    facts.on_cpu_share = 0.02;
    const PoolPolicy policy = benchmark_policy();
    // Without wait-event detail for LWLocks, the 6.5 connections in those queues count as
    // overlapping: 2 running, + 1.73 in pgbench, + 6.54: 10.
    EXPECT_EQ(recommend_pools({facts}, server_with(2, 0.95), policy).cpu_capacity_connections, 10);
    facts.lwlock_wait_share = 0.06;
    const PoolRecommendations result = recommend_pools({facts}, server_with(2, 0.95), policy);
    // 2 running, + 1.73 in pgbench, + 93.43 × 1 % = 0.93: 4.67, rounded down to 4 as 78 % of
    // the busy connections wait on row locks (5 ran 0.86 of the throughput of 4 and 1.21
    // times its p95 in bench/RESULTS.md, run 28).
    EXPECT_EQ(result.cpu_capacity_connections, 4);
    const PoolRecommendation &row = result.pools.at(0);
    EXPECT_EQ(row.pool_size, 4);
    EXPECT_CONTAINS(row.reason,
                    "13 % waiting for their client on this host (on the same CPUs), 6 % queued "
                    "on LWLocks behind other connections (the WAL flush, the lock manager), which "
                    "more connections lengthen, and 1 % in waits that overlap CPU work (I/O, "
                    "timers, remote clients);");
    EXPECT_CONTAINS(row.reason, "+ 0.934 in overlapping waits not on LWLocks, + 0 spindles");
    // A share beyond the overlapping waits (figures from different samples) is capped there.
    facts.lwlock_wait_share = 0.5;
    EXPECT_EQ(recommend_pools({facts}, server_with(2, 0.95), policy).cpu_capacity_connections, 3);
}

TEST(PoolEngine, CpuShareIsEstimatedWithoutWaitEvents) {
    PoolGroupFacts facts = cpu_bound_oversized_pool();
    facts.on_cpu_share.reset();
    facts.idle_in_transaction_share = 0.1;
    const PoolRecommendation row = only_row(facts, server_with(2, 0.98));
    EXPECT_TRUE(row.cpu_bound);
    EXPECT_CONTAINS(row.reason, "90 % (estimated, wait events unknown) of busy connections");

    facts.idle_in_transaction_share = 0.7;  // mostly idle in transaction: not on CPU
    EXPECT_LACKS(only_row(facts, server_with(2, 0.98)).reason, "CPU is the bottleneck");
}

TEST(PoolEngine, CpuCapacityIsSharedByOfferedLoad) {
    // Capacity 8 (4 cores) over loads 5 : 3 : 2 is 4, 2.4, 1.6: floors 4, 2, 1 and the spare
    // connection to the largest remainder.
    std::vector<PoolGroupFacts> groups;
    for (double load : {5.0, 3.0, 2.0}) {
        PoolGroupFacts facts = measured_group("app" + std::to_string(static_cast<int>(load)),
                                              load * 100, 0.01 * 4, 30);
        set_busy(facts, load * 4, 30, 30, 30, 1.0);
        facts.on_cpu_share = 0.9;  // capacity 4 running + 40 busy × 10 % waiting = 8
        groups.push_back(facts);
    }
    PoolPolicy policy;
    policy.min_pool_size = 1;
    const PoolRecommendations result = recommend_pools(groups, server_with(4, 0.95), policy);
    ASSERT_EQ(result.pools.size(), 3u);
    EXPECT_EQ(result.cpu_capacity_connections, 8);
    EXPECT_EQ(result.pools[0].pool_size, 4);
    EXPECT_EQ(result.pools[1].pool_size, 2);
    EXPECT_EQ(result.pools[2].pool_size, 2);
    // All three share (shop, app): PgBouncer's pool for the pair is the sum.
    for (const PoolRecommendation &row : result.pools) {
        EXPECT_TRUE(row.transaction_pooling_advised);
        EXPECT_EQ(row.pgbouncer_default_pool_size, 8);
    }
}

TEST(PoolEngine, PoolsWithoutOpenConnectionsDoNotShareTheCpuCapacity) {
    // The same application renamed: the old group's load is still in the window, but its
    // connections are closed. The new group gets the whole capacity of 8 (4 cores); the old
    // one the half it would get beside it.
    std::vector<PoolGroupFacts> groups;
    for (int32_t connections : {0, 12}) {
        PoolGroupFacts facts =
            measured_group(connections ? "shop-v2" : "shop-v1", 400, 0.01, connections);
        set_busy(facts, 4, 12, 12, 12, 0.0);
        facts.on_cpu_share = 0.5;  // capacity 4 running + 8 busy × 50 % waiting = 8
        groups.push_back(facts);
    }
    PoolPolicy policy;
    policy.min_pool_size = 1;
    const PoolRecommendations result = recommend_pools(groups, server_with(4, 0.95), policy);
    ASSERT_EQ(result.pools.size(), 2u);
    EXPECT_EQ(result.cpu_capacity_connections, 8);
    EXPECT_EQ(result.pools[0].pool_size, 4);
    EXPECT_EQ(result.pools[1].pool_size, 8);
    EXPECT_CONTAINS(result.pools[1].reason, "this pool's share by offered load is 8, down from 12");
}
