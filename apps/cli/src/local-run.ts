/**
 * A run carried out on this machine: worker, compactor and reporter processes (fleet.ts)
 * while the run is watched from PostgreSQL with a progress line, Ctrl-C handled, and a
 * one-line summary at the end. `load`, `resume` and `retry` share it. Outages of
 * PostgreSQL or Redis are reported on the progress line and waited out, not fatal.
 */
import { configToEnv, type Config } from '@copyfleet/config';
import { describeError, type RunRow } from '@copyfleet/db';
import { summaryLine, superviseRun, type Context, type SuperviseOptions } from '@copyfleet/run';
import { Fleet } from './fleet.js';
import { ProgressLine } from './progress.js';

export class LocalRun {
  /** The environment of every process of the run: the validated config, spelled out. */
  readonly env: NodeJS.ProcessEnv;
  readonly progress: ProgressLine;
  private readonly fleet: Fleet;
  /** The command's start (the process's), so durations are what the user waited. */
  private readonly t0 = performance.timeOrigin;

  /** Starts the processes at once: their start-up overlaps whatever the caller does next. */
  constructor(private readonly config: Config) {
    this.env = {
      ...process.env,
      ...configToEnv(config),
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      // On a laptop the processes serve no /metrics unless METRICS_PORT asks (it costs each one start-up time).
      METRICS_PORT: process.env.METRICS_PORT ?? 'off',
    };
    this.progress = new ProgressLine(this.t0);
    this.fleet = new Fleet(this.env, (line) => this.progress.print(line));
    for (let i = 1; i <= config.workers; i++) this.fleet.start({ name: `worker-${i}`, args: ['worker'] });
    this.fleet.start({ name: 'compactor', args: ['compactor'], background: true });
    this.fleet.start({ name: 'reporter', args: ['reporter'], background: true });
  }

  /** SIGTERM every process once and wait for them (each finishes or releases its job). */
  stop(): Promise<void> {
    return this.fleet.stop();
  }

  /**
   * Watch run `runId` until it is done or failed (or `until` says), then stop the
   * processes. Returns the finished run, or null when Ctrl-C stopped the watch.
   */
  async watch(ctx: Context, runId: string, headline: string, until?: SuperviseOptions['until']): Promise<RunRow | null> {
    const abort = new AbortController();
    const onSignal = (): void => {
      this.progress.print(`stopping… run ${runId} stays resumable: \`copyfleet resume ${runId}\` or the same command again continues it`);
      abort.abort();
      void this.fleet.stop(); // Ctrl-C reached the workers too: do not restart them.
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      this.progress.print(headline);
      const run = await superviseRun(ctx, runId, {
        // Two indexed lookups per poll; a short interval ends the command soon after the run.
        pollMs: 200,
        onProgress: (r, p) => this.progress.update(r, p),
        onTrouble: (err, retryInMs) =>
          this.progress.print(`copyfleet: cannot see run ${runId} (${describeError(err)}); trying again in ${(retryInMs / 1000).toFixed(1)} s`),
        signal: abort.signal,
        ...(until ? { until } : {}),
      });
      this.progress.done();
      await this.fleet.stop();
      if (abort.signal.aborted && run.status !== 'done' && run.status !== 'failed') {
        process.stderr.write(`copyfleet: stopped; run ${run.run_id} is ${run.status}. Run the same command again to resume it, or \`copyfleet resume ${run.run_id}\`.\n`);
        return null;
      }
      return run;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await this.fleet.stop();
    }
  }

  /** The run's summary line (libs/run summaryLine), timed from this command's start. */
  summary(run: RunRow, filesNote: string | null = null): string {
    return summaryLine(run, filesNote, (Date.now() - this.t0) / 1000);
  }

}
