// Arrow IPC files load by record batch: the footer's batch list cuts the file into
// chunks of whole batches, the schema gives the column types, and every row lands once.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, uniqueName } from '@copyfleet/testing';
import { Bool, Float64, Int64, Table, TimestampMillisecond, Utf8, tableToIPC, vectorFromArray } from 'apache-arrow';
import { afterAll, expect, it } from 'vitest';
import { e2e, one, runIdOf } from './helpers.js';

const t = e2e();
afterAll(() => t.close());

it('loads an Arrow file batch by batch with types from its schema', async () => {
  const per = 400;
  const batches = [];
  for (let b = 0; b < 12; b++) {
    const ids = Array.from({ length: per }, (_, i) => b * per + i);
    const part = new Table({
      id: vectorFromArray(ids.map(BigInt), new Int64()),
      name: vectorFromArray(ids.map((i) => (i % 50 === 0 ? null : `n${i} ✓ "q" \t`)), new Utf8()),
      score: vectorFromArray(ids.map((i) => i / 8), new Float64()),
      ok: vectorFromArray(ids.map((i) => i % 3 === 0), new Bool()),
      at: vectorFromArray(ids.map((i) => Date.UTC(2024, i % 4, 1 + (i % 28), 12)), new TimestampMillisecond()),
    });
    batches.push(...part.batches);
  }
  const file = join(t.dir, 'data.arrow');
  writeFileSync(file, tableToIPC(new Table(batches), 'file'));
  const table = uniqueName('arrow');
  const res = await runCli(['load', file, '--table', table, '--workers', '2', '--chunk', '20KiB'], t.env);
  expect(res.code, res.stderr).toBe(0);
  const run = await one(t.pool, 'SELECT chunks_total, rows_loaded::int FROM copyfleet.runs WHERE run_id = $1', [runIdOf(res.stdout)]);
  expect(run.chunks_total).toBeGreaterThan(2);
  expect(run.rows_loaded).toBe(4800);
  const cols = await t.pool.query(`SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position`, [table]);
  expect(cols.rows.map((r) => r.data_type)).toEqual(['bigint', 'text', 'double precision', 'boolean', 'timestamp without time zone']);
  const sums = await one(t.pool, `SELECT count(*)::int AS n, sum(id)::bigint::text AS ids, sum(score)::text AS score, count(*) FILTER (WHERE ok)::int AS ok,
                                         count(name)::int AS names, min(at)::text AS first, max(name) FILTER (WHERE id = 1) AS one FROM ${table}`);
  expect(sums).toEqual({ n: 4800, ids: String((4799 * 4800) / 2), score: String((4799 * 4800) / 2 / 8), ok: 1600, names: 4800 - 96, first: '2024-01-01 12:00:00', one: 'n1 ✓ "q" \t' });
});
