// Workload type from telemetry: which of PGTune's workloads the observed traffic resembles,
// by the thresholds documented in workload_rules.hpp.
#include <cmath>
#include <cstdio>
#include <string>
#include <utility>

#include "core/workload_rules.hpp"

namespace poolopt::core {
namespace {

std::string printf_text(const char *format, double value) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, format, value);
    return buffer;
}

bool valid_interval(double seconds) noexcept {
    return std::isfinite(seconds) && seconds > 0;
}

bool valid_non_negative(double value) noexcept {
    return std::isfinite(value) && value >= 0;
}

}  // namespace

ValueOrError<WorkloadInference> infer_workload(const WorkloadTelemetry &t) {
    using Result = ValueOrError<WorkloadInference>;
    if (!valid_interval(t.interval_seconds) || t.transactions < 0 ||
        !valid_non_negative(t.mean_transaction_seconds) || t.temp_bytes < 0 ||
        !valid_non_negative(t.mean_busy_connections) || t.cpus < 1 ||
        (t.read_share && !(*t.read_share >= 0 && *t.read_share <= 1))) {
        return Result::failure(
            "workload telemetry is invalid: interval_seconds and cpus must be positive, counts "
            "and means non-negative, and the read share, when given, between 0 and 1");
    }
    double transaction_seconds = static_cast<double>(t.transactions) * t.mean_transaction_seconds;
    if (t.transactions < kMinTransactionsToInferWorkload &&
        transaction_seconds < kMinTransactionSecondsToInferWorkload) {
        return Result::failure(std::to_string(t.transactions) + " transactions (" +
                               describe_seconds(transaction_seconds) + " in all) over " +
                               describe_seconds(t.interval_seconds) +
                               " are too few to infer the workload: at least " +
                               std::to_string(kMinTransactionsToInferWorkload) + " or " +
                               describe_seconds(kMinTransactionSecondsToInferWorkload) +
                               " of transactions are needed; set pool_optimizer.workload "
                               "meanwhile");
    }
    double mean = t.mean_transaction_seconds;
    auto temp_per_transaction =
        t.transactions > 0 ? static_cast<uint64_t>(t.temp_bytes / t.transactions) : 0;
    std::string duration_text = "mean transaction " + describe_seconds(mean);
    std::string read_text = t.read_share
                                ? printf_text("%.0f", *t.read_share * 100) + " % of rows read"
                                : "read/write mix unknown";
    std::string busy_text = printf_text("%.1f", t.mean_busy_connections) + " busy connections on " +
                            std::to_string(t.cpus) + " CPUs";
    auto answer = [](Workload workload, std::string reason) {
        return Result::of(WorkloadInference{workload, std::move(reason)});
    };

    bool long_transactions = mean >= kLongTransactionSeconds;
    bool spill_heavy = temp_per_transaction >= kSpillHeavyBytesPerTransaction;
    if (long_transactions || spill_heavy) {
        std::string why =
            long_transactions
                ? duration_text + " (at least " + describe_seconds(kLongTransactionSeconds) + ")"
                : describe_bytes(temp_per_transaction) + " of temp files per transaction";
        bool few_busy = t.mean_busy_connections <= t.cpus;
        bool read_mostly = !t.read_share || *t.read_share >= kReadMostlyShare;
        if (few_busy && read_mostly) {
            return answer(Workload::dw, why + ", " + read_text + ", " + busy_text +
                                            ": few long read-mostly queries, a warehouse");
        }
        return answer(Workload::mixed,
                      why + ", but " + read_text + ", " + busy_text +
                          ": long queries alongside many concurrent or writing ones");
    }
    if (mean <= kShortTransactionSeconds) {
        if (t.read_share && *t.read_share < kWebReadShare) {
            return answer(Workload::oltp, duration_text + ", " + read_text + " (below " +
                                              printf_text("%.0f", kWebReadShare * 100) +
                                              " %): short writing transactions");
        }
        return answer(Workload::web,
                      duration_text + ", " + read_text + ": short read-mostly transactions");
    }
    return answer(Workload::mixed, duration_text + ", between " +
                                       describe_seconds(kShortTransactionSeconds) + " and " +
                                       describe_seconds(kLongTransactionSeconds) + ", " +
                                       read_text + ": neither short web requests nor long reports");
}

}  // namespace poolopt::core
