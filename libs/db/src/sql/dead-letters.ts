/**
 * Dead letters and appends. A chunk whose retries are exhausted gets dead_at. A run
 * settles when no chunk is left pending (neither loaded nor dead): then it compacts if
 * nothing is dead, and fails naming its dead chunks otherwise. A run also records how
 * many rows its table had before it, so an append says so.
 */
import type { ChunkRow } from './chunks.js';
import type { Queryable } from './queryable.js';
import type { RunStatus } from './runs.js';

export interface DeadChunk {
  chunk_no: number;
  byte_start: string;
  byte_end: string;
  attempts: number;
  last_error: string | null;
}

/** Mark a chunk dead (unless it is loaded after all); false when nothing changed. */
export async function markChunkDead(db: Queryable, runId: string | number, chunkNo: number, error: string): Promise<boolean> {
  const res = await db.query(
    `UPDATE copyfleet.chunks SET dead_at = clock_timestamp(), last_error = $3
      WHERE run_id = $1 AND chunk_no = $2 AND loaded_at IS NULL AND dead_at IS NULL`,
    [runId, chunkNo, error],
  );
  return (res.rowCount ?? 0) > 0;
}

/** Give one dead or failing chunk a fresh start; null when the chunk does not exist. */
export async function reviveChunk(
  db: Queryable,
  runId: string | number,
  chunkNo: number,
): Promise<{ loaded: boolean; byteStart: number; byteEnd: number; fileNo: number } | null> {
  const { rows } = await db.query<{ loaded: boolean; byte_start: string; byte_end: string; file_no: number }>(
    `UPDATE copyfleet.chunks SET dead_at = NULL, last_error = NULL
      WHERE run_id = $1 AND chunk_no = $2
      RETURNING loaded_at IS NOT NULL AS loaded, byte_start, byte_end, file_no`,
    [runId, chunkNo],
  );
  const r = rows[0];
  return r ? { loaded: r.loaded, byteStart: Number(r.byte_start), byteEnd: Number(r.byte_end), fileNo: r.file_no } : null;
}

/** A failed run going on (resume, or its load command again): every dead chunk gets another chance. */
export async function reviveDeadChunks(db: Queryable, runId: string | number): Promise<void> {
  await db.query('UPDATE copyfleet.chunks SET dead_at = NULL, last_error = NULL WHERE run_id = $1 AND dead_at IS NOT NULL AND loaded_at IS NULL', [runId]);
}

/** The run's status, its chunks neither loaded nor dead (pending), and its dead chunks. */
export async function runSettlement(db: Queryable, runId: string | number): Promise<{ status: RunStatus | null; pending: number; dead: number }> {
  const { rows } = await db.query<{ status: RunStatus | null; pending: string; dead: string }>(
    `SELECT (SELECT status FROM copyfleet.runs WHERE run_id = $1) AS status,
            count(*) FILTER (WHERE dead_at IS NULL) AS pending, count(dead_at) AS dead
       FROM copyfleet.chunks WHERE run_id = $1 AND loaded_at IS NULL`,
    [runId],
  );
  const r = rows[0]!;
  return { status: r.status, pending: Number(r.pending), dead: Number(r.dead) };
}

export async function getChunk(db: Queryable, runId: string | number, chunkNo: number): Promise<ChunkRow | null> {
  const { rows } = await db.query<ChunkRow>('SELECT * FROM copyfleet.chunks WHERE run_id = $1 AND chunk_no = $2', [runId, chunkNo]);
  return rows[0] ?? null;
}

/**
 * Chunks not loaded that are dead, or failing (their last attempt failed and they are
 * being retried), with their last error.
 */
export async function troubledChunks(db: Queryable, runId: string | number, which: 'dead' | 'failing', limit = 100): Promise<DeadChunk[]> {
  const condition = which === 'dead' ? 'dead_at IS NOT NULL' : 'dead_at IS NULL AND last_error IS NOT NULL';
  const { rows } = await db.query<DeadChunk>(
    `SELECT chunk_no, byte_start, byte_end, attempts, last_error FROM copyfleet.chunks
      WHERE run_id = $1 AND loaded_at IS NULL AND ${condition} ORDER BY chunk_no LIMIT $2`,
    [runId, limit],
  );
  return rows;
}

/**
 * Record how many rows the target table held before this run's rows: its count now
 * minus what the ledger says this run loaded (one scan of the table: the splitter calls
 * it when the run starts; the count is right at any time until dedupe).
 * Returns that number.
 */
export async function recordRowsBefore(db: Queryable, runId: string | number, targetSql: string): Promise<number> {
  const { rows } = await db.query<{ before: string }>(
    `UPDATE copyfleet.runs SET rows_before = (SELECT count(*) FROM ${targetSql})
                                             - (SELECT coalesce(sum(rows_loaded), 0) FROM copyfleet.chunks WHERE run_id = $1)
      WHERE run_id = $1 RETURNING rows_before AS before`,
    [runId],
  );
  return Number(rows[0]?.before ?? 0);
}
