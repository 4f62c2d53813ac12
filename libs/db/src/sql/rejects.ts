/** Statements on copyfleet.rejects. */
import { isUtf8 } from 'node:buffer';
import type pg from 'pg';
import type { Queryable } from './queryable.js';

export interface Reject {
  offset: number;
  /** Line within the chunk, 1-based. */
  line: number;
  reason: string;
  raw: Buffer;
}

const BATCH = 5000;

export async function insertRejects(client: pg.PoolClient, runId: string | number, chunkNo: number, rejects: Reject[]): Promise<void> {
  for (let i = 0; i < rejects.length; i += BATCH) {
    const batch = rejects.slice(i, i + BATCH);
    const asText = batch.map((r) => (isUtf8(r.raw) && !r.raw.includes(0) ? r.raw.toString('utf8') : null));
    await client.query(
      `INSERT INTO copyfleet.rejects (run_id, chunk_no, file_no, byte_offset, chunk_line, reason, raw, raw_bytes)
       SELECT $1, $2, (SELECT file_no FROM copyfleet.chunks WHERE run_id = $1 AND chunk_no = $2), * FROM unnest($3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::bytea[])`,
      [
        runId,
        chunkNo,
        batch.map((r) => r.offset),
        batch.map((r) => r.line),
        batch.map((r) => r.reason.replace(/\u0000/g, '\\0')),
        asText,
        batch.map((r, k) => (asText[k] === null ? r.raw : null)),
      ],
    );
  }
}

/**
 * Turn chunk-relative line numbers into file line numbers, once every chunk has
 * reported how many lines it holds. `firstDataLine` is the line the first chunk starts on.
 */
export async function resolveRejectLines(db: Queryable, runId: string | number): Promise<void> {
  // Each file's lines count from its own first data line (files.spec.firstDataLine).
  await db.query(
    `UPDATE copyfleet.rejects r
        SET line_no = c.first_line + r.chunk_line - 1
       FROM (SELECT c.chunk_no,
                    coalesce((f.spec->>'firstDataLine')::bigint, 1)
                      + coalesce(sum(c.lines) OVER (PARTITION BY c.file_no ORDER BY c.chunk_no ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS first_line
               FROM copyfleet.chunks c JOIN copyfleet.files f ON f.run_id = c.run_id AND f.file_no = c.file_no
              WHERE c.run_id = $1) c
      WHERE r.run_id = $1 AND r.chunk_no = c.chunk_no`,
    [runId],
  );
}

/**
 * Chunks streamed unparsed did not count their lines. Reject line numbers need the lines of
 * every chunk before the last chunk with rejects of the same file: these are those chunks.
 */
export async function chunksMissingLines(db: Queryable, runId: string | number): Promise<{ chunk_no: number; file_no: number; byte_start: string; byte_end: string }[]> {
  const { rows } = await db.query<{ chunk_no: number; file_no: number; byte_start: string; byte_end: string }>(
    `SELECT chunk_no, file_no, byte_start, byte_end FROM copyfleet.chunks c
      WHERE run_id = $1 AND lines IS NULL
        AND chunk_no < (SELECT max(r.chunk_no) FROM copyfleet.rejects r WHERE r.run_id = $1 AND r.file_no = c.file_no)
      ORDER BY chunk_no`,
    [runId],
  );
  return rows;
}

export async function setChunkLines(db: Queryable, runId: string | number, chunkNo: number, lines: number): Promise<void> {
  await db.query('UPDATE copyfleet.chunks SET lines = $3 WHERE run_id = $1 AND chunk_no = $2', [runId, chunkNo, lines]);
}
