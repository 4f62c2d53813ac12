#!/usr/bin/env bash
# `make chaos`: the fault matrix of RELIABILITY.md — workers killed, Redis and PostgreSQL
# restarted or unreachable, the splitter killed half-way, poison chunks, connection
# limits, SIGTERM, long chunks, reloads — each case a load that must end exact.
#
# The long cases restart PostgreSQL and Redis and take Redis away for 30 s. So that no
# other test run on this machine sees that, they run against a PostgreSQL and a Redis of
# their own: scripts/services.sh, copied to .data/chaos/ so that its data, ports and .env
# are separate, started here, pointed at by DATABASE_URL/REDIS_URL, and stopped at the end.
# The shared services are only started if they are down (make setup), never restarted.
#
# The network faults (test/chaos/network) put PostgreSQL, Redis, an S3-compatible server and
# each copyfleet process on test hosts of their own (network namespaces on a bridge, addresses
# from 198.18.0.0/15, nothing routed off the machine) and cut links between them. They need
# root and iproute2 (ip, tc); elsewhere they say why and are skipped.
#
#   bash scripts/chaos.sh [vitest arguments, e.g. test/chaos/redis]
#   CHAOS_RESULTS   where each case appends its result (default reports/chaos/results.jsonl);
#                   the table of results is printed at the end and written next to it as .md
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

bash scripts/setup.sh

CHAOS_ROOT="$REPO_ROOT/.data/chaos"
mkdir -p "$CHAOS_ROOT/scripts"
cp scripts/services.sh scripts/lib.sh "$CHAOS_ROOT/scripts/"
# The private instances get none of the shared ones' URLs or ports.
svc() { env -u DATABASE_URL -u REDIS_URL -u COPYFLEET_PG_PORT -u COPYFLEET_REDIS_PORT -u COPYFLEET_DATA_DIR bash "$CHAOS_ROOT/scripts/services.sh" "$@"; }
cleanup() {
  svc down >/dev/null 2>&1 || warn "could not stop the chaos services: bash .data/chaos/scripts/services.sh down"
  bash scripts/services.sh up >/dev/null || warn "the shared services are not up: bash scripts/services.sh up"
}
trap cleanup EXIT

log "chaos: starting a private PostgreSQL and Redis in .data/chaos"
svc up 2>&1 | grep -v 'is in use by another process' || true
env_lines="$(svc env)" || die "the chaos services did not start (see above)"
# Only the suites get the private URLs; this shell keeps the user's (for the cleanup).
chaos_db="$(eval "$env_lines"; printf '%s' "$DATABASE_URL")"
chaos_redis="$(eval "$env_lines"; printf '%s' "$REDIS_URL")"
log "chaos: postgres $(mask_url "$chaos_db"), redis $chaos_redis"
export CHAOS_RESULTS="${CHAOS_RESULTS:-$REPO_ROOT/reports/chaos/results.jsonl}"
mkdir -p "$(dirname "$CHAOS_RESULTS")"
: >"$CHAOS_RESULTS"

started=$(date +%s)
rc=0
DATABASE_URL="$chaos_db" REDIS_URL="$chaos_redis" COPYFLEET_CHAOS_SERVICES="$CHAOS_ROOT/scripts/services.sh" \
  node_modules/.bin/vitest run -c vitest.chaos.config.ts "$@" || rc=$?
elapsed=$(($(date +%s) - started))

# The fault matrix: one row per case, from what the suites recorded.
node - "$CHAOS_RESULTS" "$elapsed" <<'JS' | tee "${CHAOS_RESULTS%.jsonl}.md"
const [file, elapsed] = process.argv.slice(2);
const rows = require('node:fs').readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const details = (r) => Object.entries(r).filter(([k]) => !['case', 'seconds', 'exact'].includes(k))
  .map(([k, v]) => `${k} ${typeof v === 'object' ? JSON.stringify(v) : v}`).join(', ');
console.log(`\n| case | result | time | numbers |\n|---|---|---|---|`);
for (const r of rows) console.log(`| ${r.case} | ${r.exact ? 'exact' : 'NOT EXACT'} | ${r.seconds.toFixed(1)} s | ${details(r)} |`);
console.log(`\n${rows.length} case(s) recorded in ${elapsed} s (make chaos, ${new Date().toISOString().slice(0, 10)})`);
JS
exit "$rc"
