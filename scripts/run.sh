#!/usr/bin/env bash
# `make run`: the whole thing on this machine, in development mode.
#   a throwaway PostgreSQL under the git-ignored run directory,
#   the control plane (REST :8081 with the web console at /, gRPC :50051; loopback; admin
#   calls need the admin token made for the run directory, data planes need none),
#   the mock provider (:9100, an OpenAI-compatible fake LLM),
#   a data plane (inference :8080, admin :9901),
# with a demo provider seeded from <run>/config.json. Ctrl-C (or `make stop`) stops all.
set -euo pipefail
stop=0
if [ "${1:-}" = --stop ]; then stop=1; shift; fi
build=${1:-build}
run=${2:-.run}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$run"
chmod 755 "$run"
if [ $stop = 1 ]; then
  pkill -f "$build/bin/switchyard-data-plane" 2>/dev/null || true
  pkill -f "$build/bin/switchyard-control-plane" 2>/dev/null || true
  pkill -f "$build/bin/mock_provider" 2>/dev/null || true
  "$here/postgres.sh" stop "$run/postgres"
  exit 0
fi
# Below the ephemeral range (32768+), so no outgoing connection can be holding it.
pg_port=${SWITCHYARD_RUN_PG_PORT:-15432}
rest=${SWITCHYARD_RUN_REST:-127.0.0.1:8081}
grpc=${SWITCHYARD_RUN_GRPC:-127.0.0.1:50051}
mock=${SWITCHYARD_RUN_MOCK:-127.0.0.1:9100}
http=${SWITCHYARD_RUN_HTTP:-127.0.0.1:8080}
admin=${SWITCHYARD_RUN_ADMIN:-127.0.0.1:9901}

if [ ! -f "$run/config.json" ]; then
  cat > "$run/config.json" <<JSON
{
  "providers": {
    "openai": {
      "keys": [{"name": "demo-key", "value": "env.OPENAI_API_KEY", "models": ["*"], "weight": 1.0}],
      "network_config": {"base_url": "http://$mock"}
    }
  }
}
JSON
fi

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  "$here/postgres.sh" stop "$run/postgres"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

wait_for() {  # wait_for <log> <text>
  for _ in $(seq 1 200); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "timed out waiting for '$2' in $1:" >&2
  tail -n 20 "$1" >&2
  exit 1
}

dsn=$("$here/postgres.sh" start "$run/postgres" "$pg_port")
"$build/bin/mock_provider" --listen="$mock" > "$run/mock.log" 2>&1 &
pids+=($!)
# Stored secrets are sealed (AES-256-GCM) with a key made for this run directory.
[ -f "$run/encryption.key" ] || (umask 077 && head -c 32 /dev/urandom | base64 > "$run/encryption.key")
# The admin token (the console's sign-in, the CLI's and curl's credential), made once per run
# directory and kept there (mode 0600).
[ -f "$run/admin.token" ] || (umask 077 && head -c 24 /dev/urandom | base64 | tr -d '/+=' > "$run/admin.token")
token=$(cat "$run/admin.token")
SWITCHYARD_ADMIN_TOKEN="$token" "$build/bin/switchyard-control-plane" --dev --postgres-dsn="$dsn" --http-listen="$rest" \
  --grpc-listen="$grpc" --config="$run/config.json" --encryption-key-file="$run/encryption.key" \
  > "$run/control-plane.log" 2>&1 &
pids+=($!)
wait_for "$run/control-plane.log" "api=rest"
# The disk cache holds provider secrets: sealed with a key made for this run.
[ -f "$run/cache.key" ] || (umask 077 && head -c 32 /dev/urandom | base64 > "$run/cache.key")
OPENAI_API_KEY=sk-demo-key "$build/bin/switchyard-data-plane" --control-plane="$grpc" \
  --node-id=local --http-listen="$http" --admin-listen="$admin" --cache-dir="$run/cache" \
  --cache-key-file="$run/cache.key" \
  > "$run/data-plane.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 200); do
  curl -sf "http://$admin/readyz" > /dev/null && break
  sleep 0.05
done

# A demo virtual key (governance): its value is shown once, at creation. The data plane here
# does not require one (no --require-virtual-key); requests that present it are governed.
# A database kept from an earlier run holds the old demo key, whose value is not shown again:
# it is replaced by a new one.
auth=(-H "Authorization: Bearer $token")
old_vk=$(curl -sf "${auth[@]}" "http://$rest/api/governance/virtual-keys" | grep -o '"id":"vk-[0-9a-f]*","name":"demo"' |
  sed 's/"id":"\(vk-[0-9a-f]*\)".*/\1/' || true)
[ -z "$old_vk" ] || curl -sf "${auth[@]}" -X DELETE "http://$rest/api/governance/virtual-keys/$old_vk" > /dev/null || true
vk_json=$(curl -sf "${auth[@]}" -X POST "http://$rest/api/governance/virtual-keys" -H 'Content-Type: application/json' \
  -d '{"name": "demo", "rate_limit": {"request_max_limit": 600, "request_reset_duration": "1m"}}' || true)
vk=$(printf '%s' "$vk_json" | sed -n 's/.*"value":"\(sk-bf-[^"]*\)".*/\1/p')

cat <<MSG
Switchyard is running (development mode; logs in $run/*.log)
  web console     http://$rest/        (sign in with the admin token below)
  inference API   http://$http         (data plane; admin http://$admin)
  REST admin API  http://$rest         (control plane; gRPC $grpc, reflection on)
  mock provider   http://$mock         (the demo provider "openai" points here)
  PostgreSQL      $dsn

Demo virtual key (shown once): $vk
  Production data planes require one (--require-virtual-key, on in the Helm chart); this
  demo accepts requests without, and governs those that present one.

Chat completion (with the demo virtual key):
  curl -s http://$http/v1/chat/completions -H 'Content-Type: application/json' \\
    -H "Authorization: Bearer $vk" \\
    -d '{"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "Hello!"}]}'

Streaming:
  curl -sN http://$http/v1/chat/completions -H 'Content-Type: application/json' -H "x-bf-vk: $vk" \\
    -d '{"model": "openai/gpt-4o-mini", "stream": true, "messages": [{"role": "user", "content": "Hello!"}]}'

Speech and transcription (audio bytes out; a file upload in):
  curl -s http://$http/v1/audio/speech -H 'Content-Type: application/json' -o speech.mp3 \\
    -d '{"model": "openai/gpt-4o-mini-tts", "voice": "alloy", "input": "Hello!"}'
  curl -s http://$http/v1/audio/transcriptions -F model=openai/whisper-1 -F file=@speech.mp3

Native routes (Anthropic's, Google's GenAI, Cohere's, Bedrock's and Azure's APIs; any
provider, translated):
  curl -s http://$http/anthropic/v1/messages -H 'Content-Type: application/json' -H "x-api-key: $vk" \\
    -d '{"model": "openai/gpt-4o-mini", "max_tokens": 64, "messages": [{"role": "user", "content": "Hello!"}]}'
  curl -s http://$http/genai/v1beta/models/openai%2Fgpt-4o-mini:generateContent \\
    -H 'Content-Type: application/json' -d '{"contents": [{"parts": [{"text": "Hello!"}]}]}'
  curl -s http://$http/cohere/v2/chat -H 'Content-Type: application/json' \\
    -d '{"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "Hello!"}]}'
  curl -s http://$http/bedrock/model/openai%2Fgpt-4o-mini/converse -H 'Content-Type: application/json' \\
    -d '{"messages": [{"role": "user", "content": [{"text": "Hello!"}]}]}'
  curl -s 'http://$http/openai/deployments/openai%2Fgpt-4o-mini/chat/completions?api-version=2024-10-21' \\
    -H 'Content-Type: application/json' -d '{"messages": [{"role": "user", "content": "Hello!"}]}'

Admin token (the console's sign-in; kept in $run/admin.token):
  $token

Command line:
  export SWITCHYARD_ADMIN_TOKEN=$token
  $build/bin/switchyard providers list
  $build/bin/switchyard fleet

Admin API:
  T="Authorization: Bearer $token"
  curl -s -H "\$T" http://$rest/api/providers
  curl -s -H "\$T" -X POST http://$rest/api/providers -H 'Content-Type: application/json' \\
    -d '{"provider": "groq", "keys": [{"name": "groq-key-1", "value": "env.GROQ_API_KEY", "models": ["*"]}]}'
  curl -s -H "\$T" http://$rest/api/fleet
  curl -s -H "\$T" http://$rest/api/governance/virtual-keys
  curl -s -H "\$T" 'http://$rest/api/logs?limit=5'            # request logs, newest first
  curl -s -H "\$T" 'http://$rest/api/logs/stats?status=error'
  curl -s -H "\$T" http://$rest/api/credentials             # seed 004: shared credentials
  curl -s -H "\$T" http://$rest/api/model-routes            # seed 004: aliases and failovers

Ctrl-C stops everything.
MSG
wait
