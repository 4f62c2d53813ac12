/**
 * What happens after the last chunk, each step run exactly once per run because
 * each is claimed by a guarded status change in PostgreSQL (a duplicate job finds
 * the status already moved on and does nothing):
 *
 *   compact job:  reconcile the ledger with the plan (re-queue what is missing and
 *                 stop), then running → compacting, line numbers of rejects,
 *                 totals, DEFAULT rows moved to their partitions, dedupe,
 *                 → reporting, queue the report job.
 *   report job:   ANALYZE and the reports side by side, write the files, → done.
 */
import { join } from 'node:path';
import { formatBytes } from '@copyfleet/config';
import { analyzeTable, compactTable, relocateDefaultRows } from '@copyfleet/compact';
import { countLines } from '@copyfleet/plan';
import { removeStaged } from '@copyfleet/source';
import { chunkSourceOf } from './run-source.js';
import {
  chunksMissingLines, fileCounts, fileReportSql, filesOf, getRun, leafTables, resolveRejectLines, setChunkLines, setReportsDir, setRowsReplaced,
  summarizeRun, transitionRun, withClient, type RunRow,
} from '@copyfleet/db';
import { isDatasetRun, runTables, type DatasetRunSpec, type FileSpec, type RunSpec } from '@copyfleet/loader';
import { defaultReports, runReports, type ReportFile, type ReportPlan } from '@copyfleet/report';
import { qualified } from '@copyfleet/schema';
import { fillPlaceholders } from '@copyfleet/spec';
import type { Context } from './context.js';
import type { Logger } from './log.js';
import { announceRunEnd } from './announce.js';
import { reconcileRun, settleRun } from './settle.js';

export type CompactOutcome = 'compacted' | 'waiting-for-chunks' | 'not-running';

export async function compactRun(ctx: Context, runId: string, log?: Logger): Promise<CompactOutcome> {
  const t0 = performance.now();
  const run = await requireRun(ctx, runId);
  if (run.status !== 'running' && run.status !== 'compacting') return 'not-running';
  // The ledger, not the queue, decides that all chunks are in.
  if (run.status === 'running') {
    if ((await reconcileRun(ctx, runId)).pending > 0) return 'waiting-for-chunks';
    if ((await settleRun(ctx, runId)) === 'failed') return 'not-running'; // dead chunks: the run failed instead
  }
  await transitionRun(ctx.pool, runId, ['running'], 'compacting');

  const tables = runTables(run.spec as RunSpec | DatasetRunSpec);
  await countMissingLines(ctx, runId);
  await resolveRejectLines(ctx.pool, runId);
  await summarizeRun(ctx.pool, runId);
  await withClient(ctx.pool, async (client) => {
    // A dataset's tables one after the other: each its DEFAULT rows moved, then deduped.
    let replaced = 0;
    for (const { spec } of tables) {
      await relocateDefaultRows(client, spec.table);
      replaced += (await compactTable(client, spec.table, runId)).replaced;
    }
    await setRowsReplaced(client, runId, replaced);
  });
  if (await transitionRun(ctx.pool, runId, ['compacting'], 'reporting')) {
    await ctx.queues.addRunJob('report', { runId });
  }
  log?.info('compacted', { run: runId, seconds: seconds(t0) });
  return 'compacted';
}

export async function reportRun(ctx: Context, runId: string, log?: Logger): Promise<ReportFile[]> {
  const run = await requireRun(ctx, runId);
  if (run.status !== 'reporting') return [];
  const spec = run.spec as RunSpec | DatasetRunSpec;
  const dir = join(ctx.config.reportsDir, String(runId));
  const plans = await reportPlans(ctx, spec, runId);
  // Beside the run's reports, the per-file status: files.csv and files.json.
  plans.at(-1)!.queries.push({ name: 'files', sql: isDatasetRun(spec) ? datasetFileReportSql(runId) : fileReportSql(runId), formats: ['csv', 'json'] });
  // ANALYZE and the report queries read the tables independently: run them side by side.
  const t0 = performance.now();
  const [files] = await Promise.all([
    withClient(ctx.pool, async (client) => {
      const written: ReportFile[] = [];
      for (const plan of plans) {
        for (const stmt of plan.setup) await client.query(stmt);
        written.push(...(await runReports(client, plan.queries, dir)));
      }
      log?.info('reports written', { run: runId, reports: plans.reduce((n, p) => n + p.queries.length, 0), seconds: seconds(t0) });
      return written;
    }),
    withClient(ctx.pool, async (client) => {
      let waited = 0;
      for (const t of runTables(spec)) waited += (await analyzeTable(client, t.spec.table)).length;
      log?.info('analyzed', { run: runId, seconds: seconds(t0), partitionsAfterAutovacuum: waited });
    }),
  ]);
  await setReportsDir(ctx.pool, runId, dir);
  const after = await requireRun(ctx, runId);
  if (await transitionRun(ctx.pool, runId, ['reporting'], 'done', await summaryMessage(ctx, after))) {
    await announceRunEnd(ctx, runId, 'done', log);
    // The decompressed copies of compressed inputs are not needed any more.
    for (const f of await filesOf(ctx.pool, runId)) {
      const staged = (f.spec as FileSpec | null)?.staged;
      if (staged) await removeStaged(staged.path);
    }
  }
  return files;
}

const seconds = (since: number): string => ((performance.now() - since) / 1000).toFixed(2);

async function summaryMessage(ctx: Context, run: RunRow): Promise<string> {
  const parts = [`${run.rows_loaded} rows loaded`, `${run.rows_rejected} rejected`];
  const files = await filesNote(ctx, run.run_id);
  if (files) parts.unshift(files);
  if (Number(run.rows_replaced) > 0) parts.push(`${run.rows_replaced} older rows replaced by the dedupe key`);
  const appended = appendedNote(run);
  if (appended) parts.push(appended);
  if (Number(run.rows_rejected) > 0) parts.push(`see copyfleet.rejects where run_id = ${run.run_id}`);
  return parts.join(', ');
}

/** Chunks streamed unparsed did not count their lines; reject line numbers need them (LF bytes only). */
async function countMissingLines(ctx: Context, runId: string): Promise<void> {
  const sources = new Map<number, Awaited<ReturnType<typeof chunkSourceOf>>['source']>();
  const files = new Map((await filesOf(ctx.pool, runId)).map((f) => [f.file_no, f]));
  for (const c of await chunksMissingLines(ctx.pool, runId)) {
    let source = sources.get(c.file_no);
    if (!source) {
      source = (await chunkSourceOf(files.get(c.file_no)!)).source;
      sources.set(c.file_no, source);
    }
    const lineEnd = (files.get(c.file_no)!.spec as FileSpec | null)?.dialect?.lineEnd === 'cr' ? 0x0d : 0x0a;
    await setChunkLines(ctx.pool, runId, c.chunk_no, await countLines(source, Number(c.byte_start), Number(c.byte_end), lineEnd));
  }
}

/**
 * "1000 file(s): 998 loaded, 2 failed (landing/x.csv: why; …)" — for a run of several files
 * or one with a failed or skipped file; null for a clean single-file run (nothing to add).
 */
export async function filesNote(ctx: Context, runId: string): Promise<string | null> {
  const c = await fileCounts(ctx.pool, runId);
  if (c.total <= 1 && c.failed + c.skipped === 0) return null;
  const parts = [`${c.done} loaded`];
  if (c.failed > 0) parts.push(`${c.failed} failed`);
  if (c.skipped > 0) parts.push(`${c.skipped} skipped`);
  let note = `${c.total} file(s): ${parts.join(', ')}`;
  const bad = c.failed + c.skipped === 0 ? [] : [...(await filesOf(ctx.pool, runId, 'failed')), ...(await filesOf(ctx.pool, runId, 'skipped'))];
  if (bad.length > 0) {
    note += ` (${bad.slice(0, 3).map((f) => `${f.uri}: ${f.message ?? f.status}`).join('; ')}${bad.length > 3 ? '; …' : ''}; reports/${runId}/files.csv lists every file)`;
  }
  return note;
}

/**
 * "copyfleet: run 8 done: 150000 rows loaded, …" or "copyfleet: run 8 FAILED after …: why" —
 * the last line of `copyfleet load`, local or --cluster, and the splitter service's log line
 * when it finalizes a run. `secs`: how long the run took for whoever waited on it.
 */
export function summaryLine(run: RunRow, filesNote: string | null, secs: number): string {
  if (run.status !== 'done') return `copyfleet: run ${run.run_id} ${run.status === 'failed' ? 'FAILED' : run.status} after ${secs.toFixed(1)} s: ${run.message ?? 'no message'}`;
  const mbps = Number(run.bytes_total) / 1e6 / secs;
  const appended = appendedNote(run);
  return (
    `copyfleet: run ${run.run_id} done: ` +
    (filesNote ? `${filesNote}; ` : '') +
    (run.chunks_total === 0 && run.message ? `${run.message}; ` : '') +
    `${run.rows_loaded} rows loaded, ${run.rows_rejected} rejected` +
    (Number(run.rows_replaced) > 0 ? `, ${run.rows_replaced} replaced by key` : '') +
    (appended ? `, ${appended}` : '') +
    `, ${formatBytes(Number(run.bytes_total))} in ${secs.toFixed(1)} s (${mbps.toFixed(1)} MB/s)` +
    (run.reports_dir ? `; reports in ${run.reports_dir}/` : '') +
    (Number(run.rows_rejected) > 0 ? `; rejects: SELECT * FROM copyfleet.rejects WHERE run_id = ${run.run_id}` : '')
  );
}

/**
 * The exit code of a command that waited on a run: 0 the run is done and every file loaded;
 * 1 the run failed (or was cancelled); 2 the run is done but some files failed or were
 * skipped (named in the summary and in reports/<run>/files.csv).
 */
export async function runExitCode(ctx: Pick<Context, 'pool'>, run: RunRow): Promise<0 | 1 | 2> {
  if (run.status !== 'done') return 1;
  const files = await fileCounts(ctx.pool, run.run_id);
  return files.failed + files.skipped > 0 ? 2 : 0;
}

/**
 * "appended: the table had N rows before" when a run without a dedupe key loaded files
 * again (--reload) into a table that already had rows: a file loaded twice is there twice
 * (--key makes a reload change nothing). New files added to a table are what incremental
 * loads are for, and say nothing.
 */
export function appendedNote(run: RunRow): string | null {
  const spec = run.spec as Partial<RunSpec> | null;
  const before = Number(run.rows_before ?? 0);
  if (isDatasetRun(spec)) {
    // A dataset's rows_before counts its tables without a dedupe key (the ones a reload appends to).
    const plain = Object.entries(spec.tables).filter(([, t]) => !t.table.key?.length).map(([name]) => name).sort(); // jsonb keeps no key order
    return spec.reload && before > 0 ? `appended: the tables without a dedupe key (${plain.join(', ')}) had ${before} rows before` : null;
  }
  return spec?.reload && !spec.table?.key?.length && before > 0 ? `appended: the table had ${before} rows before` : null;
}

/**
 * What the reporter runs: the spec's reports, or the default reports of each table (a
 * dataset's prefixed with the source's name: `sales_rows_per_partition`). Each plan's setup
 * runs before its queries.
 */
async function reportPlans(ctx: Context, spec: RunSpec | DatasetRunSpec, runId: string): Promise<ReportPlan[]> {
  if (spec.reports?.length) return [specReports(spec, runId)];
  const plans: ReportPlan[] = [];
  for (const t of runTables(spec)) {
    const plan = defaultReports(t.spec.table, await leafTables(ctx.pool, t.spec.table.schema, t.spec.table.table));
    plans.push(t.source === null ? plan : { ...plan, queries: plan.queries.map((q) => ({ ...q, name: `${t.source}_${q.name}` })) });
  }
  return plans.length > 0 ? plans : [{ setup: [], queries: [] }];
}

/**
 * The spec's reports with their placeholders filled in (identifiers quoted): {{table}},
 * {{bronze}} and {{run_id}}; in a dataset {{<source>}} for each source's table,
 * {{<source>.bronze}} for its bronze copy, and {{run_id}}.
 */
function specReports(spec: RunSpec | DatasetRunSpec, runId: string): ReportPlan {
  const vars: Record<string, string> = isDatasetRun(spec)
    ? Object.fromEntries(
        Object.entries(spec.targets).flatMap(([name, t]) => {
          const bronze = spec.tables[name]?.bronze;
          return [[name, qualified(t.schema, t.table)], ...(bronze ? [[`${name}.bronze`, qualified(bronze.schema, bronze.table)]] : [])];
        }),
      )
    : { table: qualified(spec.table.schema, spec.table.table), bronze: spec.bronze ? qualified(spec.bronze.schema, spec.bronze.table) : 'NULL' };
  vars.run_id = String(Number(runId));
  return {
    setup: [],
    queries: spec.reports!.map((r) => ({
      name: r.name,
      sql: fillPlaceholders(r.sql, vars),
      ...(r.formats ? { formats: r.formats } : {}),
      ...(r.output ? { output: r.output } : {}),
      ...(r.key ? { key: r.key } : {}),
    })),
  };
}

/** A dataset's files.csv: each file's source and table first. */
function datasetFileReportSql(runId: string): string {
  return `SELECT f.source_name AS source, f.target_table AS "table", r.*
            FROM (${fileReportSql(runId)}) r JOIN copyfleet.files f ON f.run_id = ${Number(runId)} AND f.file_no = r.file_no
           ORDER BY r.file_no`;
}

async function requireRun(ctx: Context, runId: string): Promise<RunRow> {
  const run = await getRun(ctx.pool, runId);
  if (!run) throw new Error(`run ${runId} does not exist`);
  return run;
}
