// Workload inference on scripted traffic: which workload each mix of transaction length,
// reads, temp files and concurrency reads as, and when there is too little to say.
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "core/workload_rules.hpp"

namespace poolopt::core {
namespace {

constexpr double kHour = 3600;

bool contains(const std::string &text, const std::string &part) {
    return text.find(part) != std::string::npos;
}

WorkloadTelemetry traffic(double mean_seconds, std::optional<double> read_share, double busy = 2,
                          int cpus = 8) {
    WorkloadTelemetry t;
    t.interval_seconds = kHour;
    t.transactions = 100000;
    t.mean_transaction_seconds = mean_seconds;
    t.read_share = read_share;
    t.mean_busy_connections = busy;
    t.cpus = cpus;
    return t;
}

WorkloadInference ok(const ValueOrError<WorkloadInference> &result) {
    EXPECT_TRUE(result.ok()) << result.error;
    return result.value.value_or(WorkloadInference{});
}

Workload inferred(const WorkloadTelemetry &t) {
    return ok(infer_workload(t)).workload;
}

TEST(WorkloadInference, ShortReadMostlyIsWebShortWritingIsOltp) {
    EXPECT_EQ(inferred(traffic(0.01, 0.95)), Workload::web);
    EXPECT_EQ(inferred(traffic(0.02, 0.5)), Workload::oltp);
    EXPECT_EQ(inferred(traffic(0.1, 0.79)), Workload::oltp);
    EXPECT_EQ(inferred(traffic(0.1, 0.8)), Workload::web);
    WorkloadInference unknown_mix = ok(infer_workload(traffic(0.01, std::nullopt)));
    EXPECT_EQ(unknown_mix.workload, Workload::web);
    EXPECT_TRUE(contains(unknown_mix.reason, "read/write mix unknown")) << unknown_mix.reason;
}

TEST(WorkloadInference, FewLongReadMostlyQueriesAreDw) {
    WorkloadTelemetry t = traffic(30, 0.99, 3, 8);
    t.transactions = 360;  // a warehouse runs few transactions
    WorkloadInference inference = ok(infer_workload(t));
    EXPECT_EQ(inference.workload, Workload::dw);
    EXPECT_TRUE(contains(inference.reason, "mean transaction 30s")) << inference.reason;
    EXPECT_TRUE(contains(inference.reason, "3.0 busy connections on 8 CPUs")) << inference.reason;
    // A dozen ten-minute reports an hour are enough to judge by their time.
    t.transactions = 12;
    t.mean_transaction_seconds = 600;
    EXPECT_EQ(inferred(t), Workload::dw);
}

TEST(WorkloadInference, SpillHeavyMediumQueriesAreDw) {
    WorkloadTelemetry t = traffic(0.5, std::nullopt, 2, 8);
    t.transactions = 1000;
    t.temp_bytes = 1000 * 20 * static_cast<int64_t>(kMegabyte);
    WorkloadInference inference = ok(infer_workload(t));
    EXPECT_EQ(inference.workload, Workload::dw);
    EXPECT_TRUE(contains(inference.reason, "20MB of temp files per transaction"))
        << inference.reason;
}

TEST(WorkloadInference, LongQueriesAmongManyBusyOrWritingOnesAreMixed) {
    EXPECT_EQ(inferred(traffic(5, 0.95, 20, 4)), Workload::mixed);
    EXPECT_EQ(inferred(traffic(3, 0.5, 2, 8)), Workload::mixed);
    EXPECT_EQ(inferred(traffic(0.3, 0.95)), Workload::mixed);
}

TEST(WorkloadInference, TooLittleTrafficOrNonsenseGivesNoAnswer) {
    WorkloadTelemetry t = traffic(0.01, 0.9);
    t.transactions = 99;
    std::string error = infer_workload(t).error;
    EXPECT_TRUE(contains(error, "too few")) << error;
    EXPECT_TRUE(contains(error, "pool_optimizer.workload")) << error;
    EXPECT_FALSE(infer_workload(traffic(0.01, 1.5)).ok());
    EXPECT_FALSE(infer_workload(traffic(0.01, 0.9, 2, 0)).ok());
}

}  // namespace
}  // namespace poolopt::core
