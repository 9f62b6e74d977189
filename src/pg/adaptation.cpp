#include "pg/event_queue.hpp"

#include "pg/adaptation.hpp"

#include "pg/boundary.hpp"
#include "pg/pool_evaluation.hpp"

namespace poolopt::pg {

void evaluate_closed_window(const SharedView &view, int64_t now_micros) {
    PoolInputs inputs;
    copy_pool_inputs(view, core::FactsWindow::completed, now_micros, &inputs);
    auto *rows = static_cast<AdaptationRow *>(
        palloc0(sizeof(AdaptationRow) * size_t(inputs.group_count + 1)));
    core::PoolPolicy policy = pool_policy_from_settings();
    int count = 0;
    if (!guarded_quietly("pool adaptation", WARNING,
                         [&] { count = adapt_pools(inputs, policy, rows); }))
        return;

    // Groups may have been evicted or replaced since the copy: match by key.
    LWLockAcquire(view.lock, LW_EXCLUSIVE);
    for (int r = 0; r < count; ++r) {
        for (uint32_t i = 0; i < view.state->max_pools; ++i) {
            core::GroupEntry &entry = view.groups[i];
            if (entry.in_use && entry.key == rows[r].key) {
                entry.adapted_pool_size = rows[r].pool_size;
                break;
            }
        }
    }
    LWLockRelease(view.lock);

    for (int r = 0; r < count; ++r) {
        if (!rows[r].changed) continue;
        AdjustmentRecord record;
        std::memset(&record, 0, sizeof record);
        record.time_micros = now_micros;
        record.key = rows[r].key;
        record.old_pool_size = rows[r].old_pool_size;
        record.new_pool_size = rows[r].pool_size;
        std::memcpy(record.reason, rows[r].reason, sizeof record.reason);
        view.adjustments->push(record);
    }
    view.state->evaluations.fetch_add(1, std::memory_order_relaxed);
    view.state->last_evaluation_micros.store(now_micros, std::memory_order_relaxed);
}

}  // namespace poolopt::pg
