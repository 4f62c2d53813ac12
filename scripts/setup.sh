#!/usr/bin/env bash
# `make setup`: everything copyfleet needs, idempotent and fast when all is there.
#   1. npm dependencies (npm install when node_modules is missing or older than package-lock.json;
#      not `npm ci`, which refuses a lock file that lists only this platform's optional packages,
#      as npm writes it for DuckDB's per-platform bindings)
#   2. the TypeScript build (tsc -b, incremental) and the command's bundle (scripts/bundle.mjs)
#   3. PostgreSQL and Redis (scripts/services.sh up: configured ones, or private local instances)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if (( major < 20 )); then
  echo "copyfleet needs Node.js 20 or newer (found: $(node --version 2>/dev/null || echo none)). Install it from your distribution or nodejs.org." >&2
  exit 1
fi

if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "setup: installing npm dependencies"
  npm install --no-audit --no-fund --loglevel=error
fi

bash scripts/tools.sh
node_modules/.bin/tsc -b
node scripts/bundle.mjs
chmod +x apps/cli/dist/main.js apps/cli/dist/bundle/copyfleet.js

# Headless Chromium for the dashboard's browser tests (test/dashboard): Debian's, installed as root like Redis.
[[ -x /usr/bin/chromium || $EUID -ne 0 ]] || ! command -v apt-get >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 chromium >/dev/null || echo "setup: could not install chromium (apt-get install -y chromium): the dashboard's browser tests need it" >&2

bash scripts/services.sh up
