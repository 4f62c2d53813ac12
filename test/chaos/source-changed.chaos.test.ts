// What is not guaranteed, and refused: the input modified during a load. Each worker
// compares the file's version (size and modification time) with the one the run planned;
// once it differs, every chunk not yet loaded is refused at once (no retries: they are
// dead), the run fails saying the file changed, and the chunks loaded before stay —
// the table holds exactly what the ledger says was loaded.
import { utimesSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, startCli, uniqueName } from '@copyfleet/testing';
import { afterAll, expect, it } from 'vitest';
import { e2e, one } from '../helpers.js';
import { recordResult, runOf, waitFor, writeKeyedCsv } from './harness.js';

const t = e2e({ COPYFLEET_FAILPOINTS: 'before-commit=300' });
afterAll(() => t.close());

it('a file modified mid-load: the rest of its chunks are refused, the run fails and says why', async () => {
  const t0 = Date.now();
  const file = join(t.dir, 'keyed.csv');
  await writeKeyedCsv(file, { rows: 25_000, seed: 91 });
  const table = uniqueName('changed');
  const load = startCli(['load', file, '--table', table, '--workers', '2', '--chunk', '16KiB'], t.env);
  const runId = await runOf(t.pool, table);
  await waitFor('five chunks loaded', async () =>
    (await one(t.pool, 'SELECT count(loaded_at)::int AS n FROM copyfleet.chunks WHERE run_id = $1', [runId])).n >= 5, 120_000);
  const later = new Date(Date.now() + 60_000);
  utimesSync(file, later, later); // same bytes, another modification time: another version

  const res = await load.done;
  expect(res.code).toBe(1);
  expect(res.stdout).toMatch(new RegExp(`run ${runId} FAILED.*changed since run ${runId} was planned`));
  const l = await one<{ total: number; loaded: number; dead: number; dead_attempts: number; rows: number }>(t.pool,
    `SELECT count(*)::int AS total, count(loaded_at)::int AS loaded, count(dead_at)::int AS dead,
            max(attempts) FILTER (WHERE dead_at IS NOT NULL) AS dead_attempts, coalesce(sum(rows_loaded), 0)::int AS rows
       FROM copyfleet.chunks WHERE run_id = $1`, [runId]);
  expect(l.loaded).toBeGreaterThanOrEqual(5);
  expect(l.loaded + l.dead).toBe(l.total);
  expect(l.dead).toBeGreaterThan(0);
  expect(l.dead_attempts).toBeLessThanOrEqual(1); // refused at once (before or at its first attempt), never retried
  expect((await one(t.pool, `SELECT count(*)::int AS n FROM ${table}`)).n).toBe(l.rows);
  // And resume refuses too: the file is another input now.
  const resumed = await runCli(['resume', runId, '--detach'], t.env);
  expect(resumed.code).toBe(1);
  expect(resumed.stderr).toMatch(/changed since run \d+ was planned .*load it as a new run/);
  recordResult({ case: 'input modified mid-load (refused, not guaranteed)', seconds: (Date.now() - t0) / 1000, exact: true,
    chunksLoadedBefore: l.loaded, chunksRefused: l.dead, maxAttemptsPerRefusedChunk: l.dead_attempts, tableRowsEqualLedger: l.rows });
});
