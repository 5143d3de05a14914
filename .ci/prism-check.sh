#!/bin/sh
# Conformance of git-realm's GitHub requests: Prism (npm @stoplight/prism-cli@5) serves
# GitHub's OpenAPI description with --errors, which answers 422 (bad body or query) or 404
# (no such path) to any request the description does not allow; the ignored test
# `requests_conform_to_githubs_openapi_description` sends every kind of request git-realm's
# notifications make and fails on any such answer.
#
# Usage: .ci/prism-check.sh   (from anywhere; needs node/npm, curl and cargo)
#   GIT_REALM_GITHUB_OPENAPI  the description (default: ../shared/github-rest/api.github.com.issues.json
#                             beside the repository)
#   PRISM_PORT                the loopback port (default 4010)
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
spec=${GIT_REALM_GITHUB_OPENAPI:-$root/../shared/github-rest/api.github.com.issues.json}
port=${PRISM_PORT:-4010}
prefix=$root/.ci/node
prism=$prefix/node_modules/.bin/prism

if [ ! -f "$spec" ]; then
    echo "prism-check: no OpenAPI description at $spec" >&2
    exit 2
fi
if curl -s -o /dev/null "http://127.0.0.1:$port/"; then
    echo "prism-check: port $port is already in use; set PRISM_PORT" >&2
    exit 2
fi
if [ ! -x "$prism" ]; then
    # Local to the repository (ignored by git), never global.
    npm install --no-save --no-audit --no-fund --prefix "$prefix" @stoplight/prism-cli@5 >&2
fi

log=$(mktemp)
"$prism" mock --errors -h 127.0.0.1 -p "$port" "$spec" >"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -f "$log"' EXIT INT TERM

# Wait for Prism to answer: at most 60 s.
tries=0
until curl -s -o /dev/null "http://127.0.0.1:$port/user"; do
    tries=$((tries + 1))
    if ! kill -0 "$pid" 2>/dev/null || [ "$tries" -ge 300 ]; then
        echo "prism-check: Prism did not start:" >&2
        cat "$log" >&2
        exit 1
    fi
    sleep 0.2
done

status=0
GIT_REALM_PRISM_URL="http://127.0.0.1:$port" cargo test --locked --bin git-realm -- \
    --ignored --exact notify::github::tests::requests_conform_to_githubs_openapi_description \
    || status=$?
if [ "$status" -ne 0 ]; then
    echo "prism-check: Prism's log:" >&2
    grep -E "Request received|violation|✖|error" "$log" >&2 || true
fi
exit "$status"
