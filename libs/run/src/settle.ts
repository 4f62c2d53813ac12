/**
 * Where a run goes once its chunks stop moving. The ledger decides, never the queue:
 *
 *   settleRun      after every chunk commit (or skip) and every dead chunk, by whichever
 *                  process got there: while any chunk is pending (neither loaded nor
 *                  dead) nothing happens; then, with nothing dead, the compaction is
 *                  queued; with dead chunks the run fails, naming them and how to go on.
 *                  A dead chunk therefore never stops the others: they all load first.
 *   reconcileRun   when progress stops (supervisor) and before compacting: every pending
 *                  chunk must have a live job in Redis. A job that is gone (lost in a
 *                  Redis restart, trimmed) is queued again; a job that failed for good
 *                  without its chunk marked dead (its worker died first, or it stalled
 *                  MAX_STALLED_COUNT times) marks the chunk dead now.
 *
 * Every step is guarded in PostgreSQL or idempotent in Redis, so running one twice, or
 * in two processes at once, changes nothing.
 */
import { failFilesWithDeadChunks, markChunkDead, runSettlement, transitionRun, troubledChunks, unloadedChunks } from '@copyfleet/db';
import { announceRunEnd } from './announce.js';
import type { Context } from './context.js';

export type Settlement = 'pending' | 'compacting' | 'failed' | 'not-running';

export async function settleRun(ctx: Context, runId: string): Promise<Settlement> {
  const { status, pending, dead } = await runSettlement(ctx.pool, runId);
  if (pending > 0) return 'pending';
  if (dead === 0) {
    if (status !== 'running') return 'not-running';
    await ctx.queues.addRunJob('compact', { runId });
    return 'compacting';
  }
  if (status !== 'running' && status !== 'failed') return 'not-running';
  await failFilesWithDeadChunks(ctx.pool, runId);
  const message = await deadLetterMessage(ctx, runId, dead);
  // A running run failing now is announced; an already failed one only gets the message the ledger says now.
  if (await transitionRun(ctx.pool, runId, ['running'], 'failed', message)) await announceRunEnd(ctx, runId, 'failed');
  else await transitionRun(ctx.pool, runId, ['failed'], 'failed', message);
  return 'failed';
}

/** "chunk 3 (bytes 0-65536) failed after 3 attempt(s): permission denied … Fix the cause, then …" */
async function deadLetterMessage(ctx: Context, runId: string, dead: number): Promise<string> {
  const chunks = await troubledChunks(ctx.pool, runId, 'dead', 10);
  const first = chunks[0];
  if (!first) return `${dead} chunk(s) dead`;
  const list = chunks.map((c) => c.chunk_no).join(', ') + (dead > chunks.length ? ', …' : '');
  return (
    (dead > 1 ? `${dead} chunks dead (${list}); ` : '') +
    `chunk ${first.chunk_no} (bytes ${first.byte_start}-${first.byte_end}) failed after ${first.attempts} attempt(s): ` +
    `${first.last_error ?? 'no error recorded'}. Fix the cause, then \`copyfleet resume ${runId}\` (or run the same load command again); ` +
    `\`copyfleet retry ${runId} --chunk ${first.chunk_no}\` retries that chunk alone.`
  );
}

export interface Reconciliation {
  /** Chunks queued again because Redis had no live job for them. */
  requeued: number;
  /** Chunks found failed for good in Redis and marked dead in the ledger. */
  markedDead: number;
  /** Chunks still pending after this (neither loaded nor dead). */
  pending: number;
}

export async function reconcileRun(ctx: Context, runId: string): Promise<Reconciliation> {
  const pending = (await unloadedChunks(ctx.pool, runId)).filter((c) => c.dead_at === null);
  if (pending.length === 0) return { requeued: 0, markedDead: 0, pending: 0 };
  const states = await ctx.queues.chunkJobStates(runId);
  const lost = [];
  let markedDead = 0;
  for (const c of pending) {
    const state = states.get(c.chunk_no);
    if (state === 'failed') {
      const reason = (await ctx.queues.chunkFailure(runId, c.chunk_no)) ?? 'failed in the queue';
      if (await markChunkDead(ctx.pool, runId, c.chunk_no, reason)) markedDead++;
    } else if (state === undefined || state === 'completed') {
      // Completed without the ledger saying loaded cannot come from a worker: drop the job, queue the chunk.
      if (state === 'completed') await ctx.queues.removeChunkJob(runId, c.chunk_no);
      lost.push({ runId, fileNo: c.file_no, chunkNo: c.chunk_no, start: Number(c.byte_start), end: Number(c.byte_end) });
    }
  }
  await ctx.queues.addChunks(lost);
  return { requeued: lost.length, markedDead, pending: pending.length - markedDead };
}
