/**
 * Statements on copyfleet.files: the files of a run, each with its own status.
 *
 *   listed ──planned (chunks in the ledger)──▶ loading ──last chunk──▶ done
 *     │                                          └──a chunk dead──▶ failed ──resume──▶ loading
 *     └──cannot be read / does not fit the table──▶ failed      (skipped: not loaded on purpose)
 *
 * A file is in the table exactly when every chunk of it is loaded; its status follows
 * the ledger (settleFile after each chunk), never the queue.
 */
import type pg from 'pg';
import { inTransaction } from '../transaction.js';
import { insertChunks } from './chunks.js';
import { tableExists, type Queryable } from './queryable.js';
import type { RunRow } from './runs.js';

export type FileStatus = 'listed' | 'loading' | 'done' | 'failed' | 'skipped';

export interface FileRow {
  run_id: string;
  file_no: number;
  uri: string;
  version: string;
  target_table: string;
  source_name: string | null;
  bytes: string;
  format: string | null;
  status: FileStatus;
  spec: unknown;
  chunks: number;
  rows_loaded: string;
  rows_rejected: string;
  message: string | null;
  started_at: Date | null;
  finished_at: Date | null;
}

export interface NewFile {
  fileNo: number;
  uri: string;
  version: string;
  bytes: number;
  table: string;
  sourceName?: string | null;
  status?: FileStatus;
  message?: string | null;
}

export async function insertFiles(db: Queryable, runId: string | number, files: NewFile[]): Promise<void> {
  for (let i = 0; i < files.length; i += 5000) {
    const b = files.slice(i, i + 5000);
    await db.query(
      `INSERT INTO copyfleet.files (run_id, file_no, uri, version, bytes, target_table, source_name, status, message, finished_at)
       SELECT $1, f.no, f.uri, f.version, f.bytes, f.tbl, f.src, f.status, f.msg,
              CASE WHEN f.status IN ('failed', 'skipped') THEN clock_timestamp() END
         FROM unnest($2::int[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::text[])
              AS f(no, uri, version, bytes, tbl, src, status, msg)
       ON CONFLICT (run_id, file_no) DO NOTHING`,
      [
        runId,
        b.map((f) => f.fileNo),
        b.map((f) => f.uri),
        b.map((f) => f.version),
        b.map((f) => f.bytes),
        b.map((f) => f.table),
        b.map((f) => f.sourceName ?? null),
        b.map((f) => f.status ?? 'listed'),
        b.map((f) => f.message ?? null),
      ],
    );
  }
}

export async function filesOf(db: Queryable, runId: string | number, status?: FileStatus): Promise<FileRow[]> {
  const { rows } = await db.query<FileRow>(
    `SELECT * FROM copyfleet.files WHERE run_id = $1 AND ($2::text IS NULL OR status = $2) ORDER BY file_no`,
    [runId, status ?? null],
  );
  return rows;
}

/** The files of a run that have rejects, with how many. */
export async function filesWithRejects(db: Queryable, runId: string | number): Promise<(Pick<FileRow, 'file_no' | 'uri' | 'version' | 'spec'> & { rejects: number })[]> {
  const { rows } = await db.query<Pick<FileRow, 'file_no' | 'uri' | 'version' | 'spec'> & { rejects: number }>(
    `SELECT f.file_no, f.uri, f.version, f.spec, r.n AS rejects
       FROM copyfleet.files f
       JOIN (SELECT file_no, count(*)::int AS n FROM copyfleet.rejects WHERE run_id = $1 GROUP BY file_no) r USING (file_no)
      WHERE f.run_id = $1
      ORDER BY f.file_no`,
    [runId],
  );
  return rows;
}

export async function getFile(db: Queryable, runId: string | number, fileNo: number): Promise<FileRow | null> {
  const { rows } = await db.query<FileRow>('SELECT * FROM copyfleet.files WHERE run_id = $1 AND file_no = $2', [runId, fileNo]);
  return rows[0] ?? null;
}

export async function getFiles(db: Queryable, runId: string | number, fileNos: number[]): Promise<FileRow[]> {
  const { rows } = await db.query<FileRow>('SELECT * FROM copyfleet.files WHERE run_id = $1 AND file_no = ANY($2::int[])', [runId, fileNos]);
  return rows;
}

/** What the ledger knows of these files in this table: one row per earlier file with the same uri. */
export interface FileHistory {
  uri: string;
  version: string;
  run_id: string;
  status: FileStatus;
  run_status: RunRow['status'];
  /** Chunks of it that are in the table. */
  loaded_chunks: number;
}

export async function fileHistory(db: Queryable, table: string, uris: string[]): Promise<FileHistory[]> {
  const { rows } = await db.query<FileHistory>(
    `SELECT f.uri, f.version, f.run_id, f.status, r.status AS run_status,
            (SELECT count(*)::int FROM copyfleet.chunks c
              WHERE c.run_id = f.run_id AND c.file_no = f.file_no AND c.loaded_at IS NOT NULL) AS loaded_chunks
       FROM copyfleet.files f JOIN copyfleet.runs r USING (run_id)
      WHERE f.target_table = $1 AND f.uri = ANY($2::text[])
        -- A table dropped since (or never made) has no files in it: its history does not count.
        AND ${tableExists('$1')}
      ORDER BY f.run_id`,
    [table, uris],
  );
  return rows;
}

/** A planned file: its spec and chunk count recorded, status listed → loading. False if it was not listed (planned already). */
export async function markFilePlanned(
  db: Queryable,
  runId: string | number,
  fileNo: number,
  p: { spec: unknown; format: string; bytes: number; chunks: number; version: string },
): Promise<boolean> {
  const res = await db.query(
    `UPDATE copyfleet.files SET status = 'loading', spec = $3, format = $4, bytes = $5, chunks = $6, version = $7, started_at = clock_timestamp()
      WHERE run_id = $1 AND file_no = $2 AND status = 'listed'`,
    [runId, fileNo, JSON.stringify(p.spec), p.format, p.bytes, p.chunks, p.version],
  );
  return (res.rowCount ?? 0) > 0;
}

export async function failFile(db: Queryable, runId: string | number, fileNo: number, message: string): Promise<void> {
  await db.query(
    `UPDATE copyfleet.files SET status = 'failed', message = $3, finished_at = clock_timestamp()
      WHERE run_id = $1 AND file_no = $2 AND status IN ('listed', 'loading')`,
    [runId, fileNo, message],
  );
}

/**
 * After chunks of the files committed: each file with no chunk left unloaded (or none at
 * all: a header-only file) is done, with the ledger's totals. Returns how many this call finished.
 */
export async function settleFiles(db: Queryable, runId: string | number, fileNos: number[]): Promise<number> {
  if (fileNos.length === 0) return 0;
  const res = await db.query(
    `UPDATE copyfleet.files f
        SET status = 'done', finished_at = s.last, rows_loaded = s.loaded, rows_rejected = s.rejected, message = NULL
       FROM (SELECT n.file_no, count(c.chunk_no) FILTER (WHERE c.loaded_at IS NULL) AS pending, coalesce(sum(c.rows_loaded), 0) AS loaded,
                    coalesce(sum(c.rows_rejected), 0) AS rejected, coalesce(max(c.loaded_at), clock_timestamp()) AS last
               FROM unnest($2::int[]) AS n(file_no)
               LEFT JOIN copyfleet.chunks c ON c.run_id = $1 AND c.file_no = n.file_no
              GROUP BY n.file_no) s
      WHERE f.run_id = $1 AND f.file_no = s.file_no AND f.status = 'loading' AND s.pending = 0`,
    [runId, fileNos],
  );
  return res.rowCount ?? 0;
}

/** The run failed on dead chunks: their files fail, naming the chunk. */
export async function failFilesWithDeadChunks(db: Queryable, runId: string | number): Promise<void> {
  await db.query(
    `UPDATE copyfleet.files f
        SET status = 'failed', finished_at = clock_timestamp(),
            message = 'chunk ' || d.chunk_no || ' dead: ' || coalesce(d.last_error, 'no error recorded')
       FROM (SELECT DISTINCT ON (file_no) file_no, chunk_no, last_error FROM copyfleet.chunks
              WHERE run_id = $1 AND dead_at IS NOT NULL AND loaded_at IS NULL ORDER BY file_no, chunk_no) d
      WHERE f.run_id = $1 AND f.file_no = d.file_no AND f.status = 'loading'`,
    [runId],
  );
}

/** Dead chunks get another chance (resume, retry): their files are loading again. */
export async function reviveFiles(db: Queryable, runId: string | number, fileNo?: number): Promise<void> {
  await db.query(
    `UPDATE copyfleet.files SET status = 'loading', message = NULL, finished_at = NULL
      WHERE run_id = $1 AND status = 'failed' AND chunks > 0 AND ($2::int IS NULL OR file_no = $2)`,
    [runId, fileNo ?? null],
  );
}

export interface FileCounts {
  total: number;
  listed: number;
  loading: number;
  done: number;
  failed: number;
  skipped: number;
}

export async function fileCounts(db: Queryable, runId: string | number): Promise<FileCounts> {
  const { rows } = await db.query<Record<keyof FileCounts, number>>(
    `SELECT count(*)::int AS total,
            count(*) FILTER (WHERE status = 'listed')::int AS listed,
            count(*) FILTER (WHERE status = 'loading')::int AS loading,
            count(*) FILTER (WHERE status = 'done')::int AS done,
            count(*) FILTER (WHERE status = 'failed')::int AS failed,
            count(*) FILTER (WHERE status = 'skipped')::int AS skipped
       FROM copyfleet.files WHERE run_id = $1`,
    [runId],
  );
  return rows[0]!;
}

/** The per-file status report of a run (reports/<run>/files.csv): one row per file. */
export function fileReportSql(runId: string | number): string {
  return `SELECT file_no, uri, bytes, format, status, rows_loaded, rows_rejected, chunks,
                 round(extract(epoch FROM finished_at - started_at)::numeric, 3) AS seconds, message
            FROM copyfleet.files WHERE run_id = ${Number(runId)} ORDER BY file_no`;
}

/** Plan a batch of files in one transaction: their chunks in the ledger, and the files loading. */
export async function recordPlannedFiles(
  client: pg.PoolClient,
  runId: string | number,
  files: { fileNo: number; spec: unknown; format: string; bytes: number; version: string; chunks: { chunkNo: number; start: number; end: number }[] }[],
): Promise<void> {
  await inTransaction(client, async () => {
    await insertChunks(client, runId, files.flatMap((f) => f.chunks.map((c) => ({ ...c, fileNo: f.fileNo }))));
    for (const f of files) {
      if (!(await markFilePlanned(client, runId, f.fileNo, { ...f, chunks: f.chunks.length }))) {
        throw new Error(`file ${f.fileNo} of run ${runId} was planned by another splitter`); // cannot happen under the planning lock
      }
    }
  });
}
