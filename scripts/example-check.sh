#!/usr/bin/env bash
# `make example-check [BYTES=1GiB] [EXAMPLES="nike-sales mobility"]`: every example generated at
# BYTES and loaded with its multi-source spec in one run, into a schema of its own (dropped
# first), then checked: for every file, rows loaded + rejected = the records the generator wrote
# (manifest.json). Prints one line per example: files, bytes, records, rejects, seconds, MB/s.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"
dotenv_load .env
bytes="${BYTES:-1GiB}"
declare -A SPEC=([topical-chat]=jsonl.yaml [openlibrary]=dumps.yaml [trips]=taxi.yaml [nike-sales]=dataset.yaml [mobility]=dataset.yaml)
examples="${EXAMPLES:-topical-chat openlibrary trips nike-sales mobility}"
export PGSCHEMA=copyfleet_example_check
psql "$DATABASE_URL" -qX -v ON_ERROR_STOP=1 -c "SET client_min_messages TO warning" -c "DROP SCHEMA IF EXISTS $PGSCHEMA CASCADE" -c "CREATE SCHEMA $PGSCHEMA" >/dev/null
node_modules/.bin/tsc -b libs/generate apps/cli
failed=0
for name in $examples; do
  spec="examples/$name/${SPEC[$name]:?unknown example $name}"
  data=".data/examples/$name-$bytes"
  [[ -f "$data/manifest.json" ]] || node libs/generate/dist/main.js "$name" "$bytes" 1 "$data" >/dev/null
  started=$(date +%s.%N)
  out="$(node apps/cli/dist/main.js load --dataset "$spec" --data "$data" 2>&1 | tail -1)" || { warn "$name: $out"; failed=1; continue; }
  seconds=$(echo "$(date +%s.%N) - $started" | bc)
  run="$(sed -nE 's/^copyfleet: run ([0-9]+) .*/\1/p' <<<"$out")"
  counts="$(psql "$DATABASE_URL" -AtX -c "SELECT json_object_agg(regexp_replace(uri, '^.*/', ''), json_build_array(rows_loaded, rows_rejected)) FROM copyfleet.files WHERE run_id = ${run:?no run in: $out}")"
  node -e '
    const [manifest, counts, name, seconds] = [require(process.argv[1]), JSON.parse(process.argv[2]), process.argv[3], Number(process.argv[4])];
    let records = 0, rejected = 0, bad = [];
    for (const f of manifest.files) {
      const [l, r] = counts[f.path] ?? [0, 0];
      records += f.records; rejected += r;
      if (l + r !== f.records) bad.push(`${f.path}: ${l} loaded + ${r} rejected != ${f.records} records`);
    }
    const mbs = (manifest.bytes / 1e6 / seconds).toFixed(1);
    console.log(`${name}: ${manifest.files.length} files, ${manifest.bytes} bytes, ${records} records, ${rejected} rejected, ${seconds.toFixed(1)} s (${mbs} MB/s)${bad.length ? "  NOT EXACT: " + bad.join("; ") : ", exact"}`);
    process.exit(bad.length ? 1 : 0);
  ' "$PWD/$data/manifest.json" "$counts" "$name" "$seconds" || failed=1
done
exit "$failed"
