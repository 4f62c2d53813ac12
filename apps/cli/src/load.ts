/**
 * `copyfleet load FILE`: the whole pipeline on this machine. The splitter runs as its
 * own process (plan + queue, or resume), while N workers, the compactor and the reporter
 * start (local-run.ts); the run is watched until it is done or failed, and ends with a
 * one-line summary. Ctrl-C stops everything cleanly; the same command resumes the run.
 */
import { spawn } from 'node:child_process';
import { formatBytes, type Config } from '@copyfleet/config';
import { listInputs, normalizeSourceUri } from '@copyfleet/source';
import { createLogger, filesNote, openContextPatiently, runExitCode, type RunRequest, type StartedRun } from '@copyfleet/run';
import { LocalRun } from './local-run.js';

export async function loadCommand(config: Config, req: RunRequest): Promise<number> {
  // Inputs that name nothing fail here, at once, before any process starts (the splitter lists them again).
  if (req.inputs.length > 0) await listInputs(req.inputs.map(normalizeSourceUri));
  // Workers start while the splitter plans: their start-up overlaps planning.
  const local = new LocalRun(config);
  const started = await runSplitter(local.env, req);
  if (started === null) {
    await local.stop();
    return 1;
  }
  const ctx = await openContextPatiently(config, 'cli', createLogger('cli'));
  if (!ctx) return 1;
  try {
    const fileCount = started.files > 1 ? `${started.files} files, ` : '';
    const headline =
      `copyfleet: run ${started.runId} ${started.resumed ? 'resumed' : 'started'}: ${req.inputs.length > 0 ? req.inputs.join(' ') : req.dataset} → ${started.table}, ` +
      `${fileCount}${formatBytes(started.bytes)} in ${started.chunks} chunk(s), ${config.workers} worker(s)` +
      (started.note ? ` (${started.note})` : '');
    const run = await local.watch(ctx, started.runId, headline);
    if (run === null) return 130;
    process.stdout.write(`${local.summary(run, await filesNote(ctx, run.run_id))}\n`);
    return await runExitCode(ctx, run);
  } finally {
    await local.stop();
    await ctx.close();
  }
}

/** Run `copyfleet split` as its own process; its last stdout line is the started run. */
async function runSplitter(env: NodeJS.ProcessEnv, req: RunRequest): Promise<StartedRun | null> {
  const args = [process.argv[1]!, 'split', ...req.inputs];
  if (req.reload) args.push('--reload');
  if (req.table) args.push('--table', req.table);
  if (req.key?.length) args.push('--key', req.key.join(','));
  if (req.partition) args.push('--partition', req.partition);
  if (req.dataset) args.push('--dataset', req.dataset);
  if (req.data !== undefined) args.push('--data', req.data);
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
  if (code !== 0) {
    // Its own error is on stderr already; a killed splitter says nothing, so say it here.
    if (signal) process.stderr.write(`copyfleet: the splitter was killed (${signal}); run the same command again to resume\n`);
    return null;
  }
  const last = out.trim().split('\n').at(-1) ?? '';
  return JSON.parse(last) as StartedRun;
}
