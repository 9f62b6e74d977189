#!/usr/bin/perl
# META.json against the PGXN Meta Spec 1.0.0 (https://pgxn.org/spec/): the required keys,
# semantic versions, a known license, the shape of provides, prereqs and resources. And
# against the rest of the tree: the release version follows the control file's
# default_version, the provided file is the install script, updates lead from it to that
# version, every script is in the Makefile's DATA, the PostgreSQL floor is compat.hpp's,
# and debian/ ships the same upstream version for the same PostgreSQL versions.
use strict;
use warnings;
use JSON::PP;
use Test::More;

my $root = shift // '.';
sub slurp { my ($path) = @_; open my $fh, '<', "$root/$path" or die "$path: $!"; local $/; <$fh> }

my $meta = eval { JSON::PP->new->relaxed(0)->decode(slurp('META.json')) };
ok($meta, 'META.json is valid JSON') or BAIL_OUT($@);

my $semver = qr/^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+)?$/;
my %licenses = map { $_ => 1 } qw(agpl_3 apache_1_1 apache_2_0 artistic_1 artistic_2 bsd
    freebsd gfdl_1_2 gfdl_1_3 gpl_1 gpl_2 gpl_3 lgpl_2_1 lgpl_3_0 mit mozilla_1_0 mozilla_1_1
    openssl perl_5 postgresql qpl_1_0 ssleay sun zlib open_source restricted unrestricted
    unknown);
my %known = map { $_ => 1 } qw(name abstract description version maintainer license
    prereqs provides no_index resources generated_by tags release_status meta-spec);

for my $key (qw(name abstract version maintainer license provides meta-spec)) {
    ok(defined $meta->{$key}, "required key $key");
}
for my $key (sort keys %$meta) {
    ok($known{$key} || $key =~ /^x_/i, "$key is a spec key (or x_ custom)");
}
like($meta->{name}, qr/^[^\s\/\\:]{2,}$/, 'name: two or more characters, no space, slash or colon');
like($meta->{version}, $semver, "version $meta->{version} is a semantic version");
is($meta->{'meta-spec'}{version}, '1.0.0', 'meta-spec version 1.0.0');
my @maintainers = ref $meta->{maintainer} ? @{ $meta->{maintainer} } : ($meta->{maintainer});
ok(@maintainers && !grep({ !length } @maintainers), 'at least one maintainer');
my @licenses = ref $meta->{license} eq 'HASH' ? keys %{ $meta->{license} }
    : ref $meta->{license} ? @{ $meta->{license} } : ($meta->{license});
ok($licenses{$_}, "license $_ is one the spec names") for @licenses;
ok(!defined $meta->{release_status}
    || $meta->{release_status} =~ /^(stable|testing|unstable)$/, 'release_status');

my %provides = %{ $meta->{provides} };
ok(exists $provides{pool_optimizer}, 'provides the pool_optimizer extension');
for my $ext (sort keys %provides) {
    my $p = $provides{$ext};
    ok(-f "$root/$p->{file}", "provides $ext: file $p->{file} exists");
    like($p->{version}, $semver, "provides $ext: version $p->{version} is semantic");
    ok(!defined $p->{docfile} || -f "$root/$p->{docfile}", "provides $ext: docfile exists");
}

for my $phase (sort keys %{ $meta->{prereqs} // {} }) {
    like($phase, qr/^(configure|build|test|runtime|develop)$/, "prereqs phase $phase");
    for my $rel (sort keys %{ $meta->{prereqs}{$phase} }) {
        like($rel, qr/^(requires|recommends|suggests|conflicts)$/, "prereqs relation $rel");
        while (my ($name, $version) = each %{ $meta->{prereqs}{$phase}{$rel} }) {
            like($version, qr/^(0|(?:[<>]=?|[=!]=)?\s*\d+\.\d+\.\d+(?:-\S+)?(?:\s*,.*)?)$/,
                "prereq $name version '$version'");
        }
    }
}
if (my $res = $meta->{resources}) {
    for my $key (sort keys %$res) {
        like($key, qr/^(homepage|bugtracker|repository|x_\w+)$/i, "resource $key");
    }
}

# Consistency with the tree.
my ($default) = slurp('pool_optimizer.control') =~ /^default_version\s*=\s*'([^']+)'/m;
ok($default, "control file default_version $default");
my ($major, $minor) = $meta->{version} =~ /^(\d+)\.(\d+)\./;
is("$major.$minor", $default, 'META version is the extension version with a patch level');
is($provides{pool_optimizer}{version}, $meta->{version}, 'provides the release version');
# One install script, as pg_stat_statements ships: CREATE EXTENSION runs it and then the
# update scripts up to default_version, so no second copy of the objects can drift.
my @install_scripts = map { s{^\Q$root\E/}{}r }
    grep { !/--[^\/]*--/ } glob("$root/pool_optimizer--*.sql");
is(scalar @install_scripts, 1, "one install script: @install_scripts");
is($provides{pool_optimizer}{file}, $install_scripts[0],
    'the provided file is the install script');
my ($chain) = ($install_scripts[0] // '') =~ /^pool_optimizer--(.+)\.sql$/;
my @steps;
while (defined $chain && $chain ne $default) {
    my @next = map { m{--\Q$chain\E--(.+)\.sql$} ? $1 : () } glob("$root/pool_optimizer--$chain--*.sql");
    last unless @next == 1;
    push @steps, "$chain--$next[0]";
    $chain = $next[0];
}
is($chain, $default, "update scripts lead from the install script to $default (@steps)");

my $makefile = slurp('Makefile');
my ($data) = $makefile =~ /^DATA\s*=\s*(.*)$/m;
my %data = map { $_ => 1 } split ' ', $data;
for my $script (map { s{^\Q$root\E/}{}r } glob("$root/pool_optimizer--*.sql")) {
    ok($data{$script}, "$script is installed (Makefile DATA)");
}

# compat.hpp compiles from its floor (13); the release supports what is tested, from 15
# (README, Versions): never below what compiles, and the Debian package agrees.
my ($compiles) = slurp('src/pg/compat.hpp') =~ /PG_VERSION_NUM < (\d+)0000/;
my $requires = $meta->{prereqs}{runtime}{requires}{PostgreSQL};
my ($floor) = $requires =~ /^(\d+)\.0\.0$/;
ok(defined $floor && $floor >= $compiles,
    "runtime requires PostgreSQL $requires, at or above compat.hpp's floor $compiles");

my ($deb_version) = slurp('debian/changelog') =~ /^pool-optimizer \(([^)]+)\)/;
like($deb_version, qr/^\Q$meta->{version}\E-\d+$/, "debian/changelog $deb_version packages the release");
like(slurp('debian/pgversions'), qr/^\Q$floor\E\+?\s*$/, 'debian/pgversions starts at the same floor');

done_testing();
