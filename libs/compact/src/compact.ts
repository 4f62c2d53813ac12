/**
 * After the last chunk: make the table what the user asked for. With a dedupe key,
 * keep only the newest record per key (newest = the greatest `winner` column if the
 * spec names one, then latest run, then latest position in the file — "silver"
 * semantics, so reloading a file changes nothing). ANALYZE is its own step
 * (analyzeTable) so that it can run beside the report queries.
 */
import { hasLineage, qualified, quoteIdent, type TableSpec } from '@copyfleet/schema';
import type pg from 'pg';

export interface CompactResult {
  /** Older rows removed because a newer record has the same key. */
  replaced: number;
}

export async function compactTable(client: pg.PoolClient, spec: TableSpec, runId: string): Promise<CompactResult> {
  const target = qualified(spec.schema, spec.table);
  let replaced = 0;
  if (hasLineage(spec)) {
    const key = spec.key!.map(quoteIdent).join(', ');
    // Newest: the greatest winner column when the spec names one, then the latest run and position.
    const winner = spec.winnerBy ? `${quoteIdent(spec.winnerBy)} DESC NULLS LAST, ` : '';
    // Only keys this run touched can have new duplicates.
    const res = await client.query(
      `DELETE FROM ${target} WHERE (tableoid, ctid) IN (
         SELECT tableoid, ctid FROM (
           SELECT tableoid, ctid,
                  row_number() OVER (PARTITION BY ${key} ORDER BY ${winner}"_cf_run_id" DESC, "_cf_offset" DESC) AS rn
             FROM ${target}
            WHERE (${key}) IN (SELECT ${key} FROM ${target} WHERE "_cf_run_id" = $1)
         ) ranked WHERE rn > 1)`,
      [runId],
    );
    replaced = res.rowCount ?? 0;
  }
  return { replaced };
}

/** Fresh planner statistics for the loaded table (all its partitions). */
export async function analyzeTable(client: pg.PoolClient, spec: TableSpec): Promise<void> {
  await client.query(`ANALYZE ${qualified(spec.schema, spec.table)}`);
}
