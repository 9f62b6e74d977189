# Helpers shared by the TAP tests in t/: a started node with the library preloaded, sessions
# and pgbench runs under an application_name, the collector's status, and one query calling
# every SQL function.
# A test loads it with
#   use FindBin;
#   use lib "$FindBin::RealBin/..";
#   use PoolOptimizerTest;
package PoolOptimizerTest;

use strict;
use warnings;

use Exporter 'import';
use IPC::Run;
use PostgreSQL::Test::Cluster;
use Test::More;
use Time::HiRes qw(time);

our @EXPORT =
  qw(preloaded_node session end_sessions start_pgbench finish_pgbench run_pgbench status states_query
  every_function_query every_function_expected);

# A new node named $name with the library preloaded and the lines of $conf added to its
# postgresql.conf, started, with the extension created in postgres.
sub preloaded_node {
    my ($name, $conf) = @_;
    my $node = PostgreSQL::Test::Cluster->new($name);
    $node->init;
    $node->append_conf('postgresql.conf',
        "shared_preload_libraries = 'pool_optimizer'\n" . ($conf // ''));
    $node->start;
    $node->safe_psql('postgres', 'CREATE EXTENSION pool_optimizer');
    return $node;
}

# Sessions held open across several steps get a generous timer of their own.
my $session_timeout = 300;

# A psql held open in the background whose backend reports $app as application_name.
sub session {
    my ($node, $app, %params) = @_;
    local $ENV{PGAPPNAME} = $app;
    return $node->background_psql('postgres', timeout => $session_timeout, %params);
}

# Ends the sessions of the applications in @$apps from the server's side (a statement they
# are running would otherwise delay psql's exit), then their psql processes.
sub end_sessions {
    my ($node, $apps, @sessions) = @_;
    my $list = join(', ', map { "'$_'" } @$apps);
    $node->safe_psql('postgres',
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name IN ($list)");
    for my $s (@sessions) {
        eval { $s->{run}->kill_kill(grace => 5); 1 } or note "psql already gone: $@";
    }
    ok($node->poll_query_until('postgres',
        "SELECT count(*) = 0 FROM pg_stat_activity WHERE application_name IN ($list)"),
        "the sessions of @$apps have ended");
}

# Starts pgbench against $node as application $app, quietly on the server's side; returns
# a handle for finish_pgbench. %$env, an optional first option, adds environment variables;
# $env->{ulimit_files} raises the open-file limit first (pgbench needs one per client).
sub start_pgbench {
    my ($node, $app, @options) = @_;
    my $env = ref $options[0] eq 'HASH' ? shift @options : {};
    local $ENV{PGHOST} = $node->host;
    local $ENV{PGPORT} = $node->port;
    local $ENV{PGAPPNAME} = $app;
    local $ENV{PGOPTIONS} = '-c log_statement=none -c log_connections=off';
    my %extra = %$env;
    my $files = delete $extra{ulimit_files};
    local @ENV{ keys %extra } = values %extra;
    my @command = ('pgbench', @options, 'postgres');
    @command = ('sh', '-c', "ulimit -n $files && exec \"\$@\"", 'sh', @command) if $files;
    my $run = { out => '', err => '', started => time };
    $run->{handle} = IPC::Run::start(\@command, '>', \$run->{out}, '2>', \$run->{err},
        IPC::Run::timeout(300));
    return $run;
}

# Waits for a pgbench started by start_pgbench. Returns (exit ok, seconds taken, stderr,
# stdout), or in scalar context whether it exited ok.
sub finish_pgbench {
    my ($run) = @_;
    my $ok = eval { $run->{handle}->finish };
    $run->{err} .= $@ if $@;
    return wantarray ? ($ok, time - $run->{started}, $run->{err}, $run->{out}) : $ok;
}

sub run_pgbench {
    return finish_pgbench(start_pgbench(@_));
}

sub status {
    my ($node, $columns) = @_;
    return $node->safe_psql('postgres', "SELECT $columns FROM pool_optimizer_status()");
}

# For the applications in @apps, "app:c/a/i/t/l ... = app:c/a/i/t/l ...": connections,
# active, idle, idle in transaction and waiting on a lock per application, from
# pg_stat_activity on the left and pool_metrics() on the right. One statement computes
# both, so that they describe the same moment (to within the age of the last sample).
sub states_query {
    my @apps = @_;
    my $list = join(', ', map { "'$_'" } @apps);
    return qq{
WITH activity AS (
    SELECT application_name AS app, count(*) AS connections,
           count(*) FILTER (WHERE state = 'active') AS active,
           count(*) FILTER (WHERE state = 'idle') AS idle,
           count(*) FILTER (WHERE state = 'idle in transaction') AS idle_in_transaction,
           count(*) FILTER (WHERE wait_event_type = 'Lock') AS waiting_on_lock
    FROM pg_stat_activity
    WHERE backend_type = 'client backend' AND application_name IN ($list)
    GROUP BY 1),
metrics AS (
    SELECT application_name AS app, sum(connections) AS connections, sum(active) AS active,
           sum(idle) AS idle, sum(idle_in_transaction) AS idle_in_transaction,
           sum(waiting_on_lock) AS waiting_on_lock
    FROM pool_metrics() WHERE application_name IN ($list)
    GROUP BY 1)
SELECT (SELECT string_agg(format('%s:%s/%s/%s/%s/%s', app, connections, active, idle,
                                 idle_in_transaction, waiting_on_lock), ' ' ORDER BY app)
        FROM activity)
       || ' = ' ||
       (SELECT string_agg(format('%s:%s/%s/%s/%s/%s', app, connections, active, idle,
                                 idle_in_transaction, waiting_on_lock), ' ' ORDER BY app)
        FROM metrics)};
}

# Every SQL function of the extension, each called once (pool_config in its three
# formats), as one row of booleans. pool_optimizer_reset(), last, needs a superuser: a
# role without superuser rights calls all but it with every_function_query(0).
my @every_function = (
    '(SELECT count(*) >= 0 FROM pool_metrics())',
    '(SELECT count(*) >= 0 FROM pool_sizes_held())',
    '(SELECT count(*) >= 0 FROM pool_samples())',
    '(SELECT count(*) >= 0 FROM pool_database_stats())',
    '(SELECT usable_cpus > 0 FROM host_resources())',
    '(SELECT worker_pid IS NOT NULL FROM pool_optimizer_status())',
    '(SELECT count(*) >= 1 FROM pool_recommendations())',
    '(SELECT count(*) = 1 FROM pool_budget())',
    q{(SELECT count(*) >= 1 FROM pool_config('sqlalchemy'))},
    q{(SELECT count(*) >= 1 FROM pool_config('hikaricp'))},
    q{(SELECT count(*) >= 1 FROM pool_config('pgbouncer'))},
    q{(SELECT pool_size >= 1 FROM pool_size_for(100, '20 ms'))},
    '(SELECT count(*) >= 0 FROM pool_adjustments())',
    q{(SELECT count(*) >= 1 FROM recommend_settings('16GB', 8))},
    '(SELECT count(*) >= 1 FROM setting_recommendations())',
    '(SELECT count(*) >= 1 FROM pool_health())',
    '(SELECT true FROM pool_optimizer_reset())');

sub every_function_query {
    my ($superuser) = @_;
    my $last = (defined $superuser && !$superuser) ? $#every_function - 1 : $#every_function;
    return 'SELECT ' . join(",\n       ", @every_function[ 0 .. $last ]);
}

sub every_function_expected {
    my ($superuser) = @_;
    my $count = (defined $superuser && !$superuser) ? @every_function - 1 : @every_function;
    return join('|', ('t') x $count);
}

1;
