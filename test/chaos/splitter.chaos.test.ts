// The splitter killed after queueing half of its chunks (SIGKILL of `copyfleet load`, which
// plans, while it pauses after a batch of 1000, a failpoint): its worker processes stop too,
// and running the same command again continues the same run — no second run, every
// planned chunk loaded exactly once, the table exact.
import { join } from 'node:path';
import { runCli, startCli, uniqueName } from '@copyfleet/testing';
import { afterAll, expect, it } from 'vitest';
import { e2e, one, runIdOf } from '../helpers.js';
import { alive, childPids, closeQueues, expectExactTable, expectLedger, queuesFor, recordResult, runOf, waitFor, writeKeyedCsv } from './harness.js';

const t = e2e();
const queues = queuesFor(t.env);
afterAll(async () => {
  await closeQueues(queues);
  await t.close();
});

it('splitter killed half-way through queueing: the same command continues the same run, exact', async () => {
  const t0 = Date.now();
  const file = join(t.dir, 'keyed.csv');
  const totals = await writeKeyedCsv(file, { rows: 60_000, seed: 51 });
  const table = uniqueName('split_killed');
  const args = ['load', file, '--table', table, '--workers', '2', '--chunk', '1KiB'];

  const first = startCli(args, { ...t.env, COPYFLEET_FAILPOINTS: 'after-enqueue-batch=2000' });
  const runId = await runOf(t.pool, table);
  const queued = await waitFor('the first batch of 1000 chunk jobs', async () => {
    const n = (await queues.chunkJobStates(runId)).size;
    return n >= 1000 ? n : null;
  }, 120_000, 20);
  const workers = childPids(first.child.pid!, 'worker');
  expect(workers, 'the worker processes').toHaveLength(2);
  first.child.kill('SIGKILL');
  expect((await first.done).signal).toBe('SIGKILL');
  // Orphaned, they see their stdin end and stop (finishing their chunk), not load on unwatched.
  await waitFor('the worker processes to exit', async () => (workers.every((pid) => !alive(pid)) ? true : null), 30_000, 50);

  const planned = await one<{ chunks_total: number; in_ledger: number; status: string }>(t.pool,
    `SELECT chunks_total, status, (SELECT count(*)::int FROM copyfleet.chunks WHERE run_id = $1) AS in_ledger
       FROM copyfleet.runs WHERE run_id = $1`, [runId]);
  expect(planned.status).toBe('planning'); // it turns running after its last batch is queued
  expect(planned.in_ledger).toBe(planned.chunks_total); // the plan is in the ledger before anything is queued
  const queuedAtKill = (await queues.chunkJobStates(runId)).size;
  expect(queuedAtKill).toBe(1000); // one batch, and not a job more
  expect(planned.chunks_total).toBeGreaterThan(1500); // of ~1 650

  const again = await runCli(args, t.env);
  expect(again.code, again.stderr).toBe(0);
  expect(again.stderr).toMatch(new RegExp(`run ${runId} resumed`));
  expect(runIdOf(again.stdout)).toBe(runId);
  expect((await one(t.pool, 'SELECT count(*)::int AS n FROM copyfleet.runs WHERE target_table = $1', [`public.${table}`])).n).toBe(1);
  await expectExactTable(t.pool, table, totals);
  const ledger = await expectLedger(t.pool, runId, totals.rows);
  expect(ledger.chunks).toBe(planned.chunks_total);
  expect((await queues.chunkJobStates(runId)).size).toBe(planned.chunks_total); // one job per chunk, no duplicates
  recordResult({ case: 'splitter SIGKILLed after 1000 of its chunks were queued; same command again', seconds: (Date.now() - t0) / 1000, exact: true,
    chunks: ledger.chunks, queuedAtKill: `${queued}/${planned.chunks_total}`, runs: 1, attempts: ledger.attempts });
});
