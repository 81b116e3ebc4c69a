#!/usr/bin/env bash
# Inference proxy benchmark (`make bench-inference`): wrk against the data plane and, in the
# same run, against nginx as a keep-alive proxy_pass to the same mock provider (and against
# the mock itself, to compute the latency each proxy adds). Writes the table into
# bench/RESULTS.md between the inference markers. The data planes run with --request-logs=off:
# this measures the proxy; what request logs add is `make bench-logs` (the control plane and
# PostgreSQL that store them share these two cores).
#
#   bench/inference.sh <build dir> <results.md> [seconds per run]
set -euo pipefail
build=$(realpath "${1:-build}")
results=$(realpath "${2:-bench/RESULTS.md}")
seconds=${3:-6}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
trap bench_cleanup EXIT

mock_port=$(free_port); nginx_port=$(free_port); dp_port=$(free_port); admin_port=$(free_port)
sse_port=$(free_port); nginx_sse_port=$(free_port); sse_claude_port=$(free_port)
sse_gemini_port=$(free_port); fixed_port=$(free_port)
callgrind_port=$(free_port); callgrind_admin_port=$(free_port)
rest_port=$(free_port); grpc_port=$(free_port); pg_port=$(free_port)
redis_port=$(free_port); dp_redis_port=$(free_port); dp_redis_admin_port=$(free_port)

"$build/bin/mock_provider" --listen=127.0.0.1:$mock_port --threads=1 --record=false \
  > "$work/mock.log" 2>&1 &
pids+=($!)
dsn=$("$here/../scripts/postgres.sh" start "$work/postgres" "$pg_port")
"$build/bin/switchyard-control-plane" --dev --postgres-dsn="$dsn" \
  --http-listen=127.0.0.1:$rest_port --grpc-listen=127.0.0.1:$grpc_port > "$work/cp.log" 2>&1 &
pids+=($!)
wait_for_http "http://127.0.0.1:$rest_port/health"
curl -sf -X PUT "http://127.0.0.1:$rest_port/api/providers/openai" -d "{
  \"keys\": [{\"name\": \"bench\", \"value\": \"env.OPENAI_API_KEY\"}],
  \"network_config\": {\"base_url\": \"http://127.0.0.1:$mock_port\"}}" > /dev/null
# The streaming case's upstream: nginx answering every request at once with a 51-event SSE
# stream (about 7.5 KB), the shape of a short LLM completion.
curl -sf -X PUT "http://127.0.0.1:$rest_port/api/providers/sse" -d "{
  \"keys\": [{\"name\": \"bench\", \"value\": \"env.OPENAI_API_KEY\"}],
  \"custom_provider_config\": {\"base_provider_type\": \"openai\"},
  \"network_config\": {\"base_url\": \"http://127.0.0.1:$sse_port\"}}" > /dev/null
# The translated path (issue 9): anthropic providers, so OpenAI-shaped requests are translated to
# Messages and back: on the mock (plain) and on an nginx serving Anthropic's SSE (streams).
curl -sf -X PUT "http://127.0.0.1:$rest_port/api/providers/anthropic" -d "{
  \"keys\": [{\"name\": \"bench\", \"value\": \"env.OPENAI_API_KEY\"}],
  \"network_config\": {\"base_url\": \"http://127.0.0.1:$mock_port\"}}" > /dev/null
curl -sf -X PUT "http://127.0.0.1:$rest_port/api/providers/gemini" -d "{
  \"keys\": [{\"name\": \"bench\", \"value\": \"env.OPENAI_API_KEY\"}],
  \"network_config\": {\"base_url\": \"http://127.0.0.1:$mock_port\"}}" > /dev/null
# Vertex AI (issue 10): the same Gemini translation as the gemini provider, plus a service-account
# token from the mock's token endpoint, cached: the difference between the two rows is what
# the token costs a request while it is valid.
curl -sf "http://127.0.0.1:$mock_port/_mock/service_account?client_email=bench@mock.iam.gserviceaccount.com" |
  python3 -c 'import json, sys; print(json.dumps({"keys": [{"name": "bench", "vertex_key_config": {
    "project_id": "bench", "region": "us-central1", "auth_credentials": sys.stdin.read()}}],
    "network_config": {"base_url": sys.argv[1]}}))' "http://127.0.0.1:$mock_port" |
  curl -sf -X PUT "http://127.0.0.1:$rest_port/api/providers/vertex" -d @- > /dev/null
curl -sf -X PUT "http://127.0.0.1:$rest_port/api/providers/sse-claude" -d "{
  \"keys\": [{\"name\": \"bench\", \"value\": \"env.OPENAI_API_KEY\"}],
  \"custom_provider_config\": {\"base_provider_type\": \"anthropic\"},
  \"network_config\": {\"base_url\": \"http://127.0.0.1:$sse_claude_port\"}}" > /dev/null
# Issue 18 point 4: the translated paths against upstreams that answer from memory (nginx with
# a fixed body; the mock costs more than the gateway and would hide its cost): plain answers of
# each dialect on one nginx server (by path), and Gemini's SSE stream beside Anthropic's.
for name in fixed fixed-claude fixed-gemini sse-gemini; do
  case $name in
    fixed) base="http://127.0.0.1:$fixed_port/openai"; type=openai ;;
    fixed-claude) base="http://127.0.0.1:$fixed_port/claude"; type=anthropic ;;
    fixed-gemini) base="http://127.0.0.1:$fixed_port/gemini"; type=gemini ;;
    sse-gemini) base="http://127.0.0.1:$sse_gemini_port"; type=gemini ;;
  esac
  curl -sf -X PUT "http://127.0.0.1:$rest_port/api/providers/$name" -d "{
    \"keys\": [{\"name\": \"bench\", \"value\": \"env.OPENAI_API_KEY\"}],
    \"custom_provider_config\": {\"base_provider_type\": \"$type\"},
    \"network_config\": {\"base_url\": \"$base\"}}" > /dev/null
done
python3 - "$work" <<'PY'
import json, os, sys
work = sys.argv[1]
compact = lambda value: json.dumps(value, separators=(",", ":"))
open(os.path.join(work, "fixed-openai.json"), "w").write(compact({
    "id": "chatcmpl-bench", "object": "chat.completion", "created": 1700000000,
    "model": "gpt-4o-mini", "choices": [{"index": 0, "message": {"role": "assistant",
    "content": "Hello! How can I help you today?"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 9, "completion_tokens": 9, "total_tokens": 18}}))
open(os.path.join(work, "fixed-claude.json"), "w").write(compact({
    "id": "msg_bench", "type": "message", "role": "assistant", "model": "claude-bench",
    "content": [{"type": "text", "text": "Hello! How can I help you today?"}],
    "stop_reason": "end_turn", "stop_sequence": None,
    "usage": {"input_tokens": 9, "output_tokens": 9}}))
open(os.path.join(work, "fixed-gemini.json"), "w").write(compact({
    "candidates": [{"content": {"role": "model", "parts": [{"text":
    "Hello! How can I help you today?"}]}, "finishReason": "STOP", "index": 0}],
    "usageMetadata": {"promptTokenCount": 9, "candidatesTokenCount": 9, "totalTokenCount": 18},
    "modelVersion": "gemini-bench", "responseId": "bench"}))
# Gemini's stream: 50 text chunks, the last with finishReason and usage (CRLF frames).
events = []
for i in range(50):
    chunk = {"candidates": [{"content": {"role": "model", "parts": [{"text": "token %d " % i}]},
             "index": 0}], "modelVersion": "gemini-bench", "responseId": "bench"}
    if i == 49:
        chunk["candidates"][0]["finishReason"] = "STOP"
        chunk["usageMetadata"] = {"promptTokenCount": 5, "candidatesTokenCount": 50,
                                  "totalTokenCount": 55}
    events.append("data: " + compact(chunk) + "\r\n\r\n")
open(os.path.join(work, "sse-gemini.txt"), "w").write("".join(events))
PY
python3 - "$work/sse-claude.txt" <<'PY'
import json, sys
def event(data):
    return "event: %s\ndata: %s\n\n" % (data["type"], json.dumps(data, separators=(",", ":")))
out = [event({"type": "message_start", "message": {"id": "msg_bench", "type": "message",
              "role": "assistant", "model": "claude-bench", "content": [], "stop_reason": None,
              "stop_sequence": None, "usage": {"input_tokens": 5, "output_tokens": 1}}}),
       event({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})]
for i in range(50):
    out.append(event({"type": "content_block_delta", "index": 0,
                      "delta": {"type": "text_delta", "text": "token %d " % i}}))
out += [event({"type": "content_block_stop", "index": 0}),
        event({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
               "usage": {"output_tokens": 50}}),
        event({"type": "message_stop"})]
open(sys.argv[1], "w").write("".join(out))
PY
python3 - "$work/sse.txt" <<'PY'
import json, sys
events = []
for i in range(50):
    chunk = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 1700000000,
             "model": "gpt-4o-mini",
             "choices": [{"index": 0, "delta": {"content": "token %d " % i}, "finish_reason": None}]}
    events.append("data: " + json.dumps(chunk, separators=(",", ":")) + "\n\n")
events.append("data: [DONE]\n\n")
open(sys.argv[1], "w").write("".join(events))
PY
OPENAI_API_KEY=sk-bench "$build/bin/switchyard-data-plane" --control-plane=127.0.0.1:$grpc_port \
  --http-listen=127.0.0.1:$dp_port --admin-listen=127.0.0.1:$admin_port --request-logs=off \
  > "$work/dp.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 200); do
  curl -sf "http://127.0.0.1:$admin_port/readyz" > /dev/null && break; sleep 0.05
done
# Issue 19 point 5: governance on the hot path. A virtual key with a request limit, a token
# limit and a budget (all far above what the run uses: every level is counted, none refuses),
# presented on the same fixed-answer route as the pass-through; the local policy on the data
# plane above, the redis policy on a second data plane sharing a throwaway Redis.
redis-server --port $redis_port --bind 127.0.0.1 --save "" --appendonly no --daemonize no \
  --dir "$work" --logfile "$work/redis.log" &
pids+=($!)
vk=$(curl -sf -X POST "http://127.0.0.1:$rest_port/api/governance/virtual-keys" -d '{
  "name": "bench",
  "rate_limit": {"request_max_limit": 1000000000, "request_reset_duration": "1h",
                 "token_max_limit": 1000000000000, "token_reset_duration": "1h"},
  "budget": {"max_limit": 1000000000, "reset_duration": "1M"}}' |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["value"])')
curl -sf -X POST "http://127.0.0.1:$rest_port/api/governance/pricing" -d '{
  "provider": "fixed", "model": "bench-model", "input_per_million": 2.5,
  "output_per_million": 10}' > /dev/null
for _ in $(seq 1 100); do redis-cli -p $redis_port ping > /dev/null 2>&1 && break; sleep 0.05; done
OPENAI_API_KEY=sk-bench "$build/bin/switchyard-data-plane" --control-plane=127.0.0.1:$grpc_port \
  --http-listen=127.0.0.1:$dp_redis_port --admin-listen=127.0.0.1:$dp_redis_admin_port \
  --node-id=bench-redis --rate-limit-policy=redis --redis-url=redis://127.0.0.1:$redis_port \
  --request-logs=off \
  > "$work/dp-redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 200); do
  curl -sf "http://127.0.0.1:$dp_redis_admin_port/readyz" > /dev/null && break; sleep 0.05
done
sleep 0.5  # both data planes hold the key and the price

cat > "$work/nginx.conf" <<NGINX
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  upstream mock { server 127.0.0.1:$mock_port; keepalive 128; }
  upstream sse { server 127.0.0.1:$sse_port; keepalive 128; }
  server {
    listen 127.0.0.1:$nginx_port;
    location / {
      proxy_pass http://mock;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
  }
  # The SSE mock: the same stream for every request, sent at once.
  server {
    listen 127.0.0.1:$sse_port;
    keepalive_requests 1000000;
    # (A POST cannot fetch a static file: answer 405 and turn it into the file, 200.)
    location / {
      error_page 405 =200 /sse.txt;
      return 405;
    }
    location = /sse.txt {
      root $work;
      default_type text/event-stream;
    }
  }
  # The same for Anthropic's SSE (the translated streams' upstream).
  server {
    listen 127.0.0.1:$sse_claude_port;
    keepalive_requests 1000000;
    location / {
      error_page 405 =200 /sse-claude.txt;
      return 405;
    }
    location = /sse-claude.txt {
      root $work;
      default_type text/event-stream;
    }
  }
  # Gemini's SSE (the Gemini -> OpenAI stream translator's upstream).
  server {
    listen 127.0.0.1:$sse_gemini_port;
    keepalive_requests 1000000;
    location / {
      error_page 405 =200 /sse-gemini.txt;
      return 405;
    }
    location = /sse-gemini.txt {
      root $work;
      default_type text/event-stream;
    }
  }
  # Fixed plain answers, one per dialect, chosen by the provider's base path.
  server {
    listen 127.0.0.1:$fixed_port;
    keepalive_requests 1000000;
    location /openai/ {
      error_page 405 =200 /fixed-openai.json;
      return 405;
    }
    location /claude/ {
      error_page 405 =200 /fixed-claude.json;
      return 405;
    }
    location /gemini/ {
      error_page 405 =200 /fixed-gemini.json;
      return 405;
    }
    location ~ ^/fixed-.*\.json\$ {
      root $work;
      default_type application/json;
    }
  }
  # nginx as the streaming reference: keep-alive proxy, no buffering.
  server {
    listen 127.0.0.1:$nginx_sse_port;
    keepalive_requests 1000000;
    location / {
      proxy_pass http://sse;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
  }
}
NGINX
nginx -c "$work/nginx.conf"
wait_for_http "http://127.0.0.1:$nginx_port/"

# Portkey's gateway, the peer users would otherwise pick, where npm installs it.
tools=$(cd "$here/.." && pwd)/.tools/portkey
portkey_port=$(free_port)
portkey=0
if [ -x "$tools/node_modules/.bin/gateway" ] || \
   (mkdir -p "$tools" && timeout 300 npm install --prefix "$tools" --no-audit --no-fund \
      @portkey-ai/gateway > "$work/npm.log" 2>&1); then
  (cd "$tools" && exec node_modules/.bin/gateway --port=$portkey_port > "$work/portkey.log" 2>&1) &
  pids+=($!)
  for _ in $(seq 1 200); do
    curl -s -o /dev/null "http://127.0.0.1:$portkey_port/" && { portkey=1; break; }
    sleep 0.05
  done
fi

cat > "$work/portkey.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["x-portkey-provider"] = "openai"
wrk.headers["x-portkey-custom-host"] = "http://127.0.0.1:$mock_port/v1"
wrk.headers["Authorization"] = "Bearer sk-bench"
wrk.body = '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello!"}]}'
LUA

cat > "$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"Hello!"}]}'
LUA
cat > "$work/stream.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"sse/gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Hello!"}]}'
LUA
cat > "$work/translated.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"anthropic/claude-bench","messages":[{"role":"user","content":"Hello!"}]}'
LUA
cat > "$work/translated-gemini.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"gemini/gemini-bench","messages":[{"role":"user","content":"Hello!"}]}'
LUA
cat > "$work/translated-vertex.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"vertex/gemini-bench","messages":[{"role":"user","content":"Hello!"}]}'
LUA
cat > "$work/stream-translated.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"sse-claude/claude-bench","stream":true,"messages":[{"role":"user","content":"Hello!"}]}'
LUA
for name in fixed fixed-claude fixed-gemini; do
  cat > "$work/$name.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"$name/bench-model","messages":[{"role":"user","content":"Hello!"}]}'
LUA
done
cat > "$work/fixed-vk.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["x-bf-vk"] = "$vk"
wrk.body = '{"model":"fixed/bench-model","messages":[{"role":"user","content":"Hello!"}]}'
LUA
cat > "$work/stream-gemini.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"sse-gemini/gemini-bench","stream":true,"messages":[{"role":"user","content":"Hello!"}]}'
LUA
cat > "$work/post-bare.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello!"}]}'
LUA

# run <url> <script> <connections> -> "rps p50_ms p99_ms"
run() {
  local out
  out=$(wrk -t1 -c"$3" -d"${seconds}s" --latency -s "$2" "$1")
  if echo "$out" | grep -q "Non-2xx"; then echo "$out" >&2; echo "non-2xx answers" >&2; exit 1; fi
  awk '
    function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
    /Requests\/sec/ { rps = $2 }
    $1 == "50%" { p50 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    END { printf "%.0f %.3f %.3f\n", rps, p50, p99 }' <<< "$out"
}

# Warm up every path (connections, pools).
run "http://127.0.0.1:$dp_port/v1/chat/completions" "$work/post.lua" 64 > /dev/null
run "http://127.0.0.1:$nginx_port/v1/chat/completions" "$work/post-bare.lua" 64 > /dev/null
run "http://127.0.0.1:$dp_port/v1/chat/completions" "$work/translated.lua" 64 > /dev/null

[ $portkey = 1 ] && run "http://127.0.0.1:$portkey_port/v1/chat/completions" "$work/portkey.lua" 64 > /dev/null

declare -A r
targets="mock nginx dp"
[ $portkey = 1 ] && targets="$targets portkey"
measure() {  # measure <target> <connections>
  case $1 in
    mock) run "http://127.0.0.1:$mock_port/v1/chat/completions" "$work/post-bare.lua" $2 ;;
    nginx) run "http://127.0.0.1:$nginx_port/v1/chat/completions" "$work/post-bare.lua" $2 ;;
    dp) run "http://127.0.0.1:$dp_port/v1/chat/completions" "$work/post.lua" $2 ;;
    portkey) run "http://127.0.0.1:$portkey_port/v1/chat/completions" "$work/portkey.lua" $2 ;;
  esac
}
# The added latency at one connection is a few microseconds, so those runs are repeated
# three times, interleaved, and each target keeps its median run (by p50).
rounds=5
for round in $(seq 1 $rounds); do
  for t in $targets; do r[$t,1,$round]=$(measure $t 1); done
done
# The runs at 32 and 64 connections: rounds of every path back to back, each path keeping its
# median run (these machines are shared: a round's paths see the same neighbours).
interleaved=5
# Streams: 32 connections, the data plane and nginx against the same SSE mock, interleaved.
stream_run() {  # stream_run <path> -> "rps p50_ms p99_ms"
  case $1 in
    sse-nginx) run "http://127.0.0.1:$nginx_sse_port/v1/chat/completions" "$work/stream.lua" 32 ;;
    sse-dp) run "http://127.0.0.1:$dp_port/v1/chat/completions" "$work/stream.lua" 32 ;;
    sse-xlate) run "http://127.0.0.1:$dp_port/v1/chat/completions" "$work/stream-translated.lua" 32 ;;
    sse-gemini) run "http://127.0.0.1:$dp_port/v1/chat/completions" "$work/stream-gemini.lua" 32 ;;
  esac
}
# Each stream path once first, not counted: without it the first two rounds ran at about half
# the rate of the later ones on every path (the machine ramps up under sustained load), which
# put a slow first round into each path's median. Each round then starts one path later than
# the last, so that no path always runs first or last.
stream_paths=(sse-nginx sse-dp sse-xlate sse-gemini)
for t in "${stream_paths[@]}"; do stream_run $t > /dev/null; done
for round in $(seq 1 $interleaved); do
  for i in $(seq 0 $(( ${#stream_paths[@]} - 1 ))); do
    t=${stream_paths[$(( (i + round - 1) % ${#stream_paths[@]} ))]}
    r[$t,$round]=$(stream_run $t)
  done
done
# Plain answers from memory (nginx, fixed bodies): pass-through and translated, interleaved.
for round in $(seq 1 $interleaved); do
  for name in fixed fixed-claude fixed-gemini; do
    r[$name,$round]=$(run "http://127.0.0.1:$dp_port/v1/chat/completions" "$work/$name.lua" 64)
  done
done
# Governance: the same fixed answers without and with the virtual key, on the local-policy data
# plane and on the redis-policy one, interleaved.
run "http://127.0.0.1:$dp_redis_port/v1/chat/completions" "$work/fixed-vk.lua" 64 > /dev/null
for round in $(seq 1 $interleaved); do
  r[gov-none,$round]=$(run "http://127.0.0.1:$dp_port/v1/chat/completions" "$work/fixed.lua" 64)
  r[gov-local,$round]=$(run "http://127.0.0.1:$dp_port/v1/chat/completions" "$work/fixed-vk.lua" 64)
  r[gov-redis-none,$round]=$(run "http://127.0.0.1:$dp_redis_port/v1/chat/completions" "$work/fixed.lua" 64)
  r[gov-redis,$round]=$(run "http://127.0.0.1:$dp_redis_port/v1/chat/completions" "$work/fixed-vk.lua" 64)
done
# The translated path beside the pass-through, same data plane, interleaved.
for round in $(seq 1 $interleaved); do
  r[pass,$round]=$(run "http://127.0.0.1:$dp_port/v1/chat/completions" "$work/post.lua" 64)
  r[xlate,$round]=$(run "http://127.0.0.1:$dp_port/v1/chat/completions" "$work/translated.lua" 64)
  r[gemini,$round]=$(run "http://127.0.0.1:$dp_port/v1/chat/completions" "$work/translated-gemini.lua" 64)
  r[vertex,$round]=$(run "http://127.0.0.1:$dp_port/v1/chat/completions" "$work/translated-vertex.lua" 64)
done
for t in sse-nginx sse-dp sse-xlate sse-gemini pass xlate gemini vertex fixed fixed-claude fixed-gemini \
         gov-none gov-local gov-redis-none gov-redis; do
  r[$t,32]=$(for round in $(seq 1 $interleaved); do echo "${r[$t,$round]}"; done | sort -k1 -g |
             sed -n "$(( (interleaved + 1) / 2 ))p")
done
# Instructions per request (callgrind: repeatable where wall-clock numbers are not): a second
# data plane, one worker, under valgrind; counters zeroed after a warm-up, dumped after N.
instructions=""
if command -v valgrind > /dev/null; then
  (cd "$work" && OPENAI_API_KEY=sk-bench exec valgrind --tool=callgrind --callgrind-out-file="$work/cg.%p" \
     "$build/bin/switchyard-data-plane" --control-plane=127.0.0.1:$grpc_port --workers=1 \
     --http-listen=127.0.0.1:$callgrind_port --admin-listen=127.0.0.1:$callgrind_admin_port \
     --node-id=bench-callgrind --request-logs=off > "$work/dp-callgrind.log" 2>&1) &
  pids+=($!)
  for _ in $(seq 1 600); do
    curl -sf "http://127.0.0.1:$callgrind_admin_port/readyz" > /dev/null && break; sleep 0.1
  done
  cg_pid=$(pgrep -f "callgrind.*--http-listen=127.0.0.1:$callgrind_port" | head -1)
  requests=300
  for case in "plain openai/gpt-4o-mini false" "translated anthropic/claude-bench false" \
              "gemini gemini/gemini-bench false" "vertex vertex/gemini-bench false" \
              "stream sse/gpt-4o-mini true" "stream-translated sse-claude/claude-bench true" \
              "fixed fixed/bench-model false" "fixed-claude fixed-claude/bench-model false" \
              "fixed-gemini fixed-gemini/bench-model false" \
              "stream-gemini sse-gemini/gemini-bench true"; do
    set -- $case
    python3 "$here/send_requests.py" 127.0.0.1 $callgrind_port "$2" "$3" 30
    callgrind_control --zero "$cg_pid" > /dev/null
    python3 "$here/send_requests.py" 127.0.0.1 $callgrind_port "$2" "$3" $requests
    callgrind_control --dump="$1" "$cg_pid" > /dev/null
    dump=$(ls -t "$work"/cg.* | head -1)
    r[ir,$1]=$(awk -v n=$requests '/^(summary|totals):/ { printf "%.0f", $2 / n; exit }' "$dump")
  done
  # The same fixed answer presenting the virtual key (local policy).
  python3 "$here/send_requests.py" 127.0.0.1 $callgrind_port fixed/bench-model false 30 "$vk"
  callgrind_control --zero "$cg_pid" > /dev/null
  python3 "$here/send_requests.py" 127.0.0.1 $callgrind_port fixed/bench-model false $requests "$vk"
  callgrind_control --dump=fixed-vk "$cg_pid" > /dev/null
  dump=$(ls -t "$work"/cg.* | head -1)
  r[ir,fixed-vk]=$(awk -v n=$requests '/^(summary|totals):/ { printf "%.0f", $2 / n; exit }' "$dump")
  instructions="plain pass-through ${r[ir,plain]}, plain translated ${r[ir,translated]} (gemini ${r[ir,gemini]}, vertex with its cached token ${r[ir,vertex]}), streamed pass-through ${r[ir,stream]}, streamed translated ${r[ir,stream-translated]}"
  fixed_instructions="plain pass-through ${r[ir,fixed]}, plain translated to anthropic ${r[ir,fixed-claude]}, to gemini ${r[ir,fixed-gemini]}; stream pass-through ${r[ir,stream]}, anthropic stream translated ${r[ir,stream-translated]}, gemini stream translated ${r[ir,stream-gemini]}"
fi
# Syscalls per streamed response on the data plane (strace counts over a fixed number).
syscalls=""
if command -v strace > /dev/null; then
  dp_pid=$(pgrep -f "switchyard-data-plane --control-plane=127.0.0.1:$grpc_port" | head -1)
  strace -c -f -p "$dp_pid" -o "$work/strace.txt" 2> /dev/null &
  strace_pid=$!
  sleep 0.5
  for _ in $(seq 1 200); do
    curl -s -o /dev/null -X POST "http://127.0.0.1:$dp_port/v1/chat/completions" \
      -H 'Content-Type: application/json' \
      -d '{"model":"sse/gpt-4o-mini","stream":true,"messages":[]}'
  done
  sleep 0.2
  kill -INT $strace_pid; wait $strace_pid 2> /dev/null || true
  syscalls=$(awk '$NF ~ /^(recvmsg|sendmsg|read|write|writev|timerfd_settime|epoll_wait|recvfrom|sendto)$/ {
                   printf "%s%s %.1f", sep, $NF, $4 / 200; sep = ", " }' "$work/strace.txt")
fi
for t in $targets; do
  r[$t,1]=$(for round in $(seq 1 $rounds); do echo "${r[$t,1,$round]}"; done | sort -k2 -g |
            sed -n "$(( (rounds + 1) / 2 ))p")
  r[$t,64]=$(measure $t 64)
done

field() { echo "${r[$1,$2]}" | cut -d' ' -f"$3"; }
machine="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, $(uname -sr)"
{
  echo "<!-- inference:begin -->"
  echo "## Inference proxy throughput and latency (\`make bench-inference\`)"
  echo
  echo "Date $(date -u +%F); machine: $machine. wrk -t1, ${seconds} s per run (1 connection:"
  echo "median of $rounds interleaved runs), POST"
  echo "/v1/chat/completions (small JSON) to the mock provider (tests/fakes, one thread, no"
  echo "logging): directly, through nginx (Debian's, keep-alive proxy_pass, worker_processes"
  echo "auto), and through the data plane (one worker per core). wrk, the proxy and the mock"
  echo "share the 2 cores. Added latency = proxy p50 - mock p50."
  echo
  echo "| target | conns | req/s | p50 ms | p99 ms |"
  echo "|---|---|---|---|---|"
  for c in 1 64; do
    for t in $targets; do
      name=$t; [ $t = dp ] && name="switchyard data plane"; [ $t = mock ] && name="mock (no proxy)"
      [ $t = portkey ] && name="Portkey gateway (npm @portkey-ai/gateway)"
      echo "| $name | $c | $(field $t $c 1) | $(field $t $c 2) | $(field $t $c 3) |"
    done
  done
  echo
  ratio64=$(awk "BEGIN { printf \"%.2f\", $(field dp 64 1) / $(field nginx 64 1) }")
  ratio1=$(awk "BEGIN { printf \"%.2f\", $(field dp 1 1) / $(field nginx 1 1) }")
  added_dp=$(awk "BEGIN { printf \"%.3f\", $(field dp 1 2) - $(field mock 1 2) }")
  added_nginx=$(awk "BEGIN { printf \"%.3f\", $(field nginx 1 2) - $(field mock 1 2) }")
  added_ratio=$(awk "BEGIN { d = $added_nginx; if (d <= 0) d = 0.001; printf \"%.2f\", $added_dp / d }")
  echo "- throughput vs nginx: $ratio64 x at 64 connections, $ratio1 x at 1 (target >= 0.9 x at 64)"
  echo "- added p50 latency at 1 connection: data plane $added_dp ms, nginx $added_nginx ms:"
  echo "  $added_ratio x nginx's (target <= 1.2 x)"
  echo
  echo "Streams: POST \"stream\": true, a 51-event SSE answer (about 7.5 KB, sent at once by an"
  echo "nginx mock), wrk -t1 -c32, median of 5 interleaved runs (after one uncounted run of each"
  echo "stream path; each round starts one path later); nginx as the reference is a keep-alive"
  echo "proxy with proxy_buffering off to the same mock."
  echo
  echo "| target | conns | streams/s | p50 ms | p99 ms |"
  echo "|---|---|---|---|---|"
  echo "| nginx | 32 | $(field sse-nginx 32 1) | $(field sse-nginx 32 2) | $(field sse-nginx 32 3) |"
  echo "| switchyard data plane | 32 | $(field sse-dp 32 1) | $(field sse-dp 32 2) | $(field sse-dp 32 3) |"
  echo
  echo "- streams/s vs nginx: $(awk "BEGIN { printf \"%.2f\", $(field sse-dp 32 1) / $(field sse-nginx 32 1) }") x (target >= 0.9 x)"
  [ -n "$syscalls" ] && echo "- data-plane syscalls per streamed response (strace -c, 200 streams): $syscalls"
  echo
  echo "Translated paths (issues 9, 10): an anthropic provider, so each OpenAI-shaped request is"
  echo "translated to Anthropic's Messages API and the answer back (plain: the mock's"
  echo "/v1/messages; streams: a 50-delta Anthropic SSE answer from nginx, translated event by"
  echo "event into OpenAI chunks), and a gemini provider (the mock's generateContent), beside"
  echo "the pass-through on the same data plane, interleaved,"
  echo "median of 5 (plain: 64 connections; streams: 32)."
  echo
  echo "| path | conns | req/s | p50 ms | p99 ms |"
  echo "|---|---|---|---|---|"
  echo "| pass-through (openai) | 64 | $(field pass 32 1) | $(field pass 32 2) | $(field pass 32 3) |"
  echo "| translated (anthropic) | 64 | $(field xlate 32 1) | $(field xlate 32 2) | $(field xlate 32 3) |"
  echo "| translated (gemini) | 64 | $(field gemini 32 1) | $(field gemini 32 2) | $(field gemini 32 3) |"
  echo "| translated (vertex, cached service-account token) | 64 | $(field vertex 32 1) | $(field vertex 32 2) | $(field vertex 32 3) |"
  echo "| stream pass-through (openai) | 32 | $(field sse-dp 32 1) | $(field sse-dp 32 2) | $(field sse-dp 32 3) |"
  echo "| stream translated (anthropic) | 32 | $(field sse-xlate 32 1) | $(field sse-xlate 32 2) | $(field sse-xlate 32 3) |"
  echo
  echo "- translated / pass-through throughput: plain anthropic $(awk "BEGIN { printf \"%.2f\", $(field xlate 32 1) / $(field pass 32 1) }") x, plain gemini $(awk "BEGIN { printf \"%.2f\", $(field gemini 32 1) / $(field pass 32 1) }") x, plain vertex $(awk "BEGIN { printf \"%.2f\", $(field vertex 32 1) / $(field pass 32 1) }") x, streams $(awk "BEGIN { printf \"%.2f\", $(field sse-xlate 32 1) / $(field sse-dp 32 1) }") x (target >= 0.8 x)"
  echo "- vertex / gemini (the same translation; vertex adds its cached token): $(awk "BEGIN { printf \"%.2f\", $(field vertex 32 1) / $(field gemini 32 1) }") x throughput, p50 $(field vertex 32 2) vs $(field gemini 32 2) ms"
  [ -n "$instructions" ] && echo "- data-plane instructions per request (callgrind, one worker, 300 requests each, after a warm-up): $instructions"
  if [ $portkey = 1 ]; then
    echo "- Portkey gateway: data plane throughput $(awk "BEGIN { printf \"%.2f\", $(field dp 64 1) / $(field portkey 64 1) }") x Portkey's at 64 connections"
  else
    echo "- Portkey gateway (@portkey-ai/gateway): npm could not install it here; not measured."
  fi
  echo
  echo "Issue 18: translated paths against upstreams that answer from memory (nginx with fixed"
  echo "bodies: an OpenAI chat completion, an Anthropic message, a Gemini generateContent answer;"
  echo "51-event Anthropic and 50-chunk Gemini SSE streams), beside the pass-through, same data"
  echo "plane, interleaved, median of 5 (plain: 64 connections; streams: 32)."
  echo
  echo "| path | conns | req/s | p50 ms | p99 ms |"
  echo "|---|---|---|---|---|"
  echo "| plain pass-through (openai) | 64 | $(field fixed 32 1) | $(field fixed 32 2) | $(field fixed 32 3) |"
  echo "| plain translated (anthropic) | 64 | $(field fixed-claude 32 1) | $(field fixed-claude 32 2) | $(field fixed-claude 32 3) |"
  echo "| plain translated (gemini) | 64 | $(field fixed-gemini 32 1) | $(field fixed-gemini 32 2) | $(field fixed-gemini 32 3) |"
  echo "| stream pass-through (openai) | 32 | $(field sse-dp 32 1) | $(field sse-dp 32 2) | $(field sse-dp 32 3) |"
  echo "| stream translated (anthropic -> openai) | 32 | $(field sse-xlate 32 1) | $(field sse-xlate 32 2) | $(field sse-xlate 32 3) |"
  echo "| stream translated (gemini -> openai) | 32 | $(field sse-gemini 32 1) | $(field sse-gemini 32 2) | $(field sse-gemini 32 3) |"
  echo
  echo "- translated / pass-through (target >= 0.9 x): plain anthropic $(awk "BEGIN { printf \"%.2f\", $(field fixed-claude 32 1) / $(field fixed 32 1) }") x, plain gemini $(awk "BEGIN { printf \"%.2f\", $(field fixed-gemini 32 1) / $(field fixed 32 1) }") x, anthropic stream $(awk "BEGIN { printf \"%.2f\", $(field sse-xlate 32 1) / $(field sse-dp 32 1) }") x, gemini stream $(awk "BEGIN { printf \"%.2f\", $(field sse-gemini 32 1) / $(field sse-dp 32 1) }") x"
  # Each round's ratio (its paths ran back to back) and their median: what the machine's
  # neighbours did between rounds moves the runs more than the paths differ.
  for pair in "plain anthropic:fixed-claude:fixed" "plain gemini:fixed-gemini:fixed" \
              "anthropic stream:sse-xlate:sse-dp" "gemini stream:sse-gemini:sse-dp"; do
    IFS=: read -r label path reference <<< "$pair"
    ratios=$(for round in $(seq 1 $interleaved); do
      awk "BEGIN { printf \"%.2f\n\", $(cut -d' ' -f1 <<< "${r[$path,$round]}") / $(cut -d' ' -f1 <<< "${r[$reference,$round]}") }"
    done)
    echo "- $label / pass-through, round by round: $(echo $ratios) (median $(sort -g <<< "$ratios" | sed -n "$(( (interleaved + 1) / 2 ))p") x)"
  done
  [ -n "$instructions" ] && echo "- data-plane instructions per request (callgrind, one worker, 300 each): $fixed_instructions"
  echo
  echo "Issue 19: governance on the hot path. The plain fixed answer (nginx from memory) without"
  echo "and with a virtual key (x-bf-vk) whose request window, token window and budget are all"
  echo "counted (limits far above the run), and a price for the model; the local policy on one"
  echo "data plane, the redis policy (Redis 7, Debian's) on a second one; 64 connections,"
  echo "interleaved, median of 5."
  echo
  echo "| path | conns | req/s | p50 ms | p99 ms |"
  echo "|---|---|---|---|---|"
  echo "| no virtual key (local data plane) | 64 | $(field gov-none 32 1) | $(field gov-none 32 2) | $(field gov-none 32 3) |"
  echo "| virtual key, local policy | 64 | $(field gov-local 32 1) | $(field gov-local 32 2) | $(field gov-local 32 3) |"
  echo "| no virtual key (redis data plane) | 64 | $(field gov-redis-none 32 1) | $(field gov-redis-none 32 2) | $(field gov-redis-none 32 3) |"
  echo "| virtual key, redis policy | 64 | $(field gov-redis 32 1) | $(field gov-redis 32 2) | $(field gov-redis 32 3) |"
  echo
  echo "- with / without the virtual key: local policy $(awk "BEGIN { printf \"%.2f\", $(field gov-local 32 1) / $(field gov-none 32 1) }") x (target >= 0.95 x), redis policy $(awk "BEGIN { printf \"%.2f\", $(field gov-redis 32 1) / $(field gov-redis-none 32 1) }") x (target >= 0.8 x)"
  [ -n "$instructions" ] && echo "- data-plane instructions per request (callgrind, one worker, 300 each): fixed answer without a key ${r[ir,fixed]}, with the virtual key (local policy) ${r[ir,fixed-vk]}"
  echo "<!-- inference:end -->"
} > "$work/section.md"

python3 - "$results" "$work/section.md" <<'PY'
import sys
path, section = sys.argv[1], open(sys.argv[2]).read()
text = open(path).read()
begin, end = "<!-- inference:begin -->", "<!-- inference:end -->"
if begin in text and end in text:
    text = text[:text.index(begin)] + section.rstrip("\n") + text[text.index(end) + len(end):]
else:
    text = text.rstrip("\n") + "\n\n" + section
open(path, "w").write(text)
PY
cat "$work/section.md"
