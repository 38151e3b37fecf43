#!/usr/bin/env bash
# Installs axe-core from npm (outside the repository) for the dashboard's
# accessibility checks and prints the path of axe.min.js for TM_AXE.
set -euo pipefail
dir="${TM_AXE_DIR:-/tmp/tm-axe}"
js="$dir/node_modules/axe-core/axe.min.js"
if [ ! -f "$js" ]; then
  npm install --silent --no-audit --no-fund --prefix "$dir" axe-core@4 >&2
fi
echo "axe-core: $(node -p "require('$dir/node_modules/axe-core/package.json').version" 2>/dev/null || echo installed)" >&2
echo "$js"
