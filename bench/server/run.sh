#!/usr/bin/env bash
# run.sh [SECONDS] - the server under load on loopback, with wrk: for 1, 8, 64 and 256
# connections, (a) POST start of the one-external-task process, then (b) workers that fetch and
# lock one task and complete it, over and over (every request a durable write: full fsync, group
# commit). Prints requests/s, p50/p99 latency, operations per commit, instances completed per
# second and the backlog of waiting instances left (from /api/health), with the load average.
# A work phase whose backlog reaches 0 ran out of tasks: its completed/s is a lower bound. Needs wrk (Debian package) and a build in ../../build (or BPMNRT_BIN).
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-10}
bin=${BPMNRT_BIN:-../../build/bpmnrt}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 1; }
dir=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
db=$dir/bench.db
echo "bench-password" | "$bin" --db "$db" user add bench --admin
"$bin" --db "$db" serve --http 127.0.0.1:0 --max-connections 600 2>"$dir/log" &
pid=$!
for _ in $(seq 50); do grep -q "serving HTTP" "$dir/log" 2>/dev/null && break; sleep 0.1; done
port=$(grep -o "127.0.0.1:[0-9]*" "$dir/log" | head -1 | cut -d: -f2)
base=http://127.0.0.1:$port
export AUTH="Basic $(printf 'bench:bench-password' | base64)"
curl -sf -H "Authorization: $AUTH" -F "f=@external.bpmn" "$base/engine-rest/deployment/create" >/dev/null
# commits, operations, active and completed instances, from /api/health
stats() {
    curl -s -H "Authorization: $AUTH" "$base/api/health" |
        sed 's/.*"groupCommit":{"commits":\([0-9]*\),"operations":\([0-9]*\)},"instances":{"active":\([0-9]*\),"incident":[0-9]*,"completed":\([0-9]*\).*/\1 \2 \3 \4/'
    echo
}
echo "bpmnrt server bench, $(date -u +%FT%TZ), $(nproc) cores, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-6s %-6s %9s %9s %9s %10s %8s %12s %8s\n" phase conns "req/s" p50 p99 "ops/commit" "non-2xx" "completed/s" backlog
measure() { # measure PHASE CONNS SECONDS
    local phase=$1 c=$2 d=$3 t out rps p50 p99 bad per done_s
    read -r c0 o0 a0 d0 < <(stats)
    t=$(( c < 2 ? c : 2 ))
    out=$(PROCESS=external wrk -t$t -c$c -d${d}s --latency -s $phase.lua "$base" 2>&1)
    read -r c1 o1 a1 d1 < <(stats)
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    p50=$(echo "$out" | awk '$1=="50%" {print $2}')
    p99=$(echo "$out" | awk '$1=="99%" {print $2}')
    bad=$(echo "$out" | awk '/Non-2xx/ {print $5}')
    per=$(awk -v a=$((${o1:-0}-${o0:-0})) -v b=$((${c1:-0}-${c0:-0})) 'BEGIN { printf "%.1f", b ? a/b : 0 }')
    done_s=$(awk -v a=$((${d1:-0}-${d0:-0})) -v s=$d 'BEGIN { printf "%.0f", a/s }')
    printf "%-6s %-6s %9s %9s %9s %10s %8s %12s %8s\n" $phase $c "$rps" "$p50" "$p99" "$per" \
        "${bad:-0}" "$done_s" "${a1:-?}"
}
# A backlog first, so that the work phases do not run out of tasks; then each kind of load.
measure start 64 $((secs * 6))
for c in 1 8 64 256; do measure work $c $secs; done
for c in 1 8 64 256; do measure start $c $secs; done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
