#!/usr/bin/env bash
# The main job: deploys every sample into a fresh embedded store and runs the CRM stories end to
# end with the bpmnrt command, one separate process per step, as different people at different
# times (--now), with the clock moved on by `tick` so that timers fire. Prints a short trace and
# ends with the funnel reports.
#   samples/demo.sh [path/to/bpmnrt]
# shellcheck disable=SC2154 # the instance ids ($acme, ...) are set by start(), through printf -v
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bpmnrt=${1:-$here/../build/bpmnrt}
tmp=$(mktemp -d)
db=$tmp/demo.db
trap 'rm -rf "$tmp"' EXIT
now=2026-03-02T09:00:00Z
run() { "$bpmnrt" --db "$db" --now "$now" "$@"; }

# ---- reading the JSON the command prints (one document on one line) ----------------------
# Each helper captures a command's output before reading it, so that `set -e` sees the
# command fail.
# The value of KEY in each object of the JSON on stdin, one a line, quotes removed.
json() {
    awk -v k="$1" '{
        n = split($0, rec, /\},\{/)
        for (i = 1; i <= n; i++)
            if (match(rec[i], "\"" k "\":(\"[^\"]*\"|[^],}]*)")) {
                v = substr(rec[i], RSTART + length(k) + 3, RLENGTH - length(k) - 3)
                gsub(/"/, "", v); print v
            }
    }'
}
# The open tasks of an instance as "ID|NAME|WHO|DUE" lines.
tasks_of() {
    local out
    out=$(run tasks --instance "$1" --json)
    echo "$out" | awk '{
        n = split($0, rec, /\},\{/)
        for (i = 1; i <= n; i++) {
            if (!match(rec[i], /"id":"[^"]*"/)) continue
            id = substr(rec[i], RSTART + 6, RLENGTH - 7)
            match(rec[i], /"name":"[^"]*"/); name = substr(rec[i], RSTART + 8, RLENGTH - 9)
            if (match(rec[i], /"assignee":"[^"]*"/)) who = substr(rec[i], RSTART + 12, RLENGTH - 13)
            else if (match(rec[i], /"candidateGroups":\["[^]]*\]/)) {
                who = "group " substr(rec[i], RSTART + 19, RLENGTH - 20); gsub(/"/, "", who)
            } else who = "anyone"
            due = ""
            if (match(rec[i], /"due":"[^"]*"/))
                due = substr(rec[i], RSTART + 12, 5) " " substr(rec[i], RSTART + 18, 5)
            print id "|" name "|" who "|" due
        }
    }'
}

# ---- the steps of the trace: one short line each ----------------------------------------
declare -A label # instance id -> what it is, for the trace
section() { printf '\n== %s\n' "$*"; }
at() { now=$1; }
line() { printf '  %s %s  %-28s %s\n' "${now:5:5}" "${now:11:5}" "$1" "$2"; } # line WHO WHAT
start() { # start VAR LABEL PROCESS VARS [KEY]: starts an instance, its id goes into $VAR
    local out inst
    out=$(run start "$3" --vars "$4" ${5:+--key "$5"} --json)
    inst=$(echo "$out" | json instance)
    label[$inst]=$2
    printf -v "$1" '%s' "$inst"
    line "$2" "started $3 (instance $inst)"
}
waits() { # waits INSTANCE: the tasks the instance waits for
    local list name who due
    list=$(tasks_of "$1")
    while IFS='|' read -r _ name who due; do
        [ -n "$name" ] && line "${label[$1]}" "waits: $name ($who${due:+, due $due})"
    done <<<"$list"
}
work() { # work USER GROUPS INSTANCE [VARS]: USER completes the instance's open task
    local user=$1 groups=$2 inst=$3 vars=${4:-"{}"} list id name
    list=$(tasks_of "$inst")
    IFS='|' read -r id name _ <<<"$list"
    if [ -z "$id" ]; then
        echo "demo: ${label[$inst]} has no open task for $user" >&2
        exit 1
    fi
    run complete "$id" --user "$user" ${groups:+--groups "$groups"} --vars "$vars" --json >/dev/null
    line "${label[$inst]}" "$user: $name$([ "$vars" = "{}" ] || echo " $vars")"
}
tick() { # tick TIME: the clock moves on and every timer due by then fires
    local out
    at "$1"
    out=$(run tick --json)
    line "(clock)" "$(echo "$out" | json fired) timer(s) fired"
}
worker() { # worker TYPE [VARS]: an outside worker completes every open job of TYPE
    local out id inst element
    out=$(run jobs --type "$1" --json)
    while read -r id inst element; do
        [ -n "$id" ] || continue
        run job complete "$id" ${2:+--vars "$2"} --json >/dev/null
        line "${label[$inst]:-instance $inst}" "$1 worker: $element done"
    done < <(echo "$out" | awk '{
        n = split($0, rec, /\},\{/)
        for (i = 1; i <= n; i++) {
            if (!match(rec[i], /"id":"[^"]*"/)) continue
            id = substr(rec[i], RSTART + 6, RLENGTH - 7)
            match(rec[i], /"instance":"[^"]*"/); inst = substr(rec[i], RSTART + 12, RLENGTH - 13)
            match(rec[i], /"element":"[^"]*"/); el = substr(rec[i], RSTART + 11, RLENGTH - 12)
            print id, inst, el
        }
    }')
}
state() { # state INSTANCE: its state and the elements it waits at
    local out waiting
    out=$(run show "$1" --json)
    waiting=$(echo "$out" | sed -n 's/.*"waiting":\[\([^]]*\)\].*/\1/p' | tr -d '"')
    line "${label[$1]}" "is $(echo "$out" | json state)${waiting:+, waiting at $waiting}"
}
child_of() { # child_of INSTANCE: the id of its (first) child instance
    local out
    out=$(run show "$1" --json)
    echo "$out" | sed -n 's/.*"children":\["\([^"]*\)".*/\1/p'
}
# The funnel of a process as a table; the time is the median stay of those that completed.
funnel() {
    local csv
    csv=$(run report funnel --process "$1" --csv)
    printf '  %-36s %8s %10s %8s %10s\n' stage entered completed waiting median
    echo "$csv" | awk -F, 'NR > 1 {
        ms = $9; t = "-"
        if ($7 > 0 && ms >= 86400000) t = sprintf("%dd %dh", ms / 86400000, (ms % 86400000) / 3600000)
        else if ($7 > 0 && ms >= 3600000) t = sprintf("%dh %dm", ms / 3600000, (ms % 3600000) / 60000)
        else if ($7 > 0) t = sprintf("%dm", ms / 60000)
        printf "  %-36s %8d %10d %8d %10s\n", $4, $6, $7, $5, t
    }'
}

section "validate and deploy every sample"
"$bpmnrt" validate "$here"/*.bpmn | sed 's|^.*/||; s/^/  /'
for f in "$here"/*.bpmn; do
    run deploy "$f" --json | json process | sed 's/^/  deployed /'
done

section "incoming leads: one called after the reminder, one nobody calls (escalated, retried)"
start lead "lead 42 (website)" incoming-lead '{"caller":"anna","source":"website"}' lead-2026-0042
waits "$lead"
at 2026-03-02T09:03:00Z; work boris sales "$lead" '{"valid":true}'
waits "$lead"
tick 2026-03-02T09:09:00Z # five minutes without a call: the reminder
worker notify
at 2026-03-02T09:10:00Z; work anna sales "$lead" '{"reached":true}'
at 2026-03-02T09:30:00Z; work anna "" "$lead" '{"qualified":true,"budget":12000}'
at 2026-03-02T09:31:00Z; worker crm-handover '{"salesManager":"boris"}'
state "$lead"
at 2026-03-02T09:40:00Z
start lead2 "lead 43 (phone)" incoming-lead '{"caller":"boris"}' lead-2026-0043
at 2026-03-02T09:41:00Z; work boris sales "$lead2" '{"valid":true}'
tick 2026-03-02T09:46:00Z # five minutes: the reminder
worker notify
tick 2026-03-02T09:51:00Z # ten minutes and still no call: the escalation
out=$(run history "$lead2" --json)
if ! grep -q '"type":"escalation_thrown","element":"EscalateNoCall"' <<<"$out"; then
    echo "demo: ${label[$lead2]} was not escalated" >&2
    exit 1
fi
line "${label[$lead2]}" "escalated to the head of sales"
worker notify
state "$lead2"
tick 2026-03-02T11:51:00Z # two hours later: the call is retried
waits "$lead2"
at 2026-03-02T11:55:00Z; work boris sales "$lead2" '{"reached":true}'
at 2026-03-02T11:58:00Z; work boris "" "$lead2" '{"qualified":false}'
state "$lead2"
out=$(run history "$lead2" --json)
line "${label[$lead2]}" "ended at: $(echo "$out" | sed 's/},{/\n/g' |
    sed -n 's/.*"type":"element_completed".*"elementType":"endEvent","name":"\([^"]*\)".*/\1/p' |
    paste -sd, - | sed 's/,/, /g')"

section "sales deals: five deals through the funnel"
at 2026-03-02T12:00:00Z
start acme "deal ACME" sales-deal '{"client":"ACME","amount":20000}' D-101
start globex "deal Globex" sales-deal '{"client":"Globex","amount":4000}' D-102
start initech "deal Initech" sales-deal '{"client":"Initech","amount":9000}' D-103
start umbrella "deal Umbrella" sales-deal '{"client":"Umbrella","amount":15000}' D-104
start hooli "deal Hooli" sales-deal '{"client":"Hooli","amount":7000}' D-105
waits "$acme"
at 2026-03-02T15:00:00Z; work anna sales "$globex" '{"qualification":"unqualified"}'
at 2026-03-03T10:00:00Z; work boris sales "$hooli" '{"qualification":"qualified"}'
tick 2026-03-04T12:00:00Z # two days: reminders for the deals still not qualified
worker notify
at 2026-03-04T14:00:00Z
work anna sales "$acme" '{"qualification":"qualified"}'
work anna sales "$initech" '{"qualification":"qualified"}'
work boris sales "$umbrella" '{"qualification":"qualified"}'
at 2026-03-05T10:00:00Z
work anna sales "$acme" '{"amount":20000}'
work anna sales "$initech" '{"amount":9000}'
work boris sales "$umbrella" '{"amount":15000}'
work boris sales "$hooli" '{"amount":7000}'
waits "$acme"
at 2026-03-06T16:00:00Z
work boris sales "$acme" '{"negotiation":"renegotiate"}'
work boris sales "$hooli" '{"negotiation":"lost"}'
waits "$acme"
at 2026-03-07T11:00:00Z; work anna sales "$acme" '{"amount":18000}'
at 2026-03-09T11:00:00Z
work boris sales "$acme" '{"negotiation":"agreed"}'
work boris sales "$umbrella" '{"negotiation":"agreed"}'
waits "$acme"
at 2026-03-10T09:00:00Z; work lena legal "$acme" '{"contractSigned":true}'
waits "$acme"
tick 2026-03-19T09:00:00Z # the payment is due tomorrow; other stages are late too
worker notify
at 2026-03-19T15:00:00Z; work fiona finance "$acme" '{"paymentReceived":true}'
state "$acme"
echo "  the history of deal ACME (tasks and timers):"
run history "$acme" --json | awk '{
    n = split($0, rec, /\},\{/)
    for (i = 1; i <= n; i++) {
        match(rec[i], /"type":"[^"]*"/); type = substr(rec[i], RSTART + 8, RLENGTH - 9)
        if (type !~ /^(task_created|task_completed|timer_fired|job_completed|instance_completed)$/) continue
        match(rec[i], /"time":"[^"]*"/); time = substr(rec[i], RSTART + 13, 5) " " substr(rec[i], RSTART + 19, 5)
        el = ""; if (match(rec[i], /"element":"[^"]*"/)) el = substr(rec[i], RSTART + 11, RLENGTH - 12)
        user = ""; if (match(rec[i], /"user":"[^"]*"/)) user = substr(rec[i], RSTART + 8, RLENGTH - 9)
        printf "    %s  %-18s %-20s %s\n", time, type, el, user
    }
}'

section "lost clients: win a client back; the accepted offer starts a delivery of goods"
at 2026-03-20T10:00:00Z
start client "lost client Initrode" lost-clients '{"manager":"olga","client":"Initrode","offer":"O-77"}' C-7
work anna sales "$client"
work olga "" "$client"
at 2026-03-21T10:00:00Z; work olga "" "$client" '{"accepted":false}'
state "$client"
tick 2026-04-20T10:00:00Z # thirty days of rest are over; late reminders go out too
worker notify
work boris sales "$client"
work olga "" "$client"
at 2026-04-21T10:00:00Z; work olga "" "$client" '{"accepted":true}'
delivery=$(child_of "$client")
label[$delivery]="  its delivery of goods"
waits "$delivery"
at 2026-04-21T15:00:00Z; work ivan warehouse "$delivery"
at 2026-04-22T09:00:00Z; work pavel logistics "$delivery" '{"trackingNumber":"TN-5521"}'
at 2026-04-22T12:00:00Z; work marta accounting "$delivery"
state "$delivery"
waits "$client"
at 2026-04-24T10:00:00Z; work olga "" "$client"
state "$client"

if [ -f "$here/business-card-order.bpmn" ]; then
    section "business cards: an order, a layout sent back once, print and delivery"
    at 2026-04-27T11:00:00Z
    if out=$(run start business-card-order --vars '{"circulation":50}' 2>&1); then
        echo "  an order of 50 cards was accepted, but the form asks for at least 100" >&2
        exit 1
    fi
    echo "  an order for 50 cards and nothing else is refused:"
    echo "${out#*data: }" | tr ';' '\n' | sed 's/^ */    /'
    start cards "cards for Initrode" business-card-order \
        '{"circulation":500,"colour":"full-colour","sides":"two-sided","paperType":"matte","customerManager":"olga"}'
    at 2026-04-28T10:00:00Z; work dasha designer "$cards" '{"layoutFile":"initrode-v1.pdf"}'
    at 2026-04-28T16:00:00Z; work olga "" "$cards" '{"layoutApproved":false,"layoutComments":"bigger logo"}'
    at 2026-04-29T12:00:00Z; work dasha designer "$cards" '{"layoutFile":"initrode-v2.pdf"}'
    at 2026-04-29T15:00:00Z; work olga "" "$cards" '{"layoutApproved":true}'
    at 2026-04-30T17:00:00Z; work petr printing "$cards"
    at 2026-05-04T11:00:00Z; work kolya courier "$cards"
    state "$cards"
fi

if [ -f "$here/contractor-registration.bpmn" ]; then
    section "contractors: one rejected by the tax check, one registered and monitored"
    at 2026-05-05T09:00:00Z
    start shady "contractor Shady Ltd" contractor-registration '{"taxNumber":"7700000001","companyName":"Shady Ltd"}'
    start good "contractor Acme Logistics" contractor-registration '{"taxNumber":"7700000002","companyName":"Acme Logistics"}'
    job=$(run jobs --type tax-check --json | sed 's/},{/\n/g' | grep "\"instance\":\"$shady\"" | json id)
    run job fail "$job" --message "listed as unreliable" --error UNRELIABLE --json >/dev/null
    line "${label[$shady]}" "tax-check worker: unreliable (error UNRELIABLE)"
    worker tax-check
    at 2026-05-05T14:00:00Z; work igor procurement "$shady"
    state "$shady"
    at 2026-05-06T10:00:00Z; work igor procurement "$good" '{"interested":true}'
    at 2026-05-07T10:00:00Z; work lena legal "$good"
    monitoring=$(child_of "$good")
    label[$monitoring]="  quality of Acme Logistics"
    tick 2026-08-07T10:00:00Z # three months later: the first review
    worker notify
    waits "$monitoring"
    at 2026-08-10T10:00:00Z; work vera quality "$monitoring" '{"qualityScore":4,"continueMonitoring":true}'
    state "$monitoring"
fi

section "the funnel of sales deals"
funnel sales-deal
section "the funnel of incoming leads"
funnel incoming-lead

# ---- the same store over HTTP --------------------------------------------------------------
# The server speaks Camunda 7's REST API: Camunda's own external-task client does the tax check
# of two more applications, then the store is kept for `bpmnrt serve --http`.
if command -v node >/dev/null && [ -d "$here/../tests/server/node_modules/camunda-external-task-client-js" ]; then
    section "the same store over HTTP: Camunda's external-task client as the tax-check worker"
    echo "demo-password" | "$bpmnrt" --db "$db" user add demo --admin
    "$bpmnrt" --db "$db" serve --http 127.0.0.1:0 2>"$tmp/serve.log" &
    server=$!
    for _ in $(seq 100); do grep -q "serving HTTP" "$tmp/serve.log" && break; sleep 0.05; done
    port=$(grep -o "127.0.0.1:[0-9]*" "$tmp/serve.log" | head -1 | cut -d: -f2)
    node "$here/worker.mjs" "http://127.0.0.1:$port/engine-rest" demo demo-password || {
        kill "$server"; cat "$tmp/serve.log" >&2; exit 1; }
    kill -TERM "$server"
    wait "$server"
    keep=${BPMNRT_DEMO_DB:-$(cd "$here/.." && pwd)/build/demo.db}
    cp "$db" "$keep"
    printf '\nThe store is kept at %s; serve it (user demo, password demo-password) with:\n' "$keep"
    printf '  %s --db %s serve --http 127.0.0.1:8080\n' "$bpmnrt" "$keep"
    printf 'then open the web app (cockpit and tasklist) at http://127.0.0.1:8080/\n'
else
    section "the same store over HTTP: skipped (Node.js or tests/server/node_modules missing; ./build.sh demo installs them)"
fi

