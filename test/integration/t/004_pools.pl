# Pool recommendations end to end under load: two pgbench applications at known client
# counts run side by side while the worker closes an evaluation window; then every
# recommendation, the worker's adaptation, the ready-to-paste configuration and the
# connection budget are checked for both groups, and the pool_size bounds are changed
# through ALTER SYSTEM and reload (and an inconsistent pair is refused by the check hook).
use strict;
use warnings;

use IPC::Run;
use POSIX ();
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use FindBin;
use lib "$FindBin::RealBin/..";
use PoolOptimizerTest qw(preloaded_node);

# poll_query_until tries 10 * timeout_default times, 0.1 s apart: bound every wait to
# about half a minute (a passing run never waits more than about ten seconds: one
# evaluation window).
$PostgreSQL::Test::Utils::timeout_default = $ENV{PG_TEST_TIMEOUT_DEFAULT} || 30;
# The load and the sessions held open across several steps get timers of their own.
my $load_seconds = 25;
my $session_timeout = 300;

my $node = preloaded_node('pools', q{
pool_optimizer.sample_interval = 100ms
pool_optimizer.evaluation_interval = 10s
});
is($node->safe_psql('postgres', q{
    SELECT current_setting('pool_optimizer.min_pool_size') || '..'
           || current_setting('pool_optimizer.max_pool_size') || ' '
           || current_setting('pool_optimizer.evaluation_interval') || ' '
           || current_setting('max_connections')}),
    '5..50 10s 100', 'default pool_size bounds, a 10 s window and the default max_connections');

my %clients = (app_small => 3, app_big => 7);
my $apps = q{'app_small', 'app_big'};

my ($init_out, $init_err);
{
    local $ENV{PGHOST} = $node->host;
    local $ENV{PGPORT} = $node->port;
    local $ENV{PGAPPNAME} = 'bench_init';
    ok(IPC::Run::run([ 'pgbench', '-i', '-q', '-s', '1', 'postgres' ],
            '>', \$init_out, '2>', \$init_err),
        'pgbench -i -s 1') or diag $init_err;
}

###############################################################################
note '1. two applications under load, one evaluation window closed';

my $evaluations_before =
  $node->safe_psql('postgres', 'SELECT evaluations FROM pool_optimizer_status()');
like($evaluations_before, qr/^\d+$/, "the worker reports its evaluations ($evaluations_before)");

# Both pgbench runs started now and bounded by a timer of their own; they end by
# themselves after $load_seconds.
my %bench;
sub start_bench {
    my ($app, @options) = @_;
    my ($out, $err) = ('', '');
    local $ENV{PGHOST} = $node->host;
    local $ENV{PGPORT} = $node->port;
    local $ENV{PGAPPNAME} = $app;
    # The node logs every statement; pgbench's hundreds of thousands would fill the log.
    local $ENV{PGOPTIONS} = '-c log_statement=none';
    my $handle = IPC::Run::start(
        [ 'pgbench', '-n', '-c', $clients{$app}, '-j', '1', '-T', $load_seconds, @options,
          'postgres' ],
        '>', \$out, '2>', \$err,
        IPC::Run::timeout($load_seconds + $session_timeout));
    $bench{$app} = { handle => $handle, out => \$out, err => \$err };
}
my $load_started = time;
start_bench('app_small', '-S');    # select-only
start_bench('app_big');            # TPC-B-like

# An evaluation happens when a window closes; one closing after the load started has
# seen both groups.
ok($node->poll_query_until('postgres',
        "SELECT evaluations >= $evaluations_before + 1 FROM pool_optimizer_status()"),
    'the worker evaluated a window while the load ran');
note sprintf 'first evaluation %d s after the load started', time - $load_started;

# Connections are counted at the last sample: wait until both pgbench runs have all
# their clients connected.
my $connections_query = qq{
    SELECT string_agg(application_name || ':' || connections, ' ' ORDER BY application_name)
    FROM pool_recommendations() WHERE application_name IN ($apps)};
ok($node->poll_query_until('postgres', $connections_query, 'app_big:7 app_small:3'),
    'one recommendation per application, with the pgbench client counts as connections')
  or diag $node->safe_psql('postgres', $connections_query);

# The adaptation adopts the recommendation at the first evaluation that saw the group.
ok($node->poll_query_until('postgres', qq{
    SELECT count(*) = 2 AND bool_and(adapted_pool_size IS NOT NULL)
    FROM pool_recommendations() WHERE application_name IN ($apps)}),
    'the worker has adapted a pool size for both groups')
  or diag $node->safe_psql('postgres', 'SELECT * FROM pool_optimizer_status()');

my %rec;
for my $line (split /\n/, $node->safe_psql('postgres', qq{
    SELECT application_name, connections, pool_size, max_overflow, confidence,
           transactions_per_second, mean_hold_time_ms, offered_load, adapted_pool_size,
           busy_mean, busy_p95, reason
    FROM pool_recommendations() WHERE application_name IN ($apps)
    ORDER BY application_name}))
{
    my %r;
    @r{qw(app connections pool_size max_overflow confidence tps hold_ms offered_load
          adapted busy_mean busy_p95 reason)} = split /\|/, $line, 12;
    $rec{ $r{app} } = \%r;
    note sprintf '%s: connections %s, pool_size %s, max_overflow %s, confidence %s, '
      . '%.0f tx/s, hold %.3f ms, offered load %.2f, busy mean %.2f, p95 %s, adapted %s',
      @r{qw(app connections pool_size max_overflow confidence tps hold_ms offered_load
            busy_mean busy_p95 adapted)};
    note "$r{app} reason: $r{reason}";
}

for my $app (sort keys %clients) {
    my $r = $rec{$app};
    ok(defined $r, "$app has a recommendation") or next;
    is($r->{connections}, $clients{$app}, "$app: connections are pgbench's $clients{$app} clients");
    ok($r->{pool_size} >= 5 && $r->{pool_size} <= 50,
        "$app: pool_size $r->{pool_size} within min_pool_size..max_pool_size (5..50)");
    my ($low, $high) = (POSIX::ceil($r->{pool_size} * 0.2), POSIX::floor($r->{pool_size} * 0.5));
    $high = $low if $high < $low;
    ok($r->{max_overflow} >= $low && $r->{max_overflow} <= $high,
        "$app: max_overflow $r->{max_overflow} within 20–50 % of pool_size ($low..$high)");
    ok(length($r->{reason}) > 0, "$app: a reason is given");
    like($r->{reason}, qr/offered load/, "$app: the reason names the offered load");
    isnt($r->{confidence}, 'low', "$app: confidence is not low ($r->{confidence})");
    ok($r->{tps} > 0, "$app: transactions_per_second is positive ($r->{tps})");
    ok($r->{hold_ms} > 0, "$app: mean_hold_time_ms is positive ($r->{hold_ms})");
    ok($r->{adapted} ne '' && $r->{adapted} >= 5 && $r->{adapted} <= 50,
        "$app: adapted_pool_size $r->{adapted} is set, within 5..50");
}

# Every change the worker made is recorded; the first one adopts the recommendation.
my %adjusted = map { (split /\|/)[0] => $_ } split /\n/, $node->safe_psql('postgres', qq{
    SELECT application_name, count(*), bool_and(new_pool_size BETWEEN 5 AND 50),
           min(reason) FILTER (WHERE old_pool_size IS NULL)
    FROM pool_adjustments() WHERE application_name IN ($apps) GROUP BY 1});
for my $app (sort keys %clients) {
    my ($name, $count, $bounded, $first) = split /\|/, ($adjusted{$app} // "$app|0||");
    ok($count >= 1, "$app: pool_adjustments() has $count row(s)");
    is($bounded, 't', "$app: every adjustment's new_pool_size is within 5..50");
    like($first // '', qr/first evaluation/, "$app: the first adjustment starts from the recommendation");
}

# SQLAlchemy configuration: one block per group. PgBouncer pools per (database, user): one
# block for the pair, whose pool is the sum of its groups' pools.
for my $app (sort keys %clients) {
    my $config = $node->safe_psql('postgres', qq{
        SELECT string_agg(config, '') FROM pool_config('sqlalchemy') WHERE application_name = '$app'});
    like($config, qr/^# pool group: database=postgres role=\S+ application_name=$app client_addr=\(local\)/,
        "$app: pool_config('sqlalchemy') has a block for the group");
}
my $pgbouncer = $node->safe_psql('postgres', q{
    SELECT count(*) || '|' || bool_and(application_name IS NULL) || '|' || string_agg(config, '')
    FROM pool_config('pgbouncer') WHERE database = 'postgres'});
note "pool_config('pgbouncer'):\n$pgbouncer";
like($pgbouncer, qr/^1\|true\|; pgbouncer pool: database=postgres user=\S+ /,
    'pool_config(pgbouncer) has one block for the (database, user) pair');
like($pgbouncer, qr/\[databases\]\npostgres = dbname=postgres user=\S+ pool_size=\d+ reserve_pool=\d+( pool_mode=transaction)?\n\[pgbouncer\]\n/,
    'the block sets the pair\'s pool_size and reserve_pool');

my $budget = $node->safe_psql('postgres', q{
    SELECT fits, max_connections, pool_connections, required_connections, advice FROM pool_budget()});
note "pool_budget: $budget";
like($budget, qr/^t\|100\|/, 'the pools fit in the default max_connections (100)');

###############################################################################
note '2. pool_size bounds through ALTER SYSTEM and reload';

# Opened before the reload: it must follow the reloaded maximum too.
my $old_session = $node->background_psql('postgres', timeout => $session_timeout,
    on_error_stop => 0);
$old_session->query_safe('SELECT 1');

$node->safe_psql('postgres', q{
    ALTER SYSTEM SET pool_optimizer.max_pool_size = 6; SELECT pg_reload_conf()});
ok($node->poll_query_until('postgres',
        q{SELECT current_setting('pool_optimizer.max_pool_size')}, '6'),
    'max_pool_size is 6 after reload');
my ($big_size, $big_overflow, $big_reason) = split /\|/, $node->safe_psql('postgres', q{
    SELECT pool_size, max_overflow, reason FROM pool_recommendations()
    WHERE application_name = 'app_big'}), 3;
note "app_big with max_pool_size 6: pool_size $big_size, max_overflow $big_overflow; $big_reason";
ok($big_size >= 5 && $big_size <= 6, "app_big: pool_size $big_size within the new bounds 5..6");
my ($big_low, $big_high) = (POSIX::ceil($big_size * 0.2), POSIX::floor($big_size * 0.5));
ok($big_overflow >= $big_low && $big_overflow <= $big_high,
    "app_big: max_overflow $big_overflow within 20–50 % of it ($big_low..$big_high)");
is($node->safe_psql('postgres', q{
    SELECT bool_and(pool_size BETWEEN 5 AND 6) FROM pool_recommendations()}),
    't', 'every group is held within 5..6');

# The check hook compares against the maximum in force and refuses the pair; nothing is
# written to postgresql.auto.conf.
my $auto_conf = $node->data_dir . '/postgresql.auto.conf';
my $auto_before = PostgreSQL::Test::Utils::slurp_file($auto_conf);
my ($rc, $out, $err) = $node->psql('postgres',
    "\\set VERBOSITY verbose\nALTER SYSTEM SET pool_optimizer.min_pool_size = 10");
isnt($rc, 0, 'min_pool_size 10 above max_pool_size 6 is refused');
like($err,
    qr/ERROR:\s+22023: invalid value for parameter "pool_optimizer\.min_pool_size": 10\n/,
    'as an invalid parameter value (22023) naming the setting and the value');
like($err,
    qr/DETAIL:\s+pool_optimizer\.min_pool_size \(10\) must not exceed pool_optimizer\.max_pool_size \(6\)\./,
    'the detail names both settings and their values');
is(PostgreSQL::Test::Utils::slurp_file($auto_conf), $auto_before,
    'postgresql.auto.conf is unchanged');

# The session opened before the reload judges the pair against the reloaded maximum.
my (undef, $failed) = $old_session->query('ALTER SYSTEM SET pool_optimizer.min_pool_size = 10');
ok($failed, 'a session opened before the reload refuses min_pool_size 10 too');
like($old_session->{stderr},
    qr/pool_optimizer\.min_pool_size \(10\) must not exceed pool_optimizer\.max_pool_size \(6\)/,
    'judged against the reloaded maximum');
$old_session->{stderr} = '';    # BackgroundPsql keeps stderr across queries
is($old_session->query_safe(q{SELECT current_setting('pool_optimizer.min_pool_size')}),
    '5', 'min_pool_size stays 5');
$old_session->quit;

# The worker reloaded too: at its next evaluation the running size comes within the new
# bounds, while pgbench still runs.
my $evaluations_now =
  $node->safe_psql('postgres', 'SELECT evaluations FROM pool_optimizer_status()');
ok($node->poll_query_until('postgres',
        "SELECT evaluations >= $evaluations_now + 1 FROM pool_optimizer_status()"),
    'the worker evaluated another window');
is($node->safe_psql('postgres', q{
    SELECT adapted_pool_size BETWEEN 5 AND 6 FROM pool_recommendations()
    WHERE application_name = 'app_big'}),
    't', 'app_big: the adapted pool size is within the new bounds');
note 'pool_adjustments: ' . $node->safe_psql('postgres', qq{
    SELECT string_agg(format('%s %s->%s (%s)', application_name, old_pool_size, new_pool_size, reason), E'\n')
    FROM pool_adjustments() WHERE application_name IN ($apps)});

###############################################################################
note '3. the load ran as asked';

for my $app (sort keys %clients) {
    my $b = $bench{$app};
    ok(eval { $b->{handle}->finish; 1 } && $b->{handle}->result == 0, "pgbench $app succeeded")
      or diag "$@ " . ${ $b->{err} };
    my ($processed) = ${ $b->{out} } =~ /number of transactions actually processed: (\d+)/;
    ok(defined $processed && $processed > 0,
        "pgbench $app ran its transactions (" . ($processed // 'none') . ')');
}
note sprintf 'load lasted %d s', time - $load_started;

###############################################################################
note '4. a pool that replaced another within the window';

# The host CPU the engine charges a pool with is the pool's own: averaged from the moment it
# opened, not over the window, which still holds the pool it replaced. A select-only pool
# runs until a window closes and is stopped; a pool that sleeps inside its transactions
# opens in its place. At the next window's close its recommendation reads the CPU since it
# opened (the select-only pool is still in the window, as more than 2 % of its
# transactions).
my $sleep_script = $node->basedir . '/sleep.sql';
PostgreSQL::Test::Utils::append_to_file($sleep_script,
    "BEGIN;\nSELECT pg_sleep(0.01);\nEND;\n");
$clients{app_replaced} = 2;
$clients{app_replacing} = 2;
my $evaluations_at_swap =
  $node->safe_psql('postgres', 'SELECT evaluations FROM pool_optimizer_status()');
start_bench('app_replaced', '-S');
ok($node->poll_query_until('postgres',
        "SELECT evaluations >= $evaluations_at_swap + 1 FROM pool_optimizer_status()"),
    'a window closed while the select-only pool ran');
$bench{app_replaced}{handle}->kill_kill;
ok($node->poll_query_until('postgres',
        q{SELECT count(*) = 0 FROM pg_stat_activity WHERE application_name = 'app_replaced'}),
    'the select-only pool has closed');
my $evaluations_swapped =
  $node->safe_psql('postgres', 'SELECT evaluations FROM pool_optimizer_status()');
start_bench('app_replacing', '-f', $sleep_script);
ok($node->poll_query_until('postgres',
        "SELECT evaluations >= $evaluations_swapped + 1 FROM pool_optimizer_status()"),
    'the next window closed while the sleeping pool ran');
my $replacing = $node->safe_psql('postgres', q{
    SELECT r.connections || '|' || r.reason FROM pool_recommendations() r
    WHERE r.application_name = 'app_replacing'
      AND EXISTS (SELECT FROM pool_recommendations() o
                  WHERE o.application_name = 'app_replaced' AND o.connections = 0)});
note "app_replacing: $replacing";
like($replacing, qr/^2\|.*the host CPU was at [\d.]+ % since the last pool opened or closed: the pool capped the demand/,
    'with the replaced pool still in the window, the sleeping pool is judged by the CPU since it opened');
$bench{app_replacing}{handle}->kill_kill;

###############################################################################
note '5. a maximum written but not yet reloaded';

$node->safe_psql('postgres', q{
    ALTER SYSTEM RESET pool_optimizer.max_pool_size; SELECT pg_reload_conf()});
ok($node->poll_query_until('postgres',
        q{SELECT current_setting('pool_optimizer.max_pool_size')}, '50'),
    'max_pool_size is back to 50 after ALTER SYSTEM RESET and reload');

# The check hooks compare with the value in force, so lowering the maximum and raising the
# minimum past it without a reload in between is accepted (documented in the README). The
# server then starts with the inverted pair: it warns, and holds every pool at the minimum.
$node->safe_psql('postgres', 'ALTER SYSTEM SET pool_optimizer.max_pool_size = 6');
($rc, $out, $err) = $node->psql('postgres',
    'ALTER SYSTEM SET pool_optimizer.min_pool_size = 10');
is($rc, 0, 'min_pool_size 10 is accepted while max_pool_size 6 is only written');
my $log_offset = -s $node->logfile;
$node->restart;
my $in_force = $node->safe_psql('postgres', q{
    SELECT current_setting('pool_optimizer.min_pool_size') || '..'
           || current_setting('pool_optimizer.max_pool_size')});
is($in_force, '10..6', 'the server starts with the inverted pair');
ok($node->log_contains(
        qr/pool_optimizer\.min_pool_size \(10\) exceeds pool_optimizer\.max_pool_size \(6\)/,
        $log_offset),
    'the start warns about the inverted pair');
my $sizes = $node->safe_psql('postgres',
    'SELECT min(pool_size) || ' . "'..'" . ' || max(pool_size) FROM pool_recommendations()');
is($sizes, '10..10', 'every pool is held at the minimum, never below it');
$node->safe_psql('postgres', q{
    ALTER SYSTEM RESET pool_optimizer.min_pool_size;
    ALTER SYSTEM RESET pool_optimizer.max_pool_size});

$node->stop;
done_testing();
