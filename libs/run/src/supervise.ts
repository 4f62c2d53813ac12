/**
 * Watches a run until it is done or failed, from PostgreSQL (the truth) with a
 * look at Redis only when progress stops: if no chunk has committed for a while,
 * any chunk whose job was lost is queued again (BullMQ is at-least-once but can
 * lose work, e.g. Redis restarted without its AOF), and a run whose chunks are all
 * in gets its compaction queued even if the job that should have done it was lost.
 */
import { getRun, runProgress, type RunProgress, type RunRow } from '@copyfleet/db';
import type { Context } from './context.js';
import { enqueueMissing } from './start-run.js';

export interface SuperviseOptions {
  pollMs?: number;
  /** No new commit for this long → reconcile ledger and queue. */
  stallMs?: number;
  onProgress?: (run: RunRow, progress: RunProgress) => void;
  /** Stop waiting (Ctrl-C); the run stays resumable. */
  signal?: AbortSignal;
}

export async function superviseRun(ctx: Context, runId: string, opts: SuperviseOptions = {}): Promise<RunRow> {
  const pollMs = opts.pollMs ?? 500;
  const stallMs = opts.stallMs ?? Math.max(10_000, ctx.config.lockDurationMs + ctx.config.stalledIntervalMs);
  let lastDone = -1;
  let lastChange = Date.now();
  for (;;) {
    const run = await getRun(ctx.pool, runId);
    if (!run) throw new Error(`run ${runId} does not exist`);
    const progress = await runProgress(ctx.pool, runId);
    opts.onProgress?.(run, progress);
    if (run.status === 'done' || run.status === 'failed' || opts.signal?.aborted) return run;
    if (progress.chunksDone !== lastDone) {
      lastDone = progress.chunksDone;
      lastChange = Date.now();
    } else if (Date.now() - lastChange > stallMs) {
      lastChange = Date.now();
      if (run.status === 'running') await enqueueMissing(ctx, runId);
      if (run.status === 'compacting') await ctx.queues.addRunJob('compact', { runId });
      if (run.status === 'reporting') await ctx.queues.addRunJob('report', { runId });
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
