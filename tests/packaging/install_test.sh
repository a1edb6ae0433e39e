#!/usr/bin/env bash
# install_test.sh - installs the build into a temporary prefix, checks what went where, then
# builds tests/packaging/consumer.c against that installed copy the ways a user would and runs
# each program on a fresh store:
#   1. pkg-config, linked with the installed libbpmnrt.so (found through LD_LIBRARY_PATH);
#   2. pkg-config --static, linked with the installed libbpmnrt.a;
#   3. a CMake project with find_package(bpmnrt), linking bpmnrt::bpmnrt (RPATH to the prefix)
#      and bpmnrt::bpmnrt_static;
#   4. the same with pkg-config finding no dependency: bpmnrt::bpmnrt alone, still working.
# It runs on a finished build (cmake --build first, as CI does) and removes what it made.
#   install_test.sh BUILD_DIR WORK_DIR SOURCE_DIR LIBDIR VERSION SOVERSION CC CMAKE GENERATOR
set -euo pipefail
build=$1 work=$2 src=$3 libdir=$4 version=$5 soversion=$6 cc=$7 cmake=$8 generator=$9

rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
lib=$prefix/$libdir
consumer=$src/tests/packaging/consumer.c
log=$work/log
fail() {
    echo "FAIL: $*" >&2
    [ -s "$log" ] && sed 's/^/  | /' "$log" >&2
    exit 1
}
step() { echo "== $*"; }

step "install into $prefix"
"$cmake" --install "$build" --prefix "$prefix" >"$log" 2>&1 ||
    fail "cmake --install failed (is the build finished? run cmake --build first)"
for f in include/bpmnrt.h bin/bpmnrt "$libdir/libbpmnrt.so.$version" "$libdir/libbpmnrt.a" \
         "$libdir/pkgconfig/bpmnrt.pc" "$libdir/cmake/bpmnrt/bpmnrtConfig.cmake" \
         "$libdir/cmake/bpmnrt/bpmnrtConfigVersion.cmake" \
         "$libdir/cmake/bpmnrt/bpmnrtTargets.cmake"; do
    [ -f "$prefix/$f" ] || fail "not installed: $f"
done
soname=$(readelf -d "$lib/libbpmnrt.so.$version" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
[ "$soname" = "libbpmnrt.so.$soversion" ] || fail "installed SONAME is '$soname'"
[ "$(readlink "$lib/$soname")" = "libbpmnrt.so.$version" ] || fail "$soname is not a link to the library"
[ "$(readlink "$lib/libbpmnrt.so")" = "$soname" ] || fail "libbpmnrt.so is not a link to $soname"
"$prefix/bin/bpmnrt" validate "$src/samples/incoming-lead.bpmn" >"$log" 2>&1 ||
    fail "the installed bpmnrt command does not validate a sample"

export PKG_CONFIG_PATH=$lib/pkgconfig
[ "$(pkg-config --modversion bpmnrt)" = "$version" ] || fail "pkg-config --modversion bpmnrt"
[ "$(pkg-config --variable=prefix bpmnrt)" = "$prefix" ] || fail "bpmnrt.pc names another prefix"
cflags=$(pkg-config --cflags bpmnrt)
static_libs=$(pkg-config --static --libs bpmnrt)
# shellcheck disable=SC2206 # word splitting of compiler flags is meant
strict=(-std=c99 -pedantic -Wall -Wextra -Werror)

run() { # run NAME PROGRAM: runs a consumer on a fresh store, expects its success line
    local out
    out=$("$2" "$work/$1.db" 2>"$log") || fail "$1 failed"
    [ "$out" = "consumer ok $version" ] || fail "$1 printed '$out'"
}
# Outputs are read into variables before grep -q looks at them: grep -q stops reading at the
# first match, and under pipefail the writer's SIGPIPE would fail the pipeline.
uses_installed_so() { # uses_installed_so PROGRAM: ldd resolves libbpmnrt to the prefix
    local deps
    deps=$(ldd "$1")
    grep -q "libbpmnrt\.so\.[0-9]* => $lib/libbpmnrt\.so" <<<"$deps" ||
        { echo "$deps" >"$log"; fail "$1 does not load $lib/$soname"; }
}
needs_libbpmnrt_so() { # needs_libbpmnrt_so PROGRAM: true when its NEEDED entries name it
    local dyn
    dyn=$(readelf -d "$1")
    grep -q 'NEEDED.*libbpmnrt' <<<"$dyn"
}

step "pkg-config: shared"
# shellcheck disable=SC2046,SC2086
"$cc" "${strict[@]}" $cflags "$consumer" -o "$work/app_pc" $(pkg-config --libs bpmnrt) \
    >"$log" 2>&1 || fail "building with pkg-config --cflags --libs bpmnrt"
LD_LIBRARY_PATH=$lib uses_installed_so "$work/app_pc"
LD_LIBRARY_PATH=$lib run app_pc "$work/app_pc"

step "pkg-config --static: static"
# libbpmnrt.a from the prefix, its dependencies as pkg-config --static lists them.
# shellcheck disable=SC2086
"$cc" "${strict[@]}" $cflags "$consumer" -o "$work/app_pc_static" \
    ${static_libs/-lbpmnrt/-Wl,-Bstatic -lbpmnrt -Wl,-Bdynamic} >"$log" 2>&1 ||
    fail "building with pkg-config --static --libs bpmnrt: $static_libs"
if needs_libbpmnrt_so "$work/app_pc_static"; then
    fail "the static build still needs libbpmnrt.so"
fi
run app_pc_static "$work/app_pc_static"

step "find_package(bpmnrt)"
mkdir -p "$work/cmake-app"
cat >"$work/cmake-app/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.16)
project(consumer C)
find_package(bpmnrt $version REQUIRED COMPONENTS static)
add_executable(app "$consumer")
target_link_libraries(app PRIVATE bpmnrt::bpmnrt)
add_executable(app_static "$consumer")
target_link_libraries(app_static PRIVATE bpmnrt::bpmnrt_static)
CMAKE
(unset PKG_CONFIG_PATH
 "$cmake" -S "$work/cmake-app" -B "$work/cmake-app/build" -G "$generator" \
     -DCMAKE_C_COMPILER="$cc" -DCMAKE_PREFIX_PATH="$prefix" \
     -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_BUILD_TYPE=Release \
     -DCMAKE_C_FLAGS="${strict[*]}" >"$log" 2>&1) ||
    fail "configuring a project with find_package(bpmnrt REQUIRED COMPONENTS static)"
grep -qx "bpmnrt_DIR:PATH=$lib/cmake/bpmnrt" "$work/cmake-app/build/CMakeCache.txt" ||
    fail "find_package found bpmnrt elsewhere: $(grep bpmnrt_DIR "$work/cmake-app/build/CMakeCache.txt")"
"$cmake" --build "$work/cmake-app/build" >"$log" 2>&1 || fail "building the find_package project"
uses_installed_so "$work/cmake-app/build/app"
run cmake_app "$work/cmake-app/build/app"
if needs_libbpmnrt_so "$work/cmake-app/build/app_static"; then
    fail "app_static (bpmnrt::bpmnrt_static) needs libbpmnrt.so"
fi
run cmake_app_static "$work/cmake-app/build/app_static"

step "find_package(bpmnrt) without the dependencies' development files"
# bpmnrt::bpmnrt still works when pkg-config finds none of libxml2, LMDB and cJSON; only the
# static target, which needs them, is left out.
mkdir -p "$work/no-deps/pc" "$work/no-deps/app"
cat >"$work/no-deps/app/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.16)
project(consumer C)
find_package(bpmnrt $version REQUIRED)
if(TARGET bpmnrt::bpmnrt_static OR bpmnrt_static_FOUND)
  message(FATAL_ERROR "bpmnrt::bpmnrt_static defined without its dependencies")
endif()
add_executable(app "$consumer")
target_link_libraries(app PRIVATE bpmnrt::bpmnrt)
CMAKE
PKG_CONFIG_LIBDIR=$work/no-deps/pc PKG_CONFIG_PATH='' \
    "$cmake" -S "$work/no-deps/app" -B "$work/no-deps/build" -G "$generator" \
    -DCMAKE_C_COMPILER="$cc" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF >"$log" 2>&1 ||
    fail "configuring find_package(bpmnrt REQUIRED) with no dependency found by pkg-config"
"$cmake" --build "$work/no-deps/build" >"$log" 2>&1 || fail "building it"
run no_deps_app "$work/no-deps/build/app"

echo "ok: installed to a prefix; consumers built with pkg-config (shared, static) and find_package (shared, static; shared with no dependency found) ran"
