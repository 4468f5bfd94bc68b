#!/usr/bin/env bash
# Checks that the C++ SDK works from another Bazel repository: builds examples/sdk_consumer (a
# workspace of its own that declares this repository as @eventmesh with local_repository and
# calls eventmesh_dependencies() from //eventmesh/bazel:deps.bzl), then runs its program, which
# publishes and subscribes with @eventmesh//eventmesh/sdk:tcp_client, against a runtime of this
# repository on free loopback ports.
#   tools/sdk_consumer_check.sh      (CI runs it after `bazel test //...`; see README.md)
# Exit status 0 when the build succeeded and every published event arrived.
set -euo pipefail
cd "$(dirname "$0")/.."
consumer=examples/sdk_consumer

echo "sdk_consumer_check: bazel build //... in $consumer (@eventmesh = $PWD)"
(cd "$consumer" && bazel build //...)
consumer_bin="$(cd "$consumer" && bazel info bazel-bin 2>/dev/null)/pubsub"
# The consumer workspace has its own Bazel server; stop it so it does not hold memory afterwards.
(cd "$consumer" && bazel shutdown)

bazel build //eventmesh/runtime
runtime_bin="$(bazel info bazel-bin 2>/dev/null)/eventmesh/runtime/runtime"
work="$(mktemp -d)"
runtime_pid=""
cleanup() {
  if [ -n "$runtime_pid" ]; then
    kill "$runtime_pid" 2>/dev/null || true
    wait "$runtime_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# Port 0: the runtime picks free TCP, HTTP and admin ports and prints them. The log exists before
# the runtime starts: the background job opens it only once it runs, and reading a log not yet
# there would end this script (set -e).
: >"$work/runtime.log"
"$runtime_bin" --port=0 --data_dir="$work/data" >>"$work/runtime.log" 2>&1 &
runtime_pid=$!
port=""
for _ in $(seq 1 300); do
  port="$(sed -n 's/.*, TCP port \([0-9][0-9]*\),.*/\1/p' "$work/runtime.log" | head -n 1)"
  [ -n "$port" ] && break
  if ! kill -0 "$runtime_pid" 2>/dev/null; then
    cat "$work/runtime.log" >&2
    echo "sdk_consumer_check: the runtime exited before it listened" >&2
    exit 1
  fi
  sleep 0.1
done
if [ -z "$port" ]; then
  cat "$work/runtime.log" >&2
  echo "sdk_consumer_check: the runtime did not print its TCP port within 30 s" >&2
  exit 1
fi

echo "sdk_consumer_check: $consumer_bin against the runtime on 127.0.0.1:$port"
"$consumer_bin" --port="$port" --count=10
echo "sdk_consumer_check: OK (built as an external repository; 10 events published and received)"
