// PostgreSQL restarted in the middle of a run, with COPYs in flight (each chunk waits
// 500 ms between its COPY and its COMMIT): fast shutdown (sessions terminated) and
// immediate shutdown (no checkpoint, crash recovery at start). The transactions in flight
// roll back, their chunks are done again once the server answers, no process crashes,
// and the run completes, exact.
import { join } from 'node:path';
import { startCli, uniqueName } from '@copyfleet/testing';
import { afterAll, expect, it } from 'vitest';
import { e2e, one, runIdOf } from '../helpers.js';
import { chaosServices, expectExactTable, expectLedger, recordResult, runOf, waitFor, writeKeyedCsv } from './harness.js';

const t = e2e({ COPYFLEET_FAILPOINTS: 'before-commit=500', LOCK_DURATION_MS: '5000', STALLED_INTERVAL_MS: '1000' });
afterAll(() => t.close());

for (const mode of ['fast', 'immediate'] as const) {
  it(`PostgreSQL restarted (${mode} shutdown) with COPYs in flight: they roll back, are retried, exact`, async () => {
    const t0 = Date.now();
    const file = join(t.dir, `${mode}.csv`);
    const totals = await writeKeyedCsv(file, { rows: 25_000, seed: mode === 'fast' ? 41 : 42 });
    const table = uniqueName(`pg_${mode}`);
    const load = startCli(['load', file, '--table', table, '--workers', '2', '--chunk', '16KiB'], t.env);
    const runId = await runOf(t.pool, table);
    const atRestart = await waitFor('some chunks loaded and COPYs in flight', async () => {
      const r = await one<{ loaded: number; total: number; in_flight: number }>(t.pool,
        `SELECT count(loaded_at)::int AS loaded, count(*)::int AS total,
                (SELECT count(*)::int FROM pg_stat_activity WHERE application_name LIKE 'copyfleet-worker-%' AND state = 'idle in transaction') AS in_flight
           FROM copyfleet.chunks WHERE run_id = $1`, [runId]);
      return r.loaded >= 5 && r.in_flight >= 1 ? r : null;
    }, 120_000, 50);
    const t1 = Date.now();
    await chaosServices(['pg-restart', mode]);
    const restartMs = Date.now() - t1;

    const res = await load.done;
    expect(res.code, res.stderr).toBe(0);
    expect(runIdOf(res.stdout)).toBe(runId);
    expect(res.stderr).not.toMatch(/exited \(/); // no process crashed
    expect(res.stderr).toMatch(/PostgreSQL unavailable; the job waits for it/);
    await expectExactTable(t.pool, table, totals);
    const ledger = await expectLedger(t.pool, runId, totals.rows);
    // Each chunk whose transaction was cut was attempted again.
    expect(ledger.attempts).toBeGreaterThanOrEqual(ledger.chunks + atRestart.in_flight);
    recordResult({ case: `PostgreSQL restarted (${mode}) mid-run`, seconds: (Date.now() - t0) / 1000, exact: true,
      restartMs, chunksLoadedAtRestart: `${atRestart.loaded}/${atRestart.total}`, copiesInFlight: atRestart.in_flight,
      attempts: ledger.attempts, extraAttempts: ledger.attempts - ledger.chunks });
  });
}
