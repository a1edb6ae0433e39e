#!/bin/sh
# public_api.sh FACE_OBJECTS... -- LIBRARY_OBJECTS... - checks that the faces of the engine (the
# command line, the server) call nothing of the library but its public API: every symbol they
# take from the library's objects starts with bpmn_. Prints each other one; exits 1 when any.
set -eu
faces=""
while [ $# -gt 0 ] && [ "$1" != "--" ]; do faces="$faces $1"; shift; done
[ $# -gt 0 ] || { echo "usage: public_api.sh FACE_OBJECTS... -- LIBRARY_OBJECTS..." >&2; exit 2; }
shift
# shellcheck disable=SC2086
{ nm "$@" | awk '$2 ~ /^[TDBRC]$/ {print "D", $3}'; nm -u $faces | awk 'NF == 2 && $1 == "U" {print "U", $2}'; } |
    awk '$1 == "D" {lib[$2] = 1; next}
         $1 == "U" && ($2 in lib) && $2 !~ /^bpmn_/ {print "not public: " $2; bad = 1}
         END {exit bad}'
