#!/usr/bin/env bash
# run-peers.sh - one benchmark session: LMDB's ceiling, bpmnrt's engine_bench and the bpmn-engine
# peer on the same workload files, one after the other on the same machine, then a side-by-side
# table with ratios and targets. Nothing runs in parallel (the machine has 2 cores).
#
#   bench/run-peers.sh [OUT]        # OUT: results directory, default /tmp/bpmnrt-peers-DATE
#
# Order: ceiling #1, engine_bench, ceiling #2, bpmn-engine (REPS rounds over its workloads),
# ceiling #3; medians of the three ceiling runs are the LMDB figures of the session.
#
# Environment (defaults in brackets):
#   REPS [3]              runs of the peer and of lmdb_ceiling, medians reported
#   ENGINE_REPS [5]       runs of engine_bench (cheap; the synced modes are the noisy ones)
#   ENGINE_ARGS ["-s 100000,1000000 -x crb,crs,rs,r"]  further engine_bench options
#   PEER_N [10000]        instances per bpmn-engine run
#   PEER_WORKLOADS ["straight:5000 gateways:5000 usertask timer"]  NAME[:N], N overriding
#                         PEER_N; the run-through workloads go at 60-110/s whatever N, so 5,000
#                         keeps the whole peer part near 15 minutes
#   CEILING_SECS [3]      seconds per commit test of lmdb_ceiling
#   BUILD [/tmp/build-bench]  the CMake build directory
#   NICE [0]              run everything under nice -n NICE
#   SUMMARY_ONLY [unset]  set to 1 to print the table of the results already in OUT
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
peers=$(cd "$root/../shared/peers" && pwd)
out=${1:-/tmp/bpmnrt-peers-$(date +%Y%m%d-%H%M%S)}
REPS=${REPS:-3}
ENGINE_REPS=${ENGINE_REPS:-5}
ENGINE_ARGS=${ENGINE_ARGS:--s 100000,1000000 -x crb,crs,rs,r}
PEER_N=${PEER_N:-10000}
PEER_WORKLOADS=${PEER_WORKLOADS:-"straight:5000 gateways:5000 usertask timer"}
CEILING_SECS=${CEILING_SECS:-3}
BUILD=${BUILD:-/tmp/build-bench}
NICE=${NICE:-0}
mkdir -p "$out"
run() { nice -n "$NICE" "$@"; }
log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

build() {
  log "building engine_bench in $BUILD and lmdb_ceiling in $out"
  cmake -S "$root" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF > "$out/cmake.log"
  cmake --build "$BUILD" --target engine_bench >> "$out/cmake.log" 2>&1 ||
    { tail -20 "$out/cmake.log" >&2; exit 1; }
  gcc -O2 -o "$out/lmdb_ceiling" "$peers/lmdb-ceiling/lmdb_ceiling.c" -llmdb
  if [ ! -d "$peers/bpmn-engine/node_modules" ]; then
    log "npm ci in $peers/bpmn-engine"
    (cd "$peers/bpmn-engine" && npm ci --no-audit --no-fund > /dev/null)
  fi
}

machine() {
  local changed
  changed=$(git -C "$root" diff --name-only HEAD -- bpmn engine stores include | tr '\n' ' ')
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "host: $(uname -srm), $(nproc) cpus, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "memory: $(free -m | awk '/^Mem:/ {print $2}') MiB"
  echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "bpmnrt: $(git -C "$root" rev-parse --short HEAD)${changed:+ + uncommitted changes in: $changed}"
  echo "gcc: $(gcc -dumpfullversion), node: $(node --version)"
  echo "REPS=$REPS ENGINE_REPS=$ENGINE_REPS PEER_N=$PEER_N PEER_WORKLOADS='$PEER_WORKLOADS' ENGINE_ARGS='$ENGINE_ARGS' CEILING_SECS=$CEILING_SECS"
}

ceiling() {
  local scratch
  scratch=$(mktemp -d "${TMPDIR:-/tmp}/lmdb-ceiling.XXXXXX")
  log "lmdb_ceiling run $1"
  run "$out/lmdb_ceiling" "$scratch" "$CEILING_SECS" > "$out/ceiling-$1.txt"
  rm -rf "$scratch"
}

engine() {
  log "engine_bench -r $ENGINE_REPS $ENGINE_ARGS"
  # shellcheck disable=SC2086
  run "$BUILD/bench/engine_bench" -d "$peers/workloads" -r "$ENGINE_REPS" $ENGINE_ARGS \
    > "$out/engine.txt" || log "engine_bench reported failures (see $out/engine.txt)"
}

peer() {
  local r w n spec
  for r in $(seq 1 "$REPS"); do
    for spec in $PEER_WORKLOADS; do
      w=${spec%%:*}
      n=$PEER_N
      [ "$spec" != "$w" ] && n=${spec#*:}
      log "bpmn-engine $w N=$n run $r"
      (cd "$peers/bpmn-engine" &&
        run node bench.js "../workloads/$w.bpmn" "$n" --json) > "$out/peer-$w-$r.json" ||
        log "bpmn-engine $w run $r failed"
    done
  done
}

summary() {
awk '
function median(key,   n, i, j, t, a) {
  n = cnt[key]; if (!n) return -1
  for (i = 1; i <= n; i++) a[i] = val[key, i]
  for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j > 0 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
  return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function add(key, v) { cnt[key]++; val[key, cnt[key]] = v }
function field(line, name,   m) {
  if (match(line, "(^| )" name "=[^ ]*")) { m = substr(line, RSTART, RLENGTH); sub(/^ /, "", m); return substr(m, length(name) + 2) }
  return ""
}
function num(line, name,   v) {
  v = field(line, name)
  return v == "" ? -1 : v + 0
}
function jnum(line, name,   m) {
  if (match(line, "\"" name "\":[-0-9.e+]*")) { m = substr(line, RSTART, RLENGTH); return substr(m, length(name) + 4) + 0 }
  return -1
}
function rate(line, unit,   m) {
  if (match(line, "[0-9]+ +" unit)) { m = substr(line, RSTART, RLENGTH); return m + 0 }
  return -1
}
function fmt(v) { return v < 0 ? "-" : (v >= 100 ? sprintf("%.0f", v) : sprintf("%.1f", v)) }
function pct(v) { return sprintf("%.1f%%", 100 * v) }
FILENAME ~ /ceiling-/ {
  if ($0 ~ /^1 put\/txn, default \(sync\)/) add("c_sync", rate($0, "commits/s"))
  else if ($0 ~ /^1 put\/txn, MDB_NOMETASYNC/) add("c_nometa", rate($0, "commits/s"))
  else if ($0 ~ /^1 put\/txn, MDB_NOSYNC /) add("c_nosync", rate($0, "commits/s"))
  else if ($0 ~ /^raw 4 KiB/) add("c_raw", rate($0, "syncs/s"))
  else if ($0 ~ /^1M puts, 1000\/txn, sync, seq keys  /) add("c_batch_seq", rate($0, "puts/s"))
  else if ($0 ~ /^1M puts, 1000\/txn, sync, random keys/) add("c_batch_rnd", rate($0, "puts/s"))
  next
}
FILENAME ~ /engine.txt/ && /^MEDIAN engine/ {
  k = field($0, "workload") "," field($0, "mode")
  e_ips[k] = num($0, "ips"); e_rss[k] = num($0, "maxrss_kib")
  e_start[k] = num($0, "start_ips"); e_comp[k] = num($0, "complete_ips")
  e_list[k] = num($0, "list_s"); e_probe[k] = num($0, "ops_vs_probe"); e_cpu[k] = num($0, "cpu_us_op")
  next
}
FILENAME ~ /engine.txt/ && /^MEDIAN probe/ { p_cps[field($0, "mode")] = num($0, "cps"); next }
FILENAME ~ /engine.txt/ && /^MEDIAN shaped/ {
  if (!(field($0, "shape") in sh_seen)) { nsh++; sh_name[nsh] = field($0, "shape"); sh_seen[field($0, "shape")] = 1 }
  sh_cps[field($0, "shape") "," field($0, "mode")] = num($0, "cps")
  sh_vs[field($0, "shape") "," field($0, "mode")] = num($0, "vs_plain"); next
}
FILENAME ~ /engine.txt/ && /^RESULT storage/ && !/FAILED/ {
  ns++; s_n[ns] = field($0, "n"); s_grow[ns] = num($0, "grow_b"); s_file[ns] = num($0, "file_after")
  s_rss[ns] = num($0, "rss_kib"); s_anon[ns] = num($0, "rss_anon_kib"); s_ips[ns] = num($0, "start_ips")
  next
}
FILENAME ~ /engine.txt/ && /FAILED/ { failed = failed "\n  " $0; next }
FILENAME ~ /peer-/ {
  w = FILENAME; sub(/.*peer-/, "", w); sub(/-[0-9]+\.json$/, "", w)
  if (jnum($0, "instancesPerSec") < 0) next
  add("p_ips," w, jnum($0, "instancesPerSec")); add("p_rss," w, jnum($0, "peakRssMiB"))
  if (jnum($0, "startPerSec") >= 0) { add("p_start," w, jnum($0, "startPerSec")); add("p_comp," w, jnum($0, "completePerSec")) }
  if (jnum($0, "n") > 0) p_n[w] = jnum($0, "n")
  next
}
END {
  cs = median("c_sync"); cm = median("c_nometa")
  printf "LMDB ceiling (lmdb_ceiling.c, median of %d runs in this session):\n", cnt["c_sync"]
  printf "  raw 4 KiB pwrite+fdatasync      %10s syncs/s\n", fmt(median("c_raw"))
  printf "  1 put/txn, fully synced         %10s commits/s   (engine_bench probe set: %s)\n", fmt(cs), fmt(p_cps["A"] ? p_cps["A"] : -1)
  printf "  1 put/txn, MDB_NOMETASYNC       %10s commits/s   (engine_bench probe set: %s)\n", fmt(cm), fmt(p_cps["B"] ? p_cps["B"] : -1)
  printf "  1 put/txn, MDB_NOSYNC           %10s commits/s\n", fmt(median("c_nosync"))
  printf "  1000 puts/txn, synced, seq keys %10s puts/s\n", fmt(median("c_batch_seq"))
  printf "  1000 puts/txn, synced, random   %10s puts/s\n", fmt(median("c_batch_rnd"))
  for (i = 1; i <= nsh; i++) {
    a = sh_name[i] ",A"; b = sh_name[i] ",B"
    printf "  shaped probe %-4s (probe set)  %10s commits/s synced (%s of plain), %s nometasync (%s)\n", sh_name[i], fmt(a in sh_cps ? sh_cps[a] : -1), (a in sh_vs ? pct(sh_vs[a]) : "-"), fmt(b in sh_cps ? sh_cps[b] : -1), (b in sh_vs ? pct(sh_vs[b]) : "-")
  }
  printf "\n"

  split("straight gateways usertask timer", wl, " ")
  for (i = 1; i <= 4; i++) {
    w = wl[i]; pi = median("p_ips," w)
    printf "%s (bpmn-engine N=%s, %d runs: %s instances/s, peak RSS %s MiB", w, p_n[w] ? p_n[w] : "?", cnt["p_ips," w], fmt(pi), fmt(median("p_rss," w))
    if (w == "usertask") printf "; starts %s/s, completes %s/s", fmt(median("p_start," w)), fmt(median("p_comp," w))
    printf ")\n"
    if (w == "timer") printf "  (completes/s: timer firings/s)\n"
    printf "  %-4s %10s %10s %11s %8s %7s %8s %8s %8s  %s\n", "mode", "inst/s", "starts/s", "completes/s", "RSS MiB", "us/op", "x peer", "vs LMDB", "vs probe", "target"
    for (m = 1; m <= 3; m++) {
      mode = substr("ABC", m, 1); k = w "," mode
      if (!(k in e_ips)) continue
      ips = e_ips[k]; xp = pi > 0 ? ips / pi : -1
      st = e_start[k]; co = e_comp[k]
      # Mode A and B: the slowest operation against LMDB. The verdict uses the probe that took
      # turns with the engine when there is one (same disk weather); lmdb_ceiling ran minutes
      # apart and is shown for reference.
      ceil = mode == "A" ? cs : (mode == "B" ? cm : -1)
      two = w == "usertask" || w == "timer"
      lo = two ? (st < co ? st : co) : ips
      vs = ceil > 0 ? pct(lo / ceil) : "-"; target = ""
      pr = e_probe[k] > 0 ? e_probe[k] : -1
      what = two ? "each op" : "inst/s"
      if (pr > 0) target = sprintf("%s >= 90%% of LMDB (probe): %s", what, pr >= 0.9 ? "met" : "missed")
      else if (ceil > 0) target = sprintf("%s >= 90%% of LMDB (lmdb_ceiling): %s", what, lo >= 0.9 * ceil ? "met" : "missed")
      else if (mode == "C" && !two && pi > 0)
        target = sprintf(">= 1000x peer (%s/s): %s", fmt(1000 * pi), xp >= 1000 ? "met" : "missed")
      printf "  %-4s %10s %10s %11s %8.1f %7.1f %8s %8s %8s  %s\n", mode, fmt(ips), fmt(st), fmt(co), e_rss[k] / 1024, e_cpu[k], (xp < 0 ? "-" : sprintf("%.0fx", xp)), vs, (pr > 0 ? pct(pr) : "-"), target
    }
    if (e_list[w ",C"] > 0) printf "  task list (all open tasks, mode C): %s s\n", e_list[w ",C"]
    printf "\n"
  }
  for (i = 1; i <= ns; i++)
    printf "storage: %s waiting usertask instances: %s bytes each (store file growth; target < 1024: %s), file %.1f MiB, RSS %.1f MiB (anonymous %.1f MiB), started at %s/s\n",
      s_n[i], fmt(s_grow[i]), s_grow[i] < 1024 ? "met" : "missed", s_file[i] / 1048576, s_rss[i] / 1024, s_anon[i] / 1024, fmt(s_ips[i])
  if (failed != "") printf "\nFAILED runs:%s\n", failed
}' "$out"/ceiling-*.txt "$out/engine.txt" "$out"/peer-*.json
}

if [ "${SUMMARY_ONLY:-}" != 1 ]; then
  build
  machine > "$out/machine.txt"
  ceiling 1
  engine
  ceiling 2
  peer
  ceiling 3
  echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/machine.txt"
fi
summary | tee "$out/summary.txt"
echo "(raw results in $out)"
