#!/usr/bin/env bash
# The whole test suite, as CI runs it:
#   1. every test of the repository: bazel test //... (unit, integration, end-to-end, the short
#      chaos run, and every fuzz target's seed replay);
#   2. every fuzz target built with libFuzzer under AddressSanitizer + UndefinedBehaviorSanitizer
#      and run for 10 s from its committed seed corpus with a fixed seed (tools/fuzz.sh --short).
# Extra arguments go to `bazel test` (e.g. --config=asan).
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
bazel test //... "$@"
FUZZ_BAZEL_FLAGS="${FUZZ_BAZEL_FLAGS:-}" tools/fuzz.sh --short --seed=20261202
