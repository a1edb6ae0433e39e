#!/usr/bin/env bash
# run.sh [N] [RUNS] - how fast the web app's pages answer on a store of N instances (default
# 100,000): fills a store with fill.c (sales-deal deals, in batches through the public API),
# deploys the other samples, serves it, and times every API call each page makes with curl,
# RUNS times each (default 7, after one untimed warm-up call), printing the median in ms and
# whether it is under 200 ms; then each page's calls added up (the app runs some of them in
# parallel, so the sum is an upper bound). Needs a build (BPMNRT_BIN, default ../../build/bpmnrt,
# with libbpmnrt.so beside it), cc and curl.
set -euo pipefail
bin=$(realpath "${BPMNRT_BIN:-$(dirname "$0")/../../build/bpmnrt}")
cd "$(dirname "$0")"
n=${1:-100000}
runs=${2:-7}
lib=$(dirname "$bin")
root=$(realpath ../..)
dir=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; [ -n "$pid" ] && wait "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
db=$dir/web.db
cc -O2 -I"$root/include" fill.c -L"$lib" -lbpmnrt -Wl,-rpath,"$lib" -o "$dir/fill"
echo "bpmnrt web pages bench, $(date -u +%FT%TZ), $(nproc) cores, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
"$dir/fill" "$db" "$n" "$root/samples/sales-deal.bpmn"
others=()
for f in "$root"/samples/*.bpmn; do [ "$(basename "$f")" = sales-deal.bpmn ] || others+=("$f"); done
"$bin" --db "$db" deploy "${others[@]}" >/dev/null
echo "bench-password" | "$bin" --db "$db" user add bench --admin
echo "sara-password" | "$bin" --db "$db" user add sara --groups sales
for right in start read work; do "$bin" --db "$db" grant sales "$right" sales-deal; done
"$bin" --db "$db" serve --http 127.0.0.1:0 2>"$dir/log" &
pid=$!
for _ in $(seq 100); do grep -q "serving HTTP" "$dir/log" 2>/dev/null && break; sleep 0.1; done
base=http://127.0.0.1:$(grep -o "127.0.0.1:[0-9]*" "$dir/log" | head -1 | cut -d: -f2)
admin="bench:bench-password"

# time USER PATH -> the median of RUNS calls in ms (after one untimed call); fails on non-2xx.
time_call() {
    local user=$1 path=$2 t=()
    curl -sf -o /dev/null -u "$user" "$base$path" || { echo "FAILED: $path" >&2; return 1; }
    for _ in $(seq "$runs"); do
        t+=("$(curl -sf -o /dev/null -w '%{time_total}' -u "$user" "$base$path")")
    done
    printf '%s\n' "${t[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "%.1f", a[int((NR + 1) / 2)] * 1000 }'
}

page_total=0
row() { # row PAGE USER PATH
    local ms
    ms=$(time_call "$2" "$3")
    page_total=$(awk -v a="$page_total" -v b="$ms" 'BEGIN { print a + b }')
    printf '| %s | `%s` | %s | %s |\n' "$1" "$3" "$ms" "$(awk -v m="$ms" 'BEGIN { print m < 200 ? "yes" : "**no**" }')"
}
total() {
    printf '| %s | all of its calls, added up | %s | %s |\n' "$1" "$page_total" \
        "$(awk -v m="$page_total" 'BEGIN { print m < 200 ? "yes" : "**no**" }')"
    page_total=0
}

# the newest deal and one that moved on, for the instance page
last=$(curl -sf -u "$admin" "$base/engine-rest/process-instance?businessKey=deal-$((n - 1))" | grep -o '"id":"[0-9]*"' | head -1 | cut -d'"' -f4)
first=$(curl -sf -u "$admin" "$base/engine-rest/process-instance?businessKey=deal-0" | grep -o '"id":"[0-9]*"' | head -1 | cut -d'"' -f4)
echo
echo "| page | call | median ms | under 200 ms |"
echo "| --- | --- | --- | --- |"
# The processes page: the definitions and every version's counts in one call (/api/processes).
row Processes "$admin" "/engine-rest/process-definition?sortBy=key&sortOrder=asc"
row Processes "$admin" "/api/processes"
total Processes
row Process "$admin" "/engine-rest/process-definition/key/sales-deal"
row Process "$admin" "/engine-rest/process-definition/sales-deal:1/xml"
row Process "$admin" "/engine-rest/process-definition/sales-deal:1/statistics"
row Process "$admin" "/api/reports/funnel?process=sales-deal"
row Process "$admin" "/engine-rest/history/process-instance?processDefinitionKey=sales-deal&maxResults=100&unfinished=true"
total Process
for id in "$first" "$last"; do
    row "Instance $id" "$admin" "/engine-rest/history/process-instance?processInstanceId=$id"
    row "Instance $id" "$admin" "/engine-rest/history/activity-instance?processInstanceId=$id"
    row "Instance $id" "$admin" "/engine-rest/process-instance/$id/variables"
    row "Instance $id" "$admin" "/engine-rest/incident?processInstanceId=$id"
    row "Instance $id" "$admin" "/api/instances/$id"
    total "Instance $id"
done
row "Tasklist (sara, group sales)" "sara:sara-password" "/api/worklist?maxResults=500"
total "Tasklist (sara, group sales)"
row "Journal" "$admin" "/engine-rest/history/process-instance?firstResult=0&maxResults=51"
total "Journal"
echo
echo "Not on a first page (for comparison):"
echo
echo "| page | call | median ms | under 200 ms |"
echo "| --- | --- | --- | --- |"
row "Journal, last page" "$admin" "/engine-rest/history/process-instance?firstResult=$((n - 50))&maxResults=51"
row "Journal, started by anna" "$admin" "/engine-rest/history/process-instance?startedBy=anna&firstResult=0&maxResults=51"
row "Journal, a business key" "$admin" "/engine-rest/history/process-instance?businessKey=deal-$((n / 2))&maxResults=51"
row "Reports" "$admin" "/api/reports/tasks"
row "Reports" "$admin" "/api/reports/durations"
echo
echo "store: $(du -m "$db" | cut -f1) MiB"
