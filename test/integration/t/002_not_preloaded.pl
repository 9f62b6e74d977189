# Without shared_preload_libraries the extension still installs; the functions that need
# the worker's shared memory refuse with a clear error and a hint on how to preload, and
# the functions that need nothing from the worker (host_resources, recommend_settings)
# work anyway.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('not_preloaded');
$node->init;
$node->start;

is($node->safe_psql('postgres', 'SHOW shared_preload_libraries'),
    '', 'the library is not preloaded');

my ($rc, $out, $err) = $node->psql('postgres', 'CREATE EXTENSION pool_optimizer');
is($rc, 0, 'CREATE EXTENSION succeeds without shared_preload_libraries');
is($err, '', 'CREATE EXTENSION raises nothing');

for my $call (
    'SELECT * FROM pool_metrics()',
    'SELECT * FROM pool_samples()',
    'SELECT * FROM pool_samples(now() - interval \'1 hour\')',
    'SELECT * FROM pool_optimizer_status()',
    'SELECT * FROM pool_database_stats()',
    'SELECT * FROM setting_recommendations()',
    'SELECT * FROM pool_health()',
    'SELECT pool_optimizer_reset()')
{
    # VERBOSITY verbose adds the SQLSTATE, so that the error's class is checked too.
    my ($rc, $out, $err) =
      $node->psql('postgres', "\\set VERBOSITY verbose\n$call");
    isnt($rc, 0, "$call fails");
    like($err, qr/ERROR:\s+55000: .*needs pool_optimizer to be loaded via shared_preload_libraries/,
        "$call names shared_preload_libraries (object not in prerequisite state)");
    like($err,
        qr/HINT:\s+Add pool_optimizer to shared_preload_libraries in postgresql\.conf and restart the server\./,
        "$call hints how to preload");
    is($out, '', "$call returns no rows");
}

# host_resources() reads /proc and cgroups from the calling backend: no worker needed.
my $host = $node->safe_psql('postgres',
    q{SELECT count(*), bool_and(usable_cpus >= 1), bool_and(online_cpus >= 1),
             bool_and(memory_total > 0)
      FROM host_resources()});
is($host, '1|t|t|t',
    'host_resources() returns one row with at least one usable CPU and some memory');

# recommend_settings() describes a machine: it needs nothing from the worker either.
is($node->safe_psql('postgres',
        q{SELECT value FROM recommend_settings('16GB', 4) WHERE name = 'shared_buffers'}),
    '4GB', 'recommend_settings() works without shared_preload_libraries');

# The session that saw the errors is still usable, and the extension can be dropped.
is($node->safe_psql('postgres', 'DROP EXTENSION pool_optimizer; SELECT 1'),
    '1', 'DROP EXTENSION succeeds');

$node->stop;
done_testing();
