#!/bin/sh
# run.sh FILE - runs one Node.js test file of the server (node --test) against the built bpmnrt
# (BPMNRT_BIN). Skipped, saying why, when Node.js or the test dependencies are missing
# (./build.sh installs both).
set -eu
here=$(dirname "$0")
if ! command -v node >/dev/null 2>&1; then
    echo "node is not installed: $1 skipped (./build.sh installs nodejs)"
    exit 77
fi
if [ ! -d "$here/node_modules/camunda-external-task-client-js" ]; then
    echo "tests/server/node_modules is missing: $1 skipped (./build.sh runs npm ci there)"
    exit 77
fi
exec node --test --test-reporter=spec "$1"
