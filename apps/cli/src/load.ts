/**
 * `copyfleet load FILE`: the whole pipeline on this machine. The splitter runs as
 * its own process (plan + queue, or resume), then N workers, the compactor and the
 * reporter run until the run is done or failed; the run is watched from PostgreSQL
 * with a progress line, and ends with a one-line summary. Ctrl-C stops everything
 * cleanly; the same command resumes the run.
 */
import { spawn } from 'node:child_process';
import { configToEnv, formatBytes, type Config } from '@copyfleet/config';
import { openContext, superviseRun, type LoadRequest, type StartedRun } from '@copyfleet/run';
import { Fleet } from './fleet.js';
import { ProgressLine } from './progress.js';

export async function loadCommand(config: Config, req: LoadRequest): Promise<number> {
  const t0 = Date.now();
  const env = { ...process.env, ...configToEnv(config), LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' };
  const progress = new ProgressLine(t0);
  const fleet = new Fleet(env, (line) => progress.print(line));
  // Workers start while the splitter plans: their start-up overlaps planning.
  for (let i = 1; i <= config.workers; i++) fleet.start({ name: `worker-${i}`, args: ['worker'] });
  fleet.start({ name: 'compactor', args: ['compactor'] });
  fleet.start({ name: 'reporter', args: ['reporter'] });
  const started = await runSplitter(env, req);
  if (started === null) {
    await fleet.stop();
    return 1;
  }
  const ctx = await openContext(config, 'cli');
  const abort = new AbortController();
  const onSigint = (): void => {
    progress.print(`stopping… run ${started.runId} stays resumable: run the same command again to continue`);
    abort.abort();
    void fleet.stop(); // Ctrl-C reached the workers too: do not restart them.
  };
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigint);
  try {
    progress.print(
      `copyfleet: run ${started.runId} ${started.resumed ? 'resumed' : 'started'}: ${req.file} → ${started.table}, ` +
        `${formatBytes(started.bytes)} in ${started.chunks} chunk(s), ${config.workers} worker(s)`,
    );
    const run = await superviseRun(ctx, started.runId, { onProgress: (r, p) => progress.update(r, p), signal: abort.signal });
    progress.done();
    await fleet.stop();
    const secs = (Date.now() - t0) / 1000;
    if (abort.signal.aborted && run.status !== 'done' && run.status !== 'failed') {
      process.stderr.write(`copyfleet: stopped; run ${run.run_id} is ${run.status}. Run the same command again to resume it.\n`);
      return 130;
    }
    const mbps = Number(run.bytes_total) / 1e6 / secs;
    const line =
      run.status === 'done'
        ? `copyfleet: run ${run.run_id} done: ${run.rows_loaded} rows loaded, ${run.rows_rejected} rejected` +
          (Number(run.rows_replaced) > 0 ? `, ${run.rows_replaced} replaced by key` : '') +
          `, ${formatBytes(Number(run.bytes_total))} in ${secs.toFixed(1)} s (${mbps.toFixed(1)} MB/s)` +
          (run.reports_dir ? `; reports in ${run.reports_dir}/` : '') +
          (Number(run.rows_rejected) > 0 ? `; rejects: SELECT * FROM copyfleet.rejects WHERE run_id = ${run.run_id}` : '')
        : `copyfleet: run ${run.run_id} FAILED after ${secs.toFixed(1)} s: ${run.message ?? 'no message'}`;
    process.stdout.write(`${line}\n`);
    return run.status === 'done' ? 0 : 1;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    await fleet.stop();
    await ctx.close();
  }
}

/** Run `copyfleet split` as its own process; its last stdout line is the started run. */
async function runSplitter(env: NodeJS.ProcessEnv, req: LoadRequest): Promise<StartedRun | null> {
  const args = [process.argv[1]!, 'split', req.file];
  if (req.table) args.push('--table', req.table);
  if (req.key?.length) args.push('--key', req.key.join(','));
  if (req.partition) args.push('--partition', req.partition);
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
  if (code !== 0) return null;
  const last = out.trim().split('\n').at(-1) ?? '';
  return JSON.parse(last) as StartedRun;
}
