/**
 * `copyfleet resume RUN` and `copyfleet retry RUN --chunk N`: go on with a run once the
 * cause of its failure is fixed. The work is queued again (libs/run continue.ts); then,
 * unless --detach (workers run elsewhere), local processes carry it out as `load` does:
 * resume until the run is done or failed, retry until the chunk is loaded or dead again
 * and the run has settled.
 */
import type { Config } from '@copyfleet/config';
import { getChunk, type RunRow } from '@copyfleet/db';
import { assertReachable, createLogger, openContextPatiently, resumeRun, retryChunk, type Context } from '@copyfleet/run';
import { LocalRun } from './local-run.js';

export async function continueCommand(config: Config, runId: string, opts: { detach: boolean; chunk?: number }): Promise<number> {
  await assertReachable(config);
  const ctx = await openContextPatiently(config, 'cli', createLogger('cli'));
  if (!ctx) return 1;
  try {
    const chunk = opts.chunk;
    const run = chunk === undefined ? await resumeRun(ctx, runId) : await retryChunk(ctx, runId, chunk);
    const what = chunk === undefined ? `run ${runId} resumed` : `chunk ${chunk} of run ${runId} queued again`;
    if (opts.detach) {
      process.stdout.write(`copyfleet: ${what}; the run is ${run.status}. Follow it with \`copyfleet status ${runId}\`.\n`);
      return 0;
    }
    const local = new LocalRun(config);
    try {
      const settled = (r: RunRow): boolean => r.status === 'done' || r.status === 'failed';
      const until = chunk === undefined ? undefined : async (r: RunRow) => settled(r) && (await chunkSettled(ctx, runId, chunk));
      const headline = `copyfleet: ${what}: ${run.source} → ${run.target_table}, ${local.workersNote}`;
      const end = await local.watch(ctx, runId, headline, until);
      if (end === null) return 130;
      if (chunk !== undefined) {
        const c = await getChunk(ctx.pool, runId, chunk);
        const loaded = c?.loaded_at != null;
        process.stdout.write(`copyfleet: chunk ${chunk} of run ${runId} ${loaded ? `loaded (${c!.rows_loaded} rows)` : `is dead again: ${c?.last_error}`}\n`);
        process.stdout.write(`${local.summary(end)}\n`);
        return loaded ? 0 : 1;
      }
      process.stdout.write(`${local.summary(end)}\n`);
      return end.status === 'done' ? 0 : 1;
    } finally {
      await local.stop();
    }
  } finally {
    await ctx.close();
  }
}

async function chunkSettled(ctx: Context, runId: string, chunkNo: number): Promise<boolean> {
  const c = await getChunk(ctx.pool, runId, chunkNo);
  return c === null || c.loaded_at !== null || c.dead_at !== null;
}
