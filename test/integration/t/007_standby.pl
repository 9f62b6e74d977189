# A hot standby: a streaming replica made with pg_basebackup from a primary that preloads
# the library. The worker samples on the standby, the standby's own clients are counted
# in its pool_metrics(), every SQL function answers in recovery (none may write), and a
# restart of the standby saves and reloads its statistics without a complaint.
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

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf', q{
shared_preload_libraries = 'pool_optimizer'
pool_optimizer.sample_interval = 100ms
});
$primary->start;
$primary->safe_psql('postgres', q{
    CREATE EXTENSION pool_optimizer;
    CREATE ROLE monitor_user LOGIN IN ROLE pg_monitor});
ok(run_pgbench($primary, 'standby_init', '-i', '-q', '-s', '1'), 'pgbench -i on the primary');

# The standby inherits postgresql.conf, and with it the preloaded library, from the backup.
$primary->backup('standby_backup');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'standby_backup', has_streaming => 1);
$standby->start;
$primary->wait_for_catchup($standby);
is($standby->safe_psql('postgres', q{
        SELECT pg_is_in_recovery(), current_setting('shared_preload_libraries'),
               (SELECT count(*) FROM pg_stat_wal_receiver WHERE status = 'streaming')}),
    't|pool_optimizer|1', 'the standby is in recovery, streams from the primary and preloads the library');

###############################################################################
note '1. the worker samples on the standby';

my ($worker, $taken) = split /\|/, status($standby, 'worker_pid, samples_taken');
is($standby->safe_psql('postgres',
        "SELECT backend_type FROM pg_stat_activity WHERE pid = $worker"),
    'pool_optimizer worker', "the worker runs on the standby (pid $worker)");
ok($standby->poll_query_until('postgres',
        "SELECT samples_taken >= $taken + 5 FROM pool_optimizer_status()"),
    'and its sample count increases');

###############################################################################
note '2. the standby\'s clients in its pool_metrics()';

my @held = map { session($standby, 'standby_app') } 1 .. 3;
# $held[0] stays idle.
$held[1]->query_safe('BEGIN; SELECT count(*) FROM pgbench_accounts;');
$held[2]->query_until(qr/started/, "\\echo started\nSELECT pg_sleep(60);\n");

# connections/active/idle/idle in transaction/waiting on a lock
ok($standby->poll_query_until('postgres', states_query('standby_app'),
        'standby_app:3/1/1/1/0 = standby_app:3/1/1/1/0'),
    'pool_metrics() agrees with pg_stat_activity: 3 connections, 1 active, 1 idle, 1 idle in transaction');

ok(run_pgbench($standby, 'standby_bench', '-n', '-S', '-c', '2', '-j', '1', '-T', '2'),
    'pgbench -S runs on the standby');
ok($standby->poll_query_until('postgres', q{
        SELECT sum(connections_accepted) = 3 AND sum(transactions) > 0
        FROM pool_metrics() WHERE application_name = 'standby_bench'}),
    'its connections (2 clients and pgbench\'s own) and transactions are counted');
end_sessions($standby, ['standby_app'], @held);

###############################################################################
note '3. every SQL function in recovery';

is($standby->safe_psql('postgres', every_function_query(0),
        extra_params => [ '-U', 'monitor_user' ]),
    every_function_expected(0), 'a pg_monitor role calls every function but the reset');
my ($rc, $out, $err) = $standby->psql('postgres', 'SELECT pool_optimizer_reset()',
    extra_params => [ '-U', 'monitor_user' ]);
like($err, qr/permission denied for function pool_optimizer_reset/,
    'and is refused the reset, as on a primary');
is($standby->safe_psql('postgres', every_function_query()), every_function_expected(),
    'a superuser calls every function, the reset included');
ok($standby->poll_query_until('postgres', q{
        SELECT coalesce(sum(connections_accepted), 0) = 0
        FROM pool_metrics() WHERE application_name = 'standby_bench'}),
    'the worker applied the reset on the standby');
is($standby->safe_psql('postgres', q{
        SELECT count(*) > 0, bool_and(alter_system LIKE 'ALTER SYSTEM SET %')
        FROM setting_recommendations() WHERE alter_system IS NOT NULL}),
    't|t', 'setting_recommendations() gives ALTER SYSTEM commands, without running them');
is($standby->safe_psql('postgres', q{
        SELECT count(*) FILTER (WHERE status NOT IN ('ok', 'warning', 'critical'))
        FROM pool_health()}),
    '0', 'pool_health() judges every check');

###############################################################################
note '4. a restart of the standby';

ok(run_pgbench($standby, 'standby_persist', '-n', '-S', '-C', '-c', '2', '-j', '1', '-t', '5'),
    'ten short connections on the standby');
ok($standby->poll_query_until('postgres', q{
        SELECT sum(connections_accepted) FROM pool_metrics()
        WHERE application_name = 'standby_persist'}, '11'),
    'are counted');
my $stat_file = $standby->data_dir . '/pg_stat/pool_optimizer.stat';
my $offset = -s $standby->logfile;
$standby->restart;
$standby->safe_psql('postgres', 'SELECT 1');    # the load is logged before this answers
my $restart_log = slurp_file($standby->logfile, $offset);
like($restart_log, qr/pool_optimizer: loaded statistics of \d+ pool groups/,
    'the standby saved its statistics at shutdown and loaded them at start');
unlike($restart_log, qr/(WARNING|ERROR|PANIC):.*pool_optimizer/,
    'without a warning or an error');
ok(!-e $stat_file, 'the file is removed once loaded');
is($standby->safe_psql('postgres', q{
        SELECT pg_is_in_recovery(), sum(connections_accepted) FROM pool_metrics()
        WHERE application_name = 'standby_persist'}),
    't|11', 'the standby is still in recovery, with its group and total back');
$taken = status($standby, 'samples_taken');
ok($standby->poll_query_until('postgres',
        "SELECT samples_taken >= $taken + 5 FROM pool_optimizer_status()"),
    'the worker samples after the restart');
$primary->safe_psql('postgres', 'CREATE TABLE after_restart AS SELECT 1 AS x');
$primary->wait_for_catchup($standby);
is($standby->safe_psql('postgres', 'SELECT x FROM after_restart'), '1',
    'replication carries on');

unlike(slurp_file($standby->logfile),
    qr/(PANIC|TRAP|terminated by signal|ERROR:  (?!permission denied for function pool_optimizer_reset))/,
    'the standby\'s log has no crash and no error but the refused reset');
unlike(slurp_file($primary->logfile), qr/(PANIC|TRAP|terminated by signal|ERROR:)/,
    'nor has the primary\'s');

$standby->stop;
$primary->stop;
done_testing();
