/**
 * COPY rows into a table inside the caller's transaction, isolating rows that
 * PostgreSQL refuses. Each attempt runs under a SAVEPOINT; when a COPY fails with
 * a data error, PostgreSQL's error context names the failing line, so that row is
 * rejected and the rows before and after it are copied again. Without a line
 * number the range is bisected. The good rows are copied at most about twice
 * whatever the number of bad rows; a chunk with no bad rows costs one COPY.
 *
 * Binary COPY (`copyBinary`) is one attempt under a SAVEPOINT: PostgreSQL's error for a
 * binary row names no text the rejects could keep, so a refused batch is rolled back and
 * the caller copies the same rows as text, with isolation.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/** Encoded rows that can be replayed by index range. */
export interface RowBatch {
  readonly count: number;
  /** The COPY text of rows [a, b), each row ending in a newline. */
  buffers(a: number, b: number): Iterable<Buffer>;
}

export interface CopyOutcome {
  loaded: number;
  /** Rows PostgreSQL refused, by index, with its message. */
  refused: { index: number; message: string }[];
}

/** SQLSTATE classes that mean "this row is bad", not "the database is in trouble". */
export function isRowError(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? '';
  return code.startsWith('22') || code.startsWith('23') || code === '42804' || code === 'XX001';
}

export async function copyWithIsolation(client: pg.PoolClient, copySql: string, rows: RowBatch): Promise<CopyOutcome> {
  const outcome: CopyOutcome = { loaded: 0, refused: [] };
  // Work list of ranges still to copy; processed in order.
  const pending: [number, number][] = rows.count > 0 ? [[0, rows.count]] : [];
  while (pending.length > 0) {
    const [a, b] = pending.shift()!;
    await client.query('SAVEPOINT cf_copy');
    try {
      const n = await copyRange(client, copySql, rows, a, b);
      await client.query('RELEASE SAVEPOINT cf_copy');
      outcome.loaded += n;
    } catch (err) {
      await client.query('ROLLBACK TO SAVEPOINT cf_copy');
      if (!isRowError(err)) throw err;
      const message = (err as Error).message;
      const line = failingLine(err);
      if (b - a === 1) {
        outcome.refused.push({ index: a, message });
      } else if (line !== null && line >= 1 && a + line - 1 < b) {
        const bad = a + line - 1;
        outcome.refused.push({ index: bad, message });
        const next: [number, number][] = [];
        if (bad > a) next.push([a, bad]);
        if (bad + 1 < b) next.push([bad + 1, b]);
        pending.unshift(...next);
      } else {
        const mid = a + Math.floor((b - a) / 2);
        pending.unshift([a, mid], [mid, b]);
      }
    }
  }
  outcome.refused.sort((x, y) => x.index - y.index);
  return outcome;
}

/** The 19-byte header and the trailer of COPY's binary format (signature, flags 0, no extension). */
const BINARY_HEADER = Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);
const BINARY_TRAILER = Buffer.from([0xff, 0xff]);

/**
 * COPY binary tuples (`rows.buffers`, without header or trailer) in one statement under a
 * SAVEPOINT. Returns the rows loaded, or null when PostgreSQL refused a row (rolled back
 * to the savepoint: the caller loads the rows as text, which isolates the bad ones).
 * `copySql` must say `(FORMAT binary)`.
 */
export async function copyBinary(client: pg.PoolClient, copySql: string, rows: RowBatch): Promise<number | null> {
  if (rows.count === 0) return 0;
  await client.query('SAVEPOINT cf_copy');
  try {
    const stream = client.query(copyFrom(copySql));
    await pipeline(Readable.from(framed(rows), { objectMode: false }), stream);
    await client.query('RELEASE SAVEPOINT cf_copy');
    return Number(stream.rowCount ?? rows.count);
  } catch (err) {
    await client.query('ROLLBACK TO SAVEPOINT cf_copy');
    if (!isRowError(err)) throw err;
    return null;
  }
}

function* framed(rows: RowBatch): Iterable<Buffer> {
  yield BINARY_HEADER;
  yield* rows.buffers(0, rows.count);
  yield BINARY_TRAILER;
}

async function copyRange(client: pg.PoolClient, copySql: string, rows: RowBatch, a: number, b: number): Promise<number> {
  const stream = client.query(copyFrom(copySql));
  await pipeline(Readable.from(rows.buffers(a, b), { objectMode: false }), stream);
  return Number(stream.rowCount ?? b - a);
}

/** PostgreSQL reports "COPY t, line 42, column x: ..." in the error's `where`. */
function failingLine(err: unknown): number | null {
  const where = (err as { where?: string }).where ?? '';
  const m = /\bline (\d+)/.exec(where);
  return m ? Number(m[1]) : null;
}
