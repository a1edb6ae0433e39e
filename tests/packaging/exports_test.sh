#!/usr/bin/env bash
# exports_test.sh - the shared library exports the public API and nothing else: every defined
# dynamic symbol starts with bpmn_ and is declared BPMN_API in the header, every BPMN_API
# function of the header is exported, and the SONAME carries the ABI version.
#   exports_test.sh LIBRARY HEADER EXPECTED_SONAME [NM] [READELF]
# Outputs are read into variables before grep -q looks at them: grep -q stops reading at the
# first match, and under pipefail the writer's SIGPIPE would fail the pipeline.
set -euo pipefail
lib=$1 header=$2 soname=$3 nm=${4:-nm} readelf=${5:-readelf}
fail=0
bad() { echo "FAIL: $*" >&2; fail=1; }
words() { tr '\n' ' ' <<<"$1"; }

[ -f "$lib" ] || { echo "FAIL: $lib is missing: run cmake --build first" >&2; exit 1; }

exported=$("$nm" -D --defined-only "$lib" | awk '{ sub(/@.*/, "", $NF); print $NF }' | sort -u)
declared=$(grep -E '^BPMN_API ' "$header" | grep -oE '\bbpmn_[A-Za-z0-9_]+\(' | tr -d '(' | sort -u)

[ -n "$exported" ] || bad "no defined dynamic symbols in $lib"
[ "$(echo "$declared" | wc -l)" -ge 20 ] || bad "found too few BPMN_API declarations in $header"
grep -qx bpmn_engine_open <<<"$exported" || bad "bpmn_engine_open is not exported"

others=$(echo "$exported" | grep -v '^bpmn_' || true)
[ -z "$others" ] || bad "symbols outside the bpmn_ API are exported: $(words "$others")"
undeclared=$(comm -23 <(echo "$exported") <(echo "$declared"))
[ -z "$undeclared" ] || bad "exported but not declared BPMN_API in the header: $(words "$undeclared")"
missing=$(comm -13 <(echo "$exported") <(echo "$declared"))
[ -z "$missing" ] || bad "declared BPMN_API but not exported: $(words "$missing")"

got=$("$readelf" -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
[ "$got" = "$soname" ] || bad "SONAME is '$got', expected '$soname'"

[ $fail -eq 0 ] || exit 1
echo "ok: $(echo "$exported" | wc -l) symbols exported, all bpmn_ and declared; SONAME $got"
