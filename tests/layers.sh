#!/bin/sh
# layers.sh OBJECT... - checks the floors of docs/architecture.md on the library's objects: a
# file calls only into its own floor or lower ones (two folders on one floor, bpmn/ and expr/,
# do not call each other), and inside engine/ the records under the interpreter never call the
# interpreter. Prints every call that points up; exits 1 when there is one.
set -eu
[ $# -gt 0 ] || { echo "usage: layers.sh OBJECT..." >&2; exit 2; }
nm -A "$@" | awk '
function unit(path,   n, parts) {
    sub(/:.*/, "", path)
    n = split(path, parts, "/")
    sub(/\.c\.o$/, "", parts[n])
    return parts[n - 1] "/" parts[n]
}
function rank(u,   dir) {
    dir = u; sub(/\/.*/, "", dir)
    if (dir == "base") return 0
    if (dir == "stores") return 1
    if (dir == "bpmn" || dir == "expr") return 2
    if (dir == "engine") return u in records ? 3 : 4
    if (dir == "reports") return 5
    if (dir == "ops") return 6
    return -1
}
BEGIN {
    split("core json txn defs forms instance jobs", r, " ")
    for (i in r) records["engine/" r[i]] = 1
}
{
    u = unit($1)
    if ($2 == "U") users[++nu] = u SUBSEP $3
    else if ($2 ~ /^[TDBRC]$/) def[$3] = u
    files[u] = 1
}
END {
    bad = 0
    for (i = 1; i <= nu; i++) {
        split(users[i], p, SUBSEP)
        a = p[1]; s = p[2]
        if (!(s in def)) continue
        b = def[s]
        if (a == b) continue
        ra = rank(a); rb = rank(b)
        da = a; sub(/\/.*/, "", da); db = b; sub(/\/.*/, "", db)
        if (ra < 0 || rb < 0) { print "unknown floor: " a " -> " b; bad = 1; continue }
        if (rb > ra || (rb == ra && da != db)) {
            print "upward call: " a " -> " b " (" s ")"
            bad = 1
        }
    }
    n = 0; for (f in files) n++
    if (n < 40) { print "only " n " objects: not the library"; bad = 1 }
    exit bad
}'
