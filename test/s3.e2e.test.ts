// End to end from S3: `copyfleet load s3://bucket/key` with real worker processes reading
// their byte ranges from a real S3-compatible server (s3rver on 127.0.0.1, see
// libs/source/src/s3.fixture.ts), into the real PostgreSQL. Every record lands exactly once.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, uniqueName, writeTripsCsv } from '@copyfleet/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalS3, type LocalS3 } from '../libs/source/src/s3.fixture.js';
import { e2e, one, runIdOf } from './helpers.js';

const BUCKET = 'cf-e2e';
let s3: LocalS3;
let t: ReturnType<typeof e2e>;

beforeAll(async () => {
  s3 = await startLocalS3();
  await s3.createBucket(BUCKET);
  t = e2e(s3.env);
});
afterAll(async () => {
  await t?.close();
  await s3?.close();
});

describe('copyfleet load s3://', () => {
  it('loads a CSV with quoted newlines from S3 exactly once', async () => {
    const file = join(t.dir, 'trips.csv');
    const totals = await writeTripsCsv(file, { rows: 5000, quotedNewlineEvery: 5, seed: 23 });
    const key = 'exports/2023/trips all.csv';
    await s3.put(BUCKET, key, readFileSync(file));
    const table = uniqueName('s3trips');

    const res = await runCli(['load', `s3://${BUCKET}/${key}`, '--table', table, '--workers', '2', '--chunk', '64KiB'], t.env);
    if (res.code !== 0) throw new Error(`load failed (${res.code}):\n${res.stdout}\n${res.stderr}`);
    expect(res.stdout).toMatch(/5000 rows loaded, 0 rejected/);
    const runId = runIdOf(res.stdout);

    const sums = await one(t.pool, `SELECT count(*)::int AS n, sum(passengers)::int AS p, (sum(fare) * 1000)::bigint::text AS f,
                                           count(*) FILTER (WHERE note LIKE E'%\\n%')::int AS nl FROM ${table}`);
    expect(sums).toEqual({ n: totals.rows, p: totals.intSum, f: String(totals.decimalSumMilli), nl: 1000 });
    const run = await one(t.pool, 'SELECT source, status, chunks_total FROM copyfleet.runs WHERE run_id = $1', [runId]);
    expect(run).toMatchObject({ source: `s3://${BUCKET}/${key}`, status: 'done' });
    expect(run.chunks_total).toBeGreaterThan(3);
  });

  it('a missing object fails with a clear message and no stack trace', async () => {
    const res = await runCli(['load', `s3://${BUCKET}/nope.csv`, '--table', uniqueName('nope')], t.env);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`s3://${BUCKET}/nope.csv: no such object in bucket "${BUCKET}"`);
    expect(res.stderr).not.toMatch(/at .*\.js:\d+/);
  });
});
