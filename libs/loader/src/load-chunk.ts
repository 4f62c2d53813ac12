/**
 * Loads chunks exactly once: one chunk, or a pack of small ones (queue pack.ts) in one
 * transaction, so that a 1 MiB file costs one COPY and not a job's round trips too.
 *
 *   1. count the attempt; chunks already in the ledger are no-ops;
 *   2. parse, before the transaction, the chunks that cannot stream unparsed: their rows,
 *      rejects and partition keys; create the partitions they need (DDL on another
 *      connection, while the load transaction holds no lock);
 *   3. in ONE transaction: lock the ledger rows (a concurrent duplicate waits here and
 *      then sees the chunks loaded), load each chunk, mark them loaded, commit. A chunk
 *      loads either
 *      - pass-through: CSV streamed to COPY unparsed (the fast path), or
 *      - parsed (step 2): COPY with bad rows isolated, rejects inserted; a pack's parsed
 *        chunks of one table go in one COPY (its start-up, ~7 ms, paid once a pack).
 *        With COPY_FORMAT=binary the parsed rows are binary tuples and go in one binary
 *        COPY; a row PostgreSQL refuses there rolls that COPY back, and the chunks are read
 *        again as text and copied with isolation, so the rejects are the text path's. A
 *        chunk with a value the binary encoder leaves to PostgreSQL is read as text at once.
 *      A pass-through chunk that PostgreSQL refuses is parsed inside the transaction when
 *      it is alone (its partitions may be created then: the transaction has touched no
 *      table), and throws UnpackError in a pack, whose chunks the worker then queues one
 *      by one.
 *
 * A worker killed anywhere before the commit leaves nothing behind: PostgreSQL
 * rolls the transaction back and the queue hands the chunk out again.
 */
import { pipeline } from 'node:stream/promises';
import { beginAttempt, copyBinary, copyWithIsolation, insertRejects, isRowError, lockChunks, markLoaded, PartitionCache, type CopyOutcome, type RowBatch } from '@copyfleet/db';
import { binaryFits, canPassThrough, copyColumnsSql, copyFieldTypes, passThroughCopySql, qualified } from '@copyfleet/schema';
import { from as copyFrom } from 'pg-copy-streams';
import type { Source } from '@copyfleet/source';
import type pg from 'pg';
import { PermanentChunkError } from './errors.js';
import { failpoint } from './failpoint.js';
import type { LoadSpec } from './load-spec.js';
import { readChunk, type ChunkRows } from './read-chunk.js';
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

/** A chunk to load: what its file loads with, and its byte range. */
export interface PackedChunk {
  run: ChunkRun;
  task: ChunkTask;
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
  /** Parsed rows that went in a binary COPY (COPY_FORMAT=binary, and neither the encoder nor PostgreSQL sent them back to text). */
  binary: boolean;
}

export interface LoadDeps {
  pool: pg.Pool;
  partitions: PartitionCache;
  /** How parsed rows go to COPY (libs/config copyFormatFor). @defaultValue 'text' */
  copyFormat?: 'text' | 'binary';
}

/** A pack that cannot load as one transaction (a chunk PostgreSQL refused unparsed): load its chunks one by one. */
export class UnpackError extends Error {
  override readonly name = 'UnpackError';
}

const SKIPPED: ChunkResult = { loaded: false, rowsLoaded: 0, rowsRejected: 0, lines: 0, partitionsCreated: 0, passThrough: false, binary: false };

export async function loadChunk(deps: LoadDeps, run: ChunkRun, task: ChunkTask): Promise<ChunkResult> {
  return (await loadPack(deps, [{ run, task }]))[0]!;
}

/** Load chunks of one run in one transaction; results in the order given. */
export async function loadPack(deps: LoadDeps, chunks: PackedChunk[]): Promise<ChunkResult[]> {
  const runId = chunks[0]!.task.runId;
  const nos = chunks.map((c) => c.task.chunkNo);
  const attempts = await beginAttempt(deps.pool, runId, nos);
  const missing = nos.find((n) => !attempts.has(n));
  if (missing !== undefined) throw new PermanentChunkError(`chunk ${missing} of run ${runId} is not in the ledger (the run was deleted?)`);
  const todo = chunks.filter((c) => !attempts.get(c.task.chunkNo)!.loaded);
  if (todo.length === 0) return chunks.map(() => SKIPPED);

  const parsed = new Map<number, Parsed>();
  for (const c of todo) if (passThroughSql(c.run.spec) === null) parsed.set(c.task.chunkNo, await parseChunk(deps, c));

  const results = new Map<number, ChunkResult>();
  const client = await deps.pool.connect();
  try {
    await client.query('BEGIN');
    const skip = await lockChunks(client, runId, todo.map((c) => c.task.chunkNo));
    const live = todo.filter((c) => !skip.has(c.task.chunkNo));
    const zones = new TimeZones(client);
    // Unparsed first, one COPY each (a chunk refused unparsed needs its own fallback); then the
    // parsed ones, one COPY for all the chunks of a table (rows refused go back to their chunk).
    for (const c of live.filter((x) => !parsed.has(x.task.chunkNo))) {
      await zones.use(c.run.spec.timezone);
      results.set(c.task.chunkNo, await streamOne(deps, client, c, chunks.length > 1));
    }
    const groups = new Map<string, { c: PackedChunk; parsed: Parsed }[]>();
    for (const c of live.filter((x) => parsed.has(x.task.chunkNo))) {
      const p = parsed.get(c.task.chunkNo)!;
      const key = `${copySql(c.run.spec, p.spool.binary)}\n${c.run.spec.timezone ?? ''}`;
      groups.set(key, [...(groups.get(key) ?? []), { c, parsed: p }]);
    }
    for (const group of groups.values()) {
      await zones.use(group[0]!.c.run.spec.timezone);
      const a = { [Attr.RunId]: runId, [Attr.ChunkNo]: group[0]!.c.task.chunkNo, [Attr.Chunks]: group.length };
      const rs = await withSpan(SpanName.ChunkParse, a, async (span) => {
        const r = await copyParsed(client, group);
        const total = (k: 'rowsLoaded' | 'rowsRejected' | 'partitionsCreated') => r.reduce((n, x) => n + x[k], 0);
        span.setAttributes({ [Attr.Rows]: total('rowsLoaded'), [Attr.Rejects]: total('rowsRejected'), [Attr.PartitionsCreated]: total('partitionsCreated') });
        return r;
      });
      group.forEach((m, i) => results.set(m.c.task.chunkNo, rs[i]!));
    }
    const loaded = [...results].map(([chunkNo, r]) => ({ chunkNo, loaded: r.rowsLoaded, rejected: r.rowsRejected, lines: r.lines }));
    await withSpan(SpanName.ChunkCommit, { [Attr.RunId]: runId, [Attr.ChunkNo]: nos[0]!, [Attr.Chunks]: loaded.length }, async () => {
      await markLoaded(client, runId, loaded);
      await failpoint('before-commit');
      await client.query('COMMIT');
    });
    await failpoint('after-commit');
    return chunks.map((c) => results.get(c.task.chunkNo) ?? SKIPPED);
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** Naive timestamps loaded into timestamptz columns mean the spec's zone (UTC, the session's, otherwise). */
class TimeZones {
  private zone: string | null = null;
  constructor(private readonly client: pg.PoolClient) {}
  async use(tz: string | null | undefined): Promise<void> {
    if ((tz ?? null) === this.zone) return;
    await (tz ? this.client.query("SELECT set_config('TimeZone', $1, true)", [tz]) : this.client.query('RESET TimeZone'));
    this.zone = tz ?? null;
  }
}

/** A chunk that can stream unparsed, inside the load transaction; alone, a chunk PostgreSQL refuses is parsed instead. */
async function streamOne(deps: LoadDeps, client: pg.PoolClient, c: PackedChunk, inPack: boolean): Promise<ChunkResult> {
  // A handful of spans per chunk (the span budget): copy (pass-through) or parse+copy.
  const a = { [Attr.RunId]: c.task.runId, [Attr.ChunkNo]: c.task.chunkNo };
  const streamed = await withSpan(SpanName.ChunkCopy, { ...a, [Attr.PassThrough]: true }, async (span) => {
    const r = await tryPassThrough(client, c);
    span.setAttributes({ [Attr.Rows]: r?.rowsLoaded ?? 0, [Attr.PassThrough]: r !== null });
    return r;
  });
  if (streamed) return streamed;
  if (inPack) throw new UnpackError(`chunk ${c.task.chunkNo} has rows PostgreSQL refused unparsed`);
  return withSpan(SpanName.ChunkParse, a, async (span) => {
    const [r] = await copyParsed(client, [{ c, parsed: await parseChunk(deps, c) }]);
    span.setAttributes({ [Attr.Rows]: r!.rowsLoaded, [Attr.Rejects]: r!.rowsRejected, [Attr.PartitionsCreated]: r!.partitionsCreated });
    return r!;
  });
}

/** The COPY that streams a chunk unparsed, or null when its spec needs the parsing path. */
function passThroughSql(spec: LoadSpec): string | null {
  if (spec.format !== 'csv' || spec.bronze || spec.strayQuotes || !canPassThrough(spec.table, spec.dialect)) return null;
  return passThroughCopySql(spec.table, { ...spec.dialect, quote: spec.dialect.quote! });
}

/**
 * CSV whose fields are the table's columns: stream the byte range to COPY (FORMAT csv)
 * unparsed — PostgreSQL parses it, Node only moves bytes. Rows whose partition does not
 * exist yet go to the DEFAULT partition (the compactor moves them). If PostgreSQL
 * refuses any row, the attempt is rolled back to its savepoint and the chunk takes the
 * parsing path, which finds and rejects exactly the bad rows.
 */
async function tryPassThrough(client: pg.PoolClient, { run, task }: PackedChunk): Promise<ChunkResult | null> {
  const sql = passThroughSql(run.spec)!;
  await client.query('SAVEPOINT cf_pass');
  try {
    const copy = client.query(copyFrom(sql));
    await pipeline(run.source.stream(task.start, task.end), copy);
    await client.query('RELEASE SAVEPOINT cf_pass');
    const rows = Number(copy.rowCount ?? 0);
    return { loaded: true, rowsLoaded: rows, rowsRejected: 0, lines: null, partitionsCreated: 0, passThrough: true, binary: false };
  } catch (err) {
    if (!isRowError(err)) throw err;
    await client.query('ROLLBACK TO SAVEPOINT cf_pass');
    return null;
  }
}

/** A chunk parsed in Node: its rows, rejects and partition keys, and the partitions made for them. */
interface Parsed extends ChunkRows {
  partitionsCreated: number;
}

/**
 * Parse in Node, reject what does not fit, and create the partitions the rows need (on another
 * connection). Binary when configured and every value's binary form is known in Node; a chunk
 * with a value the binary encoder leaves to PostgreSQL is read again as text.
 */
async function parseChunk(deps: LoadDeps, { run, task }: PackedChunk): Promise<Parsed> {
  const binary = deps.copyFormat === 'binary' && binaryFits(copyFieldTypes(run.spec.table), run.spec.timezone);
  let rows = await readChunk(run, task, binary);
  if (rows.spool.textOnly !== null) rows = await readChunk(run, task, false);
  return { ...rows, partitionsCreated: await deps.partitions.ensure(deps.pool, run.spec.table, rows.partKeys) };
}

/** The COPY of a table's parsed rows. */
function copySql(spec: LoadSpec, binary: boolean): string {
  return `COPY ${qualified(spec.table.schema, spec.table.table)} (${copyColumnsSql(spec.table)}) FROM STDIN${binary ? ' (FORMAT binary)' : ''}`;
}

/** The rows of parsed chunks as one batch, in member order; `memberOf` maps a row index to its member. */
function batchOf(members: { parsed: Parsed }[]): { all: RowBatch; starts: number[]; memberOf: (index: number) => number } {
  const starts: number[] = [];
  let count = 0;
  for (const m of members) {
    starts.push(count);
    count += m.parsed.spool.count;
  }
  const memberOf = (index: number): number => {
    let k = members.length - 1;
    while (starts[k]! > index) k--;
    return k;
  };
  const all: RowBatch = {
    count,
    *buffers(a: number, b: number) {
      for (let k = memberOf(a); k < members.length && starts[k]! < b; k++) {
        const from = Math.max(a, starts[k]!) - starts[k]!;
        const to = Math.min(b, starts[k]! + members[k]!.parsed.spool.count) - starts[k]!;
        if (to > from) yield* members[k]!.parsed.spool.buffers(from, to);
      }
    },
  };
  return { all, starts, memberOf };
}

/**
 * COPY parsed chunks of one table as one statement with bad rows isolated (one SAVEPOINT
 * and COPY for a pack, not one a chunk); each chunk's refused rows become its rejects, which
 * (and its bronze copy) go in with it, in the same transaction.
 */
async function copyParsed(client: pg.PoolClient, members: { c: PackedChunk; parsed: Parsed }[]): Promise<ChunkResult[]> {
  const spec = members[0]!.c.run.spec;
  let outcome: CopyOutcome | null = null;
  let binary = false;
  if (members[0]!.parsed.spool.binary) {
    const loaded = await copyBinary(client, copySql(spec, true), batchOf(members).all);
    binary = loaded !== null;
    if (loaded !== null) outcome = { loaded, refused: [] };
    else {
      // PostgreSQL refused a row of the binary COPY (rolled back): the same chunks as text,
      // where isolation finds the row and PostgreSQL's message names its line.
      for (const m of members) m.parsed = { ...(await readChunk(m.c.run, m.c.task, false)), partitionsCreated: m.parsed.partitionsCreated };
    }
  }
  const { all, starts, memberOf } = batchOf(members);
  outcome ??= await copyWithIsolation(client, copySql(spec, false), all);
  const refused = members.map(() => 0);
  for (const r of outcome.refused) {
    const k = memberOf(r.index);
    const { spool, rejects } = members[k]!.parsed;
    const i = r.index - starts[k]!;
    rejects.push({ offset: spool.offsetOf(i), line: spool.lineOf(i), reason: `refused by PostgreSQL: ${r.message}`, raw: Buffer.from(spool.rowText(i)) });
    refused[k]!++;
  }
  const results: ChunkResult[] = [];
  for (const [k, { c, parsed }] of members.entries()) {
    const { spool, rejects, lines, bronze, partitionsCreated } = parsed;
    rejects.sort((x, y) => x.offset - y.offset);
    await insertRejects(client, c.task.runId, c.task.chunkNo, rejects);
    if (bronze && c.run.spec.bronze) {
      // The raw copy, in the same transaction: every record as it landed (valid JSON only).
      const b = c.run.spec.bronze;
      await copyWithIsolation(client, `COPY ${qualified(b.schema, b.table)} ("_cf_run_id", "_cf_offset", "record") FROM STDIN`, bronze);
    }
    results.push({ loaded: true, rowsLoaded: spool.count - refused[k]!, rowsRejected: rejects.length, lines, partitionsCreated, passThrough: false, binary });
  }
  return results;
}
