/**
 * Moves rows that landed in the DEFAULT partition (their partition did not exist when
 * a chunk was streamed unparsed to COPY) into partitions of their own. One
 * transaction per table: detach DEFAULT, create the missing partitions, move each
 * key's rows, attach DEFAULT again. Runs once per run, after the last chunk. Rows
 * whose time (RANGE) or value (LIST) is NULL stay in DEFAULT.
 */
import {
  createPartitionSql, defaultPartitionName, escapeCopyText, isRangePartition, partitionBounds, partitionKey, qualified, quoteIdent,
  type TableSpec,
} from '@copyfleet/schema';
import { inTransaction, underSavepoint } from '@copyfleet/db';
import type pg from 'pg';

export async function relocateDefaultRows(client: pg.PoolClient, spec: TableSpec): Promise<number> {
  const p = spec.partition;
  if (p === null || p.by === 'hash') return 0;
  const parent = qualified(spec.schema, spec.table);
  const def = qualified(spec.schema, defaultPartitionName(spec.table));
  const col = quoteIdent(p.column);
  const range = isRangePartition(p) ? p : null;
  const { rows } = await client.query<{ v: string }>(
    range
      ? `SELECT DISTINCT date_trunc('${range.interval}', ${col})::text AS v FROM ${def} WHERE ${col} IS NOT NULL`
      : `SELECT DISTINCT ${col}::text AS v FROM ${def} WHERE ${col} IS NOT NULL`,
  );
  if (rows.length === 0) return 0;
  // Partition keys as the loader makes them (rowPartitionKey): interval keys, or the value's COPY text.
  const keys = rows
    .map((r) => ({ value: r.v, key: range ? partitionKey(r.v, range.interval) : escapeCopyText(r.v) }))
    .filter((k): k is { value: string; key: string } => k.key !== null && k.key !== undefined);
  let moved = 0;
  await inTransaction(client, async () => {
    await client.query(`ALTER TABLE ${parent} DETACH PARTITION ${def}`);
    for (const { value, key } of keys) {
      // A partition PostgreSQL refuses: those rows stay in DEFAULT.
      await underSavepoint(client, async () => {
        await client.query(createPartitionSql(spec, key));
        const b = range ? partitionBounds(key, range.interval) : null;
        const res = await client.query(
          b
            ? `WITH moved AS (DELETE FROM ${def} WHERE ${col} >= $1 AND ${col} < $2 RETURNING *) INSERT INTO ${parent} SELECT * FROM moved`
            : `WITH moved AS (DELETE FROM ${def} WHERE ${col}::text = $1 RETURNING *) INSERT INTO ${parent} SELECT * FROM moved`,
          b ? [b.from, b.to] : [value],
        );
        moved += res.rowCount ?? 0;
      });
    }
    await client.query(`ALTER TABLE ${parent} ATTACH PARTITION ${def} DEFAULT`);
  });
  return moved;
}
