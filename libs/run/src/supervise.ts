/**
 * Watches a run until it is done or failed, from PostgreSQL (the truth) with a look at
 * Redis only when progress stops: if no chunk has committed for a while, the ledger and
 * the queue are reconciled (settle.ts) — a chunk whose job was lost is queued again
 * (BullMQ is at-least-once but can lose work, e.g. a Redis restart without its AOF), a
 * job that failed for good marks its chunk dead, and a run with no pending chunk settles
 * (compaction queued, or the run fails naming its dead chunks).
 *
 * The supervisor outlives outages: while PostgreSQL or Redis cannot be reached it
 * reports the trouble and tries again with capped backoff instead of giving up.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { getRun, runProgress, type RunProgress, type RunRow } from '@copyfleet/db';
import { cappedBackoff } from '@copyfleet/queue';
import type { Context } from './context.js';
import { LoadRequestError } from '@copyfleet/design';
import { reconcileRun, settleRun } from './settle.js';

export interface SuperviseOptions {
  pollMs?: number;
  /** No new commit for this long → reconcile ledger and queue. */
  stallMs?: number;
  onProgress?: (run: RunRow, progress: RunProgress) => void;
  /** PostgreSQL or Redis failed a poll; the supervisor waits `retryInMs` and polls again. */
  onTrouble?: (err: unknown, retryInMs: number) => void;
  /** Keep watching while this says so, even after the run is done or failed. */
  until?: (run: RunRow, progress: RunProgress) => boolean | Promise<boolean>;
  /** Stop waiting (Ctrl-C); the run stays resumable. */
  signal?: AbortSignal;
}

export async function superviseRun(ctx: Context, runId: string, opts: SuperviseOptions = {}): Promise<RunRow> {
  const pollMs = opts.pollMs ?? 500;
  const stallMs = opts.stallMs ?? Math.max(10_000, ctx.config.lockDurationMs + ctx.config.stalledIntervalMs);
  const finished = opts.until ?? ((run) => run.status === 'done' || run.status === 'failed' || run.status === 'cancelled');
  let lastDone = -1;
  let lastChange = Date.now();
  let troubles = 0;
  for (;;) {
    let wait = pollMs;
    try {
      const run = await getRun(ctx.pool, runId);
      if (!run) throw new LoadRequestError(`run ${runId} does not exist`);
      const progress = await runProgress(ctx.pool, runId);
      opts.onProgress?.(run, progress);
      if ((await finished(run, progress)) || opts.signal?.aborted) return run;
      if (progress.chunksDone !== lastDone) {
        lastDone = progress.chunksDone;
        lastChange = Date.now();
      } else if (Date.now() - lastChange > stallMs) {
        lastChange = Date.now();
        await nudge(ctx, run);
      }
      troubles = 0;
    } catch (err) {
      if (err instanceof LoadRequestError) throw err;
      wait = cappedBackoff(++troubles, pollMs, 10_000);
      opts.onTrouble?.(err, wait);
    }
    await sleep(wait, undefined, { signal: opts.signal }).catch(() => undefined);
  }
}

/** Progress stopped: make the queue agree with the ledger, and move the run on if it can. */
async function nudge(ctx: Context, run: RunRow): Promise<void> {
  const chunksMove = run.status === 'running' || run.status === 'failed'; // failed: `retry --chunk` may be under way
  if (chunksMove && (await reconcileRun(ctx, run.run_id)).pending === 0) await settleRun(ctx, run.run_id);
  if (run.status === 'compacting') await ctx.queues.addRunJob('compact', { runId: run.run_id });
  if (run.status === 'reporting') await ctx.queues.addRunJob('report', { runId: run.run_id });
}
