#!/usr/bin/env bash
# Makes a local PostgreSQL server available for the test suite, and prints its URL.
# Reuses a server that already answers; otherwise installs Debian's package (as root) and starts
# the cluster. Usage: export PORTCULLIS_TEST_POSTGRES_URL=$(scripts/postgres.sh)
set -euo pipefail

PGUSER_NAME=${PORTCULLIS_PG_USER:-portcullis}
PGPASS=${PORTCULLIS_PG_PASSWORD:-portcullis}
PGDB=${PORTCULLIS_PG_DB:-portcullis_test}
PGPORT=${PORTCULLIS_PG_PORT:-5432}
URL="postgres://$PGUSER_NAME:$PGPASS@127.0.0.1:$PGPORT/$PGDB"

log() { echo "postgres.sh: $*" >&2; }

answers() { pg_isready -q -h 127.0.0.1 -p "$PGPORT" 2>/dev/null; }

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  log "installing postgresql"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi

if ! answers; then
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$version" ]; then
    version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
    log "creating cluster $version/main"
    pg_createcluster "$version" main >&2
  fi
  log "starting cluster $version/main"
  pg_ctlcluster "$version" main start >&2 || true
  for _ in $(seq 1 30); do answers && break; sleep 1; done
  answers || { log "server did not come up"; exit 1; }
fi

psql_admin() { runuser -u postgres -- psql -v ON_ERROR_STOP=1 -qtA -p "$PGPORT" "$@"; }
if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$PGUSER_NAME'")" != "1" ]; then
  log "creating role $PGUSER_NAME"
  psql_admin -c "CREATE ROLE $PGUSER_NAME LOGIN CREATEDB PASSWORD '$PGPASS'" >&2
fi
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$PGDB'")" != "1" ]; then
  log "creating database $PGDB"
  psql_admin -c "CREATE DATABASE $PGDB OWNER $PGUSER_NAME" >&2
fi
echo "$URL"
