#!/usr/bin/env bash
# Installs everything a fresh Debian 12 machine needs to build and test EventMesh-cpp.
# Idempotent: running it again only confirms the packages are present.
# Debian's package archive provides everything the build needs; the npm registry provides only
# the pinned CloudEvents JavaScript SDK of the interoperability test (tools/interop).
set -euo pipefail

PACKAGES=(
  # Build system (Debian's Bazel 4.2.3) and its platform constraints.
  bazel-bootstrap bazel-platforms
  # Compilers and tools: gcc for normal builds, clang + libFuzzer runtime for --config=fuzz.
  g++ clang-14 libclang-rt-14-dev clang-format
  # Libraries wrapped in third_party/.
  libabsl-dev libprotobuf-dev protobuf-compiler libboost-dev librocksdb-dev
  libgoogle-glog-dev libgflags-dev rapidjson-dev libssl-dev
  # The runtime binary's allocator (tcmalloc_minimal).
  libgoogle-perftools-dev
  # Tests and benchmarks: openssl makes throwaway test certificates, curl and wrk drive the
  # HTTP port from outside.
  libgtest-dev libgmock-dev libbenchmark-dev openssl curl wrk
  # The registry tests run a real etcd (etcd is one of the two registry backends).
  etcd-server
  # Connectors to distributed engines: Kafka through librdkafka (its tests use librdkafka's own
  # mock cluster) and NATS JetStream through the NATS C client (its tests start a real nats-server).
  librdkafka-dev libnats-dev nats-server
  # The gRPC frontend and SDK client (Debian's gRPC C++ and its protoc plugin); the gRPC
  # interoperability test's independent Python client.
  libgrpc++-dev protobuf-compiler-grpc python3-grpcio python3-grpc-tools
  # The MQTT frontend's tests speak to it with real clients (mosquitto_pub/_sub, Python paho);
  # BENCHMARKS.md compares it with the mosquitto broker (peerbench links libmosquitto).
  mosquitto mosquitto-clients python3-paho-mqtt libmosquitto-dev
  # promtool validates the Prometheus text format of every /metrics endpoint in the tests.
  prometheus
  # The dashboard's test renders it in a real headless browser.
  chromium
)

log() { printf '[setup] %s\n' "$*"; }
fail() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || fail "run as root or install sudo"
  SUDO="sudo"
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  log "all ${#PACKAGES[@]} packages already installed"
else
  log "updating package lists"
  $SUDO apt-get update -q || fail "apt-get update failed (is the Debian archive reachable?)"
  log "installing: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" \
    || fail "apt-get install failed for: ${missing[*]}"
fi

command -v bazel >/dev/null 2>&1 || fail "bazel not found after installing bazel-bootstrap"
log "bazel: $(bazel --version 2>/dev/null | head -n1)"

# Node.js (>= 18) and npm for the CloudEvents JavaScript interoperability test: Debian's when the
# machine has none.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  log "installing Debian's nodejs and npm"
  $SUDO apt-get update -q || fail "apt-get update failed (is the Debian archive reachable?)"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends nodejs npm \
    || fail "apt-get install failed for: nodejs npm"
fi
log "node: $(node --version)"
"$(dirname "${BASH_SOURCE[0]}")/interop/cloudevents_js/install.sh" >/dev/null \
  || fail "npm ci in tools/interop/cloudevents_js failed (is the npm registry reachable?)"
log "CloudEvents JS SDK installed for the interop test"
log "done"
