#!/bin/bash
# store_main: config-file and flag errors are clear; SIGTERM shuts down cleanly with status 0.
set -u
BIN="$1"
DIR="$(mktemp -d "${TEST_TMPDIR:-/tmp}/store_main_test.XXXXXX")"
fail() { echo "FAIL: $*"; exit 1; }

printf 'port=0\nbogus_key=1\n' > "$DIR/bad.conf"
out="$("$BIN" --config="$DIR/bad.conf" --data_dir="$DIR/db" 2>&1)"; rc=$?
[[ $rc -eq 2 ]] || fail "unknown key: exit $rc"
[[ "$out" == *"bad.conf:2: unknown configuration key bogus_key"* ]] || fail "unknown key message: $out"

out="$("$BIN" --sync=fast --data_dir="$DIR/db" 2>&1)"; rc=$?
[[ $rc -eq 2 ]] || fail "bad sync: exit $rc"
[[ "$out" == *'--sync: sync mode must be one of none|batch|always, got "fast"'* ]] || fail "bad sync message: $out"

printf 'port=not-a-number\n' > "$DIR/badvalue.conf"
out="$("$BIN" --config="$DIR/badvalue.conf" 2>&1)"; rc=$?
[[ $rc -eq 2 ]] || fail "bad value: exit $rc"
[[ "$out" == *'badvalue.conf:1: invalid value "not-a-number" for key port: expected an integer in [0, 65535]'* ]] || fail "bad value message: $out"

out="$("$BIN" --prot=1 2>&1)"; rc=$?
[[ $rc -eq 2 ]] || fail "unknown flag: exit $rc"
[[ "$out" == *'unknown configuration key --prot (did you mean --port?)'* ]] || fail "unknown flag message: $out"

out="$("$BIN" --help 2>&1)"; rc=$?
[[ $rc -eq 0 ]] || fail "--help: exit $rc"
[[ "$out" == *'| `max_batch_events` |'* ]] || fail "--help output: $out"

# The file sets sync=always and port 0; the command line overrides sync.
printf '# comment\nport = 0\nsync=always\n' > "$DIR/ok.conf"
# With --metrics_port=0 it also serves GET /metrics on a free port.
"$BIN" --config="$DIR/ok.conf" --sync=none --data_dir="$DIR/db" --metrics_port=0 > "$DIR/out" 2>&1 &
pid=$!
for _ in $(seq 300); do grep -q "/metrics" "$DIR/out" && break; sleep 0.1; done
grep -q "listening on 127.0.0.1:" "$DIR/out" || { kill -9 $pid; fail "no listening line: $(cat "$DIR/out")"; }
grep -q "sync none" "$DIR/out" || { kill -9 $pid; fail "flag did not override the file: $(cat "$DIR/out")"; }
metrics_url="$(sed -n 's|^eventmesh store metrics on \(.*\)$|http://\1|p' "$DIR/out")"
[[ -n "$metrics_url" ]] || { kill -9 $pid; fail "no metrics line: $(cat "$DIR/out")"; }
page="$(curl -sS --max-time 10 "$metrics_url")" || { kill -9 $pid; fail "GET $metrics_url failed"; }
[[ "$page" == *"# TYPE eventmesh_store_requests_total counter"* ]] || { kill -9 $pid; fail "metrics page: $page"; }
[[ "$page" == *"eventmesh_store_disk_bytes "* ]] || { kill -9 $pid; fail "no disk bytes: $page"; }
[[ "$page" == *"# TYPE eventmesh_store_tail_cache_bytes gauge"* ]] ||
  { kill -9 $pid; fail "no tail cache gauge: $page"; }
[[ "$page" == *"# TYPE eventmesh_store_commit_write_seconds histogram"* ]] ||
  { kill -9 $pid; fail "no commit write (fsync) latency: $page"; }
[[ "$page" == *"# TYPE eventmesh_store_write_stops_total counter"* ]] ||
  { kill -9 $pid; fail "no write stops counter: $page"; }
[[ "$page" == *"eventmesh_store_write_stall_seconds_total "* ]] ||
  { kill -9 $pid; fail "no write stall time: $page"; }
[[ "$page" == *"# TYPE eventmesh_store_writes_stopped gauge"* && "$page" == *"eventmesh_store_writes_stopped 0"* ]] ||
  { kill -9 $pid; fail "no writes-stopped gauge at 0: $page"; }
kill -TERM $pid
wait $pid; rc=$?
[[ $rc -eq 0 ]] || fail "SIGTERM exit $rc: $(cat "$DIR/out")"
grep -q "eventmesh store: stopped" "$DIR/out" || fail "no stop line: $(cat "$DIR/out")"
echo PASS
