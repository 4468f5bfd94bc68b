#!/usr/bin/env bash
# The chaos suite in its short form for CI: a few faults of every kind on the embedded store and
# the store service. The full run is `bazel run -c opt //tools/chaos` (50 faults per
# configuration, four configurations).
set -euo pipefail
chaos="$1"
runtime="$2"
store="$3"
exec "$chaos" --runtime_binary="$runtime" --store_binary="$store" \
  --configs=embedded-batch,store-always --faults="${CHAOS_FAULTS:-8}" --interval=500ms \
  --rate=1000 --work_dir="$TEST_TMPDIR/chaos"
