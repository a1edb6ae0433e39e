#!/usr/bin/env bash
# bpmnrt set-up in one command on a fresh Debian 12 machine.
#   ./build.sh demo   install what is missing, build, run the main job: a sample process end
#                     to end on a fresh embedded store (samples/demo.sh)
#   ./build.sh test   install what is missing, build, run the whole test suite
#                     (the normal build, then the ASan+UBSan build)
set -euo pipefail
cd "$(dirname "$0")"

packages=(build-essential cmake pkg-config libxml2-dev liblmdb-dev libcjson-dev libsodium-dev
          libcunit1-dev libmicrohttpd-dev openssl)

install_missing() {
    local missing=()
    for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "== installing: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

# Node.js runs the server's tests with Camunda's own external-task client (and builds the web
# app): Debian's nodejs and npm unless a node is installed already; then the test dependencies
# from package-lock.json.
install_node() {
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
        packages=(nodejs npm)
        install_missing
    fi
    if [ ! -d tests/server/node_modules/camunda-external-task-client-js ]; then
        echo "== npm ci (tests/server)"
        (cd tests/server && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    fi
}

# The web app (web/): its pinned npm packages (bpmn-js, Chart.js, esbuild) from
# package-lock.json, then the bundle into web/dist, which bpmnrt serve --http serves at /.
build_web() {
    if [ ! -d web/node_modules/bpmn-js ] || [ ! -d web/node_modules/esbuild ]; then
        echo "== npm ci (web)"
        (cd web && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    fi
    echo "== bundling the web app into web/dist"
    (cd web && node build.mjs)
}

# The browser test of the web app: Debian's chromium and puppeteer-core (tests/web).
install_browser() {
    packages=(chromium)
    install_missing
    if [ ! -d tests/web/node_modules/puppeteer-core ]; then
        echo "== npm ci (tests/web)"
        (cd tests/web && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    fi
}

jobs=$(nproc 2>/dev/null || echo 2)

# Builds quietly: the compiler's progress lines go to DIR/build.log, shown only when the
# build fails.
build() { # build DIR [cmake options...]
    local dir=$1; shift
    mkdir -p "$dir"
    echo "== building in $dir"
    if ! { cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" &&
           cmake --build "$dir" -j"$jobs"; } >"$dir/build.log" 2>&1; then
        cat "$dir/build.log" >&2
        echo "== the build in $dir failed (log: $dir/build.log)" >&2
        exit 1
    fi
}

case "${1:-}" in
demo)
    install_missing
    install_node
    build_web
    build build
    samples/demo.sh build/bpmnrt
    ;;
test)
    install_missing
    install_node
    install_browser
    build_web
    build build
    (cd build && ctest --output-on-failure -j"$jobs")
    build build-asan -DBPMNRT_SANITIZE=ON
    (cd build-asan && ctest --output-on-failure -j"$jobs")
    ;;
*)
    echo "usage: ./build.sh demo|test" >&2
    exit 2
    ;;
esac
