# The sizes a pool held, end to end: one application runs pgbench at 2 clients and then at 4,
# each through a whole evaluation window; the worker records exactly those two sizes, each
# with its throughput and busy share (the windows in which the pool appeared or was resized
# are not points of its curve), and a clean restart brings them back.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/..";
use PoolOptimizerTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

# poll_query_until tries 10 * timeout_default times, 0.1 s apart: about half a minute, which
# bounds every wait below (a passing run waits at most two 10-second windows at a time).
$PostgreSQL::Test::Utils::timeout_default = $ENV{PG_TEST_TIMEOUT_DEFAULT} || 30;

my $node = preloaded_node('sizes_held', q{
pool_optimizer.sample_interval = 100ms
pool_optimizer.evaluation_interval = 10s
});
ok(run_pgbench($node, 'held_init', '-i', '-q', '-s', '1'), 'pgbench -i -s 1');

sub evaluations {
    return $node->safe_psql('postgres', 'SELECT evaluations FROM pool_optimizer_status()');
}

# Runs select-only pgbench at `clients` under application_name held_app until the worker has
# closed two windows after a sample saw all its connections: the first holds the pool's
# arrival, the second the pool at its size throughout. Then stops it and waits for its
# connections to close.
sub hold_pool {
    my ($clients) = @_;
    my $run = start_pgbench($node, 'held_app', '-n', '-S', '-c', $clients, '-j', '1', '-T', 120);
    ok($node->poll_query_until('postgres', q{
            SELECT connections FROM pool_metrics() WHERE application_name = 'held_app'},
            $clients), "a sample saw the $clients connections") or diag $run->{err};
    my $before = evaluations();
    ok($node->poll_query_until('postgres',
            "SELECT evaluations >= $before + 2 FROM pool_optimizer_status()"),
        "two windows closed while $clients clients ran") or diag $run->{err};
    $run->{handle}->kill_kill;
    ok($node->poll_query_until('postgres',
            q{SELECT count(*) = 0 FROM pg_stat_activity WHERE application_name = 'held_app'}),
        "the pool of $clients has closed");
}

hold_pool(2);
hold_pool(4);

my $query = q{
    SELECT pool_size || ':' || (windows >= 1) || ':' || (transactions_per_second > 0) || ':'
           || (busy_share > 0 AND busy_share <= 1) || ':'
           || (last_held BETWEEN now() - interval '5 minutes' AND now())
    FROM pool_sizes_held() WHERE application_name = 'held_app' ORDER BY pool_size};
my $held = $node->safe_psql('postgres', $query);
note 'held_app: ' . $node->safe_psql('postgres', q{
    SELECT string_agg(format('%s clients: %s windows, %s tx/s, busy %s', pool_size, windows,
                             round(transactions_per_second), round(busy_share::numeric, 2)),
                      '; ' ORDER BY pool_size)
    FROM pool_sizes_held() WHERE application_name = 'held_app'});
is($held, "2:true:true:true:true\n4:true:true:true:true",
    'the two sizes held, each with its throughput, busy share and time, and no other');

# The test's own psql sessions come and go within a window: they hold nothing.
is($node->safe_psql('postgres', q{
    SELECT count(*) FROM pool_sizes_held() WHERE application_name <> 'held_app'}),
    '0', 'no other group held a size');

my $figures = q{
    SELECT string_agg(format('%s %s %s %s', pool_size, windows, transactions_per_second,
                             last_held), ',' ORDER BY pool_size)
    FROM pool_sizes_held() WHERE application_name = 'held_app'};
my $before = $node->safe_psql('postgres', $figures);
$node->restart;
is($node->safe_psql('postgres', $figures), $before,
    'a clean restart brings the sizes held back unchanged');

$node->safe_psql('postgres', 'SELECT pool_optimizer_reset()');
ok($node->poll_query_until('postgres',
        q{SELECT count(*) = 0 FROM pool_sizes_held() WHERE application_name = 'held_app'}),
    'pool_optimizer_reset() clears them');

my ($rc, $out, $err) = $node->psql('postgres', q{
    CREATE ROLE held_outsider LOGIN; SET ROLE held_outsider; SELECT * FROM pool_sizes_held()});
like($err, qr/permission denied for function pool_sizes_held/,
    'a role outside pg_monitor may not read them');

$node->stop;
done_testing();
