// Rows that reached the DEFAULT partition because their month had no partition yet are
// moved into partitions of their own at compaction; NULL times stay in DEFAULT.
import { createPool, PartitionCache } from '@copyfleet/db';
import { createTableSql } from '@copyfleet/schema';
import { fieldTable, testServices, uniqueName } from '@copyfleet/testing';
import type pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { relocateDefaultRows } from './relocate.js';

let pool: pg.Pool;
beforeAll(() => {
  pool = createPool(testServices().databaseUrl, { max: 2, applicationName: 'copyfleet-test' });
});
afterAll(() => pool.end());

it('moves DEFAULT rows into new partitions and keeps NULL times in DEFAULT', async () => {
  const table = uniqueName('reloc');
  const spec = fieldTable(table, [['id', 'bigint'], ['at', 'timestamptz']], { column: 'at', interval: 'month' });
  for (const stmt of createTableSql(spec)) await pool.query(stmt);
  await new PartitionCache().ensure(pool, spec, ['2024_01']);
  await pool.query(`INSERT INTO ${table} VALUES (1, '2024-01-10Z'), (2, '2024-03-31T23:30:00-01:00'), (3, '2024-05-01Z'), (4, NULL), (5, '2024-05-31Z')`);
  const client = await pool.connect();
  try {
    expect(await relocateDefaultRows(client, spec)).toBe(3);
  } finally {
    client.release();
  }
  const { rows } = await pool.query(
    `SELECT c.relname AS part, array_agg(t.id ORDER BY t.id)::text AS ids FROM ${table} t JOIN pg_class c ON c.oid = t.tableoid GROUP BY 1 ORDER BY 1`,
  );
  expect(rows).toEqual([
    { part: `${table}_default`, ids: '{4}' },
    { part: `${table}_p2024_01`, ids: '{1}' },
    { part: `${table}_p2024_04`, ids: '{2}' }, // 23:30 at -01:00 is April 1st in UTC
    { part: `${table}_p2024_05`, ids: '{3,5}' },
  ]);
});
