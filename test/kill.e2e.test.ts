// A worker killed with SIGKILL in the middle of a chunk — its COPY done, its commit not
// yet sent — loses nothing and duplicates nothing: PostgreSQL rolls the transaction
// back, BullMQ's stalled-job check hands the chunk out again, the restarted worker (or
// the other one) loads it, and the ledger keeps it to one copy.
import { join } from 'node:path';
import { startCli, uniqueName, writeTripsCsv } from '@copyfleet/testing';
import { afterAll, expect, it } from 'vitest';
import { e2e, one, runIdOf } from './helpers.js';

const t = e2e({
  // Every worker pauses 1.5 s between its COPY and its COMMIT: the window we kill in.
  COPYFLEET_FAILPOINTS: 'before-commit=1500',
  LOCK_DURATION_MS: '3000',
  STALLED_INTERVAL_MS: '1000',
});
afterAll(() => t.close());

/** A worker holding an uncommitted COPY: its pid is in its application_name. */
async function workerInTransaction(): Promise<number | null> {
  const { rows } = await t.pool.query<{ app: string }>(
    `SELECT application_name AS app FROM pg_stat_activity
      WHERE application_name LIKE 'copyfleet-worker-%' AND state = 'idle in transaction'`,
  );
  const pid = rows.map((r) => Number(r.app.split('-').at(-1))).find((p) => Number.isInteger(p) && p > 0);
  return pid ?? null;
}

it('SIGKILL of workers mid-chunk leaves the table exact', async () => {
  const file = join(t.dir, 'trips.csv');
  const totals = await writeTripsCsv(file, { rows: 12_000, quotedNewlineEvery: 9, seed: 3 });
  const table = uniqueName('killed');
  const load = startCli(['load', file, '--table', table, '--workers', '2', '--chunk', '256KiB'], t.env);

  const killed: number[] = [];
  const deadline = Date.now() + 60_000;
  while (killed.length < 3 && Date.now() < deadline && load.child.exitCode === null) {
    const pid = await workerInTransaction();
    if (pid !== null && !killed.includes(pid)) {
      process.kill(pid, 'SIGKILL');
      killed.push(pid);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const res = await load.done;
  expect(killed).toHaveLength(3);
  expect(res.code, res.stderr).toBe(0);
  expect(res.stderr).toMatch(/exited \(SIGKILL\); starting it again/);

  const runId = runIdOf(res.stdout);
  const sums = await one(t.pool, `SELECT count(*)::int AS n, sum(passengers)::int AS p, (sum(fare) * 1000)::bigint::text AS f FROM ${table}`);
  expect(sums).toEqual({ n: totals.rows, p: totals.intSum, f: String(totals.decimalSumMilli) });
  const ledger = await one(t.pool,
    `SELECT count(*)::int AS chunks, count(loaded_at)::int AS loaded, sum(rows_loaded)::int AS rows, sum(attempts)::int AS attempts
       FROM copyfleet.chunks WHERE run_id = $1`, [runId]);
  expect(ledger).toMatchObject({ loaded: ledger.chunks, rows: totals.rows });
  // Each killed chunk was attempted again.
  expect(ledger.attempts).toBeGreaterThanOrEqual(ledger.chunks + killed.length);
});
