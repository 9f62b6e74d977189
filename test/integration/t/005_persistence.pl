# Persistence across restarts: a clean restart brings back the pool groups with their
# cumulative totals and the adaptation history; with pool_optimizer.save off nothing comes
# back; a damaged statistics file (garbage, truncated, one flipped byte, another format
# version) costs one WARNING and a fresh start, never a failed start.
use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use FindBin;
use lib "$FindBin::RealBin/..";
use PoolOptimizerTest qw(preloaded_node session);

# poll_query_until tries 10 * timeout_default times, 0.1 s apart: about half a minute.
$PostgreSQL::Test::Utils::timeout_default = $ENV{PG_TEST_TIMEOUT_DEFAULT} || 30;

my $node = preloaded_node('persistence', q{
pool_optimizer.sample_interval = 100ms
pool_optimizer.evaluation_interval = 10s
});
my $stat_file = $node->data_dir . '/pg_stat/pool_optimizer.stat';

sub pgbench {
    my ($app, @options) = @_;
    local $ENV{PGHOST} = $node->host;
    local $ENV{PGPORT} = $node->port;
    local $ENV{PGAPPNAME} = $app;
    my ($out, $err) = ('', '');
    my $ok = IPC::Run::run([ 'pgbench', @options, 'postgres' ], '>', \$out, '2>', \$err,
        IPC::Run::timeout(60));
    diag $err unless $ok;
    return $ok;
}

# The figures that must survive a restart, one line per group of the test's applications.
sub totals {
    return $node->safe_psql('postgres', q{
        SELECT application_name, connections_accepted, transactions
        FROM pool_metrics() WHERE application_name LIKE 'persist%' ORDER BY 1});
}

sub adjustments {
    return $node->safe_psql('postgres', q{
        SELECT format('%s:%s->%s', application_name, old_pool_size, new_pool_size)
        FROM pool_adjustments() WHERE application_name LIKE 'persist%' ORDER BY 1});
}

# Restarts the server, returning the log it wrote while starting.
sub restart_with_log {
    my $offset = -s $node->logfile;
    $node->restart;
    # The postmaster logs the load before it accepts connections.
    $node->safe_psql('postgres', 'SELECT 1');
    return slurp_file($node->logfile, $offset);
}

###############################################################################
note '1. a clean restart keeps groups, totals and adjustments';

ok(pgbench('persist_init', '-i', '-q', '-s', '1'), 'pgbench -i');
my @held = (session($node, 'persist_held'), session($node, 'persist_held'));
# Long enough for samples to see its backends: transactions are credited to the group of a
# backend the worker has seen.
ok(pgbench('persist_bench', '-n', '-S', '-c', '2', '-j', '1', '-T', '2'),
    'pgbench -S, 2 clients for 2 s');
ok($node->poll_query_until('postgres', q{
        SELECT transactions >= 100 FROM pool_metrics() WHERE application_name = 'persist_bench'}),
    'the pgbench group has its transactions');
ok($node->poll_query_until('postgres', q{
        SELECT connections = 2 FROM pool_metrics() WHERE application_name = 'persist_held'}),
    'the held sessions are sampled');
ok($node->poll_query_until('postgres', q{
        SELECT count(*) > 0 FROM pool_adjustments() WHERE application_name = 'persist_held'}),
    'an evaluation recorded adjustments');

my $before = totals();
my $adjusted_before = adjustments();
note "before the restart:\n$before\n$adjusted_before";
# pgbench connects once more than its clients, to check the tables.
like($before, qr/^persist_bench\|3\|\d{3,}\npersist_held\|2\|\d+\npersist_init\|1\|\d+$/,
    'three groups with their connections and transactions');
like($adjusted_before, qr/^persist_held:/m, 'adjustments of the held group among them');

$_->quit for @held;
my $log = restart_with_log();
like($log, qr/pool_optimizer: loaded statistics of \d+ pool groups and \d+ pool adjustments/,
    'the postmaster logged the load');
unlike($log, qr/WARNING:.*pool_optimizer/, 'and no warning');
ok(!-e $stat_file, 'the file was removed after loading');
is(totals(), $before, 'the same groups with the same cumulative totals after the restart');
is(adjustments(), $adjusted_before, 'the adjustments are still there');
is($node->safe_psql('postgres', q{
        SELECT sum(connections), bool_and(first_seen < now() - interval '1 second')
        FROM pool_metrics() WHERE application_name LIKE 'persist%'}),
    '0|t', 'no connection carried over; first_seen kept from before the restart');

# The restarted worker found the loaded groups again: a new session adds to the old group.
my $again = session($node, 'persist_held');
ok($node->poll_query_until('postgres', q{
        SELECT count(*) = 1 AND sum(connections) = 1 AND sum(connections_accepted) = 3
        FROM pool_metrics() WHERE application_name = 'persist_held'}),
    'a new session counts in the loaded group, not in a duplicate');
$again->quit;

###############################################################################
note '2. with pool_optimizer.save off nothing is kept';

$node->safe_psql('postgres',
    'ALTER SYSTEM SET pool_optimizer.save = off; SELECT pg_reload_conf()');
# A new backend inherits the postmaster's settings: once it shows off, so does the postmaster.
ok($node->poll_query_until('postgres', 'SHOW pool_optimizer.save', 'off'),
    'pool_optimizer.save is off after a reload');
$node->stop;
ok(!-e $stat_file, 'no file written at the stop');
$node->start;
is($node->safe_psql('postgres', q{
        SELECT (SELECT count(*) FROM pool_metrics() WHERE application_name LIKE 'persist%'),
               (SELECT count(*) FROM pool_adjustments())}),
    '0|0', 'after the restart: no groups, no adjustments');

###############################################################################
note '3. a damaged file: one WARNING, a fresh start';

$node->safe_psql('postgres', 'ALTER SYSTEM RESET pool_optimizer.save; SELECT pg_reload_conf()');
ok($node->poll_query_until('postgres', 'SHOW pool_optimizer.save', 'on'),
    'pool_optimizer.save is on again');
my $damaged_session = session($node, 'persist_damaged');
ok($node->poll_query_until('postgres', q{
        SELECT connections = 1 FROM pool_metrics() WHERE application_name = 'persist_damaged'}),
    'a group to save');
$damaged_session->quit;
$node->stop;
ok(-s $stat_file, 'a clean stop wrote the file');
my $good = slurp_file($stat_file);

my $flip_at = int(length($good) / 2);
my %damaged = (
    'garbage' => [ "this is not a statistics file\n" x 20, qr/wrong magic number/ ],
    'truncated' => [ substr($good, 0, int(length($good) / 3)), qr/truncated/ ],
    'a flipped byte' => [
        substr($good, 0, $flip_at) . chr(ord(substr($good, $flip_at, 1)) ^ 0x20)
          . substr($good, $flip_at + 1),
        qr/checksum mismatch/ ],
    # The format version is the second 32-bit word of the header (native byte order).
    'another format version' => [
        substr($good, 0, 4) . pack('L', 99) . substr($good, 8), qr/format version 99, expected 1/ ],
    'empty' => [ '', qr/truncated: 0 bytes/ ],
);
for my $case (sort keys %damaged) {
    my ($bytes, $reason) = @{ $damaged{$case} };
    open(my $fh, '>:raw', $stat_file) or die "cannot write $stat_file: $!";
    print $fh $bytes;
    close $fh;
    my $offset = -s $node->logfile;
    ok($node->start(fail_ok => 1), "$case: the server starts");
    my $start_log = slurp_file($node->logfile, $offset);
    my @warnings = $start_log =~ /^.*WARNING:.*pool_optimizer\.stat.*$/mg;
    is(scalar @warnings, 1, "$case: exactly one WARNING about the file")
      or diag $start_log;
    like($warnings[0] // '', $reason, "$case: the WARNING says why");
    ok($node->poll_query_until('postgres',
            'SELECT samples_taken > 0 FROM pool_optimizer_status()'),
        "$case: the worker samples");
    is($node->safe_psql('postgres', q{
            SELECT (SELECT count(*) FROM pool_metrics() WHERE application_name LIKE 'persist%'),
                   (SELECT count(*) FROM pool_adjustments())}),
        '0|0', "$case: functions work, on fresh figures");
    ok(!-e $stat_file, "$case: the damaged file was removed");
    $node->stop;
}

done_testing();
