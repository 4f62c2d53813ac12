/**
 * A run's end, told where teams look: the runs-finished metric, and the webhooks of
 * NOTIFY_URL (libs/notify: retried with backoff in the background, never delaying or
 * failing the run). Called once per run, by whoever made the guarded status change.
 */
import { filesOf, getRun } from '@copyfleet/db';
import { notifyRunEnd, runSummaryOf } from '@copyfleet/notify';
import { recordRunFinished } from '@copyfleet/telemetry';
import type { Context } from './context.js';
import type { Logger } from './log.js';

export async function announceRunEnd(ctx: Context, runId: string, status: 'done' | 'failed' | 'cancelled', log?: Logger): Promise<void> {
  recordRunFinished({ runId, status });
  if (ctx.config.notifyUrls.length === 0) return;
  const run = await getRun(ctx.pool, runId);
  if (!run) return;
  const files = (await filesOf(ctx.pool, runId)).map((f) => f.uri);
  void notifyRunEnd(runSummaryOf(run, files.length > 0 ? files : [run.source]), {
    urls: ctx.config.notifyUrls,
    dashboardUrl: ctx.config.dashboardUrl || null,
    ...(log ? { log: log.warn } : {}),
  });
}
