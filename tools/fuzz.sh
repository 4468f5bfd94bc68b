#!/usr/bin/env bash
# Builds every fuzz target of the repository (eventmesh_cc_fuzz_test) with libFuzzer under
# AddressSanitizer + UndefinedBehaviorSanitizer (--config=fuzz, clang 14) and runs each one for a
# fixed time on a scratch copy of its committed seed corpus. Stops at the first crash, leak,
# timeout or out-of-memory input: prints the reproducer's path and exits 1.
#
#   tools/fuzz.sh                    60 s per target
#   tools/fuzz.sh --short            10 s per target (CI)
#   tools/fuzz.sh --seconds=300 //eventmesh/protocol/tcp:user_agent_fuzzer
#
# Options:
#   --seconds=N       time per target (default 60)
#   --short           same as --seconds=10
#   --rss_limit_mb=N  libFuzzer memory limit per target (default 2048)
#   --timeout=N       libFuzzer limit per input, seconds (default 10)
#   --seed=N          libFuzzer's random seed (default: chosen by libFuzzer and printed in the
#                     log); a fixed seed makes a short run repeat the same inputs
#   --keep            keep the scratch directory (grown corpora, logs) after a clean run
#   LABEL...          only these fuzz targets (default: all)
# Environment: FUZZ_BAZEL_FLAGS, extra flags for `bazel build` (default none; e.g.
# --local_cpu_resources=1 on a shared machine).
#
# Reproduce a crash: bazel run --config=fuzz //<pkg>:<target> -- <reproducer path>
# Summary lines: "fuzz <label>: <runs> runs in <s> s, cov <edges> ft <features>, corpus <n>
# (<new> new), <result>".
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"

seconds=60
rss_limit_mb=2048
timeout_s=10
keep=0
seed_flag=()
labels=()
for arg in "$@"; do
  case "$arg" in
    --seconds=*) seconds="${arg#*=}" ;;
    --short) seconds=10 ;;
    --rss_limit_mb=*) rss_limit_mb="${arg#*=}" ;;
    --timeout=*) timeout_s="${arg#*=}" ;;
    --keep) keep=1 ;;
    --seed=*) seed_flag=("-seed=${arg#*=}") ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
      exit 0
      ;;
    //*) labels+=("$arg") ;;
    *)
      echo "fuzz.sh: unknown argument '$arg' (see --help)" >&2
      exit 2
      ;;
  esac
done
for n in "$seconds" "$rss_limit_mb" "$timeout_s"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "fuzz.sh: '$n' is not a positive integer" >&2; exit 2; }
done
read -r -a bazel_flags <<<"${FUZZ_BAZEL_FLAGS:-}"

start=$(date +%s)
if [ "${#labels[@]}" -eq 0 ]; then
  # The libFuzzer binaries made by eventmesh_cc_fuzz_test (its <name>_test replays are sh_tests).
  mapfile -t labels < <(bazel query --noshow_progress \
    'kind(cc_binary, attr(generator_function, "^eventmesh_cc_fuzz_test$", //...))' 2>/dev/null)
fi
[ "${#labels[@]}" -gt 0 ] || { echo "fuzz.sh: no fuzz targets found" >&2; exit 1; }

echo "fuzz.sh: building ${#labels[@]} fuzz targets (--config=fuzz)"
bazel build --config=fuzz "${bazel_flags[@]}" --noshow_progress "${labels[@]}"

scratch=$(mktemp -d "${TMPDIR:-/tmp}/eventmesh-fuzz.XXXXXX")
echo "fuzz.sh: ${seconds} s per target, scratch ${scratch}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"

for label in "${labels[@]}"; do
  pkg="${label#//}"
  pkg="${pkg%%:*}"
  name="${label##*:}"
  bin="bazel-bin/${pkg}/${name}"
  [ -x "$bin" ] || { echo "fuzz.sh: $bin was not built" >&2; exit 1; }

  # The seed corpus: the source files the target's replay test (<name>_test) gets as data.
  corpus="${scratch}/corpus/${name}"
  artifacts="${scratch}/artifacts/${name}/"
  mkdir -p "$corpus" "$artifacts"
  seeds=0
  while IFS= read -r file; do
    [ -n "$file" ] || continue
    path="${file#//}"
    path="${path/://}"
    path="${path#/}"
    [ -f "$path" ] || continue
    cp "$path" "${corpus}/$(echo "$path" | tr '/' '_')"
    seeds=$((seeds + 1))
  done < <(bazel query --noshow_progress \
    "kind('source file', labels(srcs, kind(filegroup, labels(data, ${label}_test))) + labels(data, ${label}_test))" \
    2>/dev/null)

  log="${scratch}/${name}.log"
  set +e
  # libFuzzer stops itself at -max_total_time; the outer timeout bounds a hang of the process.
  timeout --kill-after=10 $((seconds + timeout_s + 60)) "$bin" \
    -max_total_time="$seconds" -rss_limit_mb="$rss_limit_mb" -timeout="$timeout_s" \
    -print_final_stats=1 -artifact_prefix="$artifacts" ${seed_flag[@]+"${seed_flag[@]}"} \
    "$corpus" >"$log" 2>&1
  rc=$?
  set -e

  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  new=$(sed -n 's/^stat::new_units_added: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  secs=$(sed -n 's/.*Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
  files=$(find "$corpus" -type f | wc -l)
  if [ "$rc" -eq 0 ]; then
    result=OK
  else
    result="FAILED (exit $rc)"
  fi
  echo "fuzz ${label}: ${runs:-?} runs in ${secs:-?} s, cov ${cov:-?} ft ${ft:-?}," \
    "corpus ${files} (${seeds} seeds, ${new:-?} new), ${result}"
  if [ "$rc" -ne 0 ]; then
    echo "---- last lines of ${log}:"
    grep -v '^#[0-9]' "$log" | tail -40
    reproducer=$(find "$artifacts" -type f | head -1)
    echo "----"
    echo "fuzz.sh: ${label} failed; reproducer: ${reproducer:-none written (see ${log})}"
    echo "fuzz.sh: reproduce with: bazel run --config=fuzz ${label} -- ${reproducer:-<input>}"
    exit 1
  fi
done

[ "$keep" -eq 1 ] || rm -rf "$scratch"
echo "fuzz.sh: ${#labels[@]} targets clean in $(($(date +%s) - start)) s"
