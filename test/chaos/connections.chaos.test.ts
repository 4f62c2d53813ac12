// Out of connections, for real: the processes connect as a role with CONNECTION LIMIT 8,
// and the test holds all 8 slots when the load starts, then gives back 5, then the rest.
// PostgreSQL answers too_many_connections (53300); every process waits with backoff
// instead of failing or crashing, and the run completes, exact. Meanwhile no process
// ever holds more connections than PG_POOL_MAX.
import { join } from 'node:path';
import { startCli, testServices, uniqueName } from '@copyfleet/testing';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { e2e, one, runIdOf } from '../helpers.js';
import { expectExactTable, expectLedger, recordResult, runOf, waitFor, writeKeyedCsv } from './harness.js';

const LIMIT = 8;
const POOL_MAX = 2;
const t = e2e({ COPYFLEET_FAILPOINTS: 'before-commit=200', PG_POOL_MAX: String(POOL_MAX) });
const role = uniqueName('cf_conn');
const table = uniqueName('conn_limit');

beforeAll(async () => {
  await t.pool.query(`CREATE ROLE ${role} LOGIN CONNECTION LIMIT ${LIMIT} IN ROLE ${new URL(testServices().databaseUrl).username}`);
});
afterAll(async () => {
  await t.pool.query(`DROP TABLE IF EXISTS ${table}`);
  await t.pool.query(`DROP OWNED BY ${role}`);
  await t.pool.query(`DROP ROLE ${role}`);
  await t.close();
});

/** Which processes logged a 53300 refusal: `[worker-1] … warn  worker …` from the fleet, `… warn  splitter …` directly. */
function refusedProcesses(stderr: string): Set<string> {
  return new Set(stderr.split('\n').filter((l) => l.includes('53300')).map((l) => /^\[([^\]]+)\]/.exec(l)?.[1] ?? l.split(/\s+/)[2] ?? l));
}

it(`too_many_connections (53300) is waited out, and no process opens more than PG_POOL_MAX`, async () => {
  const t0 = Date.now();
  const url = new URL(testServices().databaseUrl);
  url.username = role;
  const file = join(t.dir, 'keyed.csv');
  const totals = await writeKeyedCsv(file, { rows: 20_000, seed: 61 });

  const held: pg.Client[] = [];
  for (let i = 0; i < LIMIT; i++) {
    const c = new pg.Client({ connectionString: url.toString() });
    c.on('error', () => undefined);
    await c.connect();
    held.push(c);
  }
  const release = async (n: number): Promise<void> => {
    for (const c of held.splice(0, n)) await c.end();
  };

  const load = startCli(['load', file, '--table', table, '--workers', '2', '--chunk', '16KiB'], { ...t.env, DATABASE_URL: url.toString() });
  let stderr = '';
  load.child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const samples = { perProcess: 0, total: 0, taken: 0 };
  const sampler = setInterval(() => {
    t.pool
      .query<{ app: string; n: number }>(
        `SELECT application_name AS app, count(*)::int AS n FROM pg_stat_activity WHERE usename = $1 AND application_name LIKE 'copyfleet-%' GROUP BY 1`,
        [role],
      )
      .then(({ rows }) => {
        samples.taken++;
        samples.perProcess = Math.max(samples.perProcess, ...rows.map((r) => r.n), 0);
        samples.total = Math.max(samples.total, rows.reduce((a, r) => a + r.n, 0));
      }, () => undefined);
  }, 100);
  try {
    await waitFor('three processes refused with too_many_connections', async () => refusedProcesses(stderr).size >= 3, 60_000);
    await release(5);
    const runId = await runOf(t.pool, table);
    await waitFor('three chunks loaded with three slots still held', async () =>
      (await one(t.pool, 'SELECT count(loaded_at)::int AS n FROM copyfleet.chunks WHERE run_id = $1', [runId])).n >= 3, 120_000);
    await release(LIMIT);

    const res = await load.done;
    expect(res.code, res.stderr).toBe(0);
    expect(runIdOf(res.stdout)).toBe(runId);
    expect(res.stderr).not.toMatch(/exited \(/); // waited, did not crash
    await expectExactTable(t.pool, table, totals);
    const ledger = await expectLedger(t.pool, runId, totals.rows);
    expect(samples.taken).toBeGreaterThan(10);
    expect(samples.perProcess).toBeLessThanOrEqual(POOL_MAX);
    expect(samples.total).toBeLessThanOrEqual(LIMIT);
    recordResult({ case: `out of connections: role CONNECTION LIMIT ${LIMIT}, all held at start (53300)`, seconds: (Date.now() - t0) / 1000, exact: true,
      refusals: (stderr.match(/53300/g) ?? []).length, refusedProcesses: [...refusedProcesses(stderr)].join(' '), maxConnectionsPerProcess: samples.perProcess, maxConnectionsTotal: samples.total,
      poolMax: POOL_MAX, attempts: ledger.attempts });
  } finally {
    clearInterval(sampler);
    await release(LIMIT);
  }
});
