#!/usr/bin/env bash
# Interop test: the official CloudEvents JavaScript SDK (npm package `cloudevents`, pinned in
# package.json) against the EventMesh-cpp runtime.
#   A. emit.js publishes a binary-mode and a structured-mode event to /eventmesh/publish/{topic};
#      a TCP subscriber (tcp_event_dump) must receive both with the same id, type, source, data.
#   B. receiver.js (node http + HTTP.toEvent) is subscribed as a webhook (CloudEvents binary push
#      format); events emitted by emit.js must reach it intact.
# Args: <runtime binary> <tcp_event_dump binary> <emit.js runfile> <part: emit | webhook>
# ("emit" runs A, "webhook" runs B). node_modules is found next
# to the real emit.js (the runfile is a symlink into the workspace); install it with
# tools/interop/cloudevents_js/install.sh (tools/setup.sh runs it).
set -euo pipefail

RUNTIME="$1"
DUMP="$2"
SCRIPT_DIR="$(dirname "$(readlink -f "$3")")"
PART="$4"
NODE="${NODE:-/usr/bin/node}"
WORK="${TEST_TMPDIR:-$(mktemp -d)}/interop"
mkdir -p "$WORK"
PIDS=()

fail() { echo "interop_test: FAIL: $*" >&2; exit 1; }
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

[ -x "$NODE" ] || fail "node not found at $NODE (Node.js >= 18 is required)"
[ -d "$SCRIPT_DIR/node_modules/cloudevents" ] || fail "node_modules missing in $SCRIPT_DIR: run \
tools/interop/cloudevents_js/install.sh (tools/setup.sh runs it) to install the pinned npm packages"
export NODE_PATH="$SCRIPT_DIR/node_modules"

# Waits until file $1 contains a line matching regex $2 (bounded: $3 tenths of a second).
wait_for_line() {
  for _ in $(seq 1 "$3"); do
    grep -Eq "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# Waits for process $1 to exit (bounded: $2 tenths of a second); returns its exit status.
wait_exit() {
  for _ in $(seq 1 "$2"); do
    if ! kill -0 "$1" 2>/dev/null; then
      wait "$1"
      return $?
    fi
    sleep 0.1
  done
  return 124
}

# ---- the runtime on free ports with a fresh data directory ----
"$RUNTIME" --port=0 --http_port=0 --data_dir="$WORK/data" --eventMesh.server.http.webhook.allow=127.0.0.1 >"$WORK/runtime.log" 2>&1 &
PIDS+=($!)
wait_for_line "$WORK/runtime.log" 'HTTP port [0-9]+' 300 || {
  cat "$WORK/runtime.log" >&2
  fail "runtime did not start"
}
TCP_PORT="$(grep -Eo 'TCP port [0-9]+' "$WORK/runtime.log" | head -1 | grep -Eo '[0-9]+')"
HTTP_PORT="$(grep -Eo 'HTTP port [0-9]+' "$WORK/runtime.log" | head -1 | grep -Eo '[0-9]+')"
BASE="http://127.0.0.1:$HTTP_PORT"
echo "interop_test: runtime TCP $TCP_PORT, HTTP $HTTP_PORT"

# ---- A: JS emitter -> runtime -> TCP subscriber ----
if [ "$PART" = "emit" ]; then
"$DUMP" --port="$TCP_PORT" --topic=interop-js-a --count=2 --timeout_s=60 >"$WORK/dump.out" \
  2>"$WORK/dump.err" &
DUMP_PID=$!
PIDS+=($DUMP_PID)
wait_for_line "$WORK/dump.out" '^listening' 300 || { cat "$WORK/dump.err" >&2; fail "tcp_event_dump did not subscribe"; }
"$NODE" "$SCRIPT_DIR/emit.js" "$BASE" interop-js-a js-a >"$WORK/emitted-a.out" \
  || fail "emit.js (part A) failed"
wait_exit "$DUMP_PID" 650 || { cat "$WORK/dump.err" >&2; fail "the TCP subscriber did not receive both events"; }
"$NODE" "$SCRIPT_DIR/check.js" "$WORK/emitted-a.out" "$WORK/dump.out" \
  || fail "events emitted by the CloudEvents JS SDK changed on the way to a TCP subscriber"
echo "interop_test: PASS (emit)"
exit 0
fi
[ "$PART" = "webhook" ] || fail "unknown part '$PART' (expected emit or webhook)"

# ---- B: JS emitter -> runtime -> webhook -> JS receiver (HTTP.toEvent) ----
"$NODE" "$SCRIPT_DIR/receiver.js" "$WORK/receiver.port" "$WORK/received.out" 2 60 \
  2>"$WORK/receiver.err" &
RECEIVER_PID=$!
PIDS+=($RECEIVER_PID)
for _ in $(seq 1 100); do [ -s "$WORK/receiver.port" ] && break; sleep 0.1; done
[ -s "$WORK/receiver.port" ] || fail "receiver.js did not start"
HOOK="http://127.0.0.1:$(cat "$WORK/receiver.port")/hook"
"$NODE" "$SCRIPT_DIR/subscribe.js" "$BASE" interop-js-b interop-js-webhook "$HOOK" \
  cloudevents-binary || fail "webhook subscription refused (see above)"
"$NODE" "$SCRIPT_DIR/emit.js" "$BASE" interop-js-b js-b >"$WORK/emitted-b.out" \
  || fail "emit.js (part B) failed"
wait_exit "$RECEIVER_PID" 650 || { cat "$WORK/receiver.err" >&2; fail "receiver.js did not get both webhook deliveries"; }
"$NODE" "$SCRIPT_DIR/check.js" "$WORK/emitted-b.out" "$WORK/received.out" \
  || fail "events changed on the way from the CloudEvents JS SDK through a webhook"
echo "interop_test: PASS (webhook)"
