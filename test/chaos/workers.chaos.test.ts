// Workers killed: during a load of ~160 chunks with 3 worker processes, 20 SIGKILLs at
// chosen moments — inside the load transaction (COPY done, commit not sent), just after
// the commit (the job not yet acknowledged), and at a random moment — each worker
// restarted by `copyfleet load` as Kubernetes would. The table ends exact (rows, every key
// once, a column checksum) and the ledger agrees.
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { pick, rng, startCli, uniqueName } from '@copyfleet/testing';
import { afterAll, expect, it } from 'vitest';
import { e2e, runIdOf } from '../helpers.js';
import { childPids, closeQueues, expectExactTable, expectLedger, queuesFor, recordResult, runOf, statusOf, waitFor, writeKeyedCsv } from './harness.js';

const KILLS = 20;
const SEED = Number(process.env.CHAOS_SEED ?? 20);
const t = e2e({
  // Each chunk spends 300 ms in its transaction before COMMIT and 300 ms after it before
  // the job is acknowledged: the windows the kills aim at.
  COPYFLEET_FAILPOINTS: 'before-commit=300,after-commit=300',
  LOCK_DURATION_MS: '3000',
  STALLED_INTERVAL_MS: '1000',
});
const queues = queuesFor(t.env);
afterAll(async () => {
  await closeQueues(queues);
  await t.close();
});

type Phase = 'in-transaction' | 'after-commit' | 'anywhere';
const PHASES: Phase[] = ['in-transaction', 'after-commit', 'anywhere'];

/** Worker pids of the load that are in `phase` now. */
async function workersIn(phase: Phase, loadPid: number, runId: string): Promise<number[]> {
  const pids = childPids(loadPid, 'worker');
  if (phase === 'anywhere' || pids.length === 0) return pids;
  if (phase === 'in-transaction') {
    const { rows } = await t.pool.query<{ app: string }>(
      `SELECT application_name AS app FROM pg_stat_activity WHERE application_name = ANY($1) AND state = 'idle in transaction'`,
      [pids.map((p) => `copyfleet-worker-${p}`)],
    );
    return rows.map((r) => Number(r.app.split('-').at(-1)));
  }
  // after-commit: holds a job whose chunk the ledger already has.
  const active = await queues.activeChunkJobs(runId);
  if (active.length === 0) return [];
  const { rows } = await t.pool.query<{ chunk_no: number }>(
    'SELECT chunk_no FROM copyfleet.chunks WHERE run_id = $1 AND chunk_no = ANY($2) AND loaded_at IS NOT NULL',
    [runId, active.map((a) => a.chunkNo)],
  );
  const loaded = new Set(rows.map((r) => r.chunk_no));
  return active
    .filter((a) => loaded.has(a.chunkNo) && a.worker)
    .map((a) => Number(/\/(\d+)$/.exec(a.worker!)?.[1]))
    .filter((p) => pids.includes(p));
}

it(`${KILLS} SIGKILLs of workers before, in and after their commit leave the table exact`, async () => {
  const t0 = Date.now();
  const r = rng(SEED);
  const file = join(t.dir, 'keyed.csv');
  const totals = await writeKeyedCsv(file, { rows: 70_000, seed: SEED, quotedNewlineEvery: 11 });
  const table = uniqueName('killed');
  const load = startCli(['load', file, '--table', table, '--workers', '3', '--chunk', '16KiB'], t.env);
  const runId = await runOf(t.pool, table);

  const kills: { phase: Phase; pid: number }[] = [];
  for (let i = 0; i < KILLS; i++) {
    const phase = PHASES[i % PHASES.length]!;
    const victims = await waitFor(`a worker ${phase} (kill ${i + 1} of ${KILLS}; the load must outlast them)`, async () => {
      if (load.child.exitCode !== null) throw new Error(`the load ended after ${i} kills`);
      const v = await workersIn(phase, load.child.pid!, runId);
      return v.length > 0 ? v : null;
    }, 60_000, 20);
    if (phase === 'anywhere') await sleep(Math.floor(r() * 400));
    const pid = pick(r, victims);
    try {
      process.kill(pid, 'SIGKILL');
      kills.push({ phase, pid });
    } catch {
      i--; // it exited on its own in between: aim again
    }
  }

  const res = await load.done;
  expect(res.code, res.stderr).toBe(0);
  expect(runIdOf(res.stdout)).toBe(runId);
  expect(res.stderr.match(/exited \(SIGKILL\); starting it again/g)).toHaveLength(KILLS);
  await expectExactTable(t.pool, table, totals);
  const ledger = await expectLedger(t.pool, runId, totals.rows);
  const byPhase = Object.fromEntries(PHASES.map((p) => [p, kills.filter((k) => k.phase === p).length]));
  expect(byPhase['in-transaction']).toBeGreaterThanOrEqual(6);
  expect(byPhase['after-commit']).toBeGreaterThanOrEqual(6);
  // Every chunk killed inside its transaction was attempted again.
  expect(ledger.attempts).toBeGreaterThanOrEqual(ledger.chunks + byPhase['in-transaction']!);
  const status = await statusOf(runId, t.env);
  expect(status).toMatchObject({ status: 'done', chunks: { total: ledger.chunks, done: ledger.chunks, dead: 0, pending: 0 } });
  recordResult({
    case: `workers SIGKILLed x${KILLS} (3 workers)`, seconds: (Date.now() - t0) / 1000, exact: true,
    kills: byPhase, chunks: ledger.chunks, attempts: ledger.attempts, extraAttempts: ledger.attempts - ledger.chunks, rows: totals.rows, seed: SEED,
  });
});
