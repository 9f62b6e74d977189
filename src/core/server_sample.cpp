#include "core/server_sample.hpp"

namespace poolopt::core {

namespace {
template <typename T>
T forward_delta(T before, T after) {
    return after >= before ? after - before : after;
}
}  // namespace

DatabaseCounters counter_delta(const DatabaseCounters &before, const DatabaseCounters &after) {
    DatabaseCounters d;
    d.active_time_ms = forward_delta(before.active_time_ms, after.active_time_ms);
    d.idle_in_transaction_time_ms =
        forward_delta(before.idle_in_transaction_time_ms, after.idle_in_transaction_time_ms);
    d.session_time_ms = forward_delta(before.session_time_ms, after.session_time_ms);
    d.sessions = forward_delta(before.sessions, after.sessions);
    d.sessions_abandoned = forward_delta(before.sessions_abandoned, after.sessions_abandoned);
    d.sessions_fatal = forward_delta(before.sessions_fatal, after.sessions_fatal);
    d.sessions_killed = forward_delta(before.sessions_killed, after.sessions_killed);
    d.xact_commit = forward_delta(before.xact_commit, after.xact_commit);
    d.xact_rollback = forward_delta(before.xact_rollback, after.xact_rollback);
    d.temp_files = forward_delta(before.temp_files, after.temp_files);
    d.temp_bytes = forward_delta(before.temp_bytes, after.temp_bytes);
    d.blks_hit = forward_delta(before.blks_hit, after.blks_hit);
    d.blks_read = forward_delta(before.blks_read, after.blks_read);
    d.rows_read = forward_delta(before.rows_read, after.rows_read);
    d.rows_written = forward_delta(before.rows_written, after.rows_written);
    d.checkpoints_timed = forward_delta(before.checkpoints_timed, after.checkpoints_timed);
    d.checkpoints_requested =
        forward_delta(before.checkpoints_requested, after.checkpoints_requested);
    return d;
}

DatabaseCounters counter_sum(const DatabaseCounters &a, const DatabaseCounters &b) {
    DatabaseCounters s;
    s.active_time_ms = a.active_time_ms + b.active_time_ms;
    s.idle_in_transaction_time_ms = a.idle_in_transaction_time_ms + b.idle_in_transaction_time_ms;
    s.session_time_ms = a.session_time_ms + b.session_time_ms;
    s.sessions = a.sessions + b.sessions;
    s.sessions_abandoned = a.sessions_abandoned + b.sessions_abandoned;
    s.sessions_fatal = a.sessions_fatal + b.sessions_fatal;
    s.sessions_killed = a.sessions_killed + b.sessions_killed;
    s.xact_commit = a.xact_commit + b.xact_commit;
    s.xact_rollback = a.xact_rollback + b.xact_rollback;
    s.temp_files = a.temp_files + b.temp_files;
    s.temp_bytes = a.temp_bytes + b.temp_bytes;
    s.blks_hit = a.blks_hit + b.blks_hit;
    s.blks_read = a.blks_read + b.blks_read;
    s.rows_read = a.rows_read + b.rows_read;
    s.rows_written = a.rows_written + b.rows_written;
    s.checkpoints_timed = a.checkpoints_timed + b.checkpoints_timed;
    s.checkpoints_requested = a.checkpoints_requested + b.checkpoints_requested;
    return s;
}

}  // namespace poolopt::core
