// Redis faults in the middle of a run. Restarted (SHUTDOWN NOSAVE, then started from its
// append-only file): the run completes, exact. Unreachable for 30 s while the splitter is
// half-way through queueing chunks and workers are loading: every process backs off and
// recovers without crashing (none is restarted), and the run completes, exact.
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { startCli, uniqueName } from '@copyfleet/testing';
import { afterAll, expect, it } from 'vitest';
import { e2e, one, runIdOf } from '../helpers.js';
import {
  chaosServices, closeQueues, expectExactTable, expectLedger, queuesFor, recordResult, redisPort, runOf, stopRedis, waitFor, writeKeyedCsv,
} from './harness.js';

const t = e2e({ COPYFLEET_FAILPOINTS: 'before-commit=300', LOCK_DURATION_MS: '5000', STALLED_INTERVAL_MS: '1000' });
afterAll(() => t.close());

const loadedChunks = async (runId: string): Promise<{ loaded: number; total: number }> =>
  one(t.pool, 'SELECT count(loaded_at)::int AS loaded, count(*)::int AS total FROM copyfleet.chunks WHERE run_id = $1', [runId]);

it('Redis restarted mid-run (shutdown nosave, start from the AOF): the run completes, exact', async () => {
  const t0 = Date.now();
  const file = join(t.dir, 'restart.csv');
  const totals = await writeKeyedCsv(file, { rows: 25_000, seed: 31 });
  const table = uniqueName('redis_restart');
  const load = startCli(['load', file, '--table', table, '--workers', '2', '--chunk', '16KiB'], t.env);
  const runId = await runOf(t.pool, table);
  const before = await waitFor('a third of the chunks loaded', async () => {
    const c = await loadedChunks(runId);
    return c.total > 0 && c.loaded >= c.total / 3 ? c : null;
  }, 120_000);
  const t1 = Date.now();
  await chaosServices(['redis-restart']);
  const restartMs = Date.now() - t1;

  const res = await load.done;
  expect(res.code, res.stderr).toBe(0);
  expect(runIdOf(res.stdout)).toBe(runId);
  expect(before.loaded).toBeLessThan(before.total);
  await expectExactTable(t.pool, table, totals);
  const ledger = await expectLedger(t.pool, runId, totals.rows);
  expect(res.stderr).not.toMatch(/exited \(/);
  recordResult({ case: 'Redis restarted mid-run (SHUTDOWN NOSAVE, AOF)', seconds: (Date.now() - t0) / 1000, exact: true,
    restartMs, chunksLoadedAtRestart: `${before.loaded}/${before.total}`, attempts: ledger.attempts, extraAttempts: ledger.attempts - ledger.chunks });
});

it('Redis unreachable for 30 s while the splitter queues and workers load: all back off, none crashes, exact', async () => {
  const t0 = Date.now();
  const file = join(t.dir, 'outage.csv');
  // ~1500 chunks of 2 KiB: two batches of queueing, with a 3 s pause after each (a failpoint).
  const totals = await writeKeyedCsv(file, { rows: 80_000, seed: 32 });
  const table = uniqueName('redis_outage');
  const env = { ...t.env, COPYFLEET_FAILPOINTS: 'after-enqueue-batch=3000', LOG_LEVEL: 'warn' };
  const load = startCli(['load', file, '--table', table, '--workers', '2', '--chunk', '2KiB'], env);
  const runId = await runOf(t.pool, table);
  const queues = queuesFor(env);
  let queuedAtOutage: number;
  try {
    queuedAtOutage = await waitFor('the splitter to queue its first batch', async () => {
      const n = (await queues.chunkJobStates(runId)).size;
      return n >= 1000 ? n : null;
    }, 120_000);
  } finally {
    await closeQueues(queues);
  }
  const planned = (await one(t.pool, 'SELECT chunks_total FROM copyfleet.runs WHERE run_id = $1', [runId])).chunks_total as number;
  expect(queuedAtOutage).toBeLessThan(planned); // the splitter has more to queue when Redis goes away
  await stopRedis();
  const down = Date.now();
  await sleep(30_000); // the outage itself
  await chaosServices(['up'], { COPYFLEET_REDIS_PORT: String(redisPort()) });
  const outageMs = Date.now() - down;

  const res = await load.done;
  expect(res.code, res.stderr).toBe(0);
  expect(runIdOf(res.stdout)).toBe(runId);
  expect(res.stderr).not.toMatch(/exited \(/); // no process died and was restarted
  expect(res.stderr).toMatch(/Redis unavailable|queue error/); // they noticed, and waited
  await expectExactTable(t.pool, table, totals);
  const ledger = await expectLedger(t.pool, runId, totals.rows);
  expect(ledger.chunks).toBe(planned);
  recordResult({ case: 'Redis unreachable 30 s (splitter mid-queue, workers loading)', seconds: (Date.now() - t0) / 1000, exact: true,
    outageMs, queuedAtOutage: `${queuedAtOutage}/${planned}`, attempts: ledger.attempts, processRestarts: 0 });
});
