/**
 * The local stand-in for a cluster's worker pods: worker processes started from this
 * same CLI, each its own OS process. A process that dies is
 * started again (as Kubernetes would restart a pod), with a short backoff.
 * Their log lines are passed through, prefixed with the process name.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { cappedBackoff } from '@copyfleet/run';

/** A member that ran this long before dying starts again at once; one that keeps dying waits longer each time. */
const HEALTHY_RUN_MS = 30_000;

export interface FleetMember {
  name: string;
  args: string[];
}

export class Fleet {
  private readonly procs = new Map<string, ChildProcess>();
  /** Deaths in a row of each member, for the restart backoff. */
  private readonly deaths = new Map<string, number>();
  private stopping = false;
  restarts = 0;

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly print: (line: string) => void,
  ) {}

  start(member: FleetMember): void {
    // stdin is a pipe from this process: when it ends — this process exited, even by SIGKILL —
    // the member stops as on SIGTERM (--until-stdin-ends), so no worker outlives its command.
    const child = spawn(process.execPath, [process.argv[1]!, ...member.args, '--until-stdin-ends'], { env: this.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const startedAt = Date.now();
    this.procs.set(member.name, child);
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream! }).on('line', (line) => this.print(`[${member.name}] ${line}`));
    }
    child.on('exit', (code, signal) => {
      if (this.procs.get(member.name) !== child) return;
      this.procs.delete(member.name);
      if (this.stopping) return;
      this.restarts++;
      // Capped exponential backoff with jitter: a member that dies at start-up does not spin.
      const deaths = Date.now() - startedAt > HEALTHY_RUN_MS ? 1 : (this.deaths.get(member.name) ?? 0) + 1;
      this.deaths.set(member.name, deaths);
      const delay = cappedBackoff(deaths, 1000, 15_000);
      this.print(`[${member.name}] exited (${signal ?? `code ${code}`}); starting it again in ${(delay / 1000).toFixed(1)} s`);
      setTimeout(() => !this.stopping && this.start(member), delay);
    });
  }

  /** The pid of a member (tests kill workers through it). */
  pid(name: string): number | undefined {
    return this.procs.get(name)?.pid;
  }

  /** SIGTERM everyone once and wait for them to exit (they finish or release their job). */
  stop(): Promise<void> {
    this.stopped ??= this.stopAll();
    return this.stopped;
  }

  private stopped: Promise<void> | undefined;

  private async stopAll(): Promise<void> {
    this.stopping = true;
    const exits = [...this.procs.values()].map(
      (p) => new Promise<void>((resolve) => (p.exitCode !== null || p.signalCode !== null ? resolve() : p.once('exit', () => resolve()))),
    );
    // A second SIGTERM would make a worker exit at once, abandoning its chunk to the stalled-job check.
    for (const p of this.procs.values()) p.kill('SIGTERM');
    await Promise.all(exits);
  }
}
