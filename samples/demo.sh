#!/usr/bin/env bash
# The main job: runs the incoming-lead sample end to end with the bpmnrt command on a fresh
# embedded store, one separate process per step, and prints a readable trace.
#   samples/demo.sh [path/to/bpmnrt]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bpmnrt=${1:-$here/../build/bpmnrt}
db=$(mktemp -d)/demo.db
trap 'rm -rf "$(dirname "$db")"' EXIT
run() { "$bpmnrt" --db "$db" --now "$now" "$@"; }
field() { sed -n "s/.*\"$1\":\"\\{0,1\\}\\([^\",]*\\).*/\\1/p" | head -1; }
task_of() { run tasks --instance "$1" --json | field id; }
now=2026-03-02T09:00:00Z

echo "== validate and deploy the samples"
"$bpmnrt" validate "$here"/*.bpmn
run deploy "$here"/incoming-lead.bpmn --json; echo

echo "== a lead arrives from the website ($now)"
inst=$(run start incoming-lead --key lead-2026-0042 --vars '{"caller":"anna","source":"website"}' --json | field instance)
echo "instance $inst started"
run tasks --instance "$inst" --json; echo

now=2026-03-02T09:03:00Z
echo "== $now: the sales group checks the request: valid"
run complete "$(task_of "$inst")" --vars '{"valid":true}' --json; echo
run tasks --instance "$inst" --json; echo

now=2026-03-02T09:09:00Z
echo "== $now: nobody has called yet; the clock ticks and the 5-minute reminder fires"
run tick --json; echo
run jobs --type notify --json; echo
run job complete "$(run jobs --type notify --json | field id)" --json; echo

now=2026-03-02T09:10:00Z
echo "== $now: anna calls the lead (within 10 minutes, so no escalation)"
run complete "$(task_of "$inst")" --user anna --groups sales --json; echo

now=2026-03-02T09:30:00Z
echo "== $now: anna qualifies the lead: qualified"
run complete "$(task_of "$inst")" --user anna --vars '{"qualified":true,"budget":12000}' --json; echo
run jobs --type crm-handover --json; echo

now=2026-03-02T09:31:00Z
echo "== $now: the CRM worker hands the lead over to sales"
job=$(run jobs --type crm-handover --json | field id)
run job complete "$job" --vars '{"salesManager":"boris"}' --json; echo

echo "== a second lead nobody calls: after 10 minutes the call is replanned for tomorrow"
now=2026-03-02T11:00:00Z
second=$(run start incoming-lead --key lead-2026-0043 --vars '{"caller":"boris"}' --json | field instance)
run complete "$(task_of "$second")" --user boris --groups sales --vars '{"valid":true}' --json; echo
now=2026-03-02T11:11:00Z
run tick --json; echo
run tasks --instance "$second" --json; echo

echo "== the first instance"
run show "$inst" --json; echo
echo "== its history"
run history "$inst" --json | tr '{' '\n' | sed -n 's/.*"time":"\([^"]*\)".*"type":"\([^"]*\)","element":\("[^"]*"\|null\).*/  \1  \2 \3/p'

echo "== the funnel of incoming leads"
run report funnel --process incoming-lead
