# contrib/ for fleet monitoring: every query of the postgres_exporter queries file runs
# against a live server under load as a pg_monitor role (not a superuser) and returns the
# declared columns, labels as text and gauges and counters as numbers, never NULL; and
# every metric the Grafana dashboard plots is one the queries file produces.
use strict;
use warnings;

use File::Basename qw(dirname);
use IPC::Run;
use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use FindBin;
use lib "$FindBin::RealBin/..";
use PoolOptimizerTest qw(preloaded_node);
use YAML::XS ();

$PostgreSQL::Test::Utils::timeout_default = $ENV{PG_TEST_TIMEOUT_DEFAULT} || 30;
my $contrib = dirname(__FILE__) . '/../../../contrib';
my $load_seconds = 30;

###############################################################################
note '1. the queries file has the shape postgres_exporter reads';

my $queries = YAML::XS::LoadFile("$contrib/postgres_exporter/queries.yaml");
is(ref $queries, 'HASH', 'a map of metric prefixes');
my (%produced, %columns);
for my $prefix (sort keys %$queries) {
    my $q = $queries->{$prefix};
    like($prefix, qr/^pool_optimizer_[a-z0-9_]+$/, "$prefix: a metric prefix of our own");
    is_deeply([ sort keys %$q ], [qw(master metrics query)], "$prefix: query, master, metrics");
    ok($q->{master}, "$prefix: master (server-wide figures, run once)");
    for my $entry (@{ $q->{metrics} }) {
        my ($column, @more) = keys %$entry;
        ok(!@more, "$prefix: one column per metrics entry");
        my $m = $entry->{$column};
        like($m->{usage}, qr/^(LABEL|GAUGE|COUNTER)$/, "$prefix.$column: usage $m->{usage}");
        ok(length($m->{description} // ''), "$prefix.$column: described");
        push @{ $columns{$prefix} }, [ $column, $m->{usage} ];
        $produced{"${prefix}_$column"} = 1 if $m->{usage} ne 'LABEL';
    }
}

###############################################################################
note '2. every query on a live server under load, as a member of pg_monitor';

my $node = preloaded_node('exporter', q{
pool_optimizer.sample_interval = 100ms
pool_optimizer.evaluation_interval = 10s
});
$node->safe_psql('postgres', q{
    CREATE ROLE pool_exporter LOGIN IN ROLE pg_monitor;
});

{
    local $ENV{PGHOST} = $node->host;
    local $ENV{PGPORT} = $node->port;
    my ($out, $err);
    ok(IPC::Run::run([ 'pgbench', '-i', '-q', '-s', '1', 'postgres' ], '>', \$out, '2>', \$err),
        'pgbench -i') or diag $err;
}
my @bench;
for my $app ([ 'shop', 4, '-S' ], [ 'billing', 3 ]) {
    my ($name, $clients, @options) = @$app;
    local $ENV{PGHOST} = $node->host;
    local $ENV{PGPORT} = $node->port;
    local $ENV{PGAPPNAME} = $name;
    my ($out, $err) = ('', '');
    push @bench, IPC::Run::start(
        [ 'pgbench', '-n', '-c', $clients, '-T', $load_seconds, @options, 'postgres' ],
        '>', \$out, '2>', \$err, IPC::Run::timeout($load_seconds + 120));
}
ok($node->poll_query_until('postgres', q{
    SELECT count(*) = 2 FROM pool_metrics()
    WHERE application_name IN ('shop', 'billing') AND window_samples > 0}),
    'both applications are sampled');
ok($node->poll_query_until('postgres', 'SELECT evaluations >= 1 FROM pool_optimizer_status()'),
    'an evaluation window closed under load');
ok($node->poll_query_until('postgres', q{
    SELECT count(*) > 0 FROM pool_sizes_held() WHERE application_name IN ('shop', 'billing')}),
    'a pool held its size through a window');

my %numeric = map { $_ => 1 } ('smallint', 'integer', 'bigint', 'real', 'double precision', 'numeric');
my %rows;
for my $prefix (sort keys %$queries) {
    my $query = $queries->{$prefix}{query} =~ s/;\s*$//r;
    my @declared = @{ $columns{$prefix} };
    my ($ret, $desc, $err) = $node->psql('postgres', "$query\n\\gdesc",
        extra_params => [ '-U', 'pool_exporter' ]);
    is($ret, 0, "$prefix: runs as pool_exporter") or diag $err;
    my @got = map { [ split /\|/ ] } split /\n/, $desc;
    is_deeply([ map { $_->[0] } @got ], [ map { $_->[0] } @declared ],
        "$prefix: returns the declared columns, in order");
    my %type = map { $_->[0] => $_->[1] } @got;
    for my $d (@declared) {
        my ($column, $usage) = @$d;
        my $t = $type{$column} // 'missing';
        if ($usage eq 'LABEL') { is($t, 'text', "$prefix.$column: a label of type text") }
        else { ok($numeric{$t}, "$prefix.$column: a $usage of numeric type ($t)") }
    }
    my $counts = join ", ", map { "count($_->[0])" } @declared;
    my $result = $node->safe_psql('postgres', "SELECT count(*), $counts FROM ($query) AS q",
        extra_params => [ '-U', 'pool_exporter' ]);
    my ($rows, @non_null) = split /\|/, $result;
    $rows{$prefix} = $rows;
    cmp_ok($rows, '>=', 1, "$prefix: $rows rows");
    is_deeply(\@non_null, [ ($rows) x @declared ], "$prefix: no NULL label, gauge or counter");
}
is($node->safe_psql('postgres', q{
    SELECT string_agg(application_name, ',' ORDER BY application_name)
    FROM pool_recommendations() WHERE application_name IN ('shop', 'billing')}),
    'billing,shop', 'a recommendation row for each application');
cmp_ok($rows{pool_optimizer_pool}, '>=', 2, 'a pool row for each application');
cmp_ok($rows{pool_optimizer_setting_value}, '>=', 5, 'numeric settings with both values');
is($rows{pool_optimizer_overview}, 1, 'one overview row');

$node->safe_psql('postgres', 'CREATE ROLE pool_outsider LOGIN');
my ($ret, $out, $err) = $node->psql('postgres', $queries->{pool_optimizer_pool}{query},
    extra_params => [ '-U', 'pool_outsider' ]);
like($err, qr/permission denied for function pool_metrics/, 'a role outside pg_monitor is refused');

$_->finish for @bench;
$node->stop;

###############################################################################
note '3. the Grafana dashboard plots only metrics the queries produce';

my $dashboard = do {
    open my $fh, '<', "$contrib/grafana/pool_optimizer_fleet.json" or die $!;
    local $/;
    JSON::PP->new->decode(<$fh>);
};
cmp_ok($dashboard->{schemaVersion}, '>=', 36, "schemaVersion $dashboard->{schemaVersion}");
my %vars = map { $_->{name} => $_ } @{ $dashboard->{templating}{list} };
is($vars{datasource}{type}, 'datasource', 'the data source is a variable');
is($vars{datasource}{query}, 'prometheus', 'of Prometheus data sources');
ok($vars{instance} && $vars{instance}{multi} && $vars{instance}{includeAll},
    'an instance variable selecting one, several or all servers');

my @panels = map { ($_, @{ $_->{panels} // [] }) } @{ $dashboard->{panels} };
my @exprs = ($vars{instance}{definition});
for my $panel (grep { $_->{type} ne 'row' } @panels) {
    is($panel->{datasource}{uid}, '${datasource}', "panel '$panel->{title}': the data source variable");
    ok(@{ $panel->{targets} }, "panel '$panel->{title}': has queries");
    for my $target (@{ $panel->{targets} }) {
        like($target->{expr}, qr/instance=~"\$instance"/, "panel '$panel->{title}': filtered by \$instance");
        push @exprs, $target->{expr};
    }
}
my %referenced = map { $_ => 1 } map { /\b(pool_optimizer_[a-z0-9_]+)/g } @exprs;
ok($produced{$_}, "the dashboard's $_ is produced by the queries file") for sort keys %referenced;
for my $needed (qw(pool_optimizer_pool_connections pool_optimizer_pool_busy_mean
    pool_optimizer_pool_saturation pool_optimizer_recommendation_pool_size
    pool_optimizer_recommendation_connections pool_optimizer_setting_value_recommended
    pool_optimizer_setting_value_current pool_optimizer_host_cpu_utilisation)) {
    ok($referenced{$needed}, "the dashboard plots $needed");
}

done_testing();
