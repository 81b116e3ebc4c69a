#!/usr/bin/env bash
# Throwaway PostgreSQL for `make run`: scripts/postgres.sh start|stop|dsn <dir> [port]
# Debian's server binaries; initdb refuses root, so as root it runs as the postgres user.
set -euo pipefail
cmd=${1:?start|stop|dsn}
dir=$(realpath -m "${2:?data directory}")
port=${3:-15432}
bin=/usr/lib/postgresql/15/bin
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "$cmd" in
  start)
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
    chmod 700 "$dir"
    if [ ! -f "$dir/PG_VERSION" ]; then
      as_owner "$bin/initdb" -D "$dir" -A trust -U postgres --no-sync >/dev/null
    fi
    if ! as_owner "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
      if ! as_owner "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -o \
          "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir -c fsync=off" \
          start >/dev/null; then
        tail -n 5 "$dir/server.log" >&2
        echo "PostgreSQL did not start (port $port busy? set SWITCHYARD_RUN_PG_PORT)" >&2
        exit 1
      fi
    fi
    echo "host=127.0.0.1 port=$port user=postgres dbname=postgres"
    ;;
  stop)
    as_owner "$bin/pg_ctl" -D "$dir" -m fast stop >/dev/null 2>&1 || true
    ;;
  dsn)
    echo "host=127.0.0.1 port=$port user=postgres dbname=postgres"
    ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
