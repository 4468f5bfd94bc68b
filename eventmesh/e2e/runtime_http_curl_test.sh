#!/bin/bash
# Starts the real runtime binary on free ports with a temp data dir and talks HTTP to it with
# curl: 104 async send, 101 timeout answer, CloudEvents binary and structured publish, an
# unknown code (400), and the admin port (health, ready, metrics counting the HTTP publishes). The runtime is stopped on exit, also when a check fails.
set -u

RUNTIME="$1"
WORK="${TEST_TMPDIR:-$(mktemp -d)}/curl-test"
mkdir -p "$WORK"
LOG="$WORK/runtime.log"

"$RUNTIME" --port=0 --http_port=0 --data_dir="$WORK/data" \
  --eventMesh.storage.embedded.syncMode=none >"$LOG" 2>&1 &
RUNTIME_PID=$!
stop_runtime() {
  if kill -0 "$RUNTIME_PID" 2>/dev/null; then
    kill -TERM "$RUNTIME_PID"
    for _ in $(seq 1 100); do
      kill -0 "$RUNTIME_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$RUNTIME_PID" 2>/dev/null
  fi
}
trap stop_runtime EXIT

PORT=""
for _ in $(seq 1 100); do
  PORT=$(sed -n 's/.*HTTP port \([0-9]*\).*/\1/p' "$LOG" | head -1)
  [ -n "$PORT" ] && break
  kill -0 "$RUNTIME_PID" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$PORT" ]; then
  echo "FAIL: the runtime did not report its HTTP port"; cat "$LOG"; exit 1
fi
URL="http://127.0.0.1:$PORT"
FAILURES=0

# check NAME EXPECTED_STATUS EXPECTED_BODY_SUBSTRING curl-args...
check() {
  local name="$1" want_status="$2" want_body="$3"
  shift 3
  local out status body
  out=$(curl -s -m 10 -w '\n%{http_code}' "$@")
  status=$(echo "$out" | tail -1)
  body=$(echo "$out" | sed '$d')
  if [ "$status" != "$want_status" ] || [[ "$body" != *"$want_body"* ]]; then
    echo "FAIL: $name: HTTP $status, body $body (want HTTP $want_status with $want_body)"
    FAILURES=$((FAILURES + 1))
  else
    echo "ok: $name"
  fi
}

IDENTITY=(-H "idc: DC1" -H "sys: 5477" -H "pid: 42")
check "104 async send" 200 '"retCode":0,"retMsg":"success"' \
  -H "code: 104" "${IDENTITY[@]}" \
  --data "topic=curl-topic&content=hello&bizseqno=b1&uniqueid=u1&producergroup=pg" "$URL/"
check "101 timeout" 200 '"retCode":4,"retMsg":"eventMesh waiting rr msg err, no reply within 200 ms (ttl)"' \
  -H "code: 101" "${IDENTITY[@]}" \
  --data "topic=nobody&content=ping&bizseqno=b2&uniqueid=u2&producergroup=pg&ttl=200" "$URL/"
check "CloudEvents binary" 200 '"retCode":0' \
  -H "ce-specversion: 1.0" -H "ce-id: c1" -H "ce-source: /curl" -H "ce-type: demo" \
  -H "Content-Type: text/plain" --data "binary body" "$URL/eventmesh/publish/curl-topic"
check "CloudEvents structured" 200 '"retCode":0' \
  -H "Content-Type: application/cloudevents+json" \
  --data '{"specversion":"1.0","id":"c2","source":"/curl","type":"demo","subject":"curl-topic","data":{"n":1}}' \
  "$URL/"
check "unknown code" 400 '"retCode":2' -H "code: 4711" --data "" "$URL/"
check "invalid CloudEvent" 400 "invalid CloudEvent: 'id' is required" \
  -H "ce-specversion: 1.0" -H "ce-source: /curl" -H "ce-type: demo" --data "x" \
  "$URL/eventmesh/publish/curl-topic"

ADMIN_PORT=$(sed -n 's/.*, admin port \([0-9]*\).*/\1/p' "$LOG" | head -1)
ADMIN="http://127.0.0.1:$ADMIN_PORT"
check "admin health" 200 '{"status":"UP"}' "$ADMIN/health"
check "admin ready" 200 '{"status":"READY"}' "$ADMIN/ready"
# 104, the 101 request and the two CloudEvents: four durable HTTP publishes.
check "admin metrics" 200 'eventmesh_publish_total{protocol="http",result="ok"} 4' "$ADMIN/metrics"
check "admin topic" 200 '"name":"curl-topic"' "$ADMIN/v1/topics/curl-topic"
check "admin 405" 405 'allowed: GET' -X POST "$ADMIN/metrics"

if [ "$FAILURES" -ne 0 ]; then
  echo "$FAILURES check(s) failed; runtime log:"; cat "$LOG"; exit 1
fi
echo "all checks passed"
