// Start-up: every process of a local load (worker, split, compactor, reporter, the CLI itself)
// runs this same entry point, so what it imports at the top is paid by each of them. The
// dashboard (Express, bull-board) and cluster mode (@kubernetes/client-node) are imported by
// their own commands only.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
// What users and the fleet run: one file for what every process needs (scripts/bundle.mjs).
const bundle = fileURLToPath(new URL('../dist/bundle/copyfleet.js', import.meta.url));
// Lists the CommonJS packages the process loaded, when it exits (ESM imports of CJS packages land in require.cache).
const probe = `data:text/javascript,${encodeURIComponent(
  "import { createRequire } from 'node:module'; const cache = createRequire(process.execPath).cache;" +
    "process.on('exit', () => process.stderr.write('LOADED ' + JSON.stringify(Object.keys(cache)) + '\\n'));",
)}`;

function loadedBy(args: string[], entry = main): string[] {
  const env = { ...process.env, DATABASE_URL: 'postgres://127.0.0.1:9/none', REDIS_URL: 'redis://127.0.0.1:9' };
  const { stderr } = spawnSync(process.execPath, ['--import', probe, entry, ...args], { encoding: 'utf8', env, timeout: 30_000 });
  const line = stderr.split('\n').find((l) => l.startsWith('LOADED ')) ?? 'LOADED []';
  return JSON.parse(line.slice('LOADED '.length)) as string[];
}

it('the command starts without the dashboard\'s and cluster mode\'s packages', () => {
  const loaded = loadedBy(['help']);
  expect(loaded.some((p) => p.includes('/bullmq/')), 'the probe sees the packages every process needs').toBe(true);
  for (const heavy of ['/express/', '/@bull-board/', '/@kubernetes/client-node/']) {
    expect(loaded.filter((p) => p.includes(heavy)), heavy).toEqual([]);
  }
});

it('the bundle holds what every process needs: of node_modules it loads only pg (left out for its tracing) at start', () => {
  const loaded = loadedBy(['help'], bundle).filter((p) => p.includes('/node_modules/'));
  expect(loaded.length, 'the probe sees pg').toBeGreaterThan(0);
  const packages = new Set(loaded.map((p) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(p)![1]));
  for (const p of packages) expect(['pg', 'pg-types', 'pg-pool', 'pg-protocol', 'pg-connection-string', 'pgpass', 'postgres-array', 'postgres-bytea', 'postgres-date', 'postgres-interval', 'pg-int8', 'split2', 'xtend', 'pg-cloudflare']).toContain(p);
});
