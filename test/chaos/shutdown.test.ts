// SIGTERM — what Kubernetes sends at every scale-down — to a worker in the middle of a
// chunk: it ends within SHUTDOWN_GRACE_MS with the chunk either committed or released
// (back to waiting, no attempt spent, its transaction rolled back), never half-done.
import { join } from 'node:path';
import { runCli, startCli, uniqueName } from '@copyfleet/testing';
import { afterAll, expect, it } from 'vitest';
import { e2e, one } from '../helpers.js';
import { expectExactTable, expectLedger, recordResult, statusOf, waitFor, writeKeyedCsv } from './harness.js';

const t = e2e({ CHUNK: '32KiB' });
afterAll(() => t.close());

/** The worker's connection holds an open transaction (it is between its COPY and its COMMIT). */
async function inTransaction(pid: number): Promise<boolean> {
  const { rows } = await t.pool.query(
    `SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND state = 'idle in transaction'`,
    [`copyfleet-worker-${pid}`],
  );
  return rows.length > 0;
}

async function sigtermAndTime(child: ReturnType<typeof startCli>): Promise<{ ms: number; code: number | null; stderr: string }> {
  const t0 = Date.now();
  child.child.kill('SIGTERM');
  const res = await child.done;
  return { ms: Date.now() - t0, code: res.code, stderr: res.stderr };
}

it('SIGTERM mid-chunk: committed within the grace period, or released when it runs out', async () => {
  const t0 = Date.now();
  const file = join(t.dir, 'keyed.csv');
  const totals = await writeKeyedCsv(file, { rows: 3000, seed: 5 });
  const table = uniqueName('sigterm');
  const args = [file, '--table', table];
  const split = await runCli(['split', ...args], t.env);
  expect(split.code, split.stderr).toBe(0);
  const runId = (JSON.parse(split.stdout.trim().split('\n').at(-1)!) as { runId: string }).runId;
  const chunks = (await statusOf(runId, t.env)).chunks.total as number;
  expect(chunks).toBeGreaterThanOrEqual(3);

  // 1. The chunk would need 8 s more; the grace period is 1 s: the worker releases it and exits.
  const slow = startCli(['worker'], { ...t.env, COPYFLEET_FAILPOINTS: 'before-commit=8000', SHUTDOWN_GRACE_MS: '1000', LOG_LEVEL: 'info' });
  await waitFor('the worker to hold a chunk in its transaction', () => inTransaction(slow.child.pid!), 30_000);
  const released = await sigtermAndTime(slow);
  expect(released.code, released.stderr).toBe(0);
  expect(released.stderr).toMatch(/grace period over: current job released/);
  expect(released.ms).toBeLessThan(1000 + 1500);
  // Nothing of it in the table; the job is waiting again, not running, not charged an attempt.
  expect((await one(t.pool, `SELECT count(*)::int AS n FROM ${table}`)).n).toBe(0);
  const afterRelease = await statusOf(runId, t.env);
  expect(afterRelease.chunks).toMatchObject({ done: 0, running: 0, retrying: 0, waiting: chunks, dead: 0 });
  await waitFor('its backend to be gone', async () => !(await inTransaction(slow.child.pid!)), 10_000);

  // 2. The chunk needs 1.5 s more; the grace period is 20 s: the worker commits it, takes no other, and exits.
  const quick = startCli(['worker'], { ...t.env, COPYFLEET_FAILPOINTS: 'before-commit=1500', SHUTDOWN_GRACE_MS: '20000', LOG_LEVEL: 'info' });
  await waitFor('the worker to hold a chunk in its transaction', () => inTransaction(quick.child.pid!), 30_000);
  const finished = await sigtermAndTime(quick);
  expect(finished.code, finished.stderr).toBe(0);
  expect(finished.stderr).not.toMatch(/grace period over/);
  expect(finished.ms).toBeLessThan(1500 + 3000);
  const afterFinish = await one(t.pool, 'SELECT count(loaded_at)::int AS loaded FROM copyfleet.chunks WHERE run_id = $1', [runId]);
  expect(afterFinish.loaded).toBe(1);

  // 3. The same command finishes the run, exactly.
  const load = await runCli(['load', ...args, '--workers', '2'], t.env);
  expect(load.code, load.stderr).toBe(0);
  expect(load.stdout).toMatch(new RegExp(`run ${runId} done`));
  await expectExactTable(t.pool, table, totals);
  const ledger = await expectLedger(t.pool, runId, totals.rows);
  recordResult({ case: 'SIGTERM mid-chunk (grace 1 s: released; grace 20 s: committed)', seconds: (Date.now() - t0) / 1000, exact: true,
    releasedInMs: released.ms, committedInMs: finished.ms, chunks: ledger.chunks, attempts: ledger.attempts });
});
