#!/usr/bin/env bash
# Creates Temporal's two PostgreSQL databases and brings their schema to the
# version the server binary expects, with the server's own SQL tool:
#
#   set -a; . /etc/temporal/temporal.env; set +a
#   deploy/temporal-schema.sh [BIN]       # default BIN: bin/ (deploy/build-temporal.sh)
#
# Reads TEMPORAL_DB_HOST, TEMPORAL_DB_PORT, TEMPORAL_DB_USER, TEMPORAL_DB_PASSWORD,
# TEMPORAL_DB, TEMPORAL_VISIBILITY_DB (the defaults of temporal-server.yaml).
# The user needs CREATEDB the first time (or create both databases yourself,
# owned by it). Run it again after upgrading the server: create-database leaves
# an existing database as it is, setup-schema -v 0.0 on a schema already set up
# does nothing, and update-schema applies only the versions not yet applied.
# Take a backup of both databases before an upgrade.
set -euo pipefail

bin=${1:-$(cd "$(dirname "$0")/.." && pwd)/bin}
schema=${TEMPORAL_SCHEMA_DIR:-$bin/temporal-schema}
host=${TEMPORAL_DB_HOST:-127.0.0.1}
port=${TEMPORAL_DB_PORT:-5432}
user=${TEMPORAL_DB_USER:-temporal}
export SQL_PASSWORD=${TEMPORAL_DB_PASSWORD:-}
sql=("$bin/temporal-sql-tool" --plugin postgres12 --ep "$host" -p "$port" -u "$user")
if [ -n "${TEMPORAL_DB_TLS_CA:-}" ]; then
	sql+=(--tls --tls-ca-file "$TEMPORAL_DB_TLS_CA" --tls-server-name "${TEMPORAL_DB_TLS_SERVER_NAME:-$host}")
fi

for pair in "${TEMPORAL_DB:-temporal}:temporal" "${TEMPORAL_VISIBILITY_DB:-temporal_visibility}:visibility"; do
	db=${pair%%:*}
	dir=$schema/${pair##*:}
	"${sql[@]}" --db "$db" create-database # an existing database is left as it is
	"${sql[@]}" --db "$db" setup-schema -v 0.0
	"${sql[@]}" --db "$db" update-schema -d "$dir/versioned"
done
