/**
 * The splitter: turn a load request into a run in PostgreSQL and chunk jobs in Redis.
 *
 *   list the inputs (files, directories, globs, S3 prefixes)
 *     → which files are new: a file (uri + version) already loaded into the table is not
 *       loaded again (incremental loads; --reload loads it again)
 *     → design the table from the first file that can be read
 *     → the run and its files in the ledger (status planning)
 *     → per file: plan its chunks, record them, queue them — workers start on the first
 *       file while later ones are planned; a file that cannot be read fails alone
 *     → running (and settled at once if every chunk is in already)
 *
 *   planning ──files planned──▶ running ──last chunk──▶ compacting ──▶ reporting ──▶ done
 *        └──────────────── any unrecoverable error ──────────────────────────────▶ failed
 *
 * Running the same command again resumes the latest unfinished run of the same inputs
 * into the same table while its files are unchanged: a run whose splitter died while
 * planning goes on planning the files it had not planned (one planner per run, held by
 * an advisory lock); the ledger says which chunks are left.
 */
import { createHash } from 'node:crypto';
import {
  describeError, failFile, fileHistory, filesOf, insertFiles, insertRun, latestSpecFor, nextChunkNo, recordPlannedFiles, recordPlannedTotals, recordRowsBefore,
  reviveDeadChunks, reviveFiles, settleFiles, transitionRun, unloadedChunks, withClient, findUnfinishedRun,
  type FileRow, type NewFile, type Queryable, type RunRow,
} from '@copyfleet/db';
import { designTable, LoadRequestError, planLoad, reconcileWithExisting, targetName, type FirstReading, type LoadRequest } from '@copyfleet/design';
import { fileLoadSpec, isDatasetRun, runSpecFor, runTables, type DatasetRunSpec, type FileSpec, type LoadSpec, type RunSpec } from '@copyfleet/loader';
import { sampleRecords, type Plan, type Sample } from '@copyfleet/plan';
import { PartitionCache } from '@copyfleet/db';
import { Attr, injectContext, SpanName, withSpan } from '@copyfleet/telemetry';
import { packChunkJobs } from '@copyfleet/queue';
import { createBronzeSql, createTableSql, qualified, toIdentifier, type Column, type TableSpec } from '@copyfleet/schema';
import {
  compressionOf, inputBaseName, isPattern, listInputs, normalizeSourceUri, openSource, stageDecompressed,
  type InputListing, type ListedFile, type Source,
} from '@copyfleet/source';
import type { DatasetSpec } from '@copyfleet/spec';
import type { Context } from './context.js';
import { precreatePartitions } from './partitions.js';
import { settleRun } from './settle.js';

export interface StartedRun {
  runId: string;
  resumed: boolean;
  chunks: number;
  bytes: number;
  table: string;
  /** Files of this run (failed and skipped ones included). */
  files: number;
  /** What the listing found beside this run's files ("412 already loaded"), or null. */
  note: string | null;
}

/** A load request as the splitter takes it: LoadRequest, and where a dataset's relative paths start. */
export interface RunRequest extends LoadRequest {
  /** A dataset spec with `sources:`: the directory its relative paths are resolved from. @defaultValue the spec's folder */
  data?: string;
}

/** One table: the inputs into the table the request or a single-source spec names. */
export async function startTableRun(ctx: Context, req: RunRequest, dataset: DatasetSpec | null, startedAt: Date): Promise<StartedRun> {
  const inputs = req.inputs.map(normalizeSourceUri);
  const listing = await listInputs(inputs);
  // One file named as such keeps the strict behaviour: a file that cannot be read stops the command.
  const oneFile = inputs.length === 1 && !isPattern(req.inputs[0]!) && listing.files.length === 1 && listing.problems.length === 0;
  const target = targetName(req, inputBaseName(req.inputs[0]!), ctx.config.defaultSchema, dataset?.table);
  const targetText = `${target.schema}.${target.table}`;
  const sourceText = inputs.join('\n');

  const unfinished = await findUnfinishedRun(ctx.pool, sourceText, targetText);
  if (unfinished && (await stillListed(ctx.pool, unfinished, listing))) return resume(ctx, unfinished);

  const previous = (await latestSpecFor(ctx.pool, targetText)) as RunSpec | null;
  const keyed = Boolean(req.key?.length || dataset?.table.key?.length || previous?.table.key?.length);
  const picked = await pickFiles(ctx.pool, targetText, listing, { reload: req.reload === true, keyed });
  const version = oneFile ? listing.files[0]!.version : filesVersion(picked.load);
  // The run's trace: the splitter's run span (when tracing is on); every job carries it on.
  const base = { source: sourceText, version, table: targetText, traceParent: injectContext(), startedAt };

  const { design, early, rest, designIndex } = await designFirst(ctx, picked.load, { req, target, dataset, previous, strict: oneFile });
  const extra = (n: number): NewFile[] => picked.skipped.map((s, k) => ({ ...s, fileNo: n + k, table: targetText }));

  if (!design) {
    // Nothing to design a table from: record what was seen, so the run says why.
    const runId = await insertRun(ctx.pool, { ...base, spec: {}, bytesTotal: 0 });
    const files = [...early, ...extra(early.length)];
    await insertFiles(ctx.pool, runId, files);
    const failed = early.filter((f) => f.status === 'failed');
    const message =
      failed.length > 0 ? `no file could be loaded: ${failed.length} failed; first ${failed[0]!.uri}: ${failed[0]!.message}`
      : early.length > 0 ? (oneFile ? 'the file is empty: nothing to load' : `nothing to load: the ${early.length} file(s) are empty`)
      : `nothing new to load: ${picked.note ?? 'no files'}`;
    await transitionRun(ctx.pool, runId, ['planning'], failed.length > 0 ? 'failed' : 'done', message);
    return { runId, resumed: false, chunks: 0, bytes: 0, table: targetText, files: files.length, note: picked.note };
  }

  const { table, sample, prepared } = design;
  const runSpec: RunSpec = {
    ...(await tableRunSpec(ctx, design, dataset, previous)),
    ...(dataset?.reports ? { reports: dataset.reports } : {}),
    ...(req.reload ? { reload: true } : {}),
    ...(dataset ? { readWith: { ...dataset, reports: undefined } } : {}),
  };
  const bronze = runSpec.bronze ?? null;

  let runId: string;
  try {
    runId = await insertRun(ctx.pool, { ...base, spec: { ...runSpec, format: prepared.plan.format }, bytesTotal: 0 });
  } catch (err) {
    // Another splitter started the same run a moment ago: join it.
    if ((err as { code?: string }).code === '23505') {
      const raced = await findUnfinishedRun(ctx.pool, sourceText, targetText);
      if (raced) return resume(ctx, raced);
    }
    throw err;
  }
  // Files that could not design the table come first (already decided), then the rest in listing order.
  const files = [...early, ...rest.map((f, k) => ({ fileNo: early.length + k, uri: f.uri, version: f.version, bytes: f.size, table: targetText }))];
  const designNo = early.length + designIndex;
  await insertFiles(ctx.pool, runId, [...files, ...extra(files.length)]);
  for (const stmt of createTableSql(table)) await ctx.pool.query(stmt);
  // Before any chunk commits: a new table counts in no time (a scan at the end took ~1 s per GiB).
  await recordRowsBefore(ctx.pool, runId, qualified(table.schema, table.table));
  if (bronze) await ctx.pool.query(createBronzeSql(bronze));
  await planRun(ctx, runId, () => ({ runSpec, dataset }), new Map([[designNo, { prepared, sample }]]));
  const started = await startedRun(ctx.pool, runId, false);
  // What inference decided that the user should know (a column typed by consensus: its outliers will be rejects).
  const notes = [picked.note, ...design.notes].filter(Boolean).join('; ');
  return { ...started, note: notes || null };
}

/** The first file of `files` that can be read designs the table; the empty and unreadable ones before it are recorded as such. */
export async function designFirst(
  ctx: Context,
  files: ListedFile[],
  o: { req: LoadRequest; target: { schema: string; table: string }; dataset: DatasetSpec | null; previous: RunSpec | null; strict: boolean; sourceName?: string },
): Promise<{ design: Designed | null; early: NewFile[]; rest: ListedFile[]; designIndex: number }> {
  const early: NewFile[] = [];
  const table = `${o.target.schema}.${o.target.table}`;
  const sourceName = o.sourceName ?? null;
  // The first file of the most common kind (by extension) that can be read: a README.txt sorted
  // first among CSV files must not decide the table; an empty file says nothing.
  for (const f of byMajorityKind(files)) {
    try {
      const design = await designFrom(ctx, f, o.req, o.target, o.dataset, o.previous);
      if (design) {
        const rest = files.filter((x) => !early.some((e) => e.uri === x.uri));
        return { design, early, rest, designIndex: rest.indexOf(f) };
      }
      early.push({ fileNo: early.length, uri: f.uri, version: f.version, bytes: f.size, table, sourceName, status: 'done', message: 'the file is empty' });
    } catch (err) {
      if (o.strict || !isFileError(err)) throw err;
      early.push({ fileNo: early.length, uri: f.uri, version: f.version, bytes: f.size, table, sourceName, status: 'failed', message: describeError(err) });
    }
  }
  return { design: null, early, rest: [], designIndex: -1 };
}

/** The run's part of a table's spec: the designed table, its header, bronze copy and time zone. */
export async function tableRunSpec(ctx: Context, design: Designed, dataset: DatasetSpec | null, previous: RunSpec | null): Promise<RunSpec> {
  const { table, prepared } = design;
  const bronze = dataset?.table.bronze ? { schema: table.schema, table: toIdentifier(dataset.table.bronze, 'bronze') } : null;
  return {
    table,
    maxRecordBytes: ctx.config.maxRecordBytes,
    // Files are matched to the header the table was first designed from.
    header: previous?.header ?? prepared.plan.header,
    bronze,
    ...(dataset?.source.timezone ? { timezone: await checkTimezone(ctx, dataset.source.timezone) } : {}),
  };
}

/** How a file of a run is planned: its table's RunSpec, the spec part that says how to read it, its dataset source. */
export type FilePlanning = (file: FileRow) => { runSpec: RunSpec; dataset: DatasetSpec | null; source?: string };

/**
 * The head of each later file of a run read for its partitions (the design file's whole
 * sample already typed the table): at 1 MiB, planning 1,000 files of 1 MiB parsed each
 * file whole, 48 ms of CPU a file; at 64 KiB, 6-10 ms (bench/src/plan-cost.ts).
 */
const PARTITION_SAMPLE_BYTES = 64 * 1024;

/** Files of a run are planned by one splitter at a time: the holder of this advisory lock (per run). */
const PLAN_LOCK = 0x63660001;

/**
 * Plan every file of the run still listed, record and queue its chunks, then start the
 * run. Files go to the ledger and the queue in batches, the first at once, so workers
 * start while the rest are planned. Returns false when another splitter is planning it.
 */
export async function planRun(ctx: Context, runId: string, planning: FilePlanning, ready: Map<number, { prepared: Prepared; sample: Sample }>): Promise<boolean> {
  return withClient(ctx.pool, async (client) => {
    const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2::int) AS ok', [PLAN_LOCK, runId]);
    if (!rows[0]!.ok) return false;
    try {
      const partitions = new PartitionCache();
      let next = await nextChunkNo(client, runId);
      const batch: { fileNo: number; spec: FileSpec; format: string; bytes: number; version: string; chunks: { chunkNo: number; start: number; end: number }[] }[] = [];
      let lastFlush = 0;
      // Small files' chunks are queued in packs of about packBytes (one job, one transaction each).
      const pack = { packBytes: Math.min(ctx.config.packBytes, ctx.config.chunkBytes), maxChunks: 1000 };
      const flush = async (): Promise<void> => {
        if (batch.length === 0) return;
        await recordPlannedFiles(client, runId, batch);
        await recordPlannedTotals(client, runId, { wait: false }); // progress counts what is planned so far, unless chunks are committing
        const traceParent = injectContext();
        await withSpan(SpanName.PlanEnqueue, { [Attr.RunId]: runId, [Attr.Files]: batch.length }, () =>
          ctx.queues.addChunks(packChunkJobs(batch.flatMap((f) => f.chunks.map((c) => ({ runId, fileNo: f.fileNo, chunkNo: c.chunkNo, start: c.start, end: c.end, traceParent }))), pack)),
        );
        await settleFiles(client, runId, batch.filter((f) => f.chunks.length === 0).map((f) => f.fileNo)); // header-only files are done
        batch.length = 0;
        lastFlush = Date.now();
      };
      // The dialect and header of the first CSV file planned for each source: later files try them
      // first (detection scores every candidate otherwise: 38 of the 40 ms a 1 MiB file cost to plan).
      const firsts = new Map<string, FirstReading>();
      for (const file of await filesOf(client, runId, 'listed')) {
        try {
          const { runSpec, dataset, source } = planning(file);
          const got = ready.get(file.file_no);
          const prefer = firsts.get(source ?? '');
          const prepared = got?.prepared ?? (await prepareFile(ctx, file, dataset, prefer));
          if (!prefer && prepared.plan.format === 'csv' && (prepared.plan.dialect.fields ?? 0) >= 2) firsts.set(source ?? '', { dialect: prepared.plan.dialect, header: prepared.plan.header });
          const spec = await fileSpecOf(prepared, runSpec, file.uri, source);
          const load: LoadSpec = fileLoadSpec(runSpec, spec);
          if (load.table.partition !== null) await precreatePartitions(ctx, load, got?.sample ?? (await sampleRecords(prepared.loadSource, prepared.plan, { headBytes: PARTITION_SAMPLE_BYTES })), partitions);
          const chunks = prepared.plan.chunks.map((c) => ({ chunkNo: next++, start: c.start, end: c.end }));
          batch.push({ fileNo: file.file_no, spec, format: prepared.plan.format, bytes: prepared.plan.size, version: prepared.version, chunks });
          if (batch.length >= 100 || batch.reduce((n, f) => n + f.chunks.length, 0) >= 1000 || Date.now() - lastFlush > 1000) await flush();
        } catch (err) {
          if (!isFileError(err)) throw err;
          await failFile(client, runId, file.file_no, describeError(err));
        }
      }
      await flush();
      await recordPlannedTotals(client, runId);
      await transitionRun(client, runId, ['planning'], 'running');
      // Every chunk may be in already (small files, fast workers) — or there is none.
      await settleRun(ctx, runId);
      return true;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1, $2::int)', [PLAN_LOCK, runId]).catch(() => undefined);
    }
  });
}

interface Prepared {
  /** The bytes the chunks refer to: the file, or its decompressed copy. */
  loadSource: Source;
  plan: Plan;
  /** The file's version when planned (the worker checks it before every chunk). */
  version: string;
  staged: { path: string; version: string } | null;
}

export interface Designed {
  prepared: Prepared;
  sample: Sample;
  table: TableSpec;
  notes: string[];
}

/** Open a file, decompress it into the staging directory when it is compressed, and plan its chunks. */
async function prepareFile(ctx: Context, file: { uri: string; version: string; bytes?: string }, dataset: DatasetSpec | null, prefer?: FirstReading): Promise<Prepared> {
  const source = await openSource(file.uri);
  const { size, version } = await source.stat();
  const compression = compressionOf(await source.read(0, 4));
  const staged = compression ? await stageDecompressed(source, version, size, compression, ctx.config.stagingDir) : null;
  const loadSource = staged ? await openSource(staged.path) : source;
  const plan = await planLoad(loadSource, ctx.config, dataset, prefer);
  return { loadSource, plan, version, staged: staged ? { path: staged.path, version: plan.version } : null };
}

/** The table designed from one file; null when the file is empty (no header, no records). */
async function designFrom(
  ctx: Context,
  file: ListedFile,
  req: LoadRequest,
  target: { schema: string; table: string },
  dataset: DatasetSpec | null,
  previous: RunSpec | null,
): Promise<Designed | null> {
  const prepared = await prepareFile(ctx, file, dataset);
  if (prepared.plan.chunks.length === 0 && prepared.plan.header === null && previous === null) return null;
  const { sample, table, inference } = await designTable(prepared.loadSource, prepared.plan, req, target, dataset);
  if (previous?.header && prepared.plan.header) {
    // A table loaded before: this file's columns are matched to it by name, as every file's are.
    matchColumns(previous.table.columns, previous.header, prepared.plan.header, file.uri);
    return { prepared, sample, notes: [], table: reconcileWithExisting({ ...table, columns: previous.table.columns }, previous.table) };
  }
  // Notes only for a table designed now (a table loaded before keeps its types); the reading's always.
  const plan = prepared.plan;
  const reading = [
    ...(plan.preamble ? [`${plan.preamble.lines} line(s) before the header skipped (the first: ${JSON.stringify(plan.preamble.first.slice(0, 80))})`] : []),
    ...(plan.lowConfidence ? [`dialect: low confidence (${plan.lowConfidence}); give source.delimiter/quote/escape in a spec if the rows look wrong`] : []),
  ];
  return { prepared, sample, notes: [...reading, ...(previous ? [] : inference.notes)], table: reconcileWithExisting(table, previous?.table ?? null) };
}

/** What a worker needs to read this file, its columns matched to the run's table. */
async function fileSpecOf(p: Prepared, run: RunSpec & { format?: string }, uri: string, source?: string): Promise<FileSpec> {
  const spec: FileSpec = {
    ...(source !== undefined ? { source } : {}),
    format: p.plan.format,
    dialect: p.plan.dialect,
    // The line the data starts on: after the preamble and the header (JSON: possibly mid-line).
    firstDataLine: p.plan.firstDataLine,
    ...(p.plan.strayQuotes ? { strayQuotes: p.plan.strayQuotes } : {}),
    ...(p.plan.json ? { json: p.plan.json } : {}),
    header: p.plan.header,
    ...(p.staged ? { staged: p.staged } : {}),
  };
  const columns = matchColumns(run.table.columns, run.header ?? null, p.plan.header, uri);
  return columns ? { ...spec, columns } : spec;
}

/**
 * Files of one run share the table's columns, matched by header name: a column the file
 * lacks is NULL in its rows; a column the table lacks makes the file fail (widening a table
 * half-way through a load would change what the earlier files loaded). Null when the
 * file's header is the design file's (the columns stand as they are).
 */
export function matchColumns(columns: Column[], designHeader: string[] | null, header: string[] | null, uri: string): Column[] | null {
  if (designHeader === null || header === null) return null;
  if (header.length === designHeader.length && header.every((h, i) => h === designHeader[i])) return null;
  const norm = (h: string): string => toIdentifier(h, h).toLowerCase();
  const find = (name: string): number => {
    const exact = header.indexOf(name);
    return exact >= 0 ? exact : header.findIndex((h) => norm(h) === norm(name));
  };
  const known = new Set(designHeader.map(norm));
  const unknown = header.filter((h) => !known.has(norm(h)));
  if (unknown.length > 0) {
    throw new LoadRequestError(
      `column(s) ${unknown.map((u) => JSON.stringify(u)).join(', ')} are not in the table (its columns come from the first file: ${designHeader.join(', ')}). ` +
        'Load this file into another TABLE=, or load it first so the table has its columns.',
    );
  }
  return columns.map((c) => {
    if (c.source.kind !== 'field') return c;
    const at = find(designHeader[c.source.index] ?? '');
    return { ...c, source: at >= 0 ? { kind: 'field', index: at } : { kind: 'const', value: null } };
  });
}

/**
 * Which listed files this run loads. A file (uri + version) whose earlier load into the
 * table is done is not loaded again (unless `reload`); a changed file (same uri, another
 * version) is loaded only when the table has a dedupe key — without one its old rows
 * would stay beside the new ones, so it is skipped and named; a file partly loaded by an
 * unfinished run that cannot resume is skipped and named too (loading it again would
 * duplicate the chunks that run committed).
 */
export async function pickFiles(
  db: Queryable,
  table: string,
  listing: InputListing,
  opts: { reload: boolean; keyed: boolean },
): Promise<{ load: ListedFile[]; skipped: Omit<NewFile, 'fileNo' | 'table'>[]; note: string | null }> {
  const history = await fileHistory(db, table, listing.files.map((f) => f.uri));
  const byUri = new Map<string, typeof history>();
  for (const h of history) byUri.set(h.uri, [...(byUri.get(h.uri) ?? []), h]);
  const load: ListedFile[] = [];
  const skipped: Omit<NewFile, 'fileNo' | 'table'>[] = listing.problems.map((p) => ({ uri: p.uri, version: '', bytes: 0, status: 'failed', message: p.reason }));
  let already = 0;
  let changed = 0;
  let fresh = 0;
  for (const f of listing.files) {
    const seen = byUri.get(f.uri) ?? [];
    const partial = seen.find((h) => h.version === f.version && h.status !== 'done' && h.loaded_chunks > 0 && !['done', 'cancelled'].includes(h.run_status));
    if (partial) {
      const message = `partly loaded by run ${partial.run_id}, which is ${partial.run_status}: \`copyfleet resume ${partial.run_id}\` finishes it`;
      skipped.push({ uri: f.uri, version: f.version, bytes: f.size, status: 'skipped', message });
      continue;
    }
    if (!opts.reload && seen.some((h) => h.version === f.version && h.status === 'done')) {
      already++;
      continue;
    }
    const before = seen.filter((h) => h.status === 'done' && h.version !== f.version).at(-1);
    if (before && !opts.reload && !opts.keyed) {
      const message =
        `changed since run ${before.run_id} loaded it (size or modification time differ) and the table has no dedupe key, so its earlier rows would stay beside the new ones: ` +
        'load with KEY=... (the newest record per key wins), or delete its old rows and load it with --reload';
      skipped.push({ uri: f.uri, version: f.version, bytes: f.size, status: 'skipped', message });
      changed++;
      continue;
    }
    if (before) changed++;
    else fresh++;
    load.push(f);
  }
  const parts = [];
  if (listing.files.length > 1 || already > 0) parts.push(`${fresh} new file(s)`);
  if (changed > 0) parts.push(`${changed} changed`);
  if (already > 0) parts.push(`${already} already loaded`);
  if (listing.problems.length > 0) parts.push(`${listing.problems.length} could not be listed`);
  return { load, skipped, note: parts.length > 0 ? parts.join(', ') : null };
}

/** The files, those of the most common extension (compression suffixes aside) first, each group in listing order. */
function byMajorityKind(files: ListedFile[]): ListedFile[] {
  const kind = (f: ListedFile): string => /(\.[^./]+)?(\.(gz|zst))?$/i.exec(f.uri.replace(/^.*\//, ''))?.[1]?.toLowerCase() ?? '';
  const counts = new Map<string, number>();
  for (const f of files) counts.set(kind(f), (counts.get(kind(f)) ?? 0) + 1);
  const top = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  return [...files.filter((f) => kind(f) === top), ...files.filter((f) => kind(f) !== top)];
}

/** A directory's run is identified by the files it loads. */
export function filesVersion(files: ListedFile[]): string {
  const h = createHash('sha256');
  for (const f of files) h.update(`${f.uri}\t${f.version}\n`);
  return `files:${files.length}:${h.digest('hex').slice(0, 16)}`;
}

/** Can an unfinished run go on: is every file it planned still there, unchanged? */
export async function stillListed(db: Queryable, run: RunRow, listing: InputListing): Promise<boolean> {
  if (runTables(run.spec as RunSpec | DatasetRunSpec).length === 0) return false; // no file of it could be read: nothing to go on with
  const listed = new Map(listing.files.map((f) => [f.uri, f.version]));
  const files = await filesOf(db, run.run_id);
  return files.every((f) => f.status === 'failed' || f.status === 'skipped' || listed.get(f.uri) === f.version);
}

/** Errors of one file (unreadable, not in the format, not fitting the table): that file fails, the others load. */
export function isFileError(err: unknown): boolean {
  return ['SourceError', 'PlanError', 'LoadRequestError', 'JsonLayoutError'].includes((err as Error).name);
}

/** Continue an unfinished run from where the ledger says it is. */
export async function resume(ctx: Context, run: RunRow): Promise<StartedRun> {
  const runId = run.run_id;
  if (run.status === 'planning') {
    // The splitter died while planning (or another one is planning it now): plan what is left.
    await enqueueMissing(ctx, runId, { compactIfNone: false });
    await planRun(ctx, runId, planningOf(run.spec as RunSpec | DatasetRunSpec), new Map());
  }
  if (run.status === 'failed') {
    await transitionRun(ctx.pool, runId, ['failed'], 'running', null);
    // Its dead chunks get all their attempts again, and their files are loading again.
    await reviveDeadChunks(ctx.pool, runId);
    await reviveFiles(ctx.pool, runId);
    await ctx.pool.query('UPDATE copyfleet.chunks SET last_error = NULL WHERE run_id = $1 AND loaded_at IS NULL', [runId]);
  }
  // A failed run's dead chunks get a fresh set of attempts; a running run's chunk that
  // just died stays dead (its run is settling), so that rerunning load cannot mask it.
  if (run.status === 'running' || run.status === 'failed') await enqueueMissing(ctx, runId, { reviveFailed: run.status === 'failed' });
  if (run.status === 'compacting') await ctx.queues.addRunJob('compact', { runId });
  if (run.status === 'reporting') await ctx.queues.addRunJob('report', { runId });
  return startedRun(ctx.pool, runId, true);
}

/** How a resumed run plans its remaining files: as the run's spec says (a dataset's files each as their source's). */
function planningOf(spec: RunSpec | DatasetRunSpec): FilePlanning {
  if (!isDatasetRun(spec)) return () => ({ runSpec: spec, dataset: (spec.readWith as DatasetSpec | undefined) ?? null });
  return (file) => {
    const source = file.source_name ?? '';
    return { runSpec: runSpecFor(spec, source), dataset: (spec.sources[source] as DatasetSpec | undefined) ?? null, source };
  };
}

export async function startedRun(db: Queryable, runId: string, resumed: boolean): Promise<StartedRun> {
  const { rows } = await db.query<{ chunks: number; bytes: string; table: string; files: number }>(
    `SELECT r.chunks_total AS chunks, r.bytes_total AS bytes, r.target_table AS table,
            (SELECT count(*)::int FROM copyfleet.files f WHERE f.run_id = r.run_id) AS files
       FROM copyfleet.runs r WHERE run_id = $1`,
    [runId],
  );
  const r = rows[0]!;
  return { runId, resumed, chunks: r.chunks, bytes: Number(r.bytes), table: r.table, files: r.files, note: null };
}

/** Queue every chunk the ledger does not have; if none is missing, queue compaction (unless told not to). */
export async function enqueueMissing(ctx: Context, runId: string, opts: { reviveFailed?: boolean; compactIfNone?: boolean } = {}): Promise<number> {
  const missing = await unloadedChunks(ctx.pool, runId);
  if (missing.length === 0) {
    if (opts.compactIfNone !== false) await ctx.queues.addRunJob('compact', { runId });
    return 0;
  }
  for (const c of missing) {
    await ctx.queues.requeueChunk({ runId, fileNo: c.file_no, chunkNo: c.chunk_no, start: Number(c.byte_start), end: Number(c.byte_end) }, opts);
  }
  return missing.length;
}

/**
 * The spec's time zone as a TimeZone setting PostgreSQL accepts. An offset such as +02:00
 * becomes UTC-02:00: PostgreSQL reads offsets in TimeZone settings POSIX-style, west positive.
 */
export async function checkTimezone(ctx: Context, tz: string): Promise<string> {
  const zone = /^[+-]\d{2}:?\d{2}$/.test(tz) ? `UTC${tz[0] === '+' ? '-' : '+'}${tz.slice(1)}` : tz;
  try {
    await ctx.pool.query("SELECT now() AT TIME ZONE $1", [zone]);
  } catch {
    throw new LoadRequestError(`source.timezone: PostgreSQL does not know the time zone "${tz}"; use an IANA name such as Europe/Prague or an offset such as +02:00`);
  }
  return zone;
}

export type { FileRow };
