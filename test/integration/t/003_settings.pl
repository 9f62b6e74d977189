# Setting recommendations on a live server: temp-file spills make work_mem go up with the
# spill figures in the reason; every ALTER SYSTEM statement applied to this throw-away
# instance is first pending, then, after a restart, in effect as SHOW prints it; idle
# transactions turn pool_health()'s idle_in_transaction check to warning.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use FindBin;
use lib "$FindBin::RealBin/..";
use PoolOptimizerTest qw(preloaded_node session);

# poll_query_until tries 10 * timeout_default times, 0.1 s apart: bound every wait to
# about half a minute (a passing run never waits more than a few seconds).
$PostgreSQL::Test::Utils::timeout_default = $ENV{PG_TEST_TIMEOUT_DEFAULT} || 30;

# A 10 s evaluation window: the spills of a few seconds all fall within it.
my $node = preloaded_node('settings', q{
pool_optimizer.sample_interval = 100ms
pool_optimizer.evaluation_interval = 10s
pool_optimizer.workload = web
});

###############################################################################
note '1. temp-file spills raise work_mem';

my $work_mem_before = $node->safe_psql('postgres', 'SHOW work_mem');
# A sort of 300000 rows in 64kB spills two files of about 4MB (the function's result and
# the sort's runs). Each psql ends its session, which flushes its statistics at once. A
# window this short is not extrapolated to an hour, so the count itself must reach 10.
for my $i (1 .. 10) {
    $node->safe_psql('postgres', q{
        SET work_mem = '64kB';
        SELECT count(*) FROM (SELECT g FROM generate_series(1, 300000) g ORDER BY g DESC) s});
}
my $work_mem_query = q{
    SELECT status = 'change' AND priority = 'high'
           AND recommended_setting::bigint > (SELECT setting::bigint FROM pg_settings
                                              WHERE name = 'work_mem')
    FROM setting_recommendations() WHERE name = 'work_mem'};
ok($node->poll_query_until('postgres', $work_mem_query),
    'setting_recommendations() recommends a larger work_mem, with high priority')
  or diag $node->safe_psql('postgres',
    q{SELECT * FROM setting_recommendations() WHERE name = 'work_mem'});
my ($current, $recommended, $reason) = split /\|/, $node->safe_psql('postgres', q{
    SELECT current_value, recommended_value, reason
    FROM setting_recommendations() WHERE name = 'work_mem'});
note "work_mem $current -> $recommended: $reason";
is($current, $work_mem_before, 'the current value is the server\'s, not the spilling sessions\' 64kB');
like($reason, qr/\d+ temp files \([\d.]+MB\) in the last \d+ s, average spill [\d.]+MB: work_mem 4MB → \d+MB/,
    'the reason names the spills: count, volume, window and average');
is($node->safe_psql('postgres',
        q{SELECT status <> 'ok' FROM pool_health() WHERE check_name = 'temp_spills'}),
    't', 'pool_health() reports the spills');

###############################################################################
note '2. every ALTER SYSTEM statement applied, pending, then in effect after a restart';

my @changes = map { [ split /\|/ ] } split /\n/, $node->safe_psql('postgres', q{
    SELECT name, recommended_value, context, alter_system
    FROM setting_recommendations() WHERE status = 'change' ORDER BY name});
ok(@changes >= 3, scalar(@changes) . ' settings to change on a fresh instance')
  or diag $node->safe_psql('postgres', 'SELECT * FROM setting_recommendations()');
note join("\n", map { "$_->[3]" } @changes);
$node->safe_psql('postgres', $_->[3]) for @changes;
$node->safe_psql('postgres', 'SELECT pg_reload_conf()');

my @restart_names = map { $_->[0] } grep { $_->[2] eq 'restart' } @changes;
my $restart_list = join(', ', map { "'$_'" } @restart_names) || "''";
ok($node->poll_query_until('postgres', qq{
    SELECT count(*) = 0 FROM setting_recommendations()
    WHERE name IN ($restart_list) AND NOT (pending_restart AND status = 'fine')}),
    'after a reload the restart-only settings are pending and no longer asked for: '
      . join(', ', @restart_names))
  or diag $node->safe_psql('postgres', qq{
    SELECT name, current_value, pending_value, pending_restart, status
    FROM setting_recommendations() WHERE name IN ($restart_list)});

$node->restart;
is($node->safe_psql('postgres', 'SELECT 1'), '1', 'the server runs with every recommendation');
for my $change (@changes) {
    my ($name, $value) = @$change;
    is($node->safe_psql('postgres', "SHOW $name"), $value, "SHOW $name gives the recommended $value");
}
is($node->safe_psql('postgres', q{
    SELECT coalesce(string_agg(name || ' ' || current_value || ' -> ' || recommended_value, ', '), '')
    FROM setting_recommendations() WHERE status = 'change' AND priority <> 'high'}),
    '', 'no hardware recommendation is left to apply');
is($node->safe_psql('postgres', q{
    SELECT count(*) FROM setting_recommendations() WHERE pending_restart}),
    '0', 'nothing is pending any more');

###############################################################################
note '3. idle transactions turn the idle_in_transaction check to warning';

# Two of about seven client connections idle in transaction: between the 10 % warning and
# the 50 % critical thresholds.
my @idle_in_tx = map { session($node, 'idle_in_tx') } 1 .. 2;
$_->query_safe('BEGIN; SELECT 1;') for @idle_in_tx;
my @idle = map { session($node, 'idle') } 1 .. 4;
$_->query_safe('SELECT 1') for @idle;
ok($node->poll_query_until('postgres',
        q{SELECT status FROM pool_health() WHERE check_name = 'idle_in_transaction'}, 'warning'),
    'pool_health() reports idle_in_transaction as warning')
  or diag $node->safe_psql('postgres', 'SELECT * FROM pool_health()');
like($node->safe_psql('postgres',
        q{SELECT detail FROM pool_health() WHERE check_name = 'idle_in_transaction'}),
    qr/client connections idle in transaction on average/, 'its detail gives the figures');
ok($node->poll_query_until('postgres', q{
    SELECT status = 'change' AND recommended_value = '1min'
    FROM setting_recommendations() WHERE name = 'idle_in_transaction_session_timeout'}),
    'setting_recommendations() recommends an idle_in_transaction_session_timeout of 1min')
  or diag $node->safe_psql('postgres', q{
    SELECT * FROM setting_recommendations() WHERE name = 'idle_in_transaction_session_timeout'});
is($node->safe_psql('postgres',
        q{SELECT status FROM pool_health() WHERE check_name = 'long_transactions'}),
    'ok', 'transactions a few seconds old are not long');

$_->quit for @idle_in_tx, @idle;
$node->stop;
done_testing();
