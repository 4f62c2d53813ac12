// Ctrl-C stops a load cleanly and the same command resumes the same run: chunks already
// in the ledger are not loaded again, the rest are, and the table ends exact.
import { join } from 'node:path';
import { runCli, startCli, uniqueName, writeTripsCsv } from '@copyfleet/testing';
import { afterAll, expect, it } from 'vitest';
import { e2e, one, runIdOf } from './helpers.js';

const t = e2e();
afterAll(() => t.close());

it('Ctrl-C, then the same command again, resumes the run exactly', async () => {
  const file = join(t.dir, 'trips.csv');
  const totals = await writeTripsCsv(file, { rows: 12_000, seed: 9 });
  const table = uniqueName('resumed');
  const args = ['load', file, '--table', table, '--workers', '2', '--chunk', '128KiB'];

  // First attempt: slow chunks (a pause before each commit), interrupted after a few commits.
  const first = startCli(args, { ...t.env, COPYFLEET_FAILPOINTS: 'before-commit=700' });
  let loadedBefore = 0;
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
    const r = await one(t.pool, `SELECT count(c.loaded_at)::int AS n FROM copyfleet.chunks c JOIN copyfleet.runs r USING (run_id) WHERE r.target_table = $1`, [`public.${table}`]);
    loadedBefore = r.n;
    if (loadedBefore >= 2) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  first.child.kill('SIGINT');
  const stopped = await first.done;
  expect(stopped.code).toBe(130);
  expect(stopped.stderr).toMatch(/Run the same command again to resume it/);
  const mid = await one(t.pool, `SELECT run_id::text, status, chunks_total FROM copyfleet.runs WHERE target_table = $1`, [`public.${table}`]);
  expect(mid.status).toBe('running');
  const loadedAtStop = await one(t.pool, 'SELECT count(loaded_at)::int AS n FROM copyfleet.chunks WHERE run_id = $1', [mid.run_id]);
  expect(loadedAtStop.n).toBeLessThan(mid.chunks_total);

  // Second attempt: the same command.
  const second = await runCli(args, t.env);
  expect(second.code, second.stderr).toBe(0);
  expect(second.stderr).toMatch(new RegExp(`run ${mid.run_id} resumed`));
  expect(runIdOf(second.stdout)).toBe(mid.run_id);

  const sums = await one(t.pool, `SELECT count(*)::int AS n, sum(passengers)::int AS p FROM ${table}`);
  expect(sums).toEqual({ n: totals.rows, p: totals.intSum });
  const runs = await one(t.pool, 'SELECT count(*)::int AS n FROM copyfleet.runs WHERE target_table = $1', [`public.${table}`]);
  expect(runs.n).toBe(1);
});
