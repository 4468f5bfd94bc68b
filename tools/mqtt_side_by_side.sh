#!/bin/bash
# MQTT side by side: the mosquitto broker and the runtime's MQTT frontend (embedded store, sync
# modes none and batch) under the same load: ../shared/peerbench's mqtt0 / mqtt1 backends (one
# libmosquitto publisher, MQTT 3.1.1, up to 4096 QoS 1 publishes in flight; one subscriber
# acknowledging each message), same sizes, interleaved, then latency at a fixed rate.
#
#   bazel build -c opt //eventmesh/runtime
#   g++ -std=c++17 -O2 -o /tmp/pb/peerbench ../shared/peerbench/peerbench.cc \
#     -lnats -lhiredis -lmosquitto -lpthread
#   RT=bazel-bin/eventmesh/runtime/runtime PB=/tmp/pb/peerbench tools/mqtt_side_by_side.sh
#
# Environment: RT, PB (binaries), N (events per throughput run, default 200000), SIZE (bytes,
# 256), REPS (2), RATE (paced run, 10000/s), OUT (scratch directory, /tmp/mqttbench).
# mosquitto listens on 11883, the runtime's MQTT port on 11884 (TCP 10411). Prints peerbench's
# RESULT lines.
set -u
RT=${RT:-bazel-bin/eventmesh/runtime/runtime}
PB=${PB:-/tmp/pb/peerbench}
N=${N:-200000}
SIZE=${SIZE:-256}
REPS=${REPS:-2}
RATE=${RATE:-10000}
OUT=${OUT:-/tmp/mqttbench}
mkdir -p "$OUT"
mosquitto -p 11883 >"$OUT/mosquitto.log" 2>&1 &
MOSQ=$!
RTPID=""
cleanup() {
  [ -n "$RTPID" ] && kill -TERM "$RTPID" 2>/dev/null
  kill "$MOSQ" 2>/dev/null
}
trap cleanup EXIT
sleep 0.5
start_rt() {  # SYNC_MODE
  rm -rf "$OUT/data-$1"
  "$RT" --port=10411 --data_dir="$OUT/data-$1" --eventMesh.storage.embedded.syncMode="$1" \
    --eventMesh.server.provide.protocols=TCP,MQTT --eventMesh.server.mqtt.port=11884 \
    --eventMesh.server.admin.enabled=false >"$OUT/rt-$1.log" 2>&1 &
  RTPID=$!
  for _ in $(seq 1 100); do grep -q "MQTT port" "$OUT/rt-$1.log" && break; sleep 0.1; done
}
stop_rt() {
  kill -TERM "$RTPID"
  wait "$RTPID" 2>/dev/null
  RTPID=""
}
for rep in $(seq 1 "$REPS"); do
  for qos in 0 1; do
    echo "== rep $rep QoS $qos mosquitto"
    "$PB" "mqtt$qos" --port 11883 --n "$N" --size "$SIZE" --timeout 120 | grep RESULT
    for sync in none batch; do
      start_rt "$sync"
      echo "== rep $rep QoS $qos runtime syncMode=$sync"
      "$PB" "mqtt$qos" --port 11884 --n "$N" --size "$SIZE" --timeout 120 | grep RESULT
      stop_rt
    done
  done
done
for qos in 0 1; do
  echo "== $RATE/s QoS $qos mosquitto"
  "$PB" "mqtt$qos" --port 11883 --n $((RATE * 5)) --size "$SIZE" --rate "$RATE" --timeout 60 |
    grep RESULT
  start_rt batch
  echo "== $RATE/s QoS $qos runtime syncMode=batch"
  "$PB" "mqtt$qos" --port 11884 --n $((RATE * 5)) --size "$SIZE" --rate "$RATE" --timeout 60 |
    grep RESULT
  stop_rt
done
