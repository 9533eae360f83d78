#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on 127.0.0.1 for tests and scenario runs (Debian's postgresql package).
#   scripts/postgres-local.sh start [DIR] [PORT]   # prints the database URL on stdout
#   scripts/postgres-local.sh stop  [DIR]
# As root it runs the server as the `postgres` user (initdb refuses root); otherwise as yourself.
set -euo pipefail
cmd=${1:?start or stop}
DIR=${2:-/tmp/effinity-pg}
PORT=${3:-54329}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$PGBIN" ] || { echo "PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "$cmd" in
  start)
    if [ "$(id -u)" -eq 0 ]; then install -d -o postgres "$DIR"; else mkdir -p "$DIR"; fi
    if [ ! -f "$DIR/data/PG_VERSION" ]; then
      as_owner "$PGBIN/initdb" -D "$DIR/data" -A trust -U postgres >"$DIR/initdb.log" 2>&1
    fi
    as_owner "$PGBIN/pg_ctl" -D "$DIR/data" -w -l "$DIR/server.log" \
      -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off" start >&2
    "$PGBIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -Atc "SELECT 1 FROM pg_database WHERE datname = 'effinity'" | grep -q 1 \
      || "$PGBIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -qc "CREATE DATABASE effinity" >&2
    echo "postgres://postgres@127.0.0.1:$PORT/effinity"
    ;;
  stop)
    as_owner "$PGBIN/pg_ctl" -D "$DIR/data" -m fast stop >&2 || true
    ;;
  *) echo "usage: $0 start|stop [DIR] [PORT]" >&2; exit 2 ;;
esac
