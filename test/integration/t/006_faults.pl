# Faults injected into a live server, and what must survive them: the worker killed with
# SIGKILL, a backend killed with SIGKILL while others connect, a burst of connections
# through the event queue, a malformed value in postgresql.conf at reload, the extension
# switched off and on, and more pool groups than max_pools.
use strict;
use warnings;

use FindBin;
use IPC::Run;
use lib "$FindBin::RealBin/..";
use PoolOptimizerTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

# poll_query_until tries 10 * timeout_default times, 0.1 s apart: about half a minute.
$PostgreSQL::Test::Utils::timeout_default = $ENV{PG_TEST_TIMEOUT_DEFAULT} || 30;

my $node = preloaded_node('faults', q{
pool_optimizer.sample_interval = 100ms
# Crash recovery is what a SIGKILLed child gets; keep it on whatever the defaults become.
restart_after_crash = on
});

my $every_function = every_function_query();
my $all_true = every_function_expected();

ok(run_pgbench($node, 'fault_init', '-i', '-q', '-s', '1'), 'pgbench -i');

###############################################################################
note '1. a burst of connections through the event queue';

my $received_before = status($node, 'events_received');
# -C: one connection per transaction; pgbench also opens one connection of its own first.
my ($burst_ok, $burst_seconds, $burst_err) =
  run_pgbench($node, 'fault_burst', '-n', '-S', '-C', '-c', '4', '-j', '2', '-t', '75');
ok($burst_ok, 'pgbench -C -c 4 -t 75 succeeded') or diag $burst_err;
note sprintf 'burst of 301 connections in %.2f s', $burst_seconds;
ok($burst_seconds < 30, sprintf('no backend blocked: the burst took %.1f s', $burst_seconds));
ok($node->poll_query_until('postgres', q{
        SELECT sum(connections_accepted) FROM pool_metrics() WHERE application_name = 'fault_burst'},
        '301'),
    'every connection of the burst was counted: 300 + pgbench\'s own');
is(status($node, "events_dropped, events_received >= $received_before + 301"), '0|t',
    'no event dropped; events_received grew by at least the burst');

###############################################################################
note '2. a malformed value at reload is refused, the old value kept';

my $conf = $node->data_dir . '/postgresql.conf';
my $conf_before = slurp_file($conf);
my $offset = -s $node->logfile;
$node->append_conf('postgresql.conf', "pool_optimizer.sample_interval = 'often'\n");
$node->safe_psql('postgres', 'SELECT pg_reload_conf()');
ok($node->wait_for_log(
        qr/invalid value for parameter "pool_optimizer\.sample_interval": "often"/, $offset),
    'the log shows the rejected value');
is($node->safe_psql('postgres', 'SHOW pool_optimizer.sample_interval'), '100ms',
    'the old value is kept');
my $taken = status($node, 'samples_taken');
ok($node->poll_query_until('postgres',
        "SELECT samples_taken >= $taken + 5 FROM pool_optimizer_status()"),
    'the worker still samples');
# Put the file back for the rest of the test.
open(my $fh, '>', $conf) or die "cannot write $conf: $!";
print $fh $conf_before;
close $fh;
$node->reload;

###############################################################################
note '2b. switched off: the hooks queue nothing for a worker that does not drain';

$node->safe_psql('postgres', 'ALTER SYSTEM SET pool_optimizer.enabled = off');
$node->reload;
ok($node->poll_query_until('postgres', 'SHOW pool_optimizer.enabled', 'off'),
    'new sessions see pool_optimizer.enabled off');
my $dropped_before_off = status($node, 'events_dropped');
my ($off_ok, undef, $off_err) =
  run_pgbench($node, 'fault_while_off', '-n', '-S', '-C', '-c', '2', '-j', '1', '-t', '20');
ok($off_ok, '41 connections while switched off') or diag $off_err;
$node->safe_psql('postgres', 'ALTER SYSTEM RESET pool_optimizer.enabled');
$node->reload;
ok($node->poll_query_until('postgres', 'SHOW pool_optimizer.enabled', 'on'),
    'switched on again');
my $taken_on = status($node, 'samples_taken');
ok($node->poll_query_until('postgres',
        "SELECT samples_taken >= $taken_on + 3 FROM pool_optimizer_status()"),
    'the worker samples again');
is($node->safe_psql('postgres', q{
        SELECT coalesce(sum(connections_accepted), 0) FROM pool_metrics()
        WHERE application_name = 'fault_while_off'}),
    '0', 'no connection made while switched off is counted late');
is(status($node, 'events_dropped'), $dropped_before_off, 'and none was dropped');

###############################################################################
note '3. the worker killed with SIGKILL';

my $old_worker = status($node, 'worker_pid');
like($old_worker, qr/^\d+$/, "the worker runs (pid $old_worker)");
$offset = -s $node->logfile;
kill 'KILL', $old_worker;
ok($node->wait_for_log(qr/terminated by signal 9/, $offset),
    'the postmaster saw the worker die');
ok($node->wait_for_log(qr/all server processes terminated; reinitializing/, $offset),
    'and went through crash recovery');
ok($node->poll_query_until('postgres', qq{
        SELECT worker_pid IS NOT NULL AND worker_pid <> $old_worker AND samples_taken > 3
        FROM pool_optimizer_status()}),
    'a new worker samples again');
is($node->safe_psql('postgres', $every_function), $all_true,
    'every SQL function works after the crash');
unlike(slurp_file($node->logfile, $offset), qr/pool_optimizer\.stat/,
    'a crash neither saves nor complains about the statistics file');

###############################################################################
note '4. a backend killed with SIGKILL while others connect';

my $victim = session($node, 'fault_victim');
my $victim_pid = $victim->query_safe('SELECT pg_backend_pid()');
chomp $victim_pid;
my ($loop_out, $loop_err) = ('', '');
my $loop;
{
    local $ENV{PGHOST} = $node->host;
    local $ENV{PGPORT} = $node->port;
    local $ENV{PGAPPNAME} = 'fault_loop';
    local $ENV{PGOPTIONS} = '-c log_statement=none';
    # Connections in a loop, each pushing an event; the crash cuts them off.
    $loop = IPC::Run::start(
        [ 'pgbench', '-n', '-S', '-C', '-c', '2', '-j', '1', '-T', '4', 'postgres' ],
        '>', \$loop_out, '2>', \$loop_err, IPC::Run::timeout(60));
}
ok($node->poll_query_until('postgres', q{
        SELECT sum(connections_accepted) > 20 FROM pool_metrics()
        WHERE application_name = 'fault_loop'}),
    'the connection loop runs');
$old_worker = status($node, 'worker_pid');
$offset = -s $node->logfile;
kill 'KILL', $victim_pid;
ok($node->wait_for_log(qr/all server processes terminated; reinitializing/, $offset),
    'the backend\'s death sent the server through crash recovery');
$loop->finish;    # pgbench loses its connections in the crash: its exit status is moot
eval { $victim->quit; 1 };
ok($node->poll_query_until('postgres', qq{
        SELECT worker_pid <> $old_worker AND samples_taken > 3 FROM pool_optimizer_status()}),
    'the server carries on and a new worker samples');
my ($after_ok) = run_pgbench($node, 'fault_after', '-n', '-S', '-C', '-c', '2', '-t', '10');
ok($after_ok, 'new connections succeed');
ok($node->poll_query_until('postgres', q{
        SELECT sum(connections_accepted) = 21 FROM pool_metrics()
        WHERE application_name = 'fault_after'}),
    'and their events are counted again');
is($node->safe_psql('postgres', $every_function), $all_true, 'every SQL function works');

###############################################################################
note '5. more groups than max_pools';

$node->append_conf('postgresql.conf', "pool_optimizer.max_pools = 4\n");
$node->restart;
my @sessions = map { session($node, "fault_group_$_") } 1 .. 8;
ok($node->poll_query_until('postgres', q{
        SELECT groups_tracked = 4 AND groups_capacity = 4 AND groups_evicted > 0
        FROM pool_optimizer_status()}),
    'eight applications in four slots: four tracked, the others evicted');
is($node->safe_psql('postgres', 'SELECT count(*) FROM pool_metrics()'), '4',
    'pool_metrics() shows the four tracked groups');
is($node->safe_psql('postgres', $every_function), $all_true,
    'every SQL function works with the table full');
$_->quit for @sessions;
unlike(slurp_file($node->logfile), qr/(ERROR|PANIC|TRAP):.*pool_optimizer/,
    'the log has no pool_optimizer error');

done_testing();
