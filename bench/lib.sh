# What the benchmark scripts share (sourced): a work directory, the processes they start and
# their clean-up, free ports, waiting for an HTTP listener. Sets `work` and `pids`; expects
# `here` (the bench directory).
work=$(mktemp -d /tmp/switchyard-bench-XXXXXX)
chmod 755 "$work"
pids=()

# Stops what the script started (its pids, nginx, PostgreSQL) and removes the work directory.
bench_cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  "$here/../scripts/postgres.sh" stop "$work/postgres" || true
  wait 2>/dev/null || true
  rm -rf "$work"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for_http() {
  for _ in $(seq 1 200); do curl -s -o /dev/null "$1" && return 0; sleep 0.05; done
  echo "no answer from $1" >&2; exit 1
}
