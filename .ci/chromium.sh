#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests of tm serve, unless a
# Chromium is already there (TM_CHROMIUM or /usr/bin/chromium).
set -euo pipefail
bin="${TM_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$bin" ]; then
  echo "chromium: $("$bin" --version 2>/dev/null || echo "$bin")" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends chromium
echo "chromium: $(/usr/bin/chromium --version)" >&2
