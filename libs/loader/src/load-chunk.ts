/**
 * Loads one chunk exactly once.
 *
 *   1. count the attempt; a chunk already in the ledger is a no-op;
 *   2. in ONE transaction: lock the ledger row (a concurrent duplicate waits here
 *      and then sees the chunk loaded), load the rows, mark the ledger row loaded,
 *      commit. Loading is either
 *      - pass-through: CSV streamed to COPY unparsed (the fast path), or
 *      - parse: the byte range through the format's reader and the row encoder into
 *        a RowSpool (rejects and partition keys collected), missing partitions
 *        created on another connection, COPY with bad rows isolated, rejects inserted.
 *
 * A worker killed anywhere before the commit leaves nothing behind: PostgreSQL
 * rolls the transaction back and the queue hands the chunk out again.
 */
import { pipeline } from 'node:stream/promises';
import { beginAttempt, copyWithIsolation, insertRejects, isRowError, lockChunk, markLoaded, PartitionCache } from '@copyfleet/db';
import { canPassThrough, copyColumnsSql, passThroughCopySql, qualified } from '@copyfleet/schema';
import { from as copyFrom } from 'pg-copy-streams';
import type { Source } from '@copyfleet/source';
import type pg from 'pg';
import { PermanentChunkError } from './errors.js';
import { failpoint } from './failpoint.js';
import type { LoadSpec } from './load-spec.js';
import { readChunk } from './read-chunk.js';
import { Attr, SpanName, withSpan } from '@copyfleet/telemetry';

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
  /** Physical lines in the chunk; null when it was streamed unparsed (counted later if needed). */
  lines: number | null;
  partitionsCreated: number;
  /** Streamed to COPY without parsing in Node. */
  passThrough: boolean;
}

export interface LoadDeps {
  pool: pg.Pool;
  partitions: PartitionCache;
}

export async function loadChunk(deps: LoadDeps, run: ChunkRun, task: ChunkTask): Promise<ChunkResult> {
  const skipped: ChunkResult = { loaded: false, rowsLoaded: 0, rowsRejected: 0, lines: 0, partitionsCreated: 0, passThrough: false };
  const attempt = await beginAttempt(deps.pool, task.runId, task.chunkNo);
  if (!attempt.exists) throw new PermanentChunkError(`chunk ${task.chunkNo} of run ${task.runId} is not in the ledger (the run was deleted?)`);
  if (attempt.loaded) return skipped;

  const client = await deps.pool.connect();
  try {
    await client.query('BEGIN');
    // Naive timestamps loaded into timestamptz columns mean the spec's zone (UTC otherwise).
    if (run.spec.timezone) await client.query("SELECT set_config('TimeZone', $1, true)", [run.spec.timezone]);
    if (await lockChunk(client, task.runId, task.chunkNo)) {
      await client.query('ROLLBACK');
      return skipped;
    }
    // A handful of spans per chunk (the span budget): copy (pass-through) or parse+copy, then commit.
    const a = { [Attr.RunId]: task.runId, [Attr.ChunkNo]: task.chunkNo };
    const result =
      (await withSpan(SpanName.ChunkCopy, { ...a, [Attr.PassThrough]: true }, async (span) => {
        const r = await tryPassThrough(client, run, task);
        span.setAttributes({ [Attr.Rows]: r?.rowsLoaded ?? 0, [Attr.PassThrough]: r !== null });
        return r;
      })) ??
      (await withSpan(SpanName.ChunkParse, a, async (span) => {
        const r = await parseAndCopy(deps, client, run, task);
        span.setAttributes({ [Attr.Rows]: r.rowsLoaded, [Attr.Rejects]: r.rowsRejected, [Attr.PartitionsCreated]: r.partitionsCreated });
        return r;
      }));
    await withSpan(SpanName.ChunkCommit, a, async () => {
      await markLoaded(client, task.runId, task.chunkNo, { loaded: result.rowsLoaded, rejected: result.rowsRejected, lines: result.lines });
      await failpoint('before-commit');
      await client.query('COMMIT');
    });
    await failpoint('after-commit');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/**
 * CSV whose fields are the table's columns: stream the byte range to COPY (FORMAT csv)
 * unparsed — PostgreSQL parses it, Node only moves bytes. Rows whose partition does not
 * exist yet go to the DEFAULT partition (the compactor moves them). If PostgreSQL
 * refuses any row, the attempt is rolled back to its savepoint and the chunk takes the
 * parsing path, which finds and rejects exactly the bad rows.
 */
async function tryPassThrough(client: pg.PoolClient, run: ChunkRun, task: ChunkTask): Promise<ChunkResult | null> {
  const { spec } = run;
  if (spec.format !== 'csv' || spec.bronze || spec.strayQuotes || !canPassThrough(spec.table, spec.dialect)) return null;
  const sql = passThroughCopySql(spec.table, { ...spec.dialect, quote: spec.dialect.quote! });
  await client.query('SAVEPOINT cf_pass');
  try {
    const copy = client.query(copyFrom(sql));
    await pipeline(run.source.stream(task.start, task.end), copy);
    await client.query('RELEASE SAVEPOINT cf_pass');
    const rows = Number(copy.rowCount ?? 0);
    return { loaded: true, rowsLoaded: rows, rowsRejected: 0, lines: null, partitionsCreated: 0, passThrough: true };
  } catch (err) {
    if (!isRowError(err)) throw err;
    await client.query('ROLLBACK TO SAVEPOINT cf_pass');
    return null;
  }
}

/** Parse in Node, reject what does not fit, create partitions, COPY the rest with isolation. */
async function parseAndCopy(deps: LoadDeps, client: pg.PoolClient, run: ChunkRun, task: ChunkTask): Promise<ChunkResult> {
  const { spool, rejects, partKeys, lines, bronze } = await readChunk(run, task);
  // DDL on another connection: this transaction holds no lock on the table at this point.
  const partitionsCreated = await deps.partitions.ensure(deps.pool, run.spec.table, partKeys);
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
  if (bronze && run.spec.bronze) {
    // The raw copy, in the same transaction: every record as it landed (valid JSON only).
    const b = run.spec.bronze;
    await copyWithIsolation(client, `COPY ${qualified(b.schema, b.table)} ("_cf_run_id", "_cf_offset", "record") FROM STDIN`, bronze);
  }
  return { loaded: true, rowsLoaded: outcome.loaded, rowsRejected: rejects.length, lines, partitionsCreated, passThrough: false };
}
