/**
 * The splitter process: plan a file and queue its chunks (or resume its run), print
 * the run as JSON, and with `wait` watch it to the end. Returns the exit code.
 * `copyfleet split` and the splitter container both run this.
 */
import type { Config } from '@copyfleet/config';
import { openContextPatiently } from './context.js';
import { createLogger } from './log.js';
import type { RunRequest } from './start-run.js';
import { startOrResumeRun } from './start.js';
import { superviseRun } from './supervise.js';

export async function split(config: Config, req: RunRequest, opts: { wait: boolean }): Promise<number> {
  const ctx = await openContextPatiently(config, 'splitter', createLogger('splitter'));
  if (!ctx) return 1;
  try {
    const started = await startOrResumeRun(ctx, req);
    process.stdout.write(`${JSON.stringify(started)}\n`);
    if (!opts.wait) return 0;
    const run = await superviseRun(ctx, started.runId);
    process.stdout.write(`${JSON.stringify({ runId: run.run_id, status: run.status, message: run.message })}\n`);
    return run.status === 'done' ? 0 : 1;
  } finally {
    await ctx.close();
  }
}
