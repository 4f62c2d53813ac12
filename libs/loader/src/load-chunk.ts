/**
 * Loads one chunk exactly once.
 *
 *   1. count the attempt; a chunk already in the ledger is a no-op;
 *   2. stream the byte range through the format's reader and the row encoder into
 *      a RowSpool, collecting rejects and the partition keys the rows need;
 *   3. create missing partitions (outside the load transaction);
 *   4. in ONE transaction: lock the ledger row (a concurrent duplicate waits here
 *      and then sees the chunk loaded), COPY the rows (isolating any row
 *      PostgreSQL refuses), insert the rejects, mark the ledger row loaded, commit.
 *
 * A worker killed anywhere before the commit leaves nothing behind: PostgreSQL
 * rolls the transaction back and the queue hands the chunk out again.
 */
import { beginAttempt, copyWithIsolation, insertRejects, lockChunk, markLoaded, PartitionCache, type Reject } from '@copyfleet/db';
import { CsvReader, JsonlReader, type CsvFields } from '@copyfleet/parse';
import { copyColumnsSql, qualified, RowEncoder } from '@copyfleet/schema';
import type { Source } from '@copyfleet/source';
import type pg from 'pg';
import { PermanentChunkError } from './errors.js';
import { failpoint } from './failpoint.js';
import type { LoadSpec } from './load-spec.js';
import { RowSpool } from './row-spool.js';

export interface ChunkTask {
  runId: string;
  chunkNo: number;
  start: number;
  end: number;
}

export interface ChunkRun {
  spec: LoadSpec;
  source: Source;
  sourceVersion: string;
}

export interface ChunkResult {
  /** False when the ledger already had the chunk (a retry or duplicate). */
  loaded: boolean;
  rowsLoaded: number;
  rowsRejected: number;
  lines: number;
  partitionsCreated: number;
}

export interface LoadDeps {
  pool: pg.Pool;
  partitions: PartitionCache;
}

export async function loadChunk(deps: LoadDeps, run: ChunkRun, task: ChunkTask): Promise<ChunkResult> {
  const skipped: ChunkResult = { loaded: false, rowsLoaded: 0, rowsRejected: 0, lines: 0, partitionsCreated: 0 };
  const attempt = await beginAttempt(deps.pool, task.runId, task.chunkNo);
  if (!attempt.exists) throw new PermanentChunkError(`chunk ${task.chunkNo} of run ${task.runId} is not in the ledger (the run was deleted?)`);
  if (attempt.loaded) return skipped;

  const { spool, rejects, partKeys, lines } = await parseRange(run, task);
  const partitionsCreated = await deps.partitions.ensure(deps.pool, run.spec.table, partKeys);

  const client = await deps.pool.connect();
  try {
    await client.query('BEGIN');
    if (await lockChunk(client, task.runId, task.chunkNo)) {
      await client.query('ROLLBACK');
      return skipped;
    }
    const table = run.spec.table;
    const copySql = `COPY ${qualified(table.schema, table.table)} (${copyColumnsSql(table)}) FROM STDIN`;
    const outcome = await copyWithIsolation(client, copySql, spool);
    for (const r of outcome.refused) {
      rejects.push({
        offset: spool.offsetOf(r.index),
        line: spool.lineOf(r.index),
        reason: `refused by PostgreSQL: ${r.message}`,
        raw: Buffer.from(spool.rowText(r.index)),
      });
    }
    rejects.sort((a, b) => a.offset - b.offset);
    await insertRejects(client, task.runId, task.chunkNo, rejects);
    await markLoaded(client, task.runId, task.chunkNo, { loaded: outcome.loaded, rejected: rejects.length, lines });
    await failpoint('before-commit');
    await client.query('COMMIT');
    await failpoint('after-commit');
    return { loaded: true, rowsLoaded: outcome.loaded, rowsRejected: rejects.length, lines, partitionsCreated };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

interface Parsed {
  spool: RowSpool;
  rejects: Reject[];
  partKeys: Set<string>;
  lines: number;
}

/** Stream [start, end) through reader → encoder → spool. Backpressure: one read at a time. */
async function parseRange(run: ChunkRun, task: ChunkTask): Promise<Parsed> {
  const { spec } = run;
  const spool = new RowSpool();
  const rejects: Reject[] = [];
  const partKeys = new Set<string>();
  const encoder = new RowEncoder(spec.table, task.runId);
  const bad = (reason: string, offset: number, line: number, raw: Buffer): void => {
    rejects.push({ offset, line, reason, raw });
  };
  const take = (row: ReturnType<RowEncoder['encodeJson']>, offset: number, line: number, rawOf: () => Buffer): void => {
    if (row === null) {
      bad(encoder.reason, offset, line, rawOf());
      return;
    }
    spool.append(row.line, offset, line);
    if (row.partKey !== null) partKeys.add(row.partKey);
  };
  const opts = { startOffset: task.start, maxRecordBytes: spec.maxRecordBytes };
  const reader =
    spec.format === 'csv'
      ? new CsvReader(spec.dialect, {
          record: (fields: CsvFields, offset, line) =>
            take(encoder.encodeCsv(fields, offset), offset, line, () => Buffer.from(csvLine(fields, spec.dialect.delimiter))),
          bad,
        }, opts)
      : new JsonlReader({
          record: (value, offset, line) => take(encoder.encodeJson(value, offset), offset, line, () => Buffer.from(JSON.stringify(value))),
          bad,
        }, opts);

  for await (const chunk of run.source.stream(task.start, task.end) as AsyncIterable<Buffer>) reader.push(chunk);
  reader.end();
  return { spool, rejects, partKeys, lines: reader.lines };
}

/** A rejected CSV record written back as CSV (fields quoted), for the reject row. */
function csvLine(fields: CsvFields, delimiter: number): string {
  const d = String.fromCharCode(delimiter);
  return fields
    .map((f) => (f === null ? '' : /[",\r\n]/.test(f) || f.includes(d) ? `"${f.replace(/"/g, '""')}"` : f))
    .join(d);
}
