#!/usr/bin/env bash
# Installs the pinned npm dependencies of the CloudEvents JavaScript interop test
# (node_modules/ next to this script) exactly as package-lock.json records them.
# Called by tools/setup.sh; needs Node.js >= 18 and npm, and the npm registry.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
command -v npm >/dev/null 2>&1 || { echo "install.sh: npm not found (install Node.js >= 18)" >&2; exit 1; }
npm ci --no-audit --no-fund
echo "install.sh: node_modules ready in $(pwd)"
