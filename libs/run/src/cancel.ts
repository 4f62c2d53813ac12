/**
 * `cancelRun`: stop a run on purpose.
 *
 *   planning | running  ──cancel──▶  cancelled   (finished_at set, figures from the ledger)
 *
 * Chunks not yet started are not loaded: their jobs (waiting, or backing off before a
 * retry) are removed from the queue, and an attempt that starts anyway finds the run
 * cancelled in its load transaction and loads nothing. Chunks committing at that moment
 * finish first (the cancel waits for their lock on the run row), so the run's figures are
 * exactly what is in the table. A cancelled run is final; load the input again for a new run.
 */
import { getRun, summarizeRun, transitionRun, type RunRow } from '@copyfleet/db';
import { announceRunEnd } from './announce.js';
import type { Context } from './context.js';
import { LoadRequestError } from '@copyfleet/design';

export interface CancelResult {
  run: RunRow;
  /** Chunk jobs taken off the queue (not yet started, or waiting for a retry). */
  removedJobs: number;
  /** Chunks a worker holds now: they commit or roll back. */
  inFlight: number;
}

export async function cancelRun(ctx: Context, runId: string, by = 'an operator'): Promise<CancelResult> {
  const run = await getRun(ctx.pool, runId);
  if (!run) throw new LoadRequestError(`run ${runId} does not exist`);
  const message = `cancelled by ${by}; chunks already committed stay in ${run.target_table}: load the input again for a new run`;
  // The status change waits for chunks committing now (they hold the run row, lockChunk);
  // later attempts see 'cancelled' and load nothing. Then the figures, in a statement of
  // their own so that they include those last commits.
  if (!(await transitionRun(ctx.pool, runId, ['planning', 'running'], 'cancelled', message))) {
    throw new LoadRequestError(`run ${runId} is ${run.status}: only a planning or running run can be cancelled`);
  }
  await summarizeRun(ctx.pool, runId);
  await announceRunEnd(ctx, runId, 'cancelled');
  const inFlight = [...(await ctx.queues.chunkJobStates(runId)).values()].filter((s) => s === 'active').length;
  const removedJobs = await ctx.queues.removeChunkJobs(runId, ['waiting', 'delayed', 'failed']);
  return { run: (await getRun(ctx.pool, runId))!, removedJobs, inFlight };
}
