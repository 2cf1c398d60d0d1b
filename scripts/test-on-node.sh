#!/usr/bin/env bash
# Runs `npm test` on another Node.js major (default 24: the runtime the AWS constructs give
# Lambda). better-sqlite3 is rebuilt for that Node's ABI from the headers its package ships;
# the machine Node's build is put back when this ends, so the checkout keeps working.
set -euo pipefail
cd "$(dirname "$0")/.."
major="${1:-24}"
node="$(scripts/node-binary.sh "$major")"
bin="$(dirname "$node")"
addon=node_modules/better-sqlite3/build/Release/better_sqlite3.node
saved="$(mktemp)"
cp "$addon" "$saved"
trap 'cp "$saved" "$addon"; rm -f "$saved"' EXIT
PATH="$bin:$PATH" npm rebuild better-sqlite3 --nodedir="$(dirname "$bin")" --no-audit --no-fund >/dev/null
echo "test-on-node: npm test on Node $("$node" --version)"
PATH="$bin:$PATH" npm test
