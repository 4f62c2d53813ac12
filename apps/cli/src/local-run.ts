/**
 * A run carried out on this machine: worker processes (fleet.ts), with the compactor and
 * the reporter in this process (they idle until the run's end: a process each would cost
 * ~0.5 s of CPU at start-up for nothing), while the run is watched from PostgreSQL with a
 * progress line, Ctrl-C handled, and a one-line summary at the end. An input of one job
 * (solo) is loaded by a worker in this process too: one process in all. `load`, `resume`
 * and `retry` share it. Outages of PostgreSQL or Redis are reported on the progress line
 * and waited out, not fatal.
 */
import { configToEnv, type Config } from '@copyfleet/config';
import { describeError, type RunRow } from '@copyfleet/db';
import { hostRoles, type Hosted, type Role } from '@copyfleet/host';
import { createLogger, summaryLine, superviseRun, type Context, type SuperviseOptions } from '@copyfleet/run';
import { Fleet } from './fleet.js';
import { ProgressLine } from './progress.js';

export interface LocalRunOptions {
  /** Load in this process, starting no worker process: the input is one job, so a second worker could not help. */
  solo?: boolean;
}

export class LocalRun {
  /** The environment of every process of the run: the validated config, spelled out. */
  readonly env: NodeJS.ProcessEnv;
  readonly progress: ProgressLine;
  /** Worker processes started, or 0 when the worker is in this process. */
  readonly workerProcesses: number;
  private readonly fleet: Fleet;
  private readonly hosting = new AbortController();
  private readonly hosted: Promise<Hosted | null>;
  /** The command's start (the process's), so durations are what the user waited. */
  private readonly t0 = performance.timeOrigin;

  /** Starts the processes and the hosted roles at once: their start-up overlaps whatever the caller does next. */
  constructor(config: Config, opts: LocalRunOptions = {}) {
    this.env = {
      ...process.env,
      ...configToEnv(config),
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      // On a laptop the processes serve no /metrics unless METRICS_PORT asks (it costs each one start-up time).
      METRICS_PORT: process.env.METRICS_PORT ?? 'off',
    };
    this.progress = new ProgressLine(this.t0);
    this.fleet = new Fleet(this.env, (line) => this.progress.print(line));
    this.workerProcesses = opts.solo ? 0 : config.workers;
    for (let i = 1; i <= this.workerProcesses; i++) this.fleet.start({ name: `worker-${i}`, args: ['worker'] });
    const roles: Role[] = opts.solo ? ['worker', 'compactor', 'reporter'] : ['compactor', 'reporter'];
    // Their log lines go above the progress line, at the level the worker processes log at.
    const logOf = (role: Role) => createLogger(role, this.env.LOG_LEVEL, (line) => this.progress.print(line));
    this.hosted = hostRoles(config, roles, this.hosting.signal, logOf).catch((err: unknown) => {
      // The command's own connection meets the same cause (a migration it cannot run, say) and stops with it.
      this.progress.print(`copyfleet: cannot run the ${roles.join(', ')} here: ${describeError(err)}`);
      return null;
    });
  }

  /** What does the loading, for the headline: `2 worker(s)`, or the worker in this process. */
  get workersNote(): string {
    return this.workerProcesses > 0 ? `${this.workerProcesses} worker(s)` : '1 worker in this process (the input is one job)';
  }

  /** Stop the processes (SIGTERM once: each finishes or releases its job) and the hosted roles (their jobs finish). */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.hosting.abort();
      await Promise.all([this.fleet.stop(), this.hosted.then((h) => h?.close())]);
    })();
    return this.stopped;
  }

  private stopped: Promise<void> | undefined;

  /**
   * Watch run `runId` until it is done or failed (or `until` says), then stop the
   * processes. Returns the finished run, or null when Ctrl-C stopped the watch.
   */
  async watch(ctx: Context, runId: string, headline: string, until?: SuperviseOptions['until']): Promise<RunRow | null> {
    const abort = new AbortController();
    const onSignal = (): void => {
      this.progress.print(`stopping… run ${runId} stays resumable: \`copyfleet resume ${runId}\` or the same command again continues it`);
      abort.abort();
      void this.stop(); // Ctrl-C reached the workers too: do not restart them.
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      this.progress.print(headline);
      const run = await superviseRun(ctx, runId, {
        // Two indexed lookups per poll; a short interval ends the command soon after the run.
        pollMs: 50,
        onProgress: (r, p) => this.progress.update(r, p),
        onTrouble: (err, retryInMs) =>
          this.progress.print(`copyfleet: cannot see run ${runId} (${describeError(err)}); trying again in ${(retryInMs / 1000).toFixed(1)} s`),
        signal: abort.signal,
        ...(until ? { until } : {}),
      });
      this.progress.done();
      await this.stop();
      if (abort.signal.aborted && run.status !== 'done' && run.status !== 'failed') {
        process.stderr.write(`copyfleet: stopped; run ${run.run_id} is ${run.status}. Run the same command again to resume it, or \`copyfleet resume ${run.run_id}\`.\n`);
        return null;
      }
      return run;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await this.stop();
    }
  }

  /** The run's summary line (libs/run summaryLine), timed from this command's start. */
  summary(run: RunRow, filesNote: string | null = null): string {
    return summaryLine(run, filesNote, (Date.now() - this.t0) / 1000);
  }

}
