#!/bin/bash
# Starts the real runtime binary with the MQTT frontend on free ports and talks to it with real
# MQTT clients from Debian: mosquitto_pub / mosquitto_sub (MQTT 3.1.1 and 5.0, QoS 0 and 1, a
# wildcard filter, a persistent session collecting messages while away, a retained message, MQTT
# over TLS with a throwaway CA) and
# Eclipse Paho for Python (paho_client_test.py); and across protocols: an event published with
# curl over HTTP reaches mosquitto_sub. The runtime is stopped on exit, also when a check fails.
set -u

RUNTIME="$1"
PAHO_TEST="$2"
WORK="${TEST_TMPDIR:-$(mktemp -d)}/mqtt-clients-test"
mkdir -p "$WORK"
LOG="$WORK/runtime.log"
for tool in mosquitto_pub mosquitto_sub curl /usr/bin/python3; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing (tools/setup.sh installs it)"; exit 1; }
done

"$RUNTIME" --port=0 --data_dir="$WORK/data" --eventMesh.storage.embedded.syncMode=none \
  --eventMesh.server.provide.protocols=TCP,HTTP,MQTT >"$LOG" 2>&1 &
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
  PORT=$(sed -n 's/.*MQTT port \([0-9]*\).*/\1/p' "$LOG" | head -1)
  [ -n "$PORT" ] && break
  kill -0 "$RUNTIME_PID" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$PORT" ]; then
  echo "FAIL: the runtime did not report its MQTT port"; cat "$LOG"; exit 1
fi
HTTP_PORT=$(sed -n 's/.*HTTP port \([0-9]*\).*/\1/p' "$LOG" | head -1)
FAILURES=0
expect() {  # NAME WANT GOT
  if [ "$2" == "$3" ]; then
    echo "ok: $1"
  else
    echo "FAIL: $1: got [$3], want [$2]"
    FAILURES=$((FAILURES + 1))
  fi
}
SUB=(mosquitto_sub -h 127.0.0.1 -p "$PORT" -W 10)
PUB=(mosquitto_pub -h 127.0.0.1 -p "$PORT")

for V in mqttv311 mqttv5; do
  # A persistent session: subscribe and leave (-E exits once the SUBACK arrived), publish while
  # away, come back and collect.
  "${SUB[@]}" -V "$V" -i "sub-$V" -c -q 1 -t "home/+/temp" -E
  "${PUB[@]}" -V "$V" -i "pub-$V" -q 1 -t home/kitchen/temp -m "21.5-$V"
  "${PUB[@]}" -V "$V" -i "pub-$V" -q 0 -t home/garage/temp -m "9.0-$V"
  GOT=$("${SUB[@]}" -V "$V" -i "sub-$V" -c -q 1 -t "home/+/temp" -C 2 -v | sort | tr '\n' ' ')
  expect "mosquitto $V persistent session, wildcard, QoS 1 and 0" \
    "home/garage/temp 9.0-$V home/kitchen/temp 21.5-$V " "$GOT"
done

# Retained message: a new subscriber gets it at once.
"${PUB[@]}" -V mqttv5 -q 1 -r -t weather/now -m sunny
GOT=$("${SUB[@]}" -V mqttv5 -q 1 -t "weather/#" -C 1 -v)
expect "retained message" "weather/now sunny" "$GOT"

# HTTP -> MQTT: a CloudEvent published with curl reaches an MQTT 5 subscriber in binary mode
# (payload = data, CloudEvent attributes as user properties).
"${SUB[@]}" -V mqttv5 -i http-watcher -c -q 1 -t "shop/orders" -x 600 -E
curl -s -m 10 -H "ce-specversion: 1.0" -H "ce-id: order-1" -H "ce-source: /curl" \
  -H "ce-type: order.created" -H "Content-Type: text/plain" --data "one order" \
  "http://127.0.0.1:$HTTP_PORT/eventmesh/publish/shop/orders" >/dev/null
GOT=$("${SUB[@]}" -V mqttv5 -i http-watcher -c -q 1 -t "shop/orders" -x 600 -C 1 -F '%t %p %P')
expect "HTTP publish reaches mosquitto_sub" \
  "shop/orders one order specversion:1.0 id:order-1 source:/curl type:order.created" \
  "$(echo "$GOT" | sed 's/ protocol[a-z]*:[^ ]*//g')"

# A wildcard in a publish topic is refused (mosquitto_pub checks it itself; send raw bytes).
if /usr/bin/python3 - "$PORT" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"\x10\x0d\x00\x04MQTT\x04\x02\x00\x3c\x00\x01r")
assert s.recv(4) == b"\x20\x02\x00\x00"
s.sendall(b"\x30\x06\x00\x03a/+x")
assert s.recv(1) == b""  # MQTT 3.1.1: closed
PY
then echo "ok: wildcard publish closes the 3.1.1 connection"; else
  echo "FAIL: wildcard publish"; FAILURES=$((FAILURES + 1)); fi

if /usr/bin/python3 "$PAHO_TEST" "$PORT"; then echo "ok: paho"; else FAILURES=$((FAILURES + 1)); fi

# MQTT over TLS: a second runtime serving only MQTT, TLS on its MQTT port (throwaway CA).
CERTS="$WORK/certs"
mkdir -p "$CERTS"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=test-ca" \
  -keyout "$CERTS/ca.key" -out "$CERTS/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
  -keyout "$CERTS/server.key" -out "$CERTS/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$CERTS/ext.cnf"
openssl x509 -req -in "$CERTS/server.csr" -CA "$CERTS/ca.pem" -CAkey "$CERTS/ca.key" \
  -CAcreateserial -days 2 -extfile "$CERTS/ext.cnf" -out "$CERTS/server.pem" 2>/dev/null
TLS_LOG="$WORK/runtime-tls.log"
"$RUNTIME" --port=0 --data_dir="$WORK/data-tls" --eventMesh.storage.embedded.syncMode=none \
  --eventMesh.server.provide.protocols=MQTT --eventMesh.server.admin.enabled=false \
  --eventMesh.server.mqtt.tls.enabled=true --eventMesh.server.mqtt.tls.certFile="$CERTS/server.pem" \
  --eventMesh.server.mqtt.tls.keyFile="$CERTS/server.key" >"$TLS_LOG" 2>&1 &
TLS_PID=$!
trap 'stop_runtime; kill -TERM $TLS_PID 2>/dev/null' EXIT
TLS_PORT=""
for _ in $(seq 1 100); do
  TLS_PORT=$(sed -n 's/.*MQTT port \([0-9]*\) (TLS).*/\1/p' "$TLS_LOG" | head -1)
  [ -n "$TLS_PORT" ] && break
  kill -0 "$TLS_PID" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$TLS_PORT" ]; then
  echo "FAIL: the TLS runtime did not report its MQTT port"; cat "$TLS_LOG"; FAILURES=$((FAILURES + 1))
else
  TLS=(--cafile "$CERTS/ca.pem" -h 127.0.0.1 -p "$TLS_PORT")
  mosquitto_sub "${TLS[@]}" -W 10 -i tls-sub -c -q 1 -t secure/t -E
  mosquitto_pub "${TLS[@]}" -q 1 -t secure/t -m over-tls
  GOT=$(mosquitto_sub "${TLS[@]}" -W 10 -i tls-sub -c -q 1 -t secure/t -C 1)
  expect "MQTT over TLS" "over-tls" "$GOT"
  if mosquitto_pub -h 127.0.0.1 -p "$TLS_PORT" -q 1 -t secure/t -m plain 2>/dev/null; then
    echo "FAIL: a plain client was served on the TLS port"; FAILURES=$((FAILURES + 1))
  else
    echo "ok: a plain client is refused on the TLS port"
  fi
fi

if [ "$FAILURES" -ne 0 ]; then
  echo "$FAILURES check(s) failed; runtime log:"; tail -50 "$LOG"; exit 1
fi
echo "PASS"
