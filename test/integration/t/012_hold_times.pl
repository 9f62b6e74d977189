# Hold-time percentiles end to end: one session runs quick transactions and one of 20 s, two
# others sit idle in transaction. The group's p99 hold time catches the long transaction
# where its median does not; the pool timeout and the idle-in-transaction timeout are taken
# from that p99.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/..";
use PoolOptimizerTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

# poll_query_until tries 10 * timeout_default times, 0.1 s apart: about half a minute.
$PostgreSQL::Test::Utils::timeout_default = $ENV{PG_TEST_TIMEOUT_DEFAULT} || 30;

# Windows of two minutes: the span the functions read (the closed window and the current
# one) holds the whole test.
my $node = preloaded_node('hold_times', q{
pool_optimizer.sample_interval = 100ms
pool_optimizer.evaluation_interval = 120s
});

my @idle_in_tx = map { session($node, 'idle_in_tx') } 1 .. 2;
$_->query_safe('BEGIN; SELECT 1;') for @idle_in_tx;
my $app = session($node, 'hold_app');
$app->query_safe('SELECT 1') for 1 .. 40;
$app->query_safe('BEGIN; SELECT pg_sleep(20); COMMIT;');

# 20 s lies in the bucket [2^24, 2^25) µs: 16.8 to 33.6 s.
my $metrics = q{FROM pool_metrics() WHERE application_name = 'hold_app'};
ok($node->poll_query_until('postgres', "SELECT hold_p99_ms BETWEEN 16777 AND 33555 $metrics"),
    'the p99 hold time is that of the 20 s transaction')
  or diag $node->safe_psql('postgres', "SELECT * $metrics");
my ($p50, $p95, $mean, $transactions) = split /\|/,
  $node->safe_psql('postgres', "SELECT hold_p50_ms, hold_p95_ms, mean_hold_time_ms, transactions $metrics");
ok($transactions >= 41, "the session's transactions are counted ($transactions)");
ok($p50 < 50 && $p95 < 50, "the median and the p95 stay with the quick ones ($p50 ms, $p95 ms)");
ok($mean > $p95, "the mean ($mean ms), pulled up by one transaction, describes none of them");

my ($timeout, $reason) = split /\|/, $node->safe_psql('postgres',
    q{SELECT pool_timeout, reason FROM pool_recommendations() WHERE application_name = 'hold_app'});
ok($timeout >= 34, "pool_timeout $timeout s: twice the p99 hold, above the 30 s default");
like($reason, qr/pool_timeout $timeout s: 2 × the [^;]* p99 hold/, 'the reason names the p99 hold');

my ($recommended, $status, $why) = split /\|/, $node->safe_psql('postgres', q{
    SELECT recommended_value::interval >= interval '168 s', status, reason
    FROM setting_recommendations() WHERE name = 'idle_in_transaction_session_timeout'});
is("$recommended $status", 't change',
    'idle_in_transaction_session_timeout: 10 × the longest p99 hold, above the 60 s floor')
  or diag $why;
like($why, qr/10 × p99 hold time/, 'its reason names the p99 hold time');

end_sessions($node, [ 'hold_app', 'idle_in_tx' ], $app, @idle_in_tx);
$node->stop;
done_testing();
