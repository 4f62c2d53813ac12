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
import { analyzeTable, compactTable, relocateDefaultRows } from '@copyfleet/compact';
import { countLines } from '@copyfleet/plan';
import { removeStaged } from '@copyfleet/source';
import { chunkSourceOf } from './run-source.js';
import { getRun, leafTables, resolveRejectLines, setReportsDir, summarizeRun, transitionRun, type RunRow, withClient } from '@copyfleet/db';
import type { LoadSpec } from '@copyfleet/loader';
import { defaultReports, runReports, type ReportFile, type ReportPlan } from '@copyfleet/report';
import { qualified } from '@copyfleet/schema';
import type { Context } from './context.js';
import type { Logger } from './log.js';
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

  const spec = run.spec as LoadSpec;
  await countMissingLines(ctx, run);
  await resolveRejectLines(ctx.pool, runId, spec.firstDataLine);
  await summarizeRun(ctx.pool, runId);
  await withClient(ctx.pool, async (client) => {
    await relocateDefaultRows(client, spec.table);
    const { replaced } = await compactTable(client, spec.table, runId);
    await client.query('UPDATE copyfleet.runs SET rows_replaced = $2 WHERE run_id = $1', [runId, replaced]);
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
  const spec = run.spec as LoadSpec;
  const dir = join(ctx.config.reportsDir, String(runId));
  const plan = spec.reports?.length
    ? specReports(spec, runId)
    : defaultReports(spec.table, await leafTables(ctx.pool, spec.table.schema, spec.table.table));
  // ANALYZE and the report queries read the table independently: run them side by side.
  const t0 = performance.now();
  const [files] = await Promise.all([
    withClient(ctx.pool, async (client) => {
      for (const stmt of plan.setup) await client.query(stmt);
      const written = await runReports(client, plan.queries, dir);
      log?.info('reports written', { run: runId, reports: plan.queries.length, seconds: seconds(t0) });
      return written;
    }),
    withClient(ctx.pool, async (client) => {
      await analyzeTable(client, spec.table);
      log?.info('analyzed', { run: runId, seconds: seconds(t0) });
    }),
  ]);
  await setReportsDir(ctx.pool, runId, dir);
  const after = await requireRun(ctx, runId);
  if (await transitionRun(ctx.pool, runId, ['reporting'], 'done', summaryMessage(after))) {
    // The decompressed copy of a compressed input is not needed any more.
    if (spec.staged) await removeStaged(spec.staged.path);
  }
  return files;
}

const seconds = (since: number): string => ((performance.now() - since) / 1000).toFixed(2);

function summaryMessage(run: RunRow): string {
  const parts = [`${run.rows_loaded} rows loaded`, `${run.rows_rejected} rejected`];
  if (Number(run.rows_replaced) > 0) parts.push(`${run.rows_replaced} older rows replaced by the dedupe key`);
  const appended = appendedNote(run);
  if (appended) parts.push(appended);
  if (Number(run.rows_rejected) > 0) parts.push(`see copyfleet.rejects where run_id = ${run.run_id}`);
  return parts.join(', ');
}

/**
 * Chunks streamed unparsed did not count their lines. Reject line numbers need the
 * lines of every chunk before the last chunk with rejects: count those (LF bytes only).
 */
async function countMissingLines(ctx: Context, run: RunRow): Promise<void> {
  const { rows } = await ctx.pool.query<{ chunk_no: number; byte_start: string; byte_end: string }>(
    `SELECT chunk_no, byte_start, byte_end FROM copyfleet.chunks c
      WHERE run_id = $1 AND lines IS NULL
        AND chunk_no < (SELECT max(chunk_no) FROM copyfleet.rejects WHERE run_id = $1)`,
    [run.run_id],
  );
  const { source } = await chunkSourceOf(run);
  for (const c of rows) {
    const lines = await countLines(source, Number(c.byte_start), Number(c.byte_end));
    await ctx.pool.query('UPDATE copyfleet.chunks SET lines = $3 WHERE run_id = $1 AND chunk_no = $2', [run.run_id, c.chunk_no, lines]);
  }
}

/**
 * "appended: the table had N rows before" when a run without a dedupe key went into a
 * table that already had rows (loading the same file twice doubles it; --key makes a
 * reload change nothing).
 */
export function appendedNote(run: RunRow): string | null {
  const key = (run.spec as Partial<LoadSpec> | null)?.table?.key;
  const before = Number(run.rows_before ?? 0);
  return !key?.length && before > 0 ? `appended: the table had ${before} rows before` : null;
}

/** The dataset spec's reports: {{table}}, {{bronze}} and {{run_id}} filled in (identifiers quoted). */
function specReports(spec: LoadSpec, runId: string): ReportPlan {
  const vars: Record<string, string> = {
    table: qualified(spec.table.schema, spec.table.table),
    bronze: spec.bronze ? qualified(spec.bronze.schema, spec.bronze.table) : 'NULL',
    run_id: String(Number(runId)),
  };
  return {
    setup: [],
    queries: spec.reports!.map((r) => ({
      name: r.name,
      sql: r.sql.replace(/\{\{\s*(table|bronze|run_id)\s*\}\}/g, (_, v: string) => vars[v]!),
      ...(r.formats ? { formats: r.formats } : {}),
    })),
  };
}

async function requireRun(ctx: Context, runId: string): Promise<RunRow> {
  const run = await getRun(ctx.pool, runId);
  if (!run) throw new Error(`run ${runId} does not exist`);
  return run;
}
