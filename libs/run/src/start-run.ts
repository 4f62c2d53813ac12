/**
 * The splitter: turn a load request into a run in PostgreSQL and chunk jobs in
 * Redis. Running it again for the same file and table resumes the unfinished run
 * instead of starting a second one (the ledger says what is left).
 *
 *   planning ──plan+chunks recorded──▶ running ──last chunk──▶ compacting ──▶ reporting ──▶ done
 *        └──────────────── any unrecoverable error ─────────────────────────────────────▶ failed
 */
import {
  findResumableRun, insertChunks, insertRun, latestSpecFor, recordRowsBefore, setChunksTotal, transitionRun, unloadedChunks,
  type RunRow,
} from '@copyfleet/db';
import type { LoadSpec } from '@copyfleet/loader';
import { createBronzeSql, createTableSql, qualified, toIdentifier, type TableSpec } from '@copyfleet/schema';
import { countLineFeeds } from '@copyfleet/plan';
import { readDatasetSpec } from '@copyfleet/spec';
import { precreatePartitions } from './partitions.js';
import { compressionOf, normalizeSourceUri, openSource, stageDecompressed } from '@copyfleet/source';
import type { Context } from './context.js';
import { designTable, LoadRequestError, planLoad, reconcileWithExisting, targetName, type LoadRequest } from '@copyfleet/design';

export interface StartedRun {
  runId: string;
  resumed: boolean;
  chunks: number;
  bytes: number;
  table: string;
}

export async function startRun(ctx: Context, req: LoadRequest): Promise<StartedRun> {
  // The run starts now, before planning: ingest time is measured from here.
  const startedAt = new Date();
  const dataset = req.dataset ? await readDatasetSpec(req.dataset) : null;
  const source = await openSource(normalizeSourceUri(req.file));
  const { size, version } = await source.stat();
  const target = targetName(req, source.name, ctx.config.defaultSchema, dataset?.table);
  const targetText = `${target.schema}.${target.table}`;

  const active = await findResumableRun(ctx.pool, source.uri, version, targetText);
  if (active) return resume(ctx, active);

  // Compressed input: decompress once into the staging directory and load that.
  const compression = compressionOf(await source.read(0, 4));
  const staged = compression ? await stageDecompressed(source, version, size, compression, ctx.config.stagingDir) : null;
  const loadSource = staged ? await openSource(staged.path) : source;
  const plan = await planLoad(loadSource, ctx.config, dataset);
  const previous = (await latestSpecFor(ctx.pool, targetText)) as LoadSpec | null;
  let table: TableSpec;
  if (plan.chunks.length === 0 && plan.header === null && previous === null) {
    // Nothing to infer from: an empty file. Record the run so it is visible, and finish it.
    const runId = await insertRun(ctx.pool, { source: source.uri, version, table: targetText, spec: {}, bytesTotal: size, traceParent: null, startedAt });
    await transitionRun(ctx.pool, runId, ['planning'], 'done', 'the file is empty: nothing to load');
    return { runId, resumed: false, chunks: 0, bytes: size, table: targetText };
  }
  const { sample, table: fresh } = await designTable(loadSource, plan, req, target, dataset);
  table = reconcileWithExisting(fresh, previous?.table ?? null);
  const bronze = dataset?.table.bronze ? { schema: table.schema, table: toIdentifier(dataset.table.bronze, 'bronze') } : null;
  const spec: LoadSpec = {
    format: plan.format,
    dialect: plan.dialect,
    table,
    // The data starts on the line after the last LF before it (JSON: possibly mid-line).
    firstDataLine: 1 + (await countLineFeeds(loadSource, 0, plan.dataStart)).lf,
    maxRecordBytes: ctx.config.maxRecordBytes,
    ...(plan.json ? { json: plan.json } : {}),
    header: plan.header,
    bronze,
    ...(dataset?.source.timezone ? { timezone: await checkTimezone(ctx, dataset.source.timezone) } : {}),
    ...(staged ? { staged: { path: staged.path, version: (await loadSource.stat()).version } } : {}),
    ...(dataset?.reports ? { reports: dataset.reports } : {}),
  };

  let runId: string;
  try {
    runId = await insertRun(ctx.pool, { source: source.uri, version, table: targetText, spec, bytesTotal: plan.size, traceParent: null, startedAt });
  } catch (err) {
    // Another splitter started the same run a moment ago: join it.
    if ((err as { code?: string }).code === '23505') {
      const raced = await findResumableRun(ctx.pool, source.uri, version, targetText);
      if (raced) return resume(ctx, raced);
    }
    throw err;
  }
  for (const stmt of createTableSql(table)) await ctx.pool.query(stmt);
  // Before any chunk commits: a new table counts in no time (a scan at the end took ~1 s per GiB).
  await recordRowsBefore(ctx.pool, runId, qualified(table.schema, table.table));
  if (bronze) await ctx.pool.query(createBronzeSql(bronze));
  await precreatePartitions(ctx, spec, sample);
  await insertChunks(ctx.pool, runId, plan.chunks);
  await setChunksTotal(ctx.pool, runId, plan.chunks.length);
  await transitionRun(ctx.pool, runId, ['planning'], 'running');
  if (plan.chunks.length === 0) await ctx.queues.addRunJob('compact', { runId });
  else await ctx.queues.addChunks(plan.chunks.map((c) => ({ runId, chunkNo: c.chunkNo, start: c.start, end: c.end })));
  return { runId, resumed: false, chunks: plan.chunks.length, bytes: size, table: targetText };
}

/** Continue an unfinished run from where the ledger says it is. */
async function resume(ctx: Context, run: RunRow): Promise<StartedRun> {
  const runId = run.run_id;
  if (run.status === 'planning') {
    // The splitter died while planning: nothing was enqueued yet. Start it over.
    await ctx.pool.query('DELETE FROM copyfleet.runs WHERE run_id = $1', [runId]);
    throw new ResumeAgain();
  }
  if (run.status === 'failed') {
    await transitionRun(ctx.pool, runId, ['failed'], 'running', null);
    await ctx.pool.query('UPDATE copyfleet.chunks SET last_error = NULL WHERE run_id = $1 AND loaded_at IS NULL', [runId]);
  }
  // A failed run's dead chunks get a fresh set of attempts; a running run's chunk that
  // just died stays dead (its run is settling), so that rerunning load cannot mask it.
  if (run.status === 'running' || run.status === 'failed') await enqueueMissing(ctx, runId, { reviveFailed: run.status === 'failed' });
  if (run.status === 'compacting') await ctx.queues.addRunJob('compact', { runId });
  if (run.status === 'reporting') await ctx.queues.addRunJob('report', { runId });
  return { runId, resumed: true, chunks: run.chunks_total, bytes: Number(run.bytes_total), table: run.target_table };
}

class ResumeAgain extends Error {}

/** startRun, retrying once when an interrupted planning run had to be discarded. */
export async function startOrResumeRun(ctx: Context, req: LoadRequest): Promise<StartedRun> {
  try {
    return await startRun(ctx, req);
  } catch (err) {
    if (err instanceof ResumeAgain) return startRun(ctx, req);
    throw err;
  }
}

/** Queue every chunk the ledger does not have; if none is missing, queue compaction. */
export async function enqueueMissing(ctx: Context, runId: string, opts: { reviveFailed?: boolean } = {}): Promise<number> {
  const missing = await unloadedChunks(ctx.pool, runId);
  if (missing.length === 0) {
    await ctx.queues.addRunJob('compact', { runId });
    return 0;
  }
  for (const c of missing) {
    await ctx.queues.requeueChunk({ runId, chunkNo: c.chunk_no, start: Number(c.byte_start), end: Number(c.byte_end) }, opts);
  }
  return missing.length;
}

/**
 * The spec's time zone as a TimeZone setting PostgreSQL accepts. An offset such as +02:00
 * becomes UTC-02:00: PostgreSQL reads offsets in TimeZone settings POSIX-style, west positive.
 */
async function checkTimezone(ctx: Context, tz: string): Promise<string> {
  const zone = /^[+-]\d{2}:?\d{2}$/.test(tz) ? `UTC${tz[0] === '+' ? '-' : '+'}${tz.slice(1)}` : tz;
  try {
    await ctx.pool.query("SELECT now() AT TIME ZONE $1", [zone]);
  } catch {
    throw new LoadRequestError(`source.timezone: PostgreSQL does not know the time zone "${tz}"; use an IANA name such as Europe/Prague or an offset such as +02:00`);
  }
  return zone;
}
