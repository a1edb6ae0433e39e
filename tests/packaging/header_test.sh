#!/usr/bin/env bash
# header_test.sh - include/bpmnrt.h stands alone: it compiles as strict C99 and C11 with nothing
# before it, and from C++11, where its extern "C" block gives the functions C linkage (checked
# on the object's symbols and by linking and running against the built shared library).
#   header_test.sh INCLUDE_DIR WORK_DIR CC SHARED_LIBRARY [EXTRA_FLAGS] [NM]
# EXTRA_FLAGS are compile and link flags the library needs in programs (the sanitizers).
set -euo pipefail
inc=$1 work=$2 cc=$3 lib=$4 extra=${5:-} nm=${6:-nm}
rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT

printf '#include <bpmnrt.h>\n#include <bpmnrt.h>\n' > "$work/alone.c"
for std in c99 c11; do
    "$cc" -std=$std -pedantic -Wall -Wextra -Werror -Wstrict-prototypes -fsyntax-only \
        -I"$inc" "$work/alone.c"
done
echo "ok: bpmnrt.h compiles alone as C99 and C11"

cxx=$(command -v c++ g++ clang++ | head -n 1 || true)
if [ -z "$cxx" ]; then
    echo "SKIP: no C++ compiler (c++, g++, clang++)" >&2
    exit 77
fi
cat > "$work/use.cpp" <<'CPP'
#include <bpmnrt.h>
#include <cstdio>
#include <cstring>

int main()
{
    bpmn_engine_options opts = bpmn_engine_options();
    opts.path = "unused";
    bpmn_engine *e = 0;
    bpmn_engine_close(e);
    const char *msg = bpmn_strerror(BPMN_ENOTFOUND);
    std::printf("%s %s\n", BPMNRT_VERSION_STRING, msg);
    return std::strcmp(msg, "not found") == 0 && opts.map_size == 0 ? 0 : 1;
}
CPP
# shellcheck disable=SC2086 # EXTRA_FLAGS is a list of flags
"$cxx" -std=c++11 -pedantic -Wall -Wextra -Werror $extra -I"$inc" -c "$work/use.cpp" \
    -o "$work/use.o"
# C linkage: the object refers to the plain names, not to mangled C++ ones.
undefined=$("$nm" -u "$work/use.o" | awk '{ print $NF }')
for f in bpmn_strerror bpmn_engine_close; do
    grep -qx "$f" <<<"$undefined" ||
        { echo "FAIL: use.o does not refer to $f with C linkage: ${undefined//$'\n'/ }" >&2; exit 1; }
done
# shellcheck disable=SC2086
"$cxx" $extra "$work/use.o" -o "$work/use" "$lib" -Wl,-rpath,"$(dirname "$lib")"
out=$("$work/use")
[ "$out" = "$(sed -n 's/^#define BPMNRT_VERSION_STRING "\(.*\)"$/\1/p' "$inc/bpmnrt.h") not found" ] ||
    { echo "FAIL: the C++ program printed '$out'" >&2; exit 1; }
echo "ok: bpmnrt.h compiles as C++11 and links with C linkage ($cxx): $out"
