#!/bin/sh
# Validity of `git realm graph --format mermaid`: Mermaid's own parser (npm mermaid@11, under
# node with jsdom@26 as its DOM; no browser) reads the flowcharts git-realm prints.
# .ci/mermaid-validate.mjs is the validator: a diagram on stdin, exit 0 and what Mermaid read
# as JSON if it is a flowchart, exit 1 and Mermaid's error if not. The graph tests pipe their
# flowcharts through it when GIT_REALM_MERMAID_VALIDATOR names it, and check it rejects a
# broken one so they cannot pass vacuously.
#
# Usage: .ci/mermaid-check.sh   (from anywhere; needs node/npm and cargo)
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# Its own prefix under .ci/node: `npm install --no-save` removes what else a prefix holds, such
# as prism-check.sh's Prism in .ci/node.
prefix=$root/.ci/node/mermaid
validator=$root/.ci/mermaid-validate.mjs

if [ ! -d "$prefix/node_modules/mermaid" ] || [ ! -d "$prefix/node_modules/jsdom" ]; then
    # Local to the repository (ignored by git), never global. mermaid@12 needs node 22.
    npm install --no-save --no-audit --no-fund --prefix "$prefix" mermaid@11 jsdom@26 >&2
fi

# The validator works before the tests rely on it: a flowchart passes, a broken one fails.
if ! printf 'flowchart LR\n  a["A"] -->|"x"| b["B"]\n' | node "$validator" >/dev/null; then
    echo "mermaid-check: the validator rejects a valid flowchart" >&2
    exit 1
fi
if printf 'flowchart LR\n  a["A] --> b\n' | node "$validator" >/dev/null 2>&1; then
    echo "mermaid-check: the validator accepts a broken flowchart" >&2
    exit 1
fi

export GIT_REALM_MERMAID_VALIDATOR="$validator"
# The graph tests: workflow::graphs_are_valid_dot_and_mermaid,
# workflow::graphs_of_stale_broken_and_awkward_imports_are_valid, and the graphs of several
# realms in cross_realm.
cargo test --locked --test testsuite -- workflow::graphs_ cross_realm::
