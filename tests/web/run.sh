#!/bin/sh
# run.sh FILE - runs the web app's browser test (node --test) against the built bpmnrt
# (BPMNRT_BIN) and the bundled app (web/dist). Skipped, saying why, when Node.js, Debian's
# chromium, the test dependencies or the bundle are missing (./build.sh test provides all four).
set -eu
here=$(dirname "$0")
root=$here/../..
if ! command -v node >/dev/null 2>&1; then
    echo "node is not installed: $1 skipped (./build.sh installs nodejs)"
    exit 77
fi
if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
    echo "chromium is not installed: $1 skipped (./build.sh test installs Debian's chromium)"
    exit 77
fi
if [ ! -d "$here/node_modules/puppeteer-core" ]; then
    echo "tests/web/node_modules is missing: $1 skipped (./build.sh runs npm ci there)"
    exit 77
fi
if [ ! -f "$root/web/dist/index.html" ]; then
    echo "web/dist is not built: $1 skipped (./build.sh runs npm ci and the bundle build in web/)"
    exit 77
fi
exec node --test --test-reporter=spec "$1"
