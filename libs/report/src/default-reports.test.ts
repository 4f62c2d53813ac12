// The default reports give exact totals per partition, per day and per numeric column,
// whatever the table is partitioned by (their speed is measured by make bench, not here).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPool, leafTables, PartitionCache } from '@copyfleet/db';
import { createTableSql, qualified, type TableSpec } from '@copyfleet/schema';
import { fieldTable, testServices, uniqueName } from '@copyfleet/testing';
import type pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { defaultReports } from './default-reports.js';
import { runReports } from './report.js';

let pool: pg.Pool;
beforeAll(() => {
  pool = createPool(testServices().databaseUrl, { max: 2, applicationName: 'copyfleet-test' });
});
afterAll(() => pool.end());

/** Create the table and the partitions of `keys`, insert `values` (SQL), and run the default reports on it. */
async function report(spec: TableSpec, keys: string[], values: string): Promise<Record<string, Record<string, unknown>[]>> {
  for (const stmt of createTableSql(spec)) await pool.query(stmt);
  await new PartitionCache().ensure(pool, spec, keys);
  await pool.query(`INSERT INTO ${qualified(spec.schema, spec.table)} VALUES ${values}`);
  const dir = mkdtempSync(join(tmpdir(), 'cf-reports-'));
  const plan = defaultReports(spec, await leafTables(pool, spec.schema, spec.table));
  const client = await pool.connect();
  try {
    for (const stmt of plan.setup) await client.query(stmt);
    await runReports(client, plan.queries, dir);
  } finally {
    client.release();
  }
  const out: Record<string, Record<string, unknown>[]> = {};
  for (const q of plan.queries) out[q.name] = JSON.parse(readFileSync(join(dir, `${q.name}.json`), 'utf8')) as Record<string, unknown>[];
  return out;
}

it('counts rows per monthly partition (DEFAULT included) and per day, with exact numeric min/max/avg', async () => {
  const table = uniqueName('rep_range');
  const spec = fieldTable(table, [['at', 'timestamp'], ['n', 'bigint'], ['amount', 'numeric']], { column: 'at', interval: 'month' });
  const r = await report(
    spec,
    ['2024_01', '2024_02'],
    `('2024-01-01 10:00', 1, 0.1), ('2024-01-01 23:59', 2, 0.2), ('2024-01-31 00:00', 3, NULL),
     ('2024-02-29 12:00', 9007199254740993, 12345678901234567890.000000000000000001), (NULL, NULL, 1)`,
  );
  expect(r.rows_per_partition).toEqual([
    { partition: `${table}_default`, rows: 1 },
    { partition: `${table}_p2024_01`, rows: 3 },
    { partition: `${table}_p2024_02`, rows: 1 },
  ]);
  expect(r.rows_per_day).toEqual([
    { day: '2024-01-01', rows: 2 },
    { day: '2024-01-31', rows: 1 },
    { day: '2024-02-29', rows: 1 },
    { day: null, rows: 1 },
  ]);
  const byName = Object.fromEntries(r.numeric_columns!.map((c) => [c.column_name, c]));
  expect(byName.n).toMatchObject({ min: 1, max: '9007199254740993', non_null: 4 });
  expect(byName.amount).toMatchObject({ min: 0.1, max: '12345678901234567890.000000000000000001', non_null: 4 });
});

it('gives rows per partition but no rows per day for a LIST partition on a text column', async () => {
  const table = uniqueName('rep_list');
  const spec = fieldTable(table, [['agent', 'text'], ['score', 'double precision']], { by: 'list', column: 'agent' });
  const r = await report(spec, ['agent_1', 'agent_2'], `('agent_1', 0.5), ('agent_1', 1.5), ('agent_2', -2)`);
  expect(r.rows_per_day).toBeUndefined();
  expect(r.rows_per_partition!.reduce((n, p) => n + Number(p.rows), 0)).toBe(3);
  expect(r.rows_per_partition).toHaveLength(2);
  expect(r.numeric_columns).toEqual([{ column_name: 'score', min: -2, max: 1.5, avg: 0, non_null: 3 }]);
});
