#!/usr/bin/env bash
# `make run`: a throwaway PostgreSQL under the git-ignored run directory and the control
# plane in development mode (loopback only, no admin token needed), in the foreground.
# `make stop` (or Ctrl-C) stops both.
set -euo pipefail
stop=0
if [ "${1:-}" = --stop ]; then stop=1; shift; fi
build=${1:-build}
run=${2:-.run}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$run"
chmod 755 "$run"
if [ $stop = 1 ]; then
  "$here/postgres.sh" stop "$run/postgres"
  exit 0
fi
pg_port=${SWITCHYARD_RUN_PG_PORT:-55432}
rest=${SWITCHYARD_RUN_REST:-127.0.0.1:8081}
grpc=${SWITCHYARD_RUN_GRPC:-127.0.0.1:50051}
dsn=$("$here/postgres.sh" start "$run/postgres" "$pg_port")
trap '"$here/postgres.sh" stop "$run/postgres"' EXIT
config=()
[ -f "$run/config.json" ] && config=(--config "$run/config.json")

cat <<MSG
Switchyard control plane (development mode)
  REST admin API  http://$rest
  gRPC admin API  $grpc   (reflection on)
  PostgreSQL      $dsn

Try:
  curl -s -X POST http://$rest/api/providers -H 'Content-Type: application/json' \\
    -d '{"provider":"openai","keys":[{"name":"openai-key-1","value":"env.OPENAI_API_KEY","models":["*"],"weight":1.0}]}'
  curl -s http://$rest/api/providers

Ctrl-C stops the control plane and PostgreSQL.
MSG
"$build/bin/switchyard-control-plane" --dev --postgres-dsn="$dsn" \
  --http-listen="$rest" --grpc-listen="$grpc" "${config[@]}"
