#!/usr/bin/env bash
# Request log benchmark (`make bench-logs`), issue 20 point 5. In one run:
#   1. throughput of plain requests through a data plane with request logs on vs one with them
#      off (same control plane, same upstream: nginx answering a fixed body from memory),
#      interleaved rounds, wrk 64 connections;
#   2. records per second the control plane stores (two ShipLogs streams sending batches of
#      500 as fast as they can; COPY into PostgreSQL; bench/log_ingest_bench.cc);
#   3. the memory (RSS) of the logging data plane while its control plane is stopped (SIGSTOP)
#      for 60 s under the same load, against its queue bound.
# Writes its section of bench/RESULTS.md between the logs markers.
#
#   bench/logs.sh <build dir> <results.md> [seconds per run] [stall seconds]
set -euo pipefail
build=$(realpath "${1:-build}")
results=$(realpath "${2:-bench/RESULTS.md}")
seconds=${3:-5}
stall=${4:-60}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
cp_pid=""
cleanup() {
  [ -n "$cp_pid" ] && kill -CONT "$cp_pid" 2>/dev/null || true  # (a stopped one cannot exit)
  bench_cleanup
}
trap cleanup EXIT

rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }

fixed_port=$(free_port); rest_port=$(free_port); grpc_port=$(free_port); pg_port=$(free_port)
on_port=$(free_port); on_admin=$(free_port); off_port=$(free_port); off_admin=$(free_port)

python3 -c '
import json, sys
open(sys.argv[1], "w").write(json.dumps({"id": "chatcmpl-bench", "object": "chat.completion",
  "created": 1700000000, "model": "gpt-4o-mini", "choices": [{"index": 0, "message": {"role":
  "assistant", "content": "Hello! How can I help you today?"}, "finish_reason": "stop"}],
  "usage": {"prompt_tokens": 9, "completion_tokens": 9, "total_tokens": 18}}, separators=(",", ":")))
' "$work/fixed.json"
cat > "$work/nginx.conf" <<NGINX
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  server {
    listen 127.0.0.1:$fixed_port;
    keepalive_requests 1000000;
    location / { error_page 405 =200 /fixed.json; return 405; }
    location = /fixed.json { root $work; default_type application/json; }
  }
}
NGINX
nginx -c "$work/nginx.conf"

dsn=$("$here/../scripts/postgres.sh" start "$work/postgres" "$pg_port")
SWITCHYARD_DATA_PLANE_TOKEN=bench-token "$build/bin/switchyard-control-plane" --dev \
  --postgres-dsn="$dsn" --http-listen=127.0.0.1:$rest_port --grpc-listen=127.0.0.1:$grpc_port \
  > "$work/cp.log" 2>&1 &
cp_pid=$!
pids+=($cp_pid)
wait_for_http "http://127.0.0.1:$rest_port/health"
curl -sf -X PUT "http://127.0.0.1:$rest_port/api/providers/openai" -d "{
  \"keys\": [{\"name\": \"bench\", \"value\": \"env.OPENAI_API_KEY\"}],
  \"network_config\": {\"base_url\": \"http://127.0.0.1:$fixed_port\"}}" > /dev/null
for side in on off; do
  port=$on_port; admin=$on_admin; flag=on
  [ $side = off ] && { port=$off_port; admin=$off_admin; flag=off; }
  SWITCHYARD_DATA_PLANE_TOKEN=bench-token OPENAI_API_KEY=sk-bench \
    "$build/bin/switchyard-data-plane" --control-plane=127.0.0.1:$grpc_port --node-id=bench-$side \
    --http-listen=127.0.0.1:$port --admin-listen=127.0.0.1:$admin --request-logs=$flag \
    > "$work/dp-$side.log" 2>&1 &
  pids+=($!)
  echo $! > "$work/dp-$side.pid"
  for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$admin/readyz" > /dev/null && break; sleep 0.05; done
done

cat > "$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"Hello!"}]}'
wrk.headers["Content-Type"] = "application/json"
LUA
wrk_cpus=0-1
run() {
  local out
  out=$(taskset -c "$wrk_cpus" wrk -t1 -c64 -d"$2s" -s "$work/post.lua" "$1")
  if echo "$out" | grep -q "Non-2xx"; then echo "$out" >&2; echo "non-2xx answers" >&2; exit 1; fi
  awk '/Requests\/sec/ { printf "%.0f\n", $2 }' <<< "$out"
}

# 1. Logs on vs off, interleaved: first with the control plane and PostgreSQL on a core of
# their own (CPU 1; wrk, nginx and the data planes on CPU 0), as in a deployment where the
# control plane does not share the data plane's machine: this is the data plane's own cost of
# logging (its record, queue and ShipLogs stream); then everything on both cores, where the
# control plane's ingestion competes with the data plane for CPU.
pin() {  # pin <cpus> <pid>...: every thread of each process
  local cpus=$1; shift
  for pid in "$@"; do taskset -a -p -c "$cpus" "$pid" > /dev/null; done
}
postmaster=$(pgrep -f -- "-D $work/postgres" | head -1)
cp_side=("$cp_pid" "$postmaster" $(pgrep -P "$postmaster" || true))  # (backends inherit it)
nginx_master=$(cat "$work/nginx.pid")
dp_side=("$(cat "$work/dp-on.pid")" "$(cat "$work/dp-off.pid")" "$nginx_master" $(pgrep -P "$nginx_master"))
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
measure() {  # measure <wrk cpus>: "on_median off_median on_runs off_runs" (runs comma-separated)
  local -a on_runs=() off_runs=()
  wrk_cpus=$1
  for round in 1 2 3 4 5; do
    off_runs+=("$(run "http://127.0.0.1:$off_port/v1/chat/completions" "$seconds")")
    on_runs+=("$(run "http://127.0.0.1:$on_port/v1/chat/completions" "$seconds")")
  done
  local on_list off_list
  on_list=$(IFS=,; echo "${on_runs[*]}"); off_list=$(IFS=,; echo "${off_runs[*]}")
  echo "$(median "${on_runs[@]}") $(median "${off_runs[@]}") $on_list $off_list"
}
pin 1 "${cp_side[@]}"
pin 0 "${dp_side[@]}"
wrk_cpus=0
run "http://127.0.0.1:$on_port/v1/chat/completions" 2 > /dev/null
run "http://127.0.0.1:$off_port/v1/chat/completions" 2 > /dev/null
read -r on_rps off_rps on_runs off_runs < <(measure 0)
pin 0-1 "${cp_side[@]}" "${dp_side[@]}"
read -r shared_on_rps shared_off_rps shared_on_runs shared_off_runs < <(measure 0-1)
shipped=$(curl -sf "http://127.0.0.1:$on_admin/metrics" | awk '$1 == "switchyard_log_records_shipped_total" { print $2 }')
dropped_load=$(curl -sf "http://127.0.0.1:$on_admin/metrics" | awk '$1 == "switchyard_log_records_dropped_total" { print $2 }')

# 1b. Instructions per request (callgrind: repeatable where the wall clock is not), logs on and
# off: a data plane under valgrind, one worker, 300 requests after a warm-up; every thread of
# the process counted (the shipper and gRPC's included).
declare -A ir
if command -v valgrind > /dev/null; then
  for flag in off on; do
    cg_port=$(free_port); cg_admin=$(free_port)
    (cd "$work" && SWITCHYARD_DATA_PLANE_TOKEN=bench-token OPENAI_API_KEY=sk-bench exec valgrind \
       --tool=callgrind --callgrind-out-file="$work/cg-$flag.%p" \
       "$build/bin/switchyard-data-plane" --workers=1 --control-plane=127.0.0.1:$grpc_port \
       --http-listen=127.0.0.1:$cg_port --admin-listen=127.0.0.1:$cg_admin \
       --node-id=bench-callgrind-$flag --request-logs=$flag > "$work/dp-callgrind-$flag.log" 2>&1) &
    for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$cg_admin/readyz" > /dev/null && break; sleep 0.1; done
    cg_pid=$(pgrep -f "callgrind.*--http-listen=127.0.0.1:$cg_port" | head -1)
    python3 "$here/send_requests.py" 127.0.0.1 $cg_port openai/gpt-4o-mini false 30
    callgrind_control --zero "$cg_pid" > /dev/null
    python3 "$here/send_requests.py" 127.0.0.1 $cg_port openai/gpt-4o-mini false 300
    sleep 1  # the last batch leaves (flush interval 200 ms)
    callgrind_control --dump=$flag "$cg_pid" > /dev/null
    dump=$(ls -t "$work"/cg-$flag.* | head -1)
    ir[$flag]=$(awk '/^(summary|totals):/ { printf "%.0f", $2 / 300; exit }' "$dump")
    kill "$cg_pid"; wait "$cg_pid" 2>/dev/null || true
  done
fi

# 2. Ingestion: 200,000 records over two streams.
read -r ingested ingest_s ingest_rate < <("$build/bin/log_ingest_bench" 127.0.0.1:$grpc_port "$dsn" 200000 bench-token)

# 3. The control plane stopped for $stall s under load: the data plane's memory.
dp_pid=$(cat "$work/dp-on.pid")
rss_before=$(rss_kb "$dp_pid")
kill -STOP "$cp_pid"
wrk -t1 -c64 -d"${stall}s" -s "$work/post.lua" "http://127.0.0.1:$on_port/v1/chat/completions" \
  > "$work/stall-wrk.txt" &
wrk_pid=$!
rss_max=$rss_before
for _ in $(seq 1 "$stall"); do
  sleep 1
  rss=$(rss_kb "$dp_pid"); [ "$rss" -gt "$rss_max" ] && rss_max=$rss
done
wait $wrk_pid
stall_rps=$(awk '/Requests\/sec/ { printf "%.0f\n", $2 }' "$work/stall-wrk.txt")
stall_metrics=$(curl -sf "http://127.0.0.1:$on_admin/metrics")
dropped_stall=$(awk '$1 == "switchyard_log_records_dropped_total" { print $2 }' <<< "$stall_metrics")
queued_stall=$(awk '$1 == "switchyard_log_records_queued" { print $2 }' <<< "$stall_metrics")
kill -CONT "$cp_pid"

machine="$(lscpu | awk -F: '/Model name/ { gsub(/^ +/, "", $2); print $2; exit }' | cut -d' ' -f1-2), $(nproc) cores, $(uname -sr)"
section=$(
  echo "<!-- logs:begin -->"
  echo "## Request logs (\`make bench-logs\`)"
  echo
  echo "Date $(date +%F); machine: $machine. Upstream: nginx answering a fixed chat completion"
  echo "from memory. Two data planes on the same control plane and PostgreSQL, one with request"
  echo "logs on (the default: a record per request, queue 10,000 records), one with"
  echo "--request-logs=off; wrk -t1 -c64, $seconds s per run, 5 interleaved rounds (median)."
  echo
  echo "| cores | request logs | req/s (median) | runs |"
  echo "|---|---|---|---|"
  echo "| data planes, wrk, nginx on CPU 0; control plane, PostgreSQL on CPU 1 | off | $off_rps | ${off_runs//,/ } |"
  echo "| same | on | $on_rps | ${on_runs//,/ } |"
  echo "| everything on both cores | off | $shared_off_rps | ${shared_off_runs//,/ } |"
  echo "| same | on | $shared_on_rps | ${shared_on_runs//,/ } |"
  echo
  echo "- logs on / off, the control plane on its own core (the data plane's own cost): **$(awk "BEGIN { printf \"%.2f\", $on_rps / $off_rps }") x** (target >= 0.95 x)"
  echo "- logs on / off, everything sharing both cores (the control plane's ingestion of every record competes with the data plane): $(awk "BEGIN { printf \"%.2f\", $shared_on_rps / $shared_off_rps }") x"
  echo "- records shipped during the runs: $shipped, dropped: $dropped_load"
  [ -n "${ir[on]:-}" ] && echo "- data-plane instructions per request (callgrind, one worker, 300 requests, every thread): logs off ${ir[off]}, logs on ${ir[on]} ($(awk "BEGIN { printf \"%+.1f\", (${ir[on]} - ${ir[off]}) * 100 / ${ir[off]} }") %)"
  echo "- ingestion: $ingested records over two ShipLogs streams (batches of 500) stored in ${ingest_s%.*}.$(printf '%s' "${ingest_s#*.}" | cut -c1-2) s: **$ingest_rate records/s** (target >= 20,000/s; parsed, COPY into the day partition, five indexes; PostgreSQL runs with fsync=off, as in the tests)"
  echo "- control plane stopped (SIGSTOP) for $stall s under the same load: the data plane served $stall_rps req/s; RSS $((rss_before / 1024)) MiB before, at most $((rss_max / 1024)) MiB during (queue bound 10,000 records / 64 MiB); $dropped_stall records dropped and counted, $queued_stall queued at the end"
  echo "<!-- logs:end -->"
)
python3 - "$results" "$section" <<'PY'
import re, sys
path, section = sys.argv[1], sys.argv[2]
text = open(path).read()
if "<!-- logs:begin -->" in text:
    text = re.sub(r"<!-- logs:begin -->.*?<!-- logs:end -->", lambda m: section, text, flags=re.S)
else:
    text = text.rstrip("\n") + "\n\n" + section + "\n"
open(path, "w").write(text)
PY
echo "$section"
