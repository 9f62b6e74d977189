# The collector end to end on a live server: per-group states agree with
# pg_stat_activity, the sample ring and the worker's own figures, the worker's restart
# after it is killed, configuration reload, the events reported by backends (refused
# connections, timeouts, authentication failures) and transaction counts under pgbench.
use strict;
use warnings;

use FindBin;
use IPC::Run;
use lib "$FindBin::RealBin/..";
use PoolOptimizerTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

# poll_query_until tries 10 * timeout_default times, 0.1 s apart: bound every wait to
# about half a minute (a passing run never waits more than a few seconds).
$PostgreSQL::Test::Utils::timeout_default = $ENV{PG_TEST_TIMEOUT_DEFAULT} || 30;

my $node = preloaded_node('telemetry', q{
pool_optimizer.sample_interval = 100ms
});
my $superuser = $node->safe_psql('postgres', 'SELECT current_user');

# Starts a statement that will not return, and waits until psql has sent it.
sub start_blocking {
    my ($session, $sql) = @_;
    $session->query_until(qr/started/, "\\echo started\n$sql\n");
}

# One pool_metrics() column summed over the groups of an application (a group is
# database, role, application, client address; groups may linger with no connection).
sub metric {
    my ($column, $app, $role) = @_;
    my $where = "application_name = '$app'";
    $where .= " AND role = '$role'" if defined $role;
    return $node->safe_psql('postgres',
        "SELECT coalesce(sum($column), 0) FROM pool_metrics() WHERE $where");
}

sub poll_metric {
    my ($column, $app, $expected, $name, $role) = @_;
    my $where = "application_name = '$app'";
    $where .= " AND role = '$role'" if defined $role;
    my $ok = $node->poll_query_until('postgres',
        "SELECT coalesce(sum($column), 0) FROM pool_metrics() WHERE $where", $expected);
    ok($ok, $name) or diag "last value: " . metric($column, $app, $role);
    return $ok;
}

###############################################################################
note '1. per-group states agree with pg_stat_activity';

$node->safe_psql('postgres', 'CREATE TABLE t (id int); INSERT INTO t VALUES (1)');

my @alpha = map { session($node, 'app_alpha') } 1 .. 3;
# $alpha[0] stays idle.
$alpha[1]->query_safe('BEGIN; SELECT 1;');
start_blocking($alpha[2], 'SELECT pg_sleep(60);');

my @beta = map { session($node, 'app_beta') } 1 .. 2;
$beta[0]->query_safe('BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE;');
start_blocking($beta[1], 'SELECT * FROM t;');

# The polling session is left out: it is in neither application's group.
my $states_query = states_query('app_alpha', 'app_beta');
# connections/active/idle/idle in transaction/waiting on a lock
my $expected_states = 'app_alpha:3/1/1/1/0 app_beta:2/1/0/1/1';
ok($node->poll_query_until('postgres', $states_query,
        "$expected_states = $expected_states"),
    'pool_metrics() agrees with pg_stat_activity for both applications, with the known counts');

is($node->safe_psql('postgres', q{
    SELECT application_name, database, role, client_addr IS NULL, count(*)
    FROM pool_metrics() WHERE application_name IN ('app_alpha', 'app_beta')
    GROUP BY 1, 2, 3, 4 ORDER BY 1}),
    "app_alpha|postgres|$superuser|t|1\napp_beta|postgres|$superuser|t|1",
    'one group per application, identified by database, role and a null (Unix socket) address');

# A statement computing on a CPU, with no wait event, counts in on_cpu; the sessions above
# (asleep, idle, waiting on a heavyweight lock) count in neither on_cpu nor
# waiting_on_lwlock.
my $spinner = session($node, 'app_gamma');
start_blocking($spinner, 'DO $$BEGIN LOOP END LOOP; END$$;');
poll_metric('on_cpu', 'app_gamma', '1', 'a statement computing on a CPU counts in on_cpu');
is($node->safe_psql('postgres', q{
    SELECT string_agg(format('%s:%s/%s', application_name, on_cpu, waiting_on_lwlock), ' '
                      ORDER BY application_name)
    FROM pool_metrics() WHERE application_name IN ('app_alpha', 'app_beta')}),
    'app_alpha:0/0 app_beta:0/0',
    'sleeping, idle and lock-waiting sessions are neither on a CPU nor on an LWLock');
end_sessions($node, ['app_gamma'], $spinner);

###############################################################################
note '2. sample ring and collector status';

is($node->safe_psql('postgres', q{
    SELECT count(*) > 0, bool_or(waiting_on_lock >= 1), bool_or(idle_in_transaction >= 2)
    FROM pool_samples() WHERE client_connections >= 5}),
    't|t|t', 'pool_samples() holds samples with the five held sessions, their lock wait and idle transactions');

ok($node->poll_query_until('postgres', q{
    SELECT string_agg(application_name || ':' || connections_accepted, ' ' ORDER BY application_name)
    FROM pool_metrics() WHERE application_name IN ('app_alpha', 'app_beta')},
    'app_alpha:3 app_beta:2'),
    'connections_accepted counts each held session once');

is($node->safe_psql('postgres', q{
    SELECT samples_taken > 0, groups_tracked >= 2, events_received >= 5, events_dropped,
           worker_pid IS NOT NULL, sample_interval_ms, ring_fill > 0
    FROM pool_optimizer_status()}),
    't|t|t|0|t|100|t', 'pool_optimizer_status() reports samples, groups and events, none dropped');

end_sessions($node, ['app_alpha', 'app_beta'], @alpha, @beta);
ok($node->poll_query_until('postgres', q{
    SELECT string_agg(format('%s:%s/%s/%s', application_name, connections,
                             sessions_started_last_minute, sessions_ended_last_minute),
                      ' ' ORDER BY application_name)
    FROM pool_metrics() WHERE application_name IN ('app_alpha', 'app_beta')},
    'app_alpha:0/3/3 app_beta:0/2/2'),
    'ended sessions leave the groups empty and count as started and ended');

###############################################################################
note '3. the worker is restarted after it is killed';

my $old_pid = $node->safe_psql('postgres', 'SELECT worker_pid FROM pool_optimizer_status()');
like($old_pid, qr/^\d+$/, 'the worker has a pid');
is($node->safe_psql('postgres',
        "SELECT backend_type FROM pg_stat_activity WHERE pid = $old_pid"),
    'pool_optimizer worker', 'the pid is the worker\'s, as pg_stat_activity shows');
is($node->safe_psql('postgres', "SELECT pg_terminate_backend($old_pid)"),
    't', 'the worker is terminated');
ok($node->poll_query_until('postgres', qq{
    SELECT worker_pid IS NOT NULL AND worker_pid <> $old_pid FROM pool_optimizer_status()}),
    'a new worker reports its pid');
my ($new_pid, $taken) = split /\|/, $node->safe_psql('postgres',
    'SELECT worker_pid, samples_taken FROM pool_optimizer_status()');
is($node->safe_psql('postgres',
        "SELECT backend_type FROM pg_stat_activity WHERE pid = $new_pid"),
    'pool_optimizer worker', 'the new worker runs');
ok($node->poll_query_until('postgres',
        "SELECT samples_taken >= $taken + 3 FROM pool_optimizer_status()"),
    'the new worker takes samples');

###############################################################################
note '4. configuration reload';

# Samples taken within 3 s of now, counted once the worker has sampled past the window.
sub samples_in_three_seconds {
    my $t0 = $node->safe_psql('postgres', 'SELECT clock_timestamp()');
    $node->poll_query_until('postgres', qq{
        SELECT last_sample >= '$t0'::timestamptz + interval '3 s' FROM pool_optimizer_status()})
      or return -1;
    return $node->safe_psql('postgres', qq{
        SELECT count(*) FROM pool_samples('$t0')
        WHERE sample_time < '$t0'::timestamptz + interval '3 s'});
}

my $fast = samples_in_three_seconds();
note "samples in 3 s at 100 ms: $fast";
ok($fast >= 20 && $fast <= 35, "about 30 samples in 3 s at 100 ms (got $fast)");

$node->safe_psql('postgres', q{
    ALTER SYSTEM SET pool_optimizer.sample_interval = '1s'; SELECT pg_reload_conf()});
ok($node->poll_query_until('postgres', q{
    SELECT (SELECT sample_interval_ms FROM pool_optimizer_status()) = 1000
       AND (SELECT interval_ms FROM pool_samples() ORDER BY sample_time DESC LIMIT 1) > 900}),
    'after reload the status reports 1000 ms and the worker samples every second');

my $slow = samples_in_three_seconds();
note "samples in 3 s at 1 s: $slow";
ok($slow >= 2 && $slow <= 4, "about 3 samples in 3 s at 1 s (got $slow)");
ok($slow >= 0 && $slow < 10 && $slow < $fast / 3,
    "far fewer samples at 1 s ($slow) than at 100 ms ($fast)");

my ($rc, $out, $err) = $node->psql('postgres',
    'ALTER SYSTEM SET pool_optimizer.sample_interval = 5');
isnt($rc, 0, 'an out-of-range sample_interval is refused');
# PostgreSQL 17 prints the range with its unit.
my $range = $node->pg_version >= 17 ? '\(10 ms \.\. 60000 ms\)' : '\(10 \.\. 60000\)';
like($err,
    qr/5 ms is outside the valid range for parameter "pool_optimizer\.sample_interval" $range/,
    'the refusal names the allowed range');
($rc, $out, $err) = $node->psql('postgres',
    q{ALTER SYSTEM SET pool_optimizer.sample_interval = 'often'});
isnt($rc, 0, 'a malformed sample_interval is refused');
like($err, qr/invalid value for parameter "pool_optimizer\.sample_interval": "often"/,
    'the refusal names the parameter and the value');
($rc, $out, $err) = $node->psql('postgres',
    q{ALTER SYSTEM SET pool_optimizer.sample_interval = '2 hours'});
isnt($rc, 0, 'a sample_interval in a unit too large is refused');
like($err, qr/invalid value for parameter "pool_optimizer\.sample_interval": "2 hours"/,
    'the refusal names the parameter and the value');

$node->safe_psql('postgres', 'SELECT pg_reload_conf()');
like(PostgreSQL::Test::Utils::slurp_file($node->data_dir . '/postgresql.auto.conf'),
    qr/^pool_optimizer\.sample_interval = '1s'$/m,
    'postgresql.auto.conf still holds the old value');
# A new session reads the reloaded configuration; the worker is checked by its cadence.
is($node->safe_psql('postgres', q{
    SELECT current_setting('pool_optimizer.sample_interval'), sample_interval_ms
    FROM pool_optimizer_status()}),
    '1s|1000', 'the old value is kept after reload');
ok($node->poll_query_until('postgres', q{
    SELECT bool_and(interval_ms > 900)
    FROM (SELECT interval_ms FROM pool_samples() ORDER BY sample_time DESC LIMIT 2) s}),
    'the worker still samples every second');

$node->safe_psql('postgres', q{
    ALTER SYSTEM RESET pool_optimizer.sample_interval; SELECT pg_reload_conf()});
ok($node->poll_query_until('postgres', q{
    SELECT (SELECT sample_interval_ms FROM pool_optimizer_status()) = 100
       AND (SELECT interval_ms FROM pool_samples() ORDER BY sample_time DESC LIMIT 1) < 500}),
    'back to 100 ms after ALTER SYSTEM RESET');

###############################################################################
note '6. transactions counted under pgbench';

my ($bench_out, $bench_err);
{
    local $ENV{PGHOST} = $node->host;
    local $ENV{PGPORT} = $node->port;
    local $ENV{PGAPPNAME} = 'bench_init';
    ok(IPC::Run::run([ 'pgbench', '-i', '-q', '-s', '1', 'postgres' ],
            '>', \$bench_out, '2>', \$bench_err),
        'pgbench -i') or diag $bench_err;
    local $ENV{PGAPPNAME} = 'bench';
    ok(IPC::Run::run([ 'pgbench', '-n', '-c', '2', '-T', '3', 'postgres' ],
            '>', \$bench_out, '2>', \$bench_err),
        'pgbench -c 2 -T 3') or diag $bench_err;
}
my ($processed) = $bench_out =~ /number of transactions actually processed: (\d+)/;
my ($latency) = $bench_out =~ /latency average = ([\d.]+) ms/;
ok(defined $processed && $processed > 0, 'pgbench reports the transactions it ran')
  or diag $bench_out;
$processed //= 0;
$latency //= 0;
note "pgbench: $processed transactions, latency average $latency ms";

# pgbench's backends are gone once it has exited; two samples later every transaction
# they committed has been read from their counter slots.
ok($node->poll_query_until('postgres',
        "SELECT count(*) = 0 FROM pg_stat_activity WHERE application_name = 'bench'"),
    'pgbench\'s sessions have ended');
my $taken_after_bench =
  $node->safe_psql('postgres', 'SELECT samples_taken FROM pool_optimizer_status()');
ok($node->poll_query_until('postgres',
        "SELECT samples_taken >= $taken_after_bench + 2 FROM pool_optimizer_status()"),
    'two samples taken since');
my $low = int($processed * 0.9);
my $high = int($processed * 1.1 + 0.999);
my ($transactions, $hold, $tps, $bench_groups) = split /\|/, $node->safe_psql('postgres', q{
    SELECT sum(transactions), max(mean_hold_time_ms), sum(transactions_per_second), count(*)
    FROM pool_metrics() WHERE application_name = 'bench'});
note "pool_metrics: $transactions transactions, mean hold $hold ms, $tps per second";
is($bench_groups, 1, 'pgbench\'s sessions form one group');
ok($transactions >= $low && $transactions <= $high,
    "transactions $transactions within 10 % of $processed");
ok($transactions >= $processed,
    "no transaction pgbench committed is missing ($transactions counted, $processed run; "
      . 'the extra ones are the sessions\' own start-up and catalogue queries)');
ok($hold > 0, "mean_hold_time_ms is positive ($hold)");
ok($hold <= $latency * 1.1,
    "the server-side hold time ($hold ms) is within the client's latency ($latency ms)");
ok($tps > 0, "transactions_per_second is positive ($tps)");

###############################################################################
note '5. events: timeouts, authentication failures, refused connections';

# A statement cancelled by the user is not a statement timeout; one cut by
# statement_timeout is. Both arrive in order through the same queue, so once the timeout
# is counted the cancel would have been too.
my $timeouts = session($node, 'timeouts', on_error_stop => 0);
my $timeouts_pid = $timeouts->query_safe('SELECT pg_backend_pid()');
start_blocking($timeouts, 'SELECT pg_sleep(60);');
ok($node->poll_query_until('postgres',
        "SELECT wait_event = 'PgSleep' FROM pg_stat_activity WHERE pid = $timeouts_pid"),
    'the statement to cancel is running');
$node->safe_psql('postgres', "SELECT pg_cancel_backend($timeouts_pid)");
$timeouts->query(q{SET statement_timeout = 50; SELECT pg_sleep(1);});
like($timeouts->{stderr}, qr/canceling statement due to user request/s, 'a statement was cancelled');
like($timeouts->{stderr}, qr/canceling statement due to statement timeout/s,
    'a statement timed out');
poll_metric('statement_timeouts', 'timeouts', 1,
    'the statement timeout is counted in its group');
is(metric('statement_timeouts', 'timeouts'), 1, 'the user\'s cancel is not counted as a timeout');
$timeouts->quit;

my $idle_tx = session($node, 'idle_tx');
$idle_tx->query_safe('SET idle_in_transaction_session_timeout = 100; BEGIN; SELECT 1;');
poll_metric('idle_in_transaction_timeouts', 'idle_tx', 1,
    'the idle-in-transaction timeout is counted in its group');
eval { $idle_tx->{run}->kill_kill(grace => 5); 1 };

my $idle = session($node, 'idle_session');
$idle->query_safe('SET idle_session_timeout = 100;');
poll_metric('idle_session_timeouts', 'idle_session', 1,
    'the idle-session timeout is counted in its group');
eval { $idle->{run}->kill_kill(grace => 5); 1 };
is($node->safe_psql('postgres', q{
    SELECT sum(statement_timeouts) || '/' || sum(idle_in_transaction_timeouts) || '/'
           || sum(idle_session_timeouts)
    FROM pool_metrics() WHERE application_name IN ('timeouts', 'idle_tx', 'idle_session')}),
    '1/1/1', 'each timeout is counted once and only in its own kind');

# Authentication: password for one role over the socket, trust for everybody else.
$node->safe_psql('postgres', q{
    SET password_encryption = 'scram-sha-256';
    CREATE ROLE pwuser LOGIN PASSWORD 'right';
    CREATE ROLE crowd_user LOGIN});
my $hba = $node->data_dir . '/pg_hba.conf';
my $hba_text = PostgreSQL::Test::Utils::slurp_file($hba);
open(my $fh, '>', $hba) or die "cannot write $hba: $!";
print $fh "local all pwuser scram-sha-256\n$hba_text";
close $fh;
$node->reload;
{
    local $ENV{PGAPPNAME} = 'authfail';
    local $ENV{PGPASSWORD} = 'wrong';
    ($rc, $out, $err) = $node->psql('postgres', 'SELECT 1', extra_params => [ '-U', 'pwuser' ]);
    isnt($rc, 0, 'a wrong password is refused');
    like($err, qr/password authentication failed for user "pwuser"/, 'as an authentication failure');
    $ENV{PGPASSWORD} = 'right';
    ($rc, $out, $err) = $node->psql('postgres', 'SELECT 1', extra_params => [ '-U', 'pwuser' ]);
    is($out, '1', 'the right password is accepted');
}
ok($node->poll_query_until('postgres', q{
    SELECT sum(authentication_failures) || '/' || sum(connections_accepted)
    FROM pool_metrics() WHERE application_name = 'authfail' AND role = 'pwuser'}, '1/1'),
    'one authentication failure and one accepted connection in the group of the role')
  or diag $node->safe_psql('postgres',
    q{SELECT * FROM pool_metrics() WHERE application_name = 'authfail'});

# Refusals: 8 connections, 3 of them for superusers.
$node->append_conf('postgresql.conf', "max_connections = 8\nsuperuser_reserved_connections = 3\n");
$node->restart;
is($node->safe_psql('postgres', 'SHOW max_connections'), '8', 'max_connections is 8');

my @crowd = map { session($node, 'crowd') } 1 .. 6;    # 2 slots left: superusers only
{
    local $ENV{PGAPPNAME} = 'crowd';
    ($rc, $out, $err) = $node->psql('postgres', 'SELECT 1', extra_params => [ '-U', 'crowd_user' ]);
}
isnt($rc, 0, 'an ordinary role is refused the reserved slots');
# PostgreSQL 16 reworded the message when it added pg_use_reserved_connections.
my $reserved_for = $node->pg_version >= 16
  ? 'roles with the SUPERUSER attribute'
  : 'non-replication superuser connections';
like($err, qr/remaining connection slots are reserved for \Q$reserved_for\E/,
    'with the reserved-slots message');
push @crowd, map { session($node, 'crowd') } 1 .. 2;    # every slot taken
{
    local $ENV{PGAPPNAME} = 'crowd';
    ($rc, $out, $err) = $node->psql('postgres', 'SELECT 1');
}
isnt($rc, 0, 'a superuser is refused when every slot is taken');
like($err, qr/sorry, too many clients already/, 'with the too-many-clients message');
# Two slots to look with: the backend of one look may still be exiting when the next
# look connects, and with a single free slot that look is refused under load.
(pop @crowd)->quit for 1 .. 2;

# The ordinary role was refused after it had authenticated (so the extension also counts
# it as accepted); the superuser was refused before authentication.
ok($node->poll_query_until('postgres', q{
    SELECT string_agg(format('%s:%s/%s', role, connections, connections_refused),
                      ' ' ORDER BY role = current_user)
    FROM pool_metrics() WHERE application_name = 'crowd'},
    "crowd_user:0/1 $superuser:6/1"),
    'each refused connection is counted in the group of its role and application')
  or diag $node->safe_psql('postgres',
    q{SELECT * FROM pool_metrics() WHERE application_name = 'crowd'});
is(metric('connections_accepted', 'crowd', $superuser), 8,
    'the superuser\'s eight held sessions were accepted, the refused one was not');
is($node->safe_psql('postgres', 'SELECT events_dropped FROM pool_optimizer_status()'),
    '0', 'no event was dropped');
end_sessions($node, ['crowd'], @crowd);

$node->stop;
done_testing();
