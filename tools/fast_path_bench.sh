#!/bin/bash
# The fast event path's aims, measured in one run with the peers beside them (BENCHMARKS.md,
# "fast event path"). Each section prints one block; pick sections as arguments (default: all).
#
#   bazel build -c opt //eventmesh/runtime //tools/idleconns \
#     //eventmesh/runtime/tcp/bench:tcp_baseline //eventmesh/runtime/http/bench:http_baseline \
#     //eventmesh/runtime/webhook:webhook_throughput \
#     //eventmesh/store/service:store_service_benchmark
#   apt-get install -y libhiredis-dev libmosquitto-dev wrk   # peerbench's libraries; wrk for `http`
#   g++ -std=c++17 -O2 -o /tmp/pb/peerbench ../shared/peerbench/peerbench.cc \
#     -lnats -lhiredis -lmosquitto -lpthread
#   nats-server -a 127.0.0.1 -p 14222 -js -sd /tmp/pbjs &      # for the `peers` section
#   tools/fast_path_bench.sh [peers] [ratio] [paced] [idle] [http] [webhook] [store] [sdk] [instr]
#     [ab]
#
# Sections:
#   peers    max rate, runtime sync none and batch (256 publishes in flight, and batch also with
#            JetStream's 4096), NATS core, JetStream (peerbench, N events, REPS interleaved
#            repetitions); with WARM=1 (the default) each fresh runtime first gets the same run
#            unmeasured for the figures (printed as "-cold"), as nats-server is warm from the
#            script's earlier runs; runtime CPU per event from /proc/<pid>/stat, and per thread name
#            (/proc/<pid>/task: where the CPU goes, which thread saturates); nats-server's CPU
#            per event beside it when nats-server runs on this machine; the load tool's own
#            CPU per event for every system (all share the same cores)
#   ratio    the `none` aim's ratio, read against NATS core's swings on a shared host: one warm
#            runtime (sync none), tcp_baseline (a store-less EventMesh TCP forwarder on
#            BASELINE_THREADS threads, 1: an upper estimate for the protocol) and NATS core alternated PAIRS
#            times (6), each triple's rates and the two servers' CPU per event, then the median
#            ratios runtime/NATS, tcp_baseline/NATS and runtime/tcp_baseline
#   paced    p50/p99 at 10,000/s and 50,000/s (none), 10,000/s (batch), each in a fresh runtime,
#            and NATS core (10,000/s, 50,000/s) and JetStream (10,000/s) at the same rates, in
#            PACED_ROUNDS (3) alternated rounds, then each one's median p99 over the rounds (one
#            run's p99 swings 2-3x on this shared host); the batch runtime's own commit writes
#            during its run (their fsyncs, from its /metrics: per write, and weighted by duration:
#            the write in progress at a random instant), the disk's own fdatasync latency in the
#            same directory before the rounds and after each batch run, and whether two
#            fdatasyncs of one file overlap on this disk (1 and 2 syncing threads); CPU per event
#            of the runtime and of nats-server at those rates
#   idle     IDLE (10,000) idle TCP sessions: the runtime's resident memory
#   http     wrk: a bare Beast responder vs the runtime's single-event publish (code 104 form,
#            CloudEvents binary), sync none, alternated HTTP_ROUNDS (3) times, then the median
#            ratio per workload (rounds with non-2xx answers or a failed wrk give no ratio)
#   webhook  webhook delivery rate to a local endpoint (each push format; in-process endpoint
#            and http_baseline in its own process; the single-event formats also pipelined,
#            32 POSTs in flight, pipelineDepth 8); CPU per event of the webhook_throughput
#            process (it also publishes the events into its embedded store, and runs the
#            in-process endpoint) and of http_baseline
#   store    pipelined appends: store service over loopback vs the embedded engine
#   sdk      events as the C++ SDK publishes them with per-message properties (tools/loadgen:
#            a sequence number and a timestamp each; SUBS subscribers, 1 and 2 by default) at max
#            rate, sync none, 256 in flight (the latency then is loadgen's queue); the runtime's
#            peerbench rate in the same minute beside it (peerbench's events carry no
#            properties); then one subscriber at 10,000/s for the latency
#   instr    the runtime's instructions per event under callgrind (sync none, INSTR_N events
#            after as many unmeasured; valgrind needed; memcpy as in the release binaries, see
#            callgrind_count): a figure this shared host's noise does not move, for comparing
#            builds; the mesh's functions with the most per event; then tcp_baseline's
#            (user-space instructions of the protocol alone) and the ratio
#   ab       two builds of the runtime against each other: RT (A) and RT_B (B, required; e.g. a
#            copy of the runtime binary built before a change), AB_PAIRS (4) alternated pairs of
#            fresh runtimes (sync none), each given one unmeasured run first; per run the rate,
#            peerbench's p50 (a standing queue at saturation shows as a p50 of many ms), the
#            runtime's user and system CPU per event and per thread (only runs with every event
#            delivered once count); then each build's means and the median of the pairs' B/A
#            ratios (above 1: B moves more events, or spends more CPU per event). A goes first in
#            odd pairs, B in even ones. On this shared host one run swings by 20-30 %: read the
#            pairs, not one run (and `instr` with RT= each build for a count without noise).
#            AB_RATE (events/s; default 0 = max rate): the measured runs are paced at that rate
#            (the warm-up stays at max rate), and each run's p99 and the median B/A p99 are
#            printed too: latency of two builds at a fixed rate
# Environment: BIN (bazel-bin), RT (the runtime binary, $BIN/eventmesh/runtime/runtime), RT_B (`ab`), AB_PAIRS (4), AB_RATE (0), PB (peerbench), N (300000), SIZE (256), REPS (3), IDLE (10000), WARM (1),
# WRK_SECONDS (8), PAIRS (6), PACED_ROUNDS (3), HTTP_ROUNDS (3), SUBS ("1 2"), INSTR_N (20000), BASELINE_THREADS (1),
# OUT (scratch directory, /tmp/fastpath), CG_KEEP (`instr`: a directory to keep the callgrind
# outputs in, callgrind.runtime.out and callgrind.tcp_baseline.out; not kept by default).
# `sdk` also needs //tools/loadgen built.
# After each runtime stops, the write stops and slow-downs its embedded store's RocksDB LOG
# recorded are printed (nothing when there were none).
set -u
BIN=${BIN:-bazel-bin}
PB=${PB:-/tmp/pb/peerbench}
N=${N:-300000}
SIZE=${SIZE:-256}
REPS=${REPS:-3}
IDLE=${IDLE:-10000}
WRK_SECONDS=${WRK_SECONDS:-8}
WARM=${WARM:-1}
PAIRS=${PAIRS:-6}
SUBS=${SUBS:-1 2}
OUT=${OUT:-/tmp/fastpath}
CG_KEEP=${CG_KEEP:-}
RT_B=${RT_B:-}
AB_PAIRS=${AB_PAIRS:-4}
AB_RATE=${AB_RATE:-0}
RT=${RT:-$BIN/eventmesh/runtime/runtime}
mkdir -p "$OUT"
sections=("$@")
[ ${#sections[@]} -eq 0 ] && sections=(peers paced idle http webhook store)

RTPID=""
RTDIR=""
ENDPOINT=""  # http_baseline of the webhook section
BASEPID=""   # tcp_baseline of the ratio section
cleanup() {
  [ -n "$ENDPOINT" ] && kill "$ENDPOINT" 2>/dev/null && wait "$ENDPOINT" 2>/dev/null
  ENDPOINT=""
  [ -n "$BASEPID" ] && kill "$BASEPID" 2>/dev/null && wait "$BASEPID" 2>/dev/null
  BASEPID=""
  [ -n "$RTPID" ] && kill -TERM "$RTPID" 2>/dev/null && wait "$RTPID" 2>/dev/null
  # Writes the embedded store's RocksDB stopped or slowed during the run (round 43 found a
  # 140 ms stop in its LOG that no figure showed); nothing is printed when there were none.
  local log="$RTDIR/data/store/LOG" stalls
  if [ -n "$RTDIR" ] && [ -f "$log" ]; then
    stalls=$(grep -cE 'Stopping writes|Stalling writes' "$log" || true)
    if [ "$stalls" -gt 0 ]; then
      printf '%-22s %s write stops or slow-downs in the store'"'"'s RocksDB LOG, the first: %s\n' \
        "" "$stalls" "$(grep -m1 -E 'Stopping writes|Stalling writes' "$log" | sed -E 's/^.*\[db\/[^]]*\] //')"
    fi
  fi
  [ -n "$RTDIR" ] && rm -rf "$RTDIR"
  RTPID=""
  RTDIR=""
}
trap cleanup EXIT

# start_rt SYNC [extra flags...]: a runtime on free ports below the ephemeral range; sets
# RTPID, PORT, HTTP_PORT, ADMIN_PORT, RTDIR. Tries other ports when one is taken.
start_rt() {
  local sync=$1
  shift
  for _ in 1 2 3 4 5; do
    RTDIR=$(mktemp -d "$OUT/rt.XXXXXX")
    PORT=$((20000 + RANDOM % 12000))
    HTTP_PORT=$((PORT + 1))
    ADMIN_PORT=$((PORT + 3))
    "$RT" --port=$PORT --http_port=$HTTP_PORT --admin_port=$ADMIN_PORT --data_dir="$RTDIR/data" \
      --eventMesh.storage.embedded.syncMode="$sync" \
      --eventMesh.server.session.upstreamBufferSize=1000 "$@" >"$RTDIR/log" 2>&1 &
    RTPID=$!
    for _ in $(seq 100); do
      if ! kill -0 $RTPID 2>/dev/null; then break; fi
      # Ready once the admin port (started last) answers too.
      (echo >/dev/tcp/127.0.0.1/$PORT) 2>/dev/null &&
        (echo >/dev/tcp/127.0.0.1/$ADMIN_PORT) 2>/dev/null && return 0
      sleep 0.1
    done
    echo "runtime did not start on $PORT: $(tail -1 "$RTDIR/log")" >&2
    cleanup
  done
  return 1
}

# CPU seconds (user + system) the process has used.
cpu_seconds() {
  awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"
}

# User and system CPU seconds the process has used: "user system".
user_system_seconds() {
  awk -v hz="$(getconf CLK_TCK)" '{print $14 / hz, $15 / hz}' "/proc/$1/stat"
}

# CPU seconds per thread name (threads of one name summed): "name seconds" lines.
thread_cpu_seconds() {
  local t
  for t in /proc/"$1"/task/*; do
    [ -r "$t/stat" ] || continue
    # comm may hold spaces: the fields after the ")" that closes it are what counts.
    echo "$(tr ' ' '_' <"$t/comm") $(sed 's/.*) //' "$t/stat" | cut -d' ' -f12,13)"
  done | awk -v hz="$(getconf CLK_TCK)" '{s[$1] += ($2 + $3) / hz} END {for (n in s) print n, s[n]}'
}

# thread_cpu_report BEFORE AFTER N: each thread name's CPU per event between two
# thread_cpu_seconds snapshots, largest first (names under 0.05 us/event left out).
thread_cpu_report() {
  awk -v n="$3" 'NR == FNR {b[$1] = $2; next} {d = ($2 - b[$1]) * 1e6 / n; if (d >= 0.05) \
    printf "%s %.2f\n", $1, d}' <(echo "$1") <(echo "$2") | sort -k2 -n -r |
    awk '{line = line sprintf("%s%s %s", NR > 1 ? ", " : "", $1, $2)} END {
      printf "%-22s per thread (us/event): %s\n", "", line}'
}

result() {  # result LABEL OUTPUT: the RESULT line of a peerbench run, labelled
  printf '%-22s %s\n' "$1" "$(echo "$2" | grep -E '^RESULT|peerbench:' | tail -1)"
}

# timed_pb LABEL SERVER_NAME SERVER_PID PEERBENCH_ARGS...: one peerbench run, its RESULT line,
# then the server's CPU per event (when SERVER_PID is set) and peerbench's own (user + system,
# from bash's `time`), per event sent; no CPU line when peerbench failed.
timed_pb() {
  local label=$1 server=$2 pid=$3 before after out cpu
  shift 3
  [ -n "$pid" ] && before=$(cpu_seconds "$pid")
  cpu=$({ TIMEFORMAT='%U %S'; time timeout 300 "$PB" "$@" >"$OUT/pb.out" 2>&1; } 2>&1)
  out=$(cat "$OUT/pb.out")
  result "$label" "$out"
  echo "$out" | grep -q '^RESULT' || return 0  # it failed: nothing to count per event
  [ -n "$pid" ] && after=$(cpu_seconds "$pid")
  echo "$cpu" | awk -v server="$server" -v a="${after:-}" -v b="${before:-}" -v n="$N" '{
    printf "%-22s ", ""
    if (a != "") printf "%s CPU %.2f us/event, ", server, (a - b) * 1e6 / n
    printf "peerbench CPU %.2f us/event\n", ($1 + $2) * 1e6 / n }'
}

peers() {
  echo "== peers: $N x $SIZE B at max rate, $REPS interleaved repetitions"
  for rep in $(seq "$REPS"); do
    # sync:window. peerbench keeps 256 EventMesh publishes in flight by default and 4096
    # JetStream ones; batch:4096 gives the runtime JetStream's window (a group commit's fsync
    # takes milliseconds, so 256 in flight bound the rate by the window, not by the runtime).
    for spec in none:256 batch:256 batch:4096; do
      local sync=${spec%%:*} window=${spec##*:} label
      label="runtime-$sync"
      [ "$window" != 256 ] && label="runtime-$sync-w$window"
      start_rt $sync --eventMesh.server.session.upstreamBufferSize=$((window > 1000 ? window : 1000)) ||
        return 1
      local threads_before threads_after
      if [ "$WARM" = 1 ]; then
        # The same load once before, on the same process: nats-server runs throughout the
        # script, warm, while each runtime starts fresh; the first N events grow its heap by
        # the memtables' size (the kernel zeroing fresh pages), once per process.
        timed_pb "$label-cold" runtime $RTPID eventmesh --port $PORT --n "$N" --size "$SIZE" \
          --window "$window" --timeout 120
      fi
      threads_before=$(thread_cpu_seconds $RTPID)
      timed_pb "$label" runtime $RTPID eventmesh --port $PORT --n "$N" --size "$SIZE" \
        --window "$window" --timeout 120
      threads_after=$(thread_cpu_seconds $RTPID)
      thread_cpu_report "$threads_before" "$threads_after" "$N"
      cleanup
    done
    for b in nats js; do
      timed_pb "$b" nats-server "$(pgrep -n -x nats-server)" $b --n "$N" --size "$SIZE" --timeout 120
    done
  done
}

# msgs_s of a peerbench run (0 when it failed).
pb_rate() {
  timeout 300 "$PB" "$@" 2>&1 | grep '^RESULT' | grep -o 'msgs_s=[0-9]*' | head -1 | cut -d= -f2 |
    grep . || echo 0
}

# median_line LABEL VALUES...: "median LABEL M over K pairs (min, max)" of the values given.
median_line() {
  local label=$1
  shift
  [ $# -gt 0 ] && printf '%s\n' "$@" | sort -n |
    awk -v label="$label" '{v[NR] = $1} END {m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      printf "median %-20s %.2fx over %d pairs (min %.2f, max %.2f)\n", label, m, NR, v[1], v[NR]}'
}

ratio() {
  echo "== ratio: runtime (none, warm), tcp_baseline (the protocol without a store) and NATS core,"
  echo "   $N x $SIZE B at max rate, $PAIRS alternated triples; CPU per event of each server"
  start_rt none || return 1
  pb_rate eventmesh --port $PORT --n "$N" --size "$SIZE" --timeout 120 >/dev/null  # warm-up
  # The store-less EventMesh TCP forwarder: four frames per event and nothing else.
  local base_port=$((PORT + 2))
  if [ -x "$BIN/eventmesh/runtime/tcp/bench/tcp_baseline" ]; then
    "$BIN/eventmesh/runtime/tcp/bench/tcp_baseline" $base_port "${BASELINE_THREADS:-1}" \
      >"$OUT/tcp_baseline.log" 2>&1 &
    BASEPID=$!
    sleep 0.3
    if kill -0 $BASEPID 2>/dev/null; then
      pb_rate eventmesh --port $base_port --n "$N" --size "$SIZE" --timeout 120 >/dev/null  # warm-up
    else
      echo "tcp_baseline did not start: $(cat "$OUT/tcp_baseline.log")"
      BASEPID=""
    fi
  else
    echo "tcp_baseline not built (//eventmesh/runtime/tcp/bench:tcp_baseline): runtime and NATS only"
  fi
  local i rt base nats rt_cpu base_cpu b a rt_nats=() base_nats=() rt_base=()
  ratio_of() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'; }
  for i in $(seq "$PAIRS"); do
    b=$(cpu_seconds $RTPID)
    rt=$(pb_rate eventmesh --port $PORT --n "$N" --size "$SIZE" --timeout 120)
    a=$(cpu_seconds $RTPID)
    rt_cpu=$(awk -v a="$a" -v b="$b" -v n="$N" 'BEGIN {printf "%.2f", (a - b) * 1e6 / n}')
    base=0
    base_cpu=-
    if [ -n "$BASEPID" ]; then
      b=$(cpu_seconds $BASEPID)
      base=$(pb_rate eventmesh --port $base_port --n "$N" --size "$SIZE" --timeout 120)
      a=$(cpu_seconds $BASEPID)
      base_cpu=$(awk -v a="$a" -v b="$b" -v n="$N" 'BEGIN {printf "%.2f", (a - b) * 1e6 / n}')
    fi
    nats=$(pb_rate nats --n "$N" --size "$SIZE" --timeout 120)
    printf 'pair %-3d runtime %7d (%s us)  tcp_baseline %7d (%s us)  NATS core %7d events/s\n' \
      "$i" "$rt" "$rt_cpu" "$base" "$base_cpu" "$nats"
    [ "$nats" -gt 0 ] || echo "pair $i: NATS core run failed (is nats-server listening on 14222?)"
    # A ratio only from runs that both served.
    [ "$rt" -gt 0 ] && [ "$nats" -gt 0 ] && rt_nats+=("$(ratio_of "$rt" "$nats")")
    [ "$base" -gt 0 ] && [ "$nats" -gt 0 ] && base_nats+=("$(ratio_of "$base" "$nats")")
    [ "$rt" -gt 0 ] && [ "$base" -gt 0 ] && rt_base+=("$(ratio_of "$rt" "$base")")
  done
  median_line "runtime/NATS" "${rt_nats[@]}"
  median_line "tcp_baseline/NATS" "${base_nats[@]}"
  median_line "runtime/tcp_baseline" "${rt_base[@]}"
  cleanup
}

sdk() {
  local loadgen=$BIN/tools/loadgen/loadgen subs out before after n
  echo "== sdk: C++ SDK events with per-message properties (tools/loadgen), sync none, max rate"
  for subs in $SUBS; do
    start_rt none || return 1
    before=$(cpu_seconds $RTPID)
    out=$("$loadgen" --port=$PORT --subscribers="$subs" --max_in_flight=256 --duration=5s \
      --warmup=2s --drain=10s 2>&1)
    after=$(cpu_seconds $RTPID)
    n=$(echo "$out" | awk '/^delivered/ {print $2}')
    printf '%-22s %s\n' "loadgen-$subs-sub" "$(echo "$out" | grep -E '^delivered')"
    printf '%-22s %s\n' "" "$(echo "$out" | grep -E '^lost|^latency' | tr -s ' ' | paste -sd ';')"
    [ -n "$n" ] && [ "$n" -gt 0 ] && awk -v a="$after" -v b="$before" -v n="$n" \
      'BEGIN{printf "%-22s runtime CPU %.2f us per delivered event (warm-up included)\n", "", (a - b) * 1e6 / n}'
    printf '%-22s %s events/s\n' "peerbench (same runtime)" \
      "$(pb_rate eventmesh --port $PORT --n "$N" --size "$SIZE" --timeout 120)"
    cleanup
  done
  start_rt none || return 1
  out=$("$loadgen" --port=$PORT --rate=10000 --max_in_flight=256 --duration=5s --warmup=1s \
    --drain=10s 2>&1)
  printf '%-22s %s\n' "loadgen@10000" "$(echo "$out" | grep -E '^latency' | tr -s ' ')"
  printf '%-22s %s\n' "" "$(echo "$out" | grep -E '^lost' | tr -s ' ')"
  cleanup
}

# fdatasync latency of 4 KiB appends in directory $1 for $2 seconds (a 0.5 ms pause between
# calls): p50 / p99 / max in microseconds, labelled $3.
fsync_latency() {
  python3 - "$1" "$2" "$3" <<'PY'
import os, sys, time
path = os.path.join(sys.argv[1], "fsync-probe-%d" % os.getpid())
fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
block = b"x" * 4096
samples = []
end = time.time() + float(sys.argv[2])
while time.time() < end:
    os.write(fd, block)
    t = time.perf_counter()
    os.fdatasync(fd)
    samples.append((time.perf_counter() - t) * 1e6)
    time.sleep(0.0005)
os.close(fd)
os.unlink(path)
samples.sort()
# Weighted by duration: the sync in progress at a random instant (what an event that arrives at a
# random time waits behind), where the plain percentiles count syncs.
total, running, weighted_p99 = sum(samples), 0.0, samples[-1]
for s in samples:
    running += s
    if running >= 0.99 * total:
        weighted_p99 = s
        break
print("%-22s fdatasync of 4 KiB appends: n=%d p50 %.0f us, p99 %.0f us, max %.0f us; "
      "duration-weighted p99 %.0f us" %
      (sys.argv[3], len(samples), samples[len(samples) // 2],
       samples[int(len(samples) * 0.99)], samples[-1], weighted_p99))
PY
}

# Whether two fdatasyncs of one file overlap on this disk: 1, then 2 threads, each writing 4 KiB
# into a preallocated file and syncing it in a loop for $2 seconds in directory $1 (as two commit
# groups of one write-ahead log would): the syncs per second and the p50 / p99 per sync. When the
# second thread adds few syncs per second and doubles each one's time, the syncs run one after
# another, and an event that arrives during a sync waits for it and then for its own.
fsync_overlap() {
  python3 - "$1" "$2" <<'PY'
import os, sys, threading, time
path = os.path.join(sys.argv[1], "fsync-overlap-%d" % os.getpid())
fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
os.write(fd, b"\0" * (16 << 20))
os.fsync(fd)
lock, offset = threading.Lock(), [0]
def loop(samples, stop):
    while not stop[0]:
        with lock:
            at = offset[0]
            offset[0] = (at + 4096) % (16 << 20)
        os.pwrite(fd, b"x" * 4096, at)
        t = time.perf_counter()
        os.fdatasync(fd)
        samples.append((time.perf_counter() - t) * 1e6)
for threads in (1, 2):
    stop, samples = [False], [[] for _ in range(threads)]
    workers = [threading.Thread(target=loop, args=(samples[i], stop)) for i in range(threads)]
    for w in workers: w.start()
    time.sleep(float(sys.argv[2]))
    stop[0] = True
    for w in workers: w.join()
    all_samples = sorted(sum(samples, []))
    n = len(all_samples)
    if n == 0:
        print("%-22s %d thread(s): no sync completed" % ("fdatasync overlap", threads))
        continue
    print("%-22s %d thread(s): %.0f syncs/s, per sync p50 %.0f us, p99 %.0f us" % (
        "fdatasync overlap", threads, n / float(sys.argv[2]), all_samples[n // 2],
        all_samples[min(n - 1, int(n * 0.99))]))
os.close(fd)
os.unlink(path)
PY
}

# commit_writes: the running runtime's own commit writes (eventmesh_store_commit_write_seconds on
# its admin port: each a group of appends and its fsync), count, mean and the bucket bounds that
# hold the p50 and the p99; the fsyncs its events actually waited for.
commit_writes() {
  curl -s --max-time 5 "http://127.0.0.1:$ADMIN_PORT/metrics" |
    awk '/^eventmesh_store_commit_write_seconds_bucket/ {
           match($0, /le="[^"]*"/); le = substr($0, RSTART + 4, RLENGTH - 5)
           n++; bound[n] = le; cum[n] = $NF }
         /^eventmesh_store_commit_write_seconds_sum/ {sum = $NF}
         /^eventmesh_store_commit_write_seconds_count/ {count = $NF}
         function at(q,   i) { for (i = 1; i <= n; i++) if (cum[i] >= q * count) return bound[i]; return "?" }
         # Weighted by duration (each bucket counted at its upper bound): the write in progress
         # at a random instant, as the fsync an event arriving then waits behind.
         function weighted(q,   i, w, total, run) {
           for (i = 1; i <= n; i++) { w[i] = (cum[i] - (i > 1 ? cum[i - 1] : 0)) * (bound[i] == "+Inf" ? 2 * bound[i - 1] : bound[i]); total += w[i] }
           for (i = 1; i <= n; i++) { run += w[i]; if (run >= q * total) return bound[i] }
           return "?" }
         function us(b) { return b == "+Inf" ? b : sprintf("%.0f", b * 1e6) }
         END { if (count > 0) printf "%-22s its commit writes: n=%d, mean %.0f us, p50 <= %s us, p99 <= %s us; duration-weighted p99 <= %s us\n",
                 "", count, sum / count * 1e6, us(at(0.5)), us(at(0.99)), us(weighted(0.99)) }'
}

# p99_of OUTPUT: the p99 in ms of a clean peerbench run (RESULT with lost=0 and a p99 of at
# least 0); "" otherwise (it failed, lost events or received nothing), so it counts in no median.
p99_of() {
  echo "$1" | grep -E '^RESULT.* lost=0 ' | tail -1 | grep -o 'p99_us=-\?[0-9.]*' | cut -d= -f2 |
    awk '$1 >= 0 {printf "%.2f", $1 / 1000}'
}

paced() {
  local rounds=${PACED_ROUNDS:-3}
  echo "== paced: latency at fixed rates (5 s each), $rounds alternated rounds"
  fsync_latency "$OUT" 3 "disk-idle"
  fsync_overlap "$OUT" 2
  # nats-server's own CPU per event beside the runtime's, when it runs on this machine.
  local nats_pid
  nats_pid=$(pgrep -n -x nats-server)
  nats_cpu() {  # nats_cpu BEFORE N: nats-server's CPU per event since BEFORE
    [ -n "$nats_pid" ] && awk -v a="$(cpu_seconds "$nats_pid")" -v b="$1" -v n="$2" \
      'BEGIN {printf "%-22s nats-server CPU %.2f us/event\n", "", (a - b) * 1e6 / n}'
  }
  local p99s="$OUT/paced-p99.txt" out
  : >"$p99s"
  for round in $(seq "$rounds"); do
    echo "-- round $round"
    # Each runtime configuration in a fresh runtime (its first run: no warm-up), then the
    # peers at the same rates, so every round compares runs minutes apart on this shared host.
    for spec in none:10000 none:50000 batch:10000; do
      local sync=${spec%%:*} rate=${spec##*:}
      start_rt "$sync" || return 1
      local before after
      before=$(cpu_seconds $RTPID)
      out=$(timeout 120 "$PB" eventmesh --port $PORT --n $((rate * 5)) --size "$SIZE" \
        --rate "$rate" 2>&1)
      result "runtime-$sync@$rate" "$out"
      echo "runtime-$sync@$rate $(p99_of "$out")" >>"$p99s"
      after=$(cpu_seconds $RTPID)
      awk -v a="$after" -v b="$before" -v n=$((rate * 5)) \
        'BEGIN {printf "%-22s runtime CPU %.2f us/event\n", "", (a - b) * 1e6 / n}'
      if [ "$sync" = batch ]; then
        # The disk's fsyncs during the run, as the runtime's events waited for them (the aim
        # compares with them); then the disk alone, right after. No probe syncs beside the
        # measured run: a second process syncing on the same disk slows both.
        commit_writes
        fsync_latency "$OUT" 3 "disk-after-batch"
      fi
      cleanup
    done
    local nb=0
    for rate in 10000 50000; do
      [ -n "$nats_pid" ] && nb=$(cpu_seconds "$nats_pid")
      out=$(timeout 120 "$PB" nats --n $((rate * 5)) --size "$SIZE" --rate "$rate" 2>&1)
      result "nats@$rate" "$out"
      echo "nats@$rate $(p99_of "$out")" >>"$p99s"
      nats_cpu "$nb" $((rate * 5))
    done
    [ -n "$nats_pid" ] && nb=$(cpu_seconds "$nats_pid")
    out=$(timeout 120 "$PB" js --n 50000 --size "$SIZE" --rate 10000 2>&1)
    result "js@10000" "$out"
    echo "js@10000 $(p99_of "$out")" >>"$p99s"
    nats_cpu "$nb" 50000
  done
  echo "-- p99 over the rounds (ms; median, then every round's)"
  median_by_key "$p99s"
}

idle() {
  echo "== idle: $IDLE idle TCP sessions"
  start_rt batch --eventMesh.server.tcp.maxConnectionsPerAddress=$((IDLE + 100)) || return 1
  sleep 1
  "$BIN/tools/idleconns/idleconns" --port=$PORT --connections="$IDLE" --runtime_pid=$RTPID \
    --hold=5s --source_addresses=8
  cleanup
}

# wrk_rate PORT WORKLOAD: one wrk run of a publish workload against 127.0.0.1:PORT: its
# requests per second, then " (N non-2xx)" when some answers were not 2xx; "0" when wrk failed.
wrk_rate() {
  local path=/
  [ "$2" = ce_binary ] && path=/eventmesh/publish/bench
  wrk -t2 -c64 -d"${WRK_SECONDS}s" -s "eventmesh/runtime/http/bench/$2.lua" \
    "http://127.0.0.1:$1$path" |
    awk '/Requests\/sec/ {r = $2} /Non-2xx/ {bad = $NF}
         END {printf "%s%s", (r != "" ? r : 0), (bad != "" ? " (" bad " non-2xx)" : "")}'
}

# median_by_key FILE: per first field, the median of the second, then every value ("KEY median M
# (V...)"); a key with no values (every run failed) is not printed.
median_by_key() {
  awk '$2 != "" {v[$1] = v[$1] " " $2} END {
         for (k in v) {
           m = split(substr(v[k], 2), a, " ")
           for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] + 0 < a[i] + 0) {
             t = a[i]; a[i] = a[j]; a[j] = t
           }
           med = (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
           printf "%-22s median %.2f  (%s)\n", k, med, substr(v[k], 2)
         }
       }' "$1" | sort
}

http() {
  local rounds=${HTTP_ROUNDS:-3}
  echo "== http: wrk -t2 -c64 -d${WRK_SECONDS}s, single-event publish, sync none; the bare Beast"
  echo "   responder and the runtime alternated, $rounds rounds"
  "$BIN/eventmesh/runtime/http/bench/http_baseline" 10199 2 >/dev/null 2>&1 &
  ENDPOINT=$!  # stopped by cleanup
  for _ in $(seq 50); do (echo >/dev/tcp/127.0.0.1/10199) 2>/dev/null && break; sleep 0.1; done
  start_rt none --eventMesh.server.http.workerThreads=2 || { cleanup; return 1; }
  local ratios="$OUT/http-ratios.txt" round s b r
  : >"$ratios"
  for round in $(seq "$rounds"); do
    for s in code104_form ce_binary; do
      b=$(wrk_rate 10199 $s)
      r=$(wrk_rate "$HTTP_PORT" $s)
      printf '%-22s baseline %s, runtime %s (req/s)\n' "$round-$s" "$b" "$r"
      # A ratio only from clean runs: non-2xx answers or a failed wrk make a rate meaningless.
      case "$b$r" in
        *non-2xx*) echo "$round-$s: non-2xx answers, no ratio" ;;
        *) awk -v s="$s" -v b="${b%% *}" -v r="${r%% *}" \
             'BEGIN {if (b > 0 && r > 0) printf "%s %.2f\n", s, r / b}' >>"$ratios" ;;
      esac
    done
  done
  echo "-- runtime / baseline over the rounds (median, then every round's)"
  median_by_key "$ratios"
  cleanup
}

webhook() {
  echo "== webhook: delivery of 200,000 events to a local endpoint (in-process, and the bare"
  echo "   Beast responder in its own process)"
  local port=$((20000 + RANDOM % 12000))
  "$BIN/eventmesh/runtime/http/bench/http_baseline" $port 1 >/dev/null 2>&1 &
  ENDPOINT=$!
  for _ in $(seq 50); do (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
  for f in eventmesh cloudevents-binary cloudevents-batch eventmesh:pipelined \
    cloudevents-binary:pipelined; do
    local flags="--concurrency=8"
    [ "${f#*:}" = pipelined ] && flags="--concurrency=32 --pipeline_depth=8"
    for url in "" "http://127.0.0.1:$port/hook"; do
      printf '%-30s ' "$f"
      local e0 e1 cpu
      e0=$(cpu_seconds "$ENDPOINT")
      # bash's own `time`: the webhook process's user + system seconds.
      cpu=$({ TIMEFORMAT='%U %S'; time "$BIN/eventmesh/runtime/webhook/webhook_throughput" \
        --events=200000 --format=${f%%:*} $flags ${url:+--url=$url} >"$OUT/webhook.out" 2>&1; } 2>&1)
      e1=$(cpu_seconds "$ENDPOINT")
      tail -1 "$OUT/webhook.out"
      echo "$cpu $e0 $e1" | awk -v separate="$url" '{
        printf "%-30s webhook process CPU %.1f us/event", "", ($1 + $2) * 1e6 / 200000
        if (separate != "") printf ", endpoint %.1f us/event", ($4 - $3) * 1e6 / 200000
        printf "\n" }'
    done
  done
  cleanup
}

# callgrind_count LABEL N COMMAND...: starts COMMAND (a server taking EventMesh TCP on $PORT)
# under callgrind, runs N events through it unmeasured, then N counted; sets COUNTED to the
# instructions per event (empty on failure) and CG_OUT to the callgrind output.
callgrind_count() {
  local label=$1 n=$2
  shift 2
  COUNTED=""
  CG_OUT="$RTDIR/callgrind.$label.out"
  # Instrumented only for the measured run; the first run warms the server as in `peers`.
  # Copies as outside valgrind: on an AMD CPU with a glibc older than 2.40 the servers restart
  # themselves with glibc's rep-movsb threshold raised (common/release_tuning.h). Under valgrind
  # that restart is switched off (it would leave valgrind), so the setting is given to them
  # directly, added to the caller's GLIBC_TUNABLES unless those name the threshold already (as the
  # release tuning does). Without it every copy over 4 KiB (RocksDB's copies of a write batch into
  # its log and memtable) runs as `rep movsb`, which valgrind counts as one instruction per byte.
  local tunables=${GLIBC_TUNABLES:-}
  if [[ "$tunables" != *x86_rep_movsb_threshold* ]] && grep -qm1 'AuthenticAMD' /proc/cpuinfo &&
    getconf GNU_LIBC_VERSION |
    awk '{split($2, v, "."); exit !(v[1] < 2 || (v[1] == 2 && v[2] < 40))}'; then
    tunables="${tunables:+$tunables:}glibc.cpu.x86_rep_movsb_threshold=4294967296"
  fi
  GLIBC_TUNABLES="$tunables" EVENTMESH_GLIBC_COPY_TUNING=off valgrind --tool=callgrind \
    --instr-atstart=no --callgrind-out-file="$CG_OUT" "$@" >"$RTDIR/$label.log" 2>&1 &
  RTPID=$!
  local up=0
  for _ in $(seq 600); do
    kill -0 $RTPID 2>/dev/null || break
    (echo >/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && up=1 && break
    sleep 0.1
  done
  if [ $up = 0 ]; then
    echo "$label did not start under valgrind: $(tail -1 "$RTDIR/$label.log")"
    kill -9 $RTPID 2>/dev/null
    RTPID=""
    return 1
  fi
  result "$label warm" "$(timeout 600 "$PB" eventmesh --port $PORT --n "$n" --size "$SIZE" --timeout 300 2>&1)"
  if ! callgrind_control -i on $RTPID >/dev/null 2>&1; then
    echo "callgrind_control could not switch the counting on: no figure for $label"
    kill -9 $RTPID 2>/dev/null
    RTPID=""
    return 1
  fi
  local out
  out=$(timeout 600 "$PB" eventmesh --port $PORT --n "$n" --size "$SIZE" --timeout 300 2>&1)
  result "$label measured" "$out"
  callgrind_control -i off $RTPID >/dev/null 2>&1
  # The counts are dumped now (to "$CG_OUT.1"; counting was off before the measured run), so
  # they do not depend on how the server exits.
  callgrind_control -d $RTPID >/dev/null 2>&1
  for _ in $(seq 100); do [ -s "$CG_OUT.1" ] && break; sleep 0.1; done
  # SIGTERM: the runtime stops gracefully on it; tcp_baseline, which runs until killed, dies of
  # it (a background job of a script ignores SIGINT).
  kill -TERM $RTPID 2>/dev/null
  for _ in $(seq 300); do kill -0 $RTPID 2>/dev/null || break; sleep 0.1; done
  kill -9 $RTPID 2>/dev/null
  wait $RTPID 2>/dev/null
  RTPID=""
  if ! echo "$out" | grep -q '^RESULT.* lost=0 '; then
    echo "the measured run of $label failed or lost events: no figure"
    return 1
  fi
  CG_OUT="$CG_OUT.1"
  # CG_KEEP: a directory to keep the counts in, for callgrind_annotate by hand.
  [ -n "$CG_KEEP" ] && mkdir -p "$CG_KEEP" && cp "$CG_OUT" "$CG_KEEP/callgrind.$label.out"
  COUNTED=$(callgrind_annotate "$CG_OUT" 2>/dev/null | awk -v n="$n" '/PROGRAM TOTALS/ {
    gsub(",", "", $1); printf "%.0f", $1 / n }')
  if [ -z "$COUNTED" ]; then
    echo "callgrind wrote no totals for $label ($CG_OUT): no figure"
    return 1
  fi
}

instr() {
  echo "== instr: instructions per event (callgrind: counted, not timed), the runtime and tcp_baseline"
  if ! command -v valgrind >/dev/null || ! command -v callgrind_control >/dev/null; then
    echo "valgrind is not installed (apt-get install -y valgrind): skipped"
    return 0
  fi
  local n=${INSTR_N:-20000} runtime_count
  RTDIR=$(mktemp -d "$OUT/rt.XXXXXX")
  PORT=$((20000 + RANDOM % 12000))
  if ! callgrind_count runtime "$n" "$RT" --port=$PORT --http_port=$((PORT + 1)) \
    --data_dir="$RTDIR/data" --eventMesh.storage.embedded.syncMode=none \
    --eventMesh.server.session.upstreamBufferSize=1000; then
    cleanup
    return 1
  fi
  runtime_count=$COUNTED
  printf '%-22s %s instructions per event (%d events)\n' runtime "$runtime_count" "$n"
  # Where they go: the mesh's own functions with the most (inclusive) instructions per event.
  # callgrind_annotate's lines: "<count> (<percent>)  <file>:<function> [<object>]".
  callgrind_annotate --inclusive=yes "$CG_OUT" 2>/dev/null |
    sed -E 's/^ *([0-9,]+) +\( *[0-9.]+%\) +/\1 /' | grep -E '^[0-9,]+ [^ ]*:eventmesh::' |
    grep -v 'std::_Function_handler' | head -12 | awk -v n="$n" '{c = $1; gsub(",", "", c)
      f = $2; sub(/^[^:]*:/, "", f); sub(/\(.*/, "", f); printf "%-22s %6.0f  %s\n", "", c / n, f}'
  # The protocol alone: the store-less forwarder, single-threaded, through the same load.
  local base="$BIN/eventmesh/runtime/tcp/bench/tcp_baseline"
  if [ ! -x "$base" ]; then
    echo "tcp_baseline not built (//eventmesh/runtime/tcp/bench:tcp_baseline): runtime only"
  elif callgrind_count tcp_baseline "$n" "$base" $PORT 1; then
    printf '%-22s %s instructions per event; runtime/tcp_baseline %s\n' tcp_baseline "$COUNTED" \
      "$(awk -v a="$runtime_count" -v b="$COUNTED" 'BEGIN {printf "%.2fx", a / b}')"
  fi
  cleanup
}

ab() {
  if [ -z "$RT_B" ] || [ ! -x "$RT_B" ]; then
    echo "ab needs RT_B=<another runtime binary> (RT_B='$RT_B')" >&2
    return 1
  fi
  echo "== ab: A $RT"
  echo "   against B $RT_B"
  local pace="max rate"
  local -a rate_args=()
  if [ "$AB_RATE" -gt 0 ]; then
    pace="$AB_RATE events/s"
    rate_args=(--rate "$AB_RATE")
  fi
  echo "   $N x $SIZE B at $pace, sync none, $AB_PAIRS alternated pairs of fresh warm runtimes"
  local rt_a=$RT i which order result before after threads_before threads_after line
  local -a runs=()
  for i in $(seq "$AB_PAIRS"); do
    # A first in odd pairs, B first in even ones: a drift within a pair favours neither.
    order="A B"
    [ $((i % 2)) -eq 0 ] && order="B A"
    for which in $order; do
      if [ "$which" = A ]; then RT=$rt_a; else RT=$RT_B; fi
      if ! start_rt none; then
        echo "pair $i $which: the runtime did not start; the pairs so far:"
        break 2
      fi
      if [ "$(pb_rate eventmesh --port $PORT --n "$N" --size "$SIZE" --timeout 120)" -eq 0 ]; then
        echo "pair $i $which: the warm-up run failed"
        cleanup
        continue
      fi
      before=$(user_system_seconds $RTPID)
      threads_before=$(thread_cpu_seconds $RTPID)
      # Only a clean run counts: every event delivered once, nothing timed out.
      result=$(timeout 300 "$PB" eventmesh --port $PORT --n "$N" --size "$SIZE" --timeout 120 \
        "${rate_args[@]}" 2>&1 | grep '^RESULT' | grep ' lost=0 dup=0 ' | grep ' timeout=0 ')
      after=$(user_system_seconds $RTPID)
      threads_after=$(thread_cpu_seconds $RTPID)
      if [ -z "$result" ]; then
        echo "pair $i $which: peerbench failed or lost events (not counted)"
      else
        # "pair A|B rate p50_ms user_us system_us p99_ms" per run, for the summary.
        line=$(echo "$result $before $after" | awk -v i="$i" -v w="$which" -v n="$N" '{
          for (f = 1; f <= NF; ++f) {
            if ($f ~ /^msgs_s=/) { split($f, kv, "="); rate = kv[2] }
            if ($f ~ /^p50_us=/) { split($f, kv, "="); p50 = kv[2] / 1000 }
            if ($f ~ /^p99_us=/) { split($f, kv, "="); p99 = kv[2] / 1000 }
          }
          printf "%d %s %d %.2f %.2f %.2f %.3f", i, w, rate, p50, ($(NF - 1) - $(NF - 3)) * 1e6 / n,
            ($NF - $(NF - 2)) * 1e6 / n, p99 }')
        runs+=("$line")
        echo "$line" | awk '{printf "pair %-3d %s %7d events/s  p50 %6.2f ms  p99 %7.2f ms  " \
          "CPU %.2f user + %.2f system = %.2f us/event\n", $1, $2, $3, $4, $7, $5, $6, $5 + $6}'
        thread_cpu_report "$threads_before" "$threads_after" "$N"
      fi
      cleanup
    done
  done
  RT=$rt_a
  if [ ${#runs[@]} -eq 0 ]; then
    echo "no clean run: nothing to compare"
    return 1
  fi
  printf '%s\n' "${runs[@]}" | awk '
    {n[$2]++; rate[$2] += $3; cpu[$2] += $5 + $6; user[$2] += $5}
    END {for (w in n) printf "%s mean %.0f events/s, %.2f us/event (user %.2f) over %d runs\n",
      w, rate[w] / n[w], cpu[w] / n[w], user[w] / n[w], n[w]}' | sort
  # Each pair's B/A, from pairs whose two runs were both clean (above 1: B moves more events,
  # or spends more CPU per event).
  local -a rate_ratios=() cpu_ratios=() p99_ratios=()
  while read -r rate_ratio cpu_ratio p99_ratio; do
    rate_ratios+=("$rate_ratio")
    cpu_ratios+=("$cpu_ratio")
    p99_ratios+=("$p99_ratio")
  done < <(printf '%s\n' "${runs[@]}" | awk '
    {rate[$1, $2] = $3; cpu[$1, $2] = $5 + $6; p99[$1, $2] = $7; pairs[$1] = 1}
    END {for (i in pairs) if ((i, "A") in rate && (i, "B") in rate && rate[i, "A"] > 0 &&
      cpu[i, "A"] > 0) printf "%.3f %.3f %.3f\n", rate[i, "B"] / rate[i, "A"],
      cpu[i, "B"] / cpu[i, "A"], (p99[i, "A"] > 0 ? p99[i, "B"] / p99[i, "A"] : 0)}')
  if [ ${#rate_ratios[@]} -gt 0 ]; then
    median_line "B/A rate" "${rate_ratios[@]}"
    median_line "B/A CPU per event" "${cpu_ratios[@]}"
    # At a fixed rate the rates match; the latency is what differs.
    [ "$AB_RATE" -gt 0 ] && median_line "B/A p99" "${p99_ratios[@]}"
  else
    echo "no pair with two clean runs: no ratio"
  fi
}

store() {
  echo "== store: pipelined appends, service over loopback vs embedded"
  "$BIN/eventmesh/store/service/store_service_benchmark" --syncs=none,batch --batches=1,16 \
    --duration_ms=2000 --warmup_ms=300 --dir="$OUT" 2>&1 | grep -v '^$'
}

echo "fast_path_bench $(date -u +%FT%TZ) on $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for s in "${sections[@]}"; do
  case $s in
    peers | ratio | paced | idle | http | webhook | store | sdk | instr | ab) $s ;;
    *) echo "unknown section $s" >&2; exit 2 ;;
  esac
done
