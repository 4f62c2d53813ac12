// Long chunks do not stall: with BullMQ's lock at 1 s, chunks of 8 MiB of JSON Lines that
// are parsed in Node (the event loop busy) and then wait 3.5 s before their COMMIT — far
// longer than the lock — keep their lock renewed: no chunk is picked up twice (each is
// started exactly once in the ledger), no job stalls, and the table is exact.
import { join } from 'node:path';
import { startCli, uniqueName, writeChatJsonl } from '@copyfleet/testing';
import { afterAll, expect, it } from 'vitest';
import { e2e, one, runIdOf } from '../helpers.js';
import { recordResult } from './harness.js';

const t = e2e({ LOCK_DURATION_MS: '1000', STALLED_INTERVAL_MS: '500', COPYFLEET_FAILPOINTS: 'before-commit=3500', LOG_LEVEL: 'warn' });
afterAll(() => t.close());

it('chunks that take 4x the lock duration, parsing included, are never taken by a second worker', async () => {
  const t0 = Date.now();
  const file = join(t.dir, 'chat.jsonl');
  const totals = await writeChatJsonl(file, { messages: 120_000, seed: 71 });
  const table = uniqueName('long_chunks');
  const load = startCli(['load', file, '--table', table, '--workers', '2', '--chunk', '8MiB'], t.env);
  // How long worker transactions stay open (each holds its chunk's job all that time).
  let longestMs = 0;
  const sampler = setInterval(() => {
    t.pool
      .query<{ ms: number }>(`SELECT coalesce(max(extract(epoch FROM clock_timestamp() - xact_start) * 1000), 0)::int AS ms
                                FROM pg_stat_activity WHERE application_name LIKE 'copyfleet-worker-%' AND xact_start IS NOT NULL`)
      .then(({ rows }) => (longestMs = Math.max(longestMs, rows[0]!.ms)), () => undefined);
  }, 200);
  const res = await load.done.finally(() => clearInterval(sampler));
  expect(res.code, res.stderr).toBe(0);
  expect(res.stderr).not.toMatch(/stalled/);
  const runId = runIdOf(res.stdout);

  const ledger = await one<{ chunks: number; loaded: number; max_attempts: number; min_attempts: number }>(t.pool,
    `SELECT count(*)::int AS chunks, count(loaded_at)::int AS loaded, max(attempts) AS max_attempts, min(attempts) AS min_attempts
       FROM copyfleet.chunks WHERE run_id = $1`, [runId]);
  expect(ledger.chunks).toBeGreaterThanOrEqual(3);
  expect(ledger).toMatchObject({ loaded: ledger.chunks, max_attempts: 1, min_attempts: 1 });
  expect(longestMs).toBeGreaterThan(3 * 1000); // a chunk held its job for over three lock durations

  const sums = await one(t.pool, `SELECT count(*)::int AS n, count(DISTINCT (conversation_id, turn))::int AS keys, sum(turn)::int AS turns,
                                         (sum(sentiment_score) * 1000)::int AS score FROM ${table}`);
  expect(sums).toEqual({ n: totals.rows, keys: totals.rows, turns: totals.intSum, score: totals.decimalSumMilli });
  recordResult({ case: 'chunks 4x longer than the lock (LOCK_DURATION_MS=1000, 8 MiB JSONL)', seconds: (Date.now() - t0) / 1000, exact: true,
    chunks: ledger.chunks, attemptsPerChunk: 1, longestTransactionMs: longestMs, lockDurationMs: 1000, stalls: 0 });
});
