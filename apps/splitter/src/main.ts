/**
 * Container entry point: plan one file and queue its chunks, then watch the run to
 * the end (`copyfleet split FILE --wait`). Arguments: FILE [TABLE].
 */
import { loadConfig } from '@copyfleet/config';
import { openContext, startOrResumeRun, superviseRun } from '@copyfleet/run';

const [file, table] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: splitter FILE [TABLE]\n');
  process.exit(2);
}
const ctx = await openContext(loadConfig(), 'splitter');
try {
  const started = await startOrResumeRun(ctx, { file, ...(table ? { table } : {}) });
  process.stdout.write(`${JSON.stringify(started)}\n`);
  const run = await superviseRun(ctx, started.runId);
  process.stdout.write(`${JSON.stringify({ runId: run.run_id, status: run.status, message: run.message })}\n`);
  process.exitCode = run.status === 'done' ? 0 : 1;
} finally {
  await ctx.close();
}
