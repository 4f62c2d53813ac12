/** Statements on the chunk ledger, copyfleet.chunks. */
import type pg from 'pg';
import type { Queryable } from './queryable.js';

export interface ChunkRow {
  run_id: string;
  chunk_no: number;
  file_no: number;
  byte_start: string;
  byte_end: string;
  rows_loaded: string | null;
  rows_rejected: string | null;
  lines: string | null;
  attempts: number;
  last_error: string | null;
  started_at: Date | null;
  loaded_at: Date | null;
  /** Retries exhausted (dead letter); cleared when the chunk is given another chance. */
  dead_at: Date | null;
}

export async function insertChunks(db: Queryable, runId: string | number, chunks: { chunkNo: number; start: number; end: number; fileNo?: number }[]): Promise<void> {
  for (let i = 0; i < chunks.length; i += 10_000) {
    const batch = chunks.slice(i, i + 10_000);
    await db.query(
      `INSERT INTO copyfleet.chunks (run_id, chunk_no, byte_start, byte_end, file_no)
       SELECT $1, * FROM unnest($2::int[], $3::bigint[], $4::bigint[], $5::int[])
       ON CONFLICT (run_id, chunk_no) DO NOTHING`,
      [runId, batch.map((c) => c.chunkNo), batch.map((c) => c.start), batch.map((c) => c.end), batch.map((c) => c.fileNo ?? 0)],
    );
  }
}

/** The next free chunk number of a run (chunks are numbered across its files). */
export async function nextChunkNo(db: Queryable, runId: string | number): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT coalesce(max(chunk_no) + 1, 0)::int AS n FROM copyfleet.chunks WHERE run_id = $1', [runId]);
  return rows[0]!.n;
}

/**
 * Count an attempt at chunks (one, or a pack's). Returns, for each chunk in the ledger,
 * whether it is loaded already; a chunk missing from the map is not in the ledger.
 */
export async function beginAttempt(db: Queryable, runId: string | number, chunkNos: number[]): Promise<Map<number, { loaded: boolean }>> {
  const { rows } = await db.query<{ chunk_no: number; loaded: boolean }>(
    `UPDATE copyfleet.chunks SET attempts = attempts + 1, started_at = coalesce(started_at, clock_timestamp())
      WHERE run_id = $1 AND chunk_no = ANY($2::int[]) RETURNING chunk_no, loaded_at IS NOT NULL AS loaded`,
    [runId, chunkNos],
  );
  return new Map(rows.map((r) => [r.chunk_no, { loaded: r.loaded }]));
}

/**
 * Inside the load transaction: lock the ledger rows (in chunk order, so that two attempts
 * at overlapping chunks queue rather than deadlock), and share-lock the run row. Returns
 * the chunks that must not load: another attempt already committed them, or the run was
 * cancelled. (A cancel waits for the chunks holding its run row to commit, and later
 * attempts see it: the cancelled run's figures are exactly what is in the table.)
 */
export async function lockChunks(client: pg.PoolClient, runId: string | number, chunkNos: number[]): Promise<Set<number>> {
  const { rows } = await client.query<{ chunk_no: number; loaded: boolean; status: string }>(
    `SELECT c.chunk_no, c.loaded_at IS NOT NULL AS loaded, r.status FROM copyfleet.chunks c JOIN copyfleet.runs r USING (run_id)
      WHERE c.run_id = $1 AND c.chunk_no = ANY($2::int[]) ORDER BY c.chunk_no FOR UPDATE OF c FOR SHARE OF r`,
    [runId, chunkNos],
  );
  const found = new Set(rows.map((r) => r.chunk_no));
  const gone = chunkNos.find((n) => !found.has(n));
  if (gone !== undefined) throw new Error(`chunk ${gone} of run ${runId} is not in the ledger`);
  return new Set(rows.filter((r) => r.loaded || r.status === 'cancelled').map((r) => r.chunk_no));
}

export interface LoadedCounts {
  chunkNo: number;
  loaded: number;
  rejected: number;
  lines: number | null;
}

/** Inside the load transaction: the chunks are loaded, with their counts. */
export async function markLoaded(client: pg.PoolClient, runId: string | number, chunks: LoadedCounts[]): Promise<void> {
  if (chunks.length === 0) return;
  await client.query(
    `UPDATE copyfleet.chunks c
        SET rows_loaded = v.loaded, rows_rejected = v.rejected, lines = v.lines, loaded_at = clock_timestamp(), last_error = NULL
       FROM unnest($2::int[], $3::bigint[], $4::bigint[], $5::bigint[]) AS v(chunk_no, loaded, rejected, lines)
      WHERE c.run_id = $1 AND c.chunk_no = v.chunk_no`,
    [runId, chunks.map((c) => c.chunkNo), chunks.map((c) => c.loaded), chunks.map((c) => c.rejected), chunks.map((c) => c.lines)],
  );
}

/** The error an attempt at chunks (one, or a pack's) failed with. */
export async function recordChunkError(db: Queryable, runId: string | number, chunkNos: number[], message: string): Promise<void> {
  await db.query('UPDATE copyfleet.chunks SET last_error = $3 WHERE run_id = $1 AND chunk_no = ANY($2::int[])', [runId, chunkNos, message]);
}

export async function unloadedChunks(db: Queryable, runId: string | number): Promise<ChunkRow[]> {
  const { rows } = await db.query<ChunkRow>(
    'SELECT * FROM copyfleet.chunks WHERE run_id = $1 AND loaded_at IS NULL ORDER BY chunk_no',
    [runId],
  );
  return rows;
}

/** Chunks neither loaded nor dead. */
export async function pendingChunkNos(db: Queryable, runId: string | number): Promise<number[]> {
  const { rows } = await db.query<{ chunk_no: number }>(
    'SELECT chunk_no FROM copyfleet.chunks WHERE run_id = $1 AND loaded_at IS NULL AND dead_at IS NULL',
    [runId],
  );
  return rows.map((r) => r.chunk_no);
}

export interface RunProgress {
  chunksTotal: number;
  chunksDone: number;
  bytesTotal: number;
  bytesDone: number;
  rowsLoaded: number;
  rowsRejected: number;
  /** Chunks with an error recorded and not loaded (dead ones included). */
  chunksFailing: number;
  /** Chunks whose retries are exhausted (dead letters). */
  chunksDead: number;
  /** When the first chunk was started and the last one committed (throughput, ETA). */
  firstStartedAt: Date | null;
  lastLoadedAt: Date | null;
  filesTotal: number;
  filesDone: number;
  filesFailed: number;
}

export async function runProgress(db: Queryable, runId: string | number): Promise<RunProgress> {
  const { rows } = await db.query<Record<string, string> & { first_started_at: Date | null; last_loaded_at: Date | null }>(
    `SELECT count(*) AS chunks_total,
            count(loaded_at) AS chunks_done,
            coalesce(sum(byte_end - byte_start), 0) AS bytes_total,
            coalesce(sum(byte_end - byte_start) FILTER (WHERE loaded_at IS NOT NULL), 0) AS bytes_done,
            coalesce(sum(rows_loaded), 0) AS rows_loaded,
            coalesce(sum(rows_rejected), 0) AS rows_rejected,
            count(*) FILTER (WHERE loaded_at IS NULL AND last_error IS NOT NULL) AS chunks_failing,
            count(*) FILTER (WHERE loaded_at IS NULL AND dead_at IS NOT NULL) AS chunks_dead,
            min(started_at) AS first_started_at,
            max(loaded_at) AS last_loaded_at,
            (SELECT count(*) FROM copyfleet.files f WHERE f.run_id = $1) AS files_total,
            (SELECT count(*) FROM copyfleet.files f WHERE f.run_id = $1 AND f.status = 'done') AS files_done,
            (SELECT count(*) FROM copyfleet.files f WHERE f.run_id = $1 AND f.status IN ('failed', 'skipped')) AS files_failed
       FROM copyfleet.chunks WHERE run_id = $1`,
    [runId],
  );
  const r = rows[0]!;
  return {
    chunksTotal: Number(r.chunks_total),
    chunksDone: Number(r.chunks_done),
    bytesTotal: Number(r.bytes_total),
    bytesDone: Number(r.bytes_done),
    rowsLoaded: Number(r.rows_loaded),
    rowsRejected: Number(r.rows_rejected),
    chunksFailing: Number(r.chunks_failing),
    chunksDead: Number(r.chunks_dead),
    firstStartedAt: r.first_started_at,
    lastLoadedAt: r.last_loaded_at,
    filesTotal: Number(r.files_total),
    filesDone: Number(r.files_done),
    filesFailed: Number(r.files_failed),
  };
}
