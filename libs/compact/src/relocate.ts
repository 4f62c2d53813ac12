/**
 * Moves rows that landed in the DEFAULT partition (their partition did not exist when
 * a CSV chunk was streamed unparsed to COPY) into partitions of their own. One
 * transaction per table: detach DEFAULT, create the missing partitions, move each
 * key's rows, attach DEFAULT again. Runs once per run, after the last chunk.
 */
import { createPartitionSql, defaultPartitionName, partitionBounds, partitionKey, qualified, quoteIdent, type TableSpec } from '@copyfleet/schema';
import type pg from 'pg';

export async function relocateDefaultRows(client: pg.PoolClient, spec: TableSpec): Promise<number> {
  if (spec.partition === null) return 0;
  const parent = qualified(spec.schema, spec.table);
  const def = qualified(spec.schema, defaultPartitionName(spec.table));
  const col = quoteIdent(spec.partition.column);
  const { rows } = await client.query<{ start: string }>(
    `SELECT DISTINCT date_trunc('${spec.partition.interval}', ${col})::text AS start FROM ${def} WHERE ${col} IS NOT NULL`,
  );
  if (rows.length === 0) return 0;
  const keys = [...new Set(rows.map((r) => partitionKey(r.start, spec.partition!.interval)).filter((k): k is string => k !== null))];
  let moved = 0;
  await client.query('BEGIN');
  try {
    await client.query(`ALTER TABLE ${parent} DETACH PARTITION ${def}`);
    for (const key of keys) {
      await client.query('SAVEPOINT cf_relocate');
      try {
        await client.query(createPartitionSql(spec, key));
        const b = partitionBounds(key, spec.partition.interval);
        const res = await client.query(
          `WITH moved AS (DELETE FROM ${def} WHERE ${col} >= $1 AND ${col} < $2 RETURNING *)
           INSERT INTO ${parent} SELECT * FROM moved`,
          [b.from, b.to],
        );
        moved += res.rowCount ?? 0;
        await client.query('RELEASE SAVEPOINT cf_relocate');
      } catch {
        // A bound PostgreSQL refuses: those rows stay in DEFAULT.
        await client.query('ROLLBACK TO SAVEPOINT cf_relocate');
      }
    }
    await client.query(`ALTER TABLE ${parent} ATTACH PARTITION ${def} DEFAULT`);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
  return moved;
}
