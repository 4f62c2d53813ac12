/**
 * Going on with a run by its id, once the cause of its failure is fixed:
 *
 *   resumeRun   a failed or interrupted run continues, exactly as when its load command
 *               runs again (start-run.ts): failed → running, its dead chunks revived, every chunk the ledger lacks is queued again
 *               with all its attempts, or the step it stopped at is queued again.
 *   retryChunk  one chunk gets another chance with all its attempts; the run goes back
 *               to running only if no other chunk is dead.
 *
 * Neither needs the input's path or the load command's flags: the run row has them.
 */
import { filesOf, findUnfinishedRun, getRun, reviveChunk, reviveFiles, runSettlement, transitionRun, type RunRow } from '@copyfleet/db';
import { openSource } from '@copyfleet/source';
import type { Context } from './context.js';
import { resume } from './start-run.js';
import { LoadRequestError } from '@copyfleet/design';

async function continuableRun(ctx: Context, runId: string): Promise<RunRow> {
  const run = await getRun(ctx.pool, runId);
  if (!run) throw new LoadRequestError(`run ${runId} does not exist`);
  if (run.status === 'done') throw new LoadRequestError(`run ${runId} is done: nothing to continue`);
  if (run.status === 'planning') {
    throw new LoadRequestError(`run ${runId} is still planning (or its splitter died while planning): run the load command again`);
  }
  return run;
}

export async function resumeRun(ctx: Context, runId: string): Promise<RunRow> {
  const run = await continuableRun(ctx, runId);
  // Its chunks refer to its files as they were planned: every file not yet in must be unchanged.
  for (const f of await filesOf(ctx.pool, runId)) {
    if (f.status !== 'loading' && f.status !== 'listed') continue;
    const { version } = await (await openSource(f.uri)).stat();
    if (version !== f.version) {
      throw new LoadRequestError(`${f.uri} changed since run ${runId} was planned (size or modification time differ): load it as a new run`);
    }
  }
  const latest = await findUnfinishedRun(ctx.pool, run.source, run.target_table);
  if (latest?.run_id !== runId) {
    throw new LoadRequestError(`run ${runId} is not the latest run of ${run.source} into ${run.target_table}: nothing to resume`);
  }
  await resume(ctx, run);
  return (await getRun(ctx.pool, runId))!;
}

export async function retryChunk(ctx: Context, runId: string, chunkNo: number): Promise<RunRow> {
  const run = await continuableRun(ctx, runId);
  const chunk = await reviveChunk(ctx.pool, runId, chunkNo);
  if (!chunk) throw new LoadRequestError(`run ${runId} has no chunk ${chunkNo} (chunks are numbered from 0 to ${run.chunks_total - 1})`);
  if (chunk.loaded) throw new LoadRequestError(`chunk ${chunkNo} of run ${runId} is loaded already`);
  await reviveFiles(ctx.pool, runId, chunk.fileNo);
  if (run.status === 'failed' && (await runSettlement(ctx.pool, runId)).dead === 0) {
    await transitionRun(ctx.pool, runId, ['failed'], 'running', null);
  }
  await ctx.queues.requeueChunk({ runId, fileNo: chunk.fileNo, chunkNo, start: chunk.byteStart, end: chunk.byteEnd });
  return (await getRun(ctx.pool, runId))!;
}
