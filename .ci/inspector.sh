#!/usr/bin/env bash
# Installs the MCP Inspector (@modelcontextprotocol/inspector, from npm) for
# the tests that drive tm mcp and /mcp with a client nobody here wrote, in a
# directory outside the repository, and prints the line that tells the
# tests where it is:  eval "$(bash .ci/inspector.sh)"
# 0.18 is the newest that runs on Node 20 (later ones want Node 22).
set -euo pipefail
version="${TM_MCP_INSPECTOR_VERSION:-0.18.0}"
dir="${TM_MCP_INSPECTOR_DIR:-${TMPDIR:-/tmp}/tm-mcp-inspector-$version}"
bin="$dir/node_modules/.bin/mcp-inspector"
if [ ! -x "$bin" ]; then
  command -v npm >/dev/null || { echo "npm is needed to install the MCP Inspector" >&2; exit 1; }
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "@modelcontextprotocol/inspector@$version" >&2
fi
echo "mcp-inspector: $version at $bin" >&2
echo "export TM_MCP_INSPECTOR='$bin'"
