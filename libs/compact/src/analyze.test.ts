// ANALYZE after a load does not queue behind autovacuum partition by partition: a partition
// whose lock another session holds (as autovacuum does on a table just loaded) is skipped at
// first, the others are analyzed at once, and the skipped one is analyzed at the end.
import { createPool, PartitionCache } from '@copyfleet/db';
import { createTableSql } from '@copyfleet/schema';
import { fieldTable, testServices, uniqueName } from '@copyfleet/testing';
import type pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { analyzeTable } from './compact.js';

let pool: pg.Pool;
beforeAll(() => {
  pool = createPool(testServices().databaseUrl, { max: 3, applicationName: 'copyfleet-test' });
});
afterAll(() => pool.end());

it('analyzes every leaf; one held by another session is done last, after the others', async () => {
  const table = uniqueName('analyze');
  const spec = fieldTable(table, [['id', 'bigint'], ['at', 'timestamptz']], { column: 'at', interval: 'month' });
  for (const stmt of createTableSql(spec)) await pool.query(stmt);
  await new PartitionCache().ensure(pool, spec, ['2024_01', '2024_02', '2024_03']);
  await pool.query(`INSERT INTO ${table} SELECT g, timestamptz '2024-01-01Z' + g * interval '1 hour' FROM generate_series(0, 1500) g`);

  // Another session holds the February partition the way autovacuum's analyze would.
  const holder = await pool.connect();
  await holder.query('BEGIN');
  await holder.query(`LOCK TABLE ${table}_p2024_02 IN SHARE UPDATE EXCLUSIVE MODE`);
  const client = await pool.connect();
  let released = 0;
  const release = new Promise<void>((resolve) =>
    setTimeout(async () => {
      released = Date.now();
      await holder.query('COMMIT');
      holder.release();
      resolve();
    }, 1500),
  );
  try {
    const second = await analyzeTable(client, spec);
    expect(second).toEqual([`public.${table}_p2024_02`]);
  } finally {
    client.release();
    await release;
  }
  const { rows } = await pool.query<{ leaf: string; at: Date | null }>(
    `SELECT relname AS leaf, last_analyze AS at FROM pg_stat_user_tables WHERE relname LIKE $1 ORDER BY 1`,
    [`${table}_%`],
  );
  expect(rows.map((r) => r.leaf)).toEqual([`${table}_default`, `${table}_p2024_01`, `${table}_p2024_02`, `${table}_p2024_03`]);
  for (const r of rows) expect(r.at, r.leaf).not.toBeNull();
  // The others did not wait for the held one; the held one was analyzed once it was free.
  expect(rows.find((r) => r.leaf.endsWith('p2024_01'))!.at!.getTime()).toBeLessThan(released);
  expect(rows.find((r) => r.leaf.endsWith('p2024_03'))!.at!.getTime()).toBeLessThan(released);
  expect(rows.find((r) => r.leaf.endsWith('p2024_02'))!.at!.getTime()).toBeGreaterThanOrEqual(released - 50);
});
