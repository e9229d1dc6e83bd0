#!/usr/bin/env bash
# Builds the Temporal server and its SQL tool (temporal-sql-tool) at the version
# zeren's go.mod pins, and copies the server's PostgreSQL schema beside them:
#
#   deploy/build-temporal.sh [OUT]        # default OUT: bin/
#
#   OUT/temporal-server     all four services in one binary (go.temporal.io/server/cmd/server)
#   OUT/temporal-sql-tool   creates the databases and applies the schema (cmd/tools/sql)
#   OUT/temporal-schema/    the schema files of that version (schema/postgresql/v12)
#
# Run it from the repository, with Go. zeren's go.mod is not changed: the SQL
# tool needs urfave/cli, which zeren does not require, so the build resolves
# against a copy of go.mod and go.sum (-modfile) to which `go get` adds only
# that; every module zeren already requires keeps its pinned version. The
# first build links the server: about three minutes on two cores.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/bin}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$root"

version=$(go list -m -f '{{.Version}}' go.temporal.io/server)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp go.mod "$tmp/go.mod"
cp go.sum "$tmp/go.sum"
go get -modfile="$tmp/go.mod" \
	"go.temporal.io/server/cmd/server@$version" \
	"go.temporal.io/server/cmd/tools/sql@$version"
# Refuse a build where go get moved a module zeren pins.
changed=$(diff <(grep -v '^$' go.mod | grep -E '^\s+\S+ v' | awk '{print $1, $2}' | sort) \
	<(grep -v '^$' "$tmp/go.mod" | grep -E '^\s+\S+ v' | awk '{print $1, $2}' | sort) | grep '^<' || true)
if [ -n "$changed" ]; then
	echo "build-temporal: go get changed modules zeren pins:" >&2
	echo "$changed" >&2
	exit 1
fi
echo "building temporal-server and temporal-sql-tool $version into $out"
go build -modfile="$tmp/go.mod" -o "$out/temporal-server" go.temporal.io/server/cmd/server
go build -modfile="$tmp/go.mod" -o "$out/temporal-sql-tool" go.temporal.io/server/cmd/tools/sql
moddir=$(go list -m -f '{{.Dir}}' go.temporal.io/server)
rm -rf "$out/temporal-schema"
mkdir -p "$out/temporal-schema"
cp -r "$moddir/schema/postgresql/v12/." "$out/temporal-schema/"
chmod -R u+w "$out/temporal-schema"
find "$out/temporal-schema" -name '*.go' -delete
echo "$version" > "$out/temporal-schema/VERSION"
echo "done: $out/temporal-server, $out/temporal-sql-tool, $out/temporal-schema ($version)"
