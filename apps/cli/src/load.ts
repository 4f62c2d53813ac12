/**
 * `copyfleet load FILE`: the whole pipeline on this machine. This process plans the
 * inputs into chunks and queues them (or resumes their run) while N worker processes
 * start (local-run.ts), and hosts the compactor and the reporter; an input of one job is
 * loaded by a worker in this process too. The run is watched until it is done or failed,
 * and ends with a one-line summary. Ctrl-C stops everything cleanly; the same command
 * resumes the run.
 */
import { formatBytes, type Config } from '@copyfleet/config';
import { listInputs, normalizeSourceUri, type InputListing } from '@copyfleet/source';
import { createLogger, filesNote, openContextPatiently, runExitCode, startRun, type RunRequest } from '@copyfleet/run';
import { currentTelemetry } from '@copyfleet/telemetry';
import { LocalRun } from './local-run.js';

/** `workersGiven`: --workers was on the command line; that many worker processes start, whatever the input. */
export async function loadCommand(config: Config, req: RunRequest, opts: { workersGiven?: boolean } = {}): Promise<number> {
  // Inputs that name nothing fail here, at once, before any process starts (planning lists them again).
  const listing = req.inputs.length > 0 ? await listInputs(req.inputs.map(normalizeSourceUri)) : null;
  // Workers start while this process plans: their start-up overlaps planning.
  const local = new LocalRun(config, { solo: !opts.workersGiven && listing !== null && oneJob(config, listing) });
  try {
    const ctx = await openContextPatiently(config, 'cli', createLogger('cli'));
    if (!ctx) return 1;
    try {
      const started = await startRun(ctx, req);
      const fileCount = started.files > 1 ? `${started.files} files, ` : '';
      const headline =
        `copyfleet: run ${started.runId} ${started.resumed ? 'resumed' : 'started'}: ${req.inputs.length > 0 ? req.inputs.join(' ') : req.dataset} → ${started.table}, ` +
        `${fileCount}${formatBytes(started.bytes)} in ${started.chunks} chunk(s), ${local.workersNote}` +
        (started.note ? ` (${started.note})` : '');
      const run = await local.watch(ctx, started.runId, headline);
      if (run === null) return 130;
      process.stdout.write(`${local.summary(run, await filesNote(ctx, run.run_id))}\n`);
      return await runExitCode(ctx, run);
    } finally {
      await ctx.close();
    }
  } finally {
    await local.stop();
    // The spans of the roles hosted here (the run, its planning, compaction, reports) go out before the exit.
    await currentTelemetry()?.shutdown(5000);
  }
}

/**
 * Inputs that make one job — one file of at most a chunk, or files that fit one pack — are
 * loaded by one worker whatever the worker count: unless --workers asks for processes, a
 * worker in this process does it and no process is started (a process costs ~0.4 s of CPU
 * at start-up, the whole of a small load).
 */
function oneJob(config: Config, listing: InputListing): boolean {
  const bytes = listing.files.reduce((n, f) => n + f.size, 0);
  return listing.files.length === 1 ? bytes <= config.chunkBytes : bytes <= Math.min(config.packBytes, config.chunkBytes);
}
