/**
 * What the dashboard reads: runs a page at a time (keyset on run_id, so the thousandth
 * page costs what the first does), a run's chunks, files, partitions and rejects (keyset
 * on file and byte offset). Progress is summed from the ledger exactly as runProgress
 * (chunks.ts) sums it, so the pages say what `copyfleet status` says.
 *
 */
import type { ChunkRow } from './chunks.js';
import type { Queryable } from './queryable.js';
import type { RunRow, RunStatus } from './runs.js';

/** Every status a run row can hold (migration 0003 added 'cancelled'). */
export type AnyRunStatus = RunStatus | 'cancelled';
export const RUN_STATUSES: readonly AnyRunStatus[] = ['planning', 'running', 'compacting', 'reporting', 'done', 'failed', 'cancelled'];

export interface RunListFilter {
  status?: AnyRunStatus | undefined;
  table?: string | undefined;
  /** Keyset: runs older than this run id. */
  before?: string | undefined;
  limit: number;
}

/** A run row with its ledger progress (the sums runProgress makes) and its file count. */
export interface RunListRow extends RunRow {
  p_chunks_total: string;
  p_chunks_done: string;
  p_chunks_dead: string;
  p_bytes_total: string;
  p_bytes_done: string;
  p_rows_loaded: string;
  p_rows_rejected: string;
  p_first_started_at: Date | null;
  files: string;
}

const PROGRESS = `
  LEFT JOIN LATERAL (
    SELECT count(*) AS p_chunks_total,
           count(loaded_at) AS p_chunks_done,
           count(*) FILTER (WHERE loaded_at IS NULL AND dead_at IS NOT NULL) AS p_chunks_dead,
           coalesce(sum(byte_end - byte_start), 0) AS p_bytes_total,
           coalesce(sum(byte_end - byte_start) FILTER (WHERE loaded_at IS NOT NULL), 0) AS p_bytes_done,
           coalesce(sum(c.rows_loaded), 0) AS p_rows_loaded,
           coalesce(sum(c.rows_rejected), 0) AS p_rows_rejected,
           min(c.started_at) AS p_first_started_at
      FROM copyfleet.chunks c WHERE c.run_id = r.run_id) p ON true
  LEFT JOIN LATERAL (SELECT count(*) AS files FROM copyfleet.files f WHERE f.run_id = r.run_id) f ON true`;

/** Newest first, `limit` of them, optionally only one status and/or one target table. */
export async function listRuns(db: Queryable, filter: RunListFilter): Promise<RunListRow[]> {
  const { rows } = await db.query<RunListRow>(
    `SELECT r.*, p.*, f.files FROM copyfleet.runs r ${PROGRESS}
      WHERE ($1::text IS NULL OR r.status = $1)
        AND ($2::text IS NULL OR r.target_table = $2)
        AND ($3::bigint IS NULL OR r.run_id < $3)
      ORDER BY r.run_id DESC LIMIT $4`,
    [filter.status ?? null, filter.table ?? null, filter.before ?? null, filter.limit],
  );
  return rows;
}

export async function getRunListRow(db: Queryable, runId: string): Promise<RunListRow | null> {
  const { rows } = await db.query<RunListRow>(`SELECT r.*, p.*, f.files FROM copyfleet.runs r ${PROGRESS} WHERE r.run_id = $1`, [runId]);
  return rows[0] ?? null;
}

/** The target tables runs went into (for the filter), most recent first. */
export async function runTables(db: Queryable, limit = 200): Promise<string[]> {
  const { rows } = await db.query<{ target_table: string }>(
    `SELECT target_table FROM copyfleet.runs GROUP BY target_table ORDER BY max(run_id) DESC LIMIT $1`,
    [limit],
  );
  return rows.map((r) => r.target_table);
}

/** A chunk as the run page shows it: the ledger row without its run id and line count. */
export type DashboardChunk = Omit<ChunkRow, 'run_id' | 'lines'>;

/** Every chunk of a run, in order (a 10 GiB input at 64 MiB is 160 rows; at 1 MiB, 10 k). */
export async function runChunks(db: Queryable, runId: string): Promise<DashboardChunk[]> {
  const { rows } = await db.query<DashboardChunk>(
    `SELECT chunk_no, file_no, byte_start, byte_end, rows_loaded, rows_rejected, attempts, last_error, started_at, loaded_at, dead_at
       FROM copyfleet.chunks WHERE run_id = $1 ORDER BY chunk_no`,
    [runId],
  );
  return rows;
}

export interface DashboardFile {
  file_no: number;
  uri: string;
  target_table: string;
  bytes: string;
  format: string | null;
  status: string;
  message: string | null;
  /** From the ledger: this file's chunks, committed chunks, rows and rejects now. */
  chunks_total: string;
  chunks_done: string;
  bytes_done: string;
  rows_loaded: string;
  rows_rejected: string;
}

/** A run's files (copyfleet.files) with their progress from the ledger; empty for runs without file rows. */
export async function runFiles(db: Queryable, runId: string): Promise<DashboardFile[]> {
  const { rows } = await db.query<DashboardFile>(
    `SELECT f.file_no, f.uri, f.target_table, f.bytes, f.format, f.status, f.message,
            count(c.chunk_no) AS chunks_total, count(c.loaded_at) AS chunks_done,
            coalesce(sum(c.byte_end - c.byte_start) FILTER (WHERE c.loaded_at IS NOT NULL), 0) AS bytes_done,
            coalesce(sum(c.rows_loaded), 0) AS rows_loaded, coalesce(sum(c.rows_rejected), 0) AS rows_rejected
       FROM copyfleet.files f LEFT JOIN copyfleet.chunks c ON c.run_id = f.run_id AND c.file_no = f.file_no
      WHERE f.run_id = $1
      GROUP BY f.run_id, f.file_no ORDER BY f.file_no`,
    [runId],
  );
  return rows;
}

export interface DashboardReject {
  file_no: number;
  chunk_no: number;
  byte_offset: string;
  line_no: string | null;
  chunk_line: string;
  reason: string;
  raw: string | null;
  raw_bytes: Buffer | null;
}

/**
 * A page of a run's rejects in file order, after (file_no, byte_offset) — keyset, so a
 * run with a million rejects pages as fast at the end as at the start — optionally of
 * one reason only.
 */
export async function rejectsPage(
  db: Queryable,
  runId: string,
  opts: { after?: { fileNo: number; offset: number } | undefined; reason?: string | undefined; limit: number },
): Promise<DashboardReject[]> {
  const { rows } = await db.query<DashboardReject>(
    `SELECT file_no, chunk_no, byte_offset, line_no, chunk_line, reason, raw, raw_bytes FROM copyfleet.rejects
      WHERE run_id = $1 AND ($2::int IS NULL OR (file_no, byte_offset) > ($2, $3::bigint)) AND ($4::text IS NULL OR reason = $4)
      ORDER BY file_no, byte_offset LIMIT $5`,
    [runId, opts.after?.fileNo ?? null, opts.after?.offset ?? null, opts.reason ?? null, opts.limit],
  );
  return rows;
}

/** A run's rejects grouped by reason, most frequent first. */
export async function rejectReasons(db: Queryable, runId: string, limit = 50): Promise<{ reason: string; count: string }[]> {
  const { rows } = await db.query<{ reason: string; count: string }>(
    `SELECT reason, count(*) AS count FROM copyfleet.rejects WHERE run_id = $1 GROUP BY reason ORDER BY count(*) DESC, reason LIMIT $2`,
    [runId, limit],
  );
  return rows;
}

export interface PartitionInfo {
  name: string;
  bound: string | null;
  /** PostgreSQL's estimate (pg_class.reltuples; -1 before the first ANALYZE). */
  estimated_rows: string;
  bytes: string;
}

/** The leaf partitions of a table (the table itself when it has none); empty when it does not exist. */
export async function tablePartitions(db: Queryable, schema: string, table: string): Promise<PartitionInfo[]> {
  const { rows } = await db.query<PartitionInfo>(
    `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound, c.reltuples::bigint AS estimated_rows,
            pg_total_relation_size(c.oid) AS bytes
       FROM pg_partition_tree(to_regclass(format('%I.%I', $1::text, $2::text))) t
       JOIN pg_class c ON c.oid = t.relid
      WHERE t.isleaf ORDER BY c.relname`,
    [schema, table],
  );
  if (rows.length > 0) return rows;
  // A table that is not partitioned has no tree: it is its own one leaf.
  const plain = await db.query<PartitionInfo>(
    `SELECT c.relname AS name, NULL AS bound, c.reltuples::bigint AS estimated_rows, pg_total_relation_size(c.oid) AS bytes
       FROM pg_class c WHERE c.oid = to_regclass(format('%I.%I', $1::text, $2::text))`,
    [schema, table],
  );
  return plain.rows;
}

