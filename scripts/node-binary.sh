#!/usr/bin/env bash
# Prints the path of a Node.js binary of the given major (default 24, Lambda's nodejs24.x),
# installing it first from the npm registry (the node-linux-<arch> package ships the official
# binary and headers) into ~/.cache/onebox/node-<major>. Used by scripts/test-on-node.sh and
# .ci/run; handy for `runtimes.nodejs24.x` in a config.
set -euo pipefail
major="${1:-24}"
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "node-binary.sh: no node-linux package for $(uname -m)" >&2; exit 1 ;;
esac
prefix="${XDG_CACHE_HOME:-$HOME/.cache}/onebox/node-$major"
node="$prefix/node_modules/node-linux-$arch/bin/node"
if [ ! -x "$node" ]; then
  npm install --no-save --no-package-lock --no-audit --no-fund --silent --prefix "$prefix" "node-linux-$arch@$major" >&2
fi
echo "$node"
