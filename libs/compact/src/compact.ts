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

/**
 * Fresh planner statistics for the loaded table (all its partitions). Autovacuum often works
 * on the partitions of a table just loaded; a plain ANALYZE that meets it on a partition waits
 * a deadlock_timeout (1 s) until autovacuum is cancelled, and autovacuum moves on to the next
 * partition ahead of it: 11-14 s instead of ~3 s on 12 monthly partitions (make bench, the
 * server log). So a first pass skips the partitions it cannot lock at once, and then only the
 * leaves that neither it nor autovacuum analyzed since are analyzed, waiting for them.
 * Returns the leaves that needed that second pass.
 */
export async function analyzeTable(client: pg.PoolClient, spec: TableSpec): Promise<string[]> {
  const table = qualified(spec.schema, spec.table);
  const { rows: start } = await client.query<{ at: Date }>('SELECT clock_timestamp() AS at');
  await client.query(`ANALYZE (SKIP_LOCKED) ${table}`);
  const { rows } = await client.query<{ leaf: string }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS leaf
       FROM pg_partition_tree(to_regclass(format('%I.%I', $1::text, $2::text))) t
       JOIN pg_class c ON c.oid = t.relid JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_stat_user_tables s ON s.relid = t.relid
      WHERE t.isleaf AND coalesce(greatest(s.last_analyze, s.last_autoanalyze) < $3, true)`,
    [spec.schema, spec.table, start[0]!.at],
  );
  for (const r of rows) await client.query(`ANALYZE ${r.leaf}`);
  return rows.map((r) => r.leaf);
}
