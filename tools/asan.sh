#!/usr/bin/env bash
# Runs tests under AddressSanitizer + UndefinedBehaviorSanitizer (--config=asan, gcc; leaks are
# reported too) and names the first report in each test's log. Exits 0 when every test passed
# with no report, 1 otherwise.
#
#   tools/asan.sh                      the default packages (below)
#   tools/asan.sh //eventmesh/store/...
#
# Options:
#   --max_seconds=N   bound of the whole run, build included (default 3600); the run is
#                     stopped and counts as failed when it is reached
#   LABEL...          bazel target patterns (default: the packages below)
# Environment: ASAN_BAZEL_FLAGS, extra flags for `bazel test` (default none).
#
# Default packages: the code that reads what clients, peers and disks send (the protocol codecs,
# the network layer, the store engine, service and client, the runtime's core, its TCP, HTTP,
# MQTT, gRPC, webhook and admin frontends, the registry and the event-store connectors) and the
# end-to-end hostile-client test, which sends every listener malformed, oversize and truncated
# input. `bazel test --config=asan //...` runs
# everything (about 30 minutes on 2 cores from a cold cache).
# Tests tagged "benchmark" are left out (they measure, they do not check).
# Summary lines: "asan: <tests> tests (<run> run, the rest cached), <failed> failed, <reports>
# reports in <s> s" and, per test log of this run with a sanitizer report (a failed test's, or a
# child process's in a test that passed), "asan report: <label>: <first line> @ <first frame in
# our code>". Exit status 1 on any failed test or report.
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"

# shellcheck source=tools/lib/sanitizer_args.sh
source tools/lib/sanitizer_args.sh
sanitizer_parse_args asan.sh 3600 "$@"
if [ "${#patterns[@]}" -eq 0 ]; then
  patterns=(//eventmesh/protocol/... //eventmesh/net/... //eventmesh/store/...
    //eventmesh/runtime/core/... //eventmesh/runtime/tcp/... //eventmesh/runtime/http/...
    //eventmesh/runtime/mqtt/... //eventmesh/runtime/grpc/... //eventmesh/runtime/webhook/...
    //eventmesh/runtime/admin/... //eventmesh/registry/...
    //eventmesh/connectors/eventstore/... //eventmesh/connectors/embedded/...
    //eventmesh/connectors/store/... //eventmesh/e2e:hostile_client_test)
fi
read -r -a bazel_flags <<<"${ASAN_BAZEL_FLAGS:-}"

start=$(date +%s)
summary=$(mktemp "${TMPDIR:-/tmp}/eventmesh-asan.XXXXXX")
trap 'rm -f "$summary"' EXIT
set +e
timeout --kill-after=30 "$max_seconds" bazel test --config=asan ${bazel_flags[@]+"${bazel_flags[@]}"} \
  --keep_going --build_tests_only --test_tag_filters=-benchmark --test_output=summary \
  --noshow_progress -- "${patterns[@]}" 2>&1 | tee "$summary"
rc=${PIPESTATUS[0]}
set -e
elapsed=$(($(date +%s) - start))
# 124: stopped by timeout's TERM; 137: by its KILL 30 s later.
[ "$rc" -ne 124 ] && [ "$rc" -ne 137 ] || echo "asan.sh: stopped after --max_seconds=${max_seconds}" >&2

# The first sanitizer report in every test log written by this run (a failed test's, or a passing
# test's whose child process had one): bazel-testlogs is shared with the other configurations, so
# only logs newer than this run's start are read.
testlogs=$(bazel info --config=asan ${bazel_flags[@]+"${bazel_flags[@]}"} bazel-testlogs 2>/dev/null || true)
reports=0
if [ -n "$testlogs" ] && [ -d "$testlogs" ]; then
  while IFS= read -r log; do
    label="//$(dirname "${log#"$testlogs"/}")"
    label="${label%/*}:${label##*/}"
    line=$(awk '/ERROR: AddressSanitizer:|ERROR: LeakSanitizer:|runtime error:/ { what = $0; sub(/^=+[0-9]+=+/, "", what); want = 1; next }
                want && /#[0-9]+ .* in eventmesh::/ { sub(/^ *#[0-9]+ 0x[0-9a-f]+ in /, ""); sub(/ [^ ]*\/[^ ]*:[0-9]+.*$/, ""); sub(/ \(\/[^)]*\)$/, ""); print what " @ " substr($0, 1, 160); want = 0; exit }
                END { if (want && what != "") print what }' "$log" | head -1)
    if [ -n "$line" ]; then
      reports=$((reports + 1))
      echo "asan report: ${label}: ${line}"
    fi
  done < <(find "$testlogs" -name test.log -newermt "@${start}" 2>/dev/null | sort)
fi

failed=$(grep -cE '^//[^ ]+ +(FAILED|TIMEOUT|NO STATUS|FAILED TO BUILD)' "$summary" || true)
tests=$(sed -n 's/^Executed \([0-9]*\) out of \([0-9]*\) test.*/\2 (\1 run, the rest cached)/p' "$summary" | tail -1)
echo "asan: ${tests:-?} tests, ${failed} failed, ${reports} reports in ${elapsed} s"
[ "$rc" -eq 0 ] && [ "$reports" -eq 0 ]
