/**
 * Creates range partitions before rows need them, race-free across workers:
 * creation is serialised per table by a transaction-scoped advisory lock and is
 * idempotent (IF NOT EXISTS). It runs outside the chunk's load transaction, so a
 * worker never holds its own COPY's locks while waiting for DDL. A partition that
 * cannot be created (a bound PostgreSQL refuses) does not fail the chunk: its rows go
 * to the DEFAULT partition, which is what it is for.
 */
import { createPartitionSql, type TableSpec } from '@copyfleet/schema';
import type pg from 'pg';
import type { Queryable } from './sql/queryable.js';
import { inTransaction, underSavepoint, withClient } from './transaction.js';

export class PartitionCache {
  private readonly known = new Set<string>();

  /** Called with a partition key that could not be created (its rows go to DEFAULT). */
  constructor(private readonly onSkip?: (key: string, err: Error) => void) {}

  /** Make sure a partition exists for every key; keys already seen by this process are skipped. */
  async ensure(pool: pg.Pool, spec: TableSpec, keys: Iterable<string>): Promise<number> {
    const target = `${spec.schema}.${spec.table}`;
    const missing = [...keys].filter((k) => !this.known.has(`${target}/${k}`)).sort();
    if (missing.length === 0 || spec.partition === null) return 0;
    await withClient(pool, (client) =>
      inTransaction(client, async () => {
        await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`copyfleet.partition:${target}`]);
        for (const key of missing) {
          const err = await underSavepoint(client, () => client.query(createPartitionSql(spec, key)));
          if (err) this.onSkip?.(key, err);
        }
      }),
    );
    for (const key of missing) this.known.add(`${target}/${key}`);
    return missing.length;
  }
}

/** A table PostgreSQL stores rows in: a leaf partition, or the table itself when it is not partitioned. */
export interface LeafTable {
  schema: string;
  name: string;
}

/** The leaf partitions of `schema.table` at any depth (the table itself when it has none), by name. */
export async function leafTables(db: Queryable, schema: string, table: string): Promise<LeafTable[]> {
  const { rows } = await db.query<LeafTable>(
    `SELECT n.nspname AS schema, c.relname AS name
       FROM pg_partition_tree(format('%I.%I', $1::text, $2::text)::regclass) t
       JOIN pg_class c ON c.oid = t.relid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE t.isleaf ORDER BY c.relname`,
    [schema, table],
  );
  return rows.length > 0 ? rows : [{ schema, name: table }];
}
