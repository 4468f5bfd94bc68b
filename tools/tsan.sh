#!/usr/bin/env bash
# Runs the runtime, store and event-store connector tests under ThreadSanitizer (--config=tsan,
# gcc) and lists every report. Exits 0 when every test passed with no report, 1 otherwise.
#
#   tools/tsan.sh                      the default packages (below)
#   tools/tsan.sh //eventmesh/store/...
#
# Options:
#   --max_seconds=N   bound of the whole run, build included (default 5400); the run is
#                     stopped and counts as failed when it is reached
#   LABEL...          bazel target patterns (default: the packages below)
# Environment: TSAN_BAZEL_FLAGS, extra flags for `bazel test` (default --local_cpu_resources=1).
#
# Default packages: //eventmesh/runtime/... //eventmesh/store/... //eventmesh/connectors/embedded/...
# //eventmesh/connectors/store/... //eventmesh/connectors/eventstore/...
# Tests tagged "notsan" are left out (each says why in its BUILD file).
# How TSan is taught Debian's uninstrumented absl::Mutex and which library reports are suppressed:
# third_party/tsan_absl_sync.cc and third_party/tsan_suppressions.txt.
# Summary lines: "tsan: <tests> tests (<run> run, the rest cached), <failed> failed, <reports> reports in <s> s" and, per
# report, "tsan report: <label>: <first line of the report> @ <first frame in our code>".
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"

# shellcheck source=tools/lib/sanitizer_args.sh
source tools/lib/sanitizer_args.sh
sanitizer_parse_args tsan.sh 5400 "$@"
if [ "${#patterns[@]}" -eq 0 ]; then
  patterns=(//eventmesh/runtime/... //eventmesh/store/... //eventmesh/connectors/embedded/...
    //eventmesh/connectors/store/... //eventmesh/connectors/eventstore/...)
fi
read -r -a bazel_flags <<<"${TSAN_BAZEL_FLAGS:---local_cpu_resources=1}"

start=$(date +%s)
summary=$(mktemp "${TMPDIR:-/tmp}/eventmesh-tsan.XXXXXX")
trap 'rm -f "$summary"' EXIT
set +e
timeout --kill-after=30 "$max_seconds" bazel test --config=tsan "${bazel_flags[@]}" --keep_going \
  --build_tests_only --test_tag_filters=-notsan,-benchmark --test_output=summary --noshow_progress \
  -- "${patterns[@]}" 2>&1 | tee "$summary"
rc=${PIPESTATUS[0]}
set -e
elapsed=$(($(date +%s) - start))
# 124: stopped by timeout's TERM; 137: by its KILL 30 s later.
[ "$rc" -ne 124 ] && [ "$rc" -ne 137 ] || echo "tsan.sh: stopped after --max_seconds=${max_seconds}" >&2

# Every report in the logs of the tests just run (bazel-testlogs holds this configuration's).
testlogs=$(bazel info --config=tsan bazel-testlogs 2>/dev/null)
reports=0
while IFS= read -r log; do
  label="//$(dirname "${log#"$testlogs"/}")"
  label="${label%/*}:${label##*/}"
  while IFS= read -r line; do
    reports=$((reports + 1))
    echo "tsan report: ${label}: ${line}"
  done < <(awk '/^WARNING: ThreadSanitizer:/ { what = $0; sub(/^WARNING: ThreadSanitizer: /, "", what); want = 1; next }
                want && /#[0-9]+ .*eventmesh::/ { sub(/^ *#[0-9]+ /, ""); sub(/ <null>.*| \/.*/, ""); print what " @ " substr($0, 1, 160); want = 0 }' "$log")
done < <(find "$testlogs" -name test.log -newermt "@${start}" 2>/dev/null | sort)

failed=$(grep -cE '^//[^ ]+ +(FAILED|TIMEOUT|NO STATUS|FAILED TO BUILD)' "$summary" || true)
tests=$(sed -n 's/^Executed \([0-9]*\) out of \([0-9]*\) test.*/\2 (\1 run, the rest cached)/p' "$summary" | tail -1)
echo "tsan: ${tests:-?} tests, ${failed} failed, ${reports} reports in ${elapsed} s"
[ "$rc" -eq 0 ] && [ "$reports" -eq 0 ]
