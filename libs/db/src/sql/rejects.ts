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
      `INSERT INTO copyfleet.rejects (run_id, chunk_no, byte_offset, chunk_line, reason, raw, raw_bytes)
       SELECT $1, $2, * FROM unnest($3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::bytea[])`,
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
export async function resolveRejectLines(db: Queryable, runId: string | number, firstDataLine: number): Promise<void> {
  await db.query(
    `UPDATE copyfleet.rejects r
        SET line_no = c.first_line + r.chunk_line - 1
       FROM (SELECT chunk_no,
                    $2::bigint + coalesce(sum(lines) OVER (ORDER BY chunk_no ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS first_line
               FROM copyfleet.chunks WHERE run_id = $1) c
      WHERE r.run_id = $1 AND r.chunk_no = c.chunk_no`,
    [runId, firstDataLine],
  );
}
