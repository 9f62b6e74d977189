# A thousand client sessions held for a minute: 800 idle, 100 idle in a transaction and 100
# waiting on a lock. pool_metrics() must agree with pg_stat_activity state by state at the
# start and at the end of the minute, every sample of the minute must have seen all of
# them, the extension's shared memory must not grow, and nothing may fail. The worker's CPU
# time over the minute is measured and reported (not judged: timings belong in benchmarks).
use strict;
use warnings;

use FindBin;
use Fcntl qw(:flock);
use lib "$FindBin::RealBin/..";
use POSIX ();
use PoolOptimizerTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time sleep);

# poll_query_until tries 10 * timeout_default times, 0.1 s apart: about a minute, for a
# thousand connections to open on a busy machine.
$PostgreSQL::Test::Utils::timeout_default = $ENV{PG_TEST_TIMEOUT_DEFAULT} || 60;
my $hold_seconds = 60;

# application => [clients, pgbench threads, connections/active/idle/idle in transaction/
# waiting on a lock while held]
my %load = (
    load_idle => [ 800, 8, '800/0/800/0/0' ],
    load_idle_tx => [ 100, 100, '100/0/0/100/0' ],
    load_lock => [ 100, 4, '100/100/0/0/100' ]);
my $held = 0;
$held += $_->[0] for values %load;

my $node = PostgreSQL::Test::Cluster->new('load');
$node->init;
# The default sample_interval (1 s): the worker's cost as a server would see it.
$node->append_conf('postgresql.conf', q{
shared_preload_libraries = 'pool_optimizer'
max_connections = 1100
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pool_optimizer; CREATE TABLE gate ()');

my $shmem_query = q{
    SELECT string_agg(format('%s:%s/%s', name, size, allocated_size), ' ' ORDER BY name)
    FROM pg_shmem_allocations WHERE name LIKE 'pool_optimizer%'};
my $shmem_before = $node->safe_psql('postgres', $shmem_query);
my $status_bytes = status($node, 'shared_memory_bytes');
like($shmem_before, qr/^pool_optimizer/, "the extension's shared memory: $shmem_before");

###############################################################################
note "1. $held sessions connect";

# The sessions hold until the test lets them go: idle ones wait client-side in \shell for a
# shared lock on a file the test holds exclusively (no polling, no CPU), the lock waiters
# for the test's table lock.
my $gate_file = "$PostgreSQL::Test::Utils::tmp_check/load_gate";
open(my $gate, '>', $gate_file) or die "cannot write $gate_file: $!";
flock($gate, LOCK_EX) or die "cannot lock $gate_file: $!";
my $wait_for_gate = "\\shell flock -s $gate_file true\n";
my %scripts = (
    load_idle => $wait_for_gate,
    load_idle_tx => "BEGIN;\n$wait_for_gate" . "END;\n",
    load_lock => "SELECT count(*) FROM gate;\n");
my $gate_session = session($node, 'load_gate');
$gate_session->query_safe('BEGIN; LOCK TABLE gate IN ACCESS EXCLUSIVE MODE;');

my %runs;
for my $app (sort keys %load) {
    my $script = "$PostgreSQL::Test::Utils::tmp_check/$app.sql";
    open(my $fh, '>', $script) or die "cannot write $script: $!";
    print $fh $scripts{$app};
    close $fh;
    my ($clients, $threads) = @{ $load{$app} };
    # An open file per connection, and a thread per client where a thread must not wait
    # for another client's \shell before starting its transaction.
    $runs{$app} = start_pgbench($node, $app, { ulimit_files => 4096 },
        '-n', '-c', $clients, '-j', $threads, '-t', '1', '-f', $script);
}
my $app_list = join(', ', map { "'$_'" } sort keys %load);
ok($node->poll_query_until('postgres', qq{
        SELECT count(*) FROM pg_stat_activity WHERE application_name IN ($app_list)}, $held),
    "all $held sessions are connected");

my $states_query = states_query(sort keys %load);
my $expected = join(' ', map { "$_:$load{$_}[2]" } sort keys %load);
ok($node->poll_query_until('postgres', $states_query, "$expected = $expected"),
    'pool_metrics() agrees with pg_stat_activity state by state for the three applications')
  or diag $node->safe_psql('postgres', $states_query);

###############################################################################
note "2. held for $hold_seconds s";

# utime + stime of a process, in seconds: fields 14 and 15 of /proc/<pid>/stat, counted
# after the command name, which may hold spaces.
sub cpu_seconds {
    my ($pid) = @_;
    my $stat = slurp_file("/proc/$pid/stat");
    $stat =~ s/^.*\)\s+//s;
    my @fields = split /\s+/, $stat;
    return ($fields[11] + $fields[12]) / POSIX::sysconf(POSIX::_SC_CLK_TCK);
}

my $worker = status($node, 'worker_pid');
my ($start_time, $start_samples) = split /\|/, $node->safe_psql('postgres',
    'SELECT clock_timestamp(), samples_taken FROM pool_optimizer_status()');
my $start_cpu = cpu_seconds($worker);
my $start_wall = time;
sleep $hold_seconds;
my $cpu = cpu_seconds($worker) - $start_cpu;
my $wall = time - $start_wall;
my ($samples, $cost_mean, $cost_last, $backends_last) = split /\|/, status($node,
    "samples_taken - $start_samples, round(sample_cost_mean_us::numeric), "
      . 'round(sample_cost_last_us::numeric), sample_backends_last');
diag sprintf('worker CPU with %d sessions held: %.2f s in %.1f s (%.2f %% of one core); '
      . '%d samples, mean sample cost %s us (last %s us, %d backends)',
    $held, $cpu, $wall, 100 * $cpu / $wall, $samples, $cost_mean, $cost_last, $backends_last);
is(status($node, 'worker_pid'), $worker, 'the same worker sampled throughout');

my ($window_samples, $fewest) = split /\|/, $node->safe_psql('postgres', qq{
    SELECT count(*), min(client_connections) FROM pool_samples('$start_time')});
ok($window_samples > 0 && $fewest > $held,
    "each of the minute's $window_samples samples saw the $held sessions and the gate's "
      . "(at least $fewest client connections)");
is($node->safe_psql('postgres', $states_query), "$expected = $expected",
    'at the end of the minute pool_metrics() still agrees with pg_stat_activity');
is($node->safe_psql('postgres', $shmem_query), $shmem_before,
    'the extension\'s shared memory allocations are unchanged');
is(status($node, 'shared_memory_bytes'), $status_bytes,
    "pool_optimizer_status() reports the same $status_bytes bytes");

###############################################################################
note '3. released';

flock($gate, LOCK_UN);
close $gate;
$gate_session->query_safe('COMMIT');
$gate_session->quit;
for my $app (sort keys %load) {
    my ($ok, $seconds, $err, $out) = finish_pgbench($runs{$app});
    ok($ok, "$app: pgbench ended without error") or diag $err;
    my $clients = $load{$app}[0];
    like($out, qr{number of transactions actually processed: $clients/$clients},
        "$app: each of its $clients clients ran its transaction");
}
# pgbench opens one connection of its own before its clients'.
my $expected_ended = join(' ', map { "$_:0/" . ($load{$_}[0] + 1) } sort keys %load);
ok($node->poll_query_until('postgres', qq{
        SELECT string_agg(format('%s:%s/%s', application_name, connections, connections_accepted),
                          ' ' ORDER BY application_name)
        FROM pool_metrics() WHERE application_name IN ($app_list)}, $expected_ended),
    'the groups are empty and every connection was counted once');
is(status($node, 'events_dropped'), '0', 'no event was dropped');
is($node->safe_psql('postgres', every_function_query()), every_function_expected(),
    'every SQL function works');
unlike(slurp_file($node->logfile), qr/(ERROR|FATAL|PANIC|TRAP|terminated by signal)/,
    'the log has no error and no crash');

$node->stop;
done_testing();
