/**
 * `cancelRun`: stop a run on purpose.
 *
 *   planning | running  ──cancel──▶  cancelled   (finished_at set, figures from the ledger)
 *
 * Chunks not yet started are not loaded: their jobs (waiting, or backing off before a
 * retry) are removed from the queue. Chunks in flight are not interrupted: each commits
 * (its rows stay, the ledger says so) or rolls back, as it would on any worker stop. The
 * run row is changed first, so a chunk that commits meanwhile only adds to a run that is
 * already cancelled and cannot move it on to compacting (that transition expects
 * 'running'). A cancelled run is final; load the input again for a new run.
 */
import { getRun, markRunCancelled, type RunRow } from '@copyfleet/db';
import type { Context } from './context.js';
import { LoadRequestError } from './table-spec.js';

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
  if (!(await markRunCancelled(ctx.pool, runId, message))) {
    throw new LoadRequestError(`run ${runId} is ${run.status}: only a planning or running run can be cancelled`);
  }
  let removedJobs = 0;
  let inFlight = 0;
  for (const [chunkNo, state] of await ctx.queues.chunkJobStates(runId)) {
    if (state === 'active') inFlight++;
    else if (state === 'waiting' || state === 'delayed' || state === 'failed') {
      await ctx.queues.removeChunkJob(runId, chunkNo);
      removedJobs++;
    }
  }
  return { run: (await getRun(ctx.pool, runId))!, removedJobs, inFlight };
}
