// A poison chunk: a failure that is not a bad row and does not pass by itself — INSERT
// revoked on the target table from the (non-superuser) role the processes connect as.
// Each chunk is retried with capped exponential backoff and jitter, then dead-lettered; the
// run ends failed naming the chunk and the error; once the grant is back,
// `copyfleet retry RUN --chunk N` loads that chunk alone and `copyfleet resume RUN` the rest.
import { join } from 'node:path';
import { runCli, testServices, uniqueName } from '@copyfleet/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { e2e, one } from '../helpers.js';
import { expectExactTable, expectLedger, recordResult, statusOf, writeKeyedCsv } from './harness.js';

const t = e2e({ CHUNK: '32KiB', CHUNK_ATTEMPTS: '3', BACKOFF_MS: '200' });
const role = uniqueName('cf_poison');
const table = uniqueName('poison');

beforeAll(async () => {
  // A login role with copyfleet's privileges by membership, but not its superuser bypass.
  await t.pool.query(`CREATE ROLE ${role} LOGIN IN ROLE ${new URL(testServices().databaseUrl).username}`);
});
afterAll(async () => {
  await t.pool.query(`DROP TABLE IF EXISTS ${table}`);
  await t.pool.query(`DROP OWNED BY ${role}`);
  await t.pool.query(`DROP ROLE ${role}`);
  await t.close();
});

it('a chunk that keeps failing is retried with backoff, dead-lettered, and loads after retry/resume', async () => {
  const t0 = Date.now();
  const url = new URL(testServices().databaseUrl);
  url.username = role;
  const env = { ...t.env, DATABASE_URL: url.toString() };
  const file = join(t.dir, 'keyed.csv');
  const totals = await writeKeyedCsv(file, { rows: 4000, seed: 21 });
  const args = [file, '--table', table, '--partition', 'none'];

  // Plan and queue the run with no worker up; then take INSERT away from the role.
  const split = await runCli(['split', ...args], env);
  expect(split.code, split.stderr).toBe(0);
  const runId = (JSON.parse(split.stdout.trim().split('\n').at(-1)!) as { runId: string }).runId;
  await t.pool.query(`REVOKE INSERT ON ${table} FROM ${role}`);

  // Workers take the run on; every chunk fails three times, dies, and the run fails.
  const failed = await runCli(['resume', runId, '--workers', '2'], env);
  expect(failed.code, failed.stderr).toBe(1);
  expect(failed.stdout).toMatch(new RegExp(`run ${runId} FAILED`));
  expect(failed.stdout).toMatch(/chunk \d+ \(bytes \d+-\d+\) failed after 3 attempt\(s\): permission denied for table/);
  expect(failed.stdout).toMatch(new RegExp(`copyfleet resume ${runId}\``));
  const ledger = await t.pool.query<{ chunk_no: number; attempts: number; dead: boolean; loaded: boolean; retried_ms: number; last_error: string }>(
    `SELECT chunk_no, attempts, dead_at IS NOT NULL AS dead, loaded_at IS NOT NULL AS loaded, last_error,
            (extract(epoch FROM dead_at - started_at) * 1000)::int AS retried_ms
       FROM copyfleet.chunks WHERE run_id = $1 ORDER BY chunk_no`, [runId]);
  const chunks = ledger.rows.length;
  expect(chunks).toBeGreaterThanOrEqual(3);
  for (const c of ledger.rows) {
    expect(c).toMatchObject({ attempts: 3, dead: true, loaded: false });
    expect(c.last_error).toMatch(/permission denied for table .* \[42501\]/);
    // Two backoffs of at least BACKOFF_MS/2 and BACKOFF_MS (jitter takes up to half off).
    expect(c.retried_ms).toBeGreaterThanOrEqual(100 + 200);
  }
  expect((await one(t.pool, `SELECT count(*)::int AS n FROM ${table}`)).n).toBe(0);

  const status = await statusOf(runId, env);
  expect(status).toMatchObject({ status: 'failed', chunks: { total: chunks, done: 0, dead: chunks, pending: 0 } });
  expect(status.dead[0].error).toMatch(/permission denied/);
  const human = await runCli(['status', runId], env);
  expect(human.stdout).toMatch(new RegExp(`chunks +${chunks} total: 0 done, .*${chunks} dead`));
  expect(human.stdout).toMatch(/dead +chunk 0 \(bytes \d+-\d+\) after 3 attempt\(s\): permission denied/);

  // Fix the cause; retry one chunk: it alone loads, the run stays failed on the others.
  await t.pool.query(`GRANT INSERT ON ${table} TO ${role}`);
  const retried = await runCli(['retry', runId, '--chunk', '1', '--workers', '1'], env);
  expect(retried.code, retried.stderr).toBe(0);
  expect(retried.stdout).toMatch(new RegExp(`chunk 1 of run ${runId} loaded`));
  const after = await one(t.pool,
    `SELECT count(loaded_at)::int AS loaded, count(dead_at)::int AS dead, bool_and(loaded_at IS NOT NULL) FILTER (WHERE chunk_no = 1) AS one_loaded,
            (SELECT status FROM copyfleet.runs WHERE run_id = $1) AS status
       FROM copyfleet.chunks WHERE run_id = $1`, [runId]);
  expect(after).toEqual({ loaded: 1, dead: chunks - 1, one_loaded: true, status: 'failed' });

  // Resume: the rest loads; the run ends done and exact.
  const resumed = await runCli(['resume', runId, '--workers', '2'], env);
  expect(resumed.code, resumed.stderr).toBe(0);
  expect(resumed.stdout).toMatch(new RegExp(`run ${runId} done: ${totals.rows} rows loaded`));
  await expectExactTable(t.pool, table, totals);
  const l = await expectLedger(t.pool, runId, totals.rows);
  expect((await one(t.pool, 'SELECT count(*)::int AS n FROM copyfleet.runs WHERE target_table = $1', [`public.${table}`])).n).toBe(1);
  recordResult({ case: 'poison chunk: dead letter, retry --chunk, resume', seconds: (Date.now() - t0) / 1000, exact: true, chunks, attempts: l.attempts, deadBeforeFix: chunks });
});
