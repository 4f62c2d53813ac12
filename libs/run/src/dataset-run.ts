/**
 * A dataset of several tables (a spec with `sources:`) loaded as ONE run:
 *
 *   list every source's path (relative to the data directory; one that names nothing stops
 *   the command before anything is recorded)
 *     → per source, as for a single table: which files are new into its table, the table
 *       designed from its first readable file (or the spec it was loaded with before)
 *     → one run: runs.spec = DatasetRunSpec (a RunSpec per source), the files of every
 *       source, each with its source's table (files.target_table, files.source_name)
 *     → every file planned as its source says (FileSpec.source names the RunSpec)
 *
 * runs.source is the spec's path and then one line per source (`name: path`), so the same
 * dataset from the same data directory resumes its unfinished run; runs.target_table lists
 * the tables (`public.sales, public.calendar`). Workers, compactor and reporter serve it as
 * any run: each file loads into its table, each table is compacted, and the dataset's
 * reports run once every table is in.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import {
  fileHistory, findUnfinishedRun, getRun, insertFiles, insertRun, latestSpecFor, recordRowsBefore, transitionRun, type NewFile, type Queryable,
} from '@copyfleet/db';
import { LoadRequestError, targetName } from '@copyfleet/design';
import { isDatasetRun, type DatasetRunSpec, type RunSpec } from '@copyfleet/loader';
import { createBronzeSql, createTableSql, qualified } from '@copyfleet/schema';
import { listInputs, type InputListing, type ListedFile } from '@copyfleet/source';
import { datasetSources, DatasetSpecError, type DatasetSource, type LocatedSpec } from '@copyfleet/spec';
import { injectContext } from '@copyfleet/telemetry';
import type { Context } from './context.js';
import {
  designFirst, filesVersion, pickFiles, planRun, resume, startedRun, stillListed, tableRunSpec,
  type Designed, type RunRequest, type StartedRun,
} from './start-run.js';

interface ListedSource {
  source: DatasetSource;
  input: string;
  listing: InputListing;
  target: { schema: string; table: string };
  targetText: string;
}

const S3_URI = /^s3:\/\//i;

export async function startDatasetRun(ctx: Context, req: RunRequest, located: LocatedSpec, startedAt: Date): Promise<StartedRun> {
  const specPath = resolve(req.dataset!);
  if (req.inputs.length > 0) {
    throw new LoadRequestError(
      `${req.dataset} has sources: it names its own files. Drop the inputs (${req.inputs.join(' ')}); --data DIR (DATA=) says where its relative paths start`,
    );
  }
  if (req.table || req.key?.length || req.partition) {
    throw new LoadRequestError(`--table, --key and --partition do not apply to a dataset of several tables: set table: { name, key, partition } per source in ${req.dataset}`);
  }
  const dataDir = resolve(req.data ?? dirname(specPath));
  const sources = await listSources(ctx, located, dataDir);
  const listing: InputListing = { files: sources.flatMap((s) => s.listing.files), problems: sources.flatMap((s) => s.listing.problems) };
  const sourceText = [specPath, ...sources.map((s) => `${s.source.name}: ${s.input}`)].join('\n');
  const targetText = sources.map((s) => s.targetText).join(', ');

  const unfinished = await findUnfinishedRun(ctx.pool, sourceText, targetText);
  if (unfinished && (await stillListed(ctx.pool, unfinished, listing))) return resume(ctx, unfinished);

  // Per source, as for one table: the files new to its table, and the table's design.
  const files: NewFile[] = [];
  const ready = new Map<number, { prepared: Designed['prepared']; sample: Designed['sample'] }>();
  const spec: DatasetRunSpec = {
    dataset: { spec: specPath, data: dataDir },
    tables: {},
    targets: Object.fromEntries(sources.map((s) => [s.source.name, s.target])),
    sources: Object.fromEntries(sources.map((s) => [s.source.name, s.source.spec])),
    ...(located.spec.reports ? { reports: located.spec.reports } : {}),
    ...(req.reload ? { reload: true } : {}),
  };
  const designs: Designed[] = [];
  const notes: string[] = [];
  const quiet: { names: string[]; files: number } = { names: [], files: 0 };
  const picks: ListedFile[] = [];
  for (const s of sources) {
    const name = s.source.name;
    const dataset = s.source.spec;
    const previous = await previousSpec(ctx.pool, s);
    const keyed = Boolean(dataset.table.key?.length || previous?.table.key?.length);
    const picked = await pickFiles(ctx.pool, s.targetText, s.listing, { reload: req.reload === true, keyed });
    if (picked.load.length === 0 && picked.skipped.length === 0) {
      quiet.names.push(name);
      quiet.files += s.listing.files.length;
    } else if (picked.note) notes.push(`${name}: ${picked.note}`);
    const { design, early, rest: later, designIndex } = await designFirst(ctx, picked.load, { req: { inputs: [] }, target: s.target, dataset, previous, strict: false, sourceName: name });
    const base = files.length;
    const at = (k: number): number => base + k;
    const rest = later.map((f, k) => ({ fileNo: at(early.length + k), uri: f.uri, version: f.version, bytes: f.size, table: s.targetText, sourceName: name }));
    files.push(...early.map((f) => ({ ...f, fileNo: at(f.fileNo) })), ...rest);
    files.push(...picked.skipped.map((f, k) => ({ ...f, fileNo: at(early.length + rest.length + k), table: s.targetText, sourceName: name })));
    picks.push(...picked.load);
    if (!design) continue;
    designs.push(design);
    ready.set(at(early.length + designIndex), { prepared: design.prepared, sample: design.sample });
    spec.tables[name] = { ...(await tableRunSpec(ctx, design, dataset, previous)), ...(req.reload ? { reload: true } : {}), format: design.prepared.plan.format };
  }
  // "sales: 1 new file(s), 1 already loaded; calendar, store: 2 file(s) already loaded, nothing new"
  if (quiet.names.length > 0) notes.push(`${quiet.names.join(', ')}: ${quiet.files} file(s) already loaded, nothing new`);
  const note = notes.length > 0 ? notes.join('; ') : null;
  const base = { source: sourceText, version: filesVersion(picks), table: targetText, traceParent: injectContext(), startedAt };

  if (designs.length === 0) {
    // No source has a file to load: the run records what was seen, and says why.
    const runId = await insertRun(ctx.pool, { ...base, spec, bytesTotal: 0 });
    await insertFiles(ctx.pool, runId, files);
    const failed = files.filter((f) => f.status === 'failed');
    const message =
      failed.length > 0 ? `no file could be loaded: ${failed.length} failed; first ${failed[0]!.uri}: ${failed[0]!.message}`
      : `nothing new to load: ${note ?? 'no files'}`;
    await transitionRun(ctx.pool, runId, ['planning'], failed.length > 0 ? 'failed' : 'done', message);
    return { runId, resumed: false, chunks: 0, bytes: 0, table: targetText, files: files.length, note };
  }

  let runId: string;
  try {
    runId = await insertRun(ctx.pool, { ...base, spec, bytesTotal: 0 });
  } catch (err) {
    // Another splitter started the same run a moment ago: join it.
    if ((err as { code?: string }).code === '23505') {
      const raced = await findUnfinishedRun(ctx.pool, sourceText, targetText);
      if (raced) return resume(ctx, raced);
    }
    throw err;
  }
  await insertFiles(ctx.pool, runId, files);
  for (const t of Object.values(spec.tables)) {
    for (const stmt of createTableSql(t.table)) await ctx.pool.query(stmt);
    if (t.bronze) await ctx.pool.query(createBronzeSql(t.bronze));
  }
  if (req.reload) {
    // Before any chunk commits: the rows of the tables a reload appends to (those without a dedupe key), so the summary can say so.
    const plain = Object.values(spec.tables).filter((t) => !t.table.key?.length);
    if (plain.length > 0) await recordRowsBefore(ctx.pool, runId, `(${plain.map((t) => `SELECT 1 FROM ${qualified(t.table.schema, t.table.table)}`).join(' UNION ALL ')}) AS t`);
  }
  const bySource = new Map(sources.map((s) => [s.source.name, s.source.spec]));
  await planRun(
    ctx,
    runId,
    (file) => {
      const source = file.source_name!;
      return { runSpec: spec.tables[source]!, dataset: bySource.get(source) ?? null, source };
    },
    ready,
  );
  return { ...(await startedRun(ctx.pool, runId, false)), note };
}

/**
 * Every source's path listed. A path that names nothing (no such file, an empty directory,
 * a glob that matches no file) stops the command, pointing at the path in the spec.
 */
async function listSources(ctx: Context, located: LocatedSpec, dataDir: string): Promise<ListedSource[]> {
  const out: ListedSource[] = [];
  for (const [i, source] of datasetSources(located.spec)!.entries()) {
    const input = S3_URI.test(source.path) ? source.path : resolve(dataDir, source.path);
    let listing: InputListing;
    try {
      listing = await listInputs([input]);
    } catch (err) {
      if ((err as Error).name !== 'SourceError') throw err;
      // The listing's advice on relative paths is about the current directory; here they start at the data directory.
      const why = (err as Error).message.replace(' (relative paths are resolved from the current directory)', '');
      throw new DatasetSpecError(
        `${located.locate(['sources', i, 'path'])}: sources.${i}.path: source "${source.name}" names nothing to load: ${why}` +
          (S3_URI.test(source.path) || isAbsolute(source.path) ? '' : ` (relative paths start at the data directory: DATA= or --data, by default the spec's folder)`),
      );
    }
    const target = targetName({ inputs: [] }, source.name, ctx.config.defaultSchema, source.spec.table);
    out.push({ source, input, listing, target, targetText: `${target.schema}.${target.table}` });
  }
  return out;
}

/**
 * The RunSpec a source's table was last loaded with, so that a later load keeps its
 * columns and matches new files' headers to it: that of the latest run that loaded one of
 * the files listed now into the table (a dataset run's entry for the table, or a
 * single-table run's spec); otherwise the latest single-table run into the table.
 */
async function previousSpec(db: Queryable, s: ListedSource): Promise<RunSpec | null> {
  const history = await fileHistory(db, s.targetText, s.listing.files.map((f) => f.uri));
  const runIds = [...new Set(history.filter((h) => h.status === 'done').map((h) => Number(h.run_id)))].sort((a, b) => b - a);
  for (const runId of runIds) {
    const run = await getRun(db, runId);
    const spec = run?.spec as RunSpec | DatasetRunSpec | undefined;
    if (!spec) continue;
    if (!isDatasetRun(spec)) {
      if (spec.table) return spec;
      continue;
    }
    const mine = Object.values(spec.tables).find((t) => `${t.table.schema}.${t.table.table}` === s.targetText);
    if (mine) return mine;
  }
  return (await latestSpecFor(db, s.targetText)) as RunSpec | null;
}
