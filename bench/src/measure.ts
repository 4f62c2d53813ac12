/**
 * What one load costs, read from /proc (we run as root, on the same machine as PostgreSQL):
 *
 * - wall seconds of the whole command;
 * - client CPU: user+system time of every process the harness started and reaped during
 *   the load, from the harness's own cutime/cstime (a child's figure includes the children
 *   it reaped, so copyfleet's workers count through the CLI);
 * - PostgreSQL CPU: user+system time of the server's processes (the postmaster's children),
 *   plus the children the postmaster reaped (backends that ended during the load), after
 *   minus before: the whole server, so other clients of the same server count too;
 * - other CPU: what the rest of the machine used meanwhile (all busy time in /proc/stat
 *   minus the two above), to show when something else competed for the cores;
 * - peak RSS (VmHWM) and CPU seconds (utime + stime) of each client process, polled every
 *   200 ms: a process's CPU is its last sample, so up to 200 ms of its end can be missed
 *   (copyfleet's workers idle then, waiting for the shutdown);
 * - PostgreSQL's CPU at every poll, so that a load's figure can be cut at a moment of the
 *   load (copyfleet: the last chunk's commit), interpolated between two polls.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

interface Stat {
  comm: string;
  ppid: number;
  /** utime + stime, in ticks. */
  own: number;
  /** cutime + cstime: reaped children, in ticks. */
  children: number;
}

function readStat(pid: number | 'self'): Stat | null {
  let s: string;
  try {
    s = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null; // gone
  }
  // "pid (comm) state ppid … utime stime cutime cstime …": comm may hold spaces and parentheses.
  const close = s.lastIndexOf(')');
  const f = s.slice(close + 2).split(' ');
  return {
    comm: s.slice(s.indexOf('(') + 1, close),
    ppid: Number(f[1]),
    own: Number(f[11]) + Number(f[12]),
    children: Number(f[13]) + Number(f[14]),
  };
}

function pids(): number[] {
  return readdirSync('/proc')
    .filter((d) => d.charCodeAt(0) >= 48 && d.charCodeAt(0) <= 57)
    .map(Number);
}

/**
 * CPU seconds of one PostgreSQL server: its postmaster and the postmaster's children
 * (backends, background processes), plus the children it already reaped (backends that
 * ended). Other servers on the machine do not count. `stats`: a scan of /proc already made.
 */
export function postgresCpuSeconds(postmasterPid: number, stats: Map<number, Stat> = scan()): number {
  let ticks = 0;
  for (const [pid, st] of stats) {
    if (pid === postmasterPid) ticks += st.own + st.children;
    else if (st.ppid === postmasterPid) ticks += st.own;
  }
  return ticks / TICKS_PER_SECOND;
}

/** Every process's /proc/PID/stat now. */
function scan(): Map<number, Stat> {
  const out = new Map<number, Stat>();
  for (const pid of pids()) {
    const st = readStat(pid);
    if (st) out.set(pid, st);
  }
  return out;
}

/** The parent of a process (the postmaster of a backend). */
export function parentPid(pid: number): number {
  const st = readStat(pid);
  if (!st) throw new Error(`no process ${pid}`);
  return st.ppid;
}

/** CPU seconds of the harness's reaped children (and theirs). */
export function childrenCpuSeconds(): number {
  return (readStat('self')?.children ?? 0) / TICKS_PER_SECOND;
}

/** Busy CPU seconds of the whole machine, all cores (/proc/stat, everything but idle and iowait). */
export function machineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0]!;
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / TICKS_PER_SECOND;
}

/**
 * Wait (up to `maxSeconds`) until the rest of the machine is nearly idle: less than
 * `cores` busy over a 3-second window. Returns the seconds waited and the busy cores last seen.
 */
export async function waitForQuiet(maxSeconds: number, cores = 0.3, say?: (line: string) => void): Promise<{ waitedSeconds: number; busyCores: number }> {
  const t0 = performance.now();
  let said = false;
  for (;;) {
    const b0 = machineBusySeconds();
    await new Promise((r) => setTimeout(r, 3000));
    const busyCores = (machineBusySeconds() - b0) / 3;
    const waitedSeconds = (performance.now() - t0) / 1000;
    if (busyCores < cores || waitedSeconds >= maxSeconds) return { waitedSeconds, busyCores };
    if (!said) say?.(`waiting up to ${maxSeconds} s for other work to finish (${busyCores.toFixed(1)} cores busy)`);
    said = true;
  }
}

/** A role for a process from its argv, or null to leave it out (shells). `numbered` roles always get "-k". */
export type RoleOf = (argv: string[]) => { role: string; numbered: boolean } | null;

/** Role of a process of a load: copyfleet's by subcommand, others by program or script name. */
export const roleOf: RoleOf = (argv) => {
  const exe = (argv[0] ?? '').split('/').pop() ?? '';
  if (exe === 'bash' || exe === 'sh') return null;
  // The command (which plans and hosts the compactor and the reporter) and its worker processes.
  const cf = argv.findIndex((a) => a.endsWith('apps/cli/dist/bundle/copyfleet.js') || a.endsWith('apps/cli/dist/main.js'));
  if (cf >= 0) {
    const sub = argv[cf + 1] ?? '';
    if (sub === 'worker') return { role: 'worker', numbered: true };
    return { role: sub === 'load' ? 'cli' : sub, numbered: false };
  }
  const script = exe === 'node' ? argv.slice(1).find((a) => a.endsWith('.js')) : undefined;
  return { role: script ? script.split('/').pop()!.replace(/\.js$/, '') : exe, numbered: false };
};

/** Polls the harness's descendants for their peak RSS (VmHWM) and CPU seconds, and PostgreSQL's CPU. */
class ProcessWatcher {
  private readonly seen = new Map<number, { role: string; numbered: boolean; hwmKb: number; cpuTicks: number; cpuSamples: { ms: number; ticks: number }[] }>();
  /** PostgreSQL's CPU seconds at epoch milliseconds, one sample per poll. */
  readonly postgres: { ms: number; cpu: number }[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly roleOf: RoleOf,
    private readonly postmasterPid: number,
  ) {}

  start(intervalMs = 200): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  sample(): void {
    const stats = scan();
    this.postgres.push({ ms: Date.now(), cpu: postgresCpuSeconds(this.postmasterPid, stats) });
    const descends = (pid: number): boolean => {
      for (let p = stats.get(pid)?.ppid; p !== undefined && p > 1; p = stats.get(p)?.ppid) if (p === process.pid) return true;
      return false;
    };
    for (const [pid, st] of stats) {
      if (!descends(pid)) continue;
      // Read the command line every time: a wrapper may exec the real program (Debian's psql is a Perl script).
      const argv = readProc(pid, 'cmdline')?.split('\0').filter(Boolean) ?? [];
      const role = argv.length ? this.roleOf(argv) : null;
      if (!role) continue;
      const entry = this.seen.get(pid) ?? { ...role, hwmKb: 0, cpuTicks: 0, cpuSamples: [] };
      Object.assign(entry, role);
      this.seen.set(pid, entry);
      entry.cpuTicks = Math.max(entry.cpuTicks, st.own);
      entry.cpuSamples.push({ ms: Date.now(), ticks: entry.cpuTicks });
      const hwm = /VmHWM:\s+(\d+) kB/.exec(readProc(pid, 'status') ?? '');
      if (hwm) entry.hwmKb = Math.max(entry.hwmKb, Number(hwm[1]));
    }
  }

  /**
   * Per role, peak RSS in bytes and CPU seconds; several processes of a role become role-1,
   * role-2 … in start order.
   */
  stop(): { peakRssBytes: Record<string, number>; cpuSecondsByRole: Record<string, number> } {
    clearInterval(this.timer);
    this.sample();
    const byRole = new Map<string, { numbered: boolean; kb: number[]; ticks: number[] }>();
    for (const pid of [...this.seen.keys()].sort((a, b) => a - b)) {
      const e = this.seen.get(pid)!;
      const r = byRole.get(e.role) ?? { numbered: e.numbered, kb: [], ticks: [] };
      r.kb.push(e.hwmKb);
      r.ticks.push(e.cpuTicks);
      byRole.set(e.role, r);
    }
    const peakRssBytes: Record<string, number> = {};
    const cpuSecondsByRole: Record<string, number> = {};
    for (const [role, r] of byRole) {
      r.kb.forEach((kb, i) => {
        const name = r.numbered || r.kb.length > 1 ? `${role}-${i + 1}` : role;
        peakRssBytes[name] = kb * 1024;
        cpuSecondsByRole[name] = r.ticks[i]! / TICKS_PER_SECOND;
      });
    }
    return { peakRssBytes, cpuSecondsByRole };
  }

  /** CPU seconds of the client processes of `role` (copyfleet's "worker") at their last sample before epoch `ms`. */
  roleCpuAt(role: string, ms: number): number {
    let ticks = 0;
    for (const e of this.seen.values()) {
      if (e.role !== role) continue;
      for (let i = e.cpuSamples.length - 1; i >= 0; i--) {
        if (e.cpuSamples[i]!.ms <= ms) {
          ticks += e.cpuSamples[i]!.ticks;
          break;
        }
      }
    }
    return ticks / TICKS_PER_SECOND;
  }

  /** PostgreSQL's CPU seconds from the first sample to epoch `ms`, interpolated between the samples around it. */
  postgresCpuAt(ms: number): number {
    const s = this.postgres;
    const first = s[0]!;
    const after = s.findIndex((x) => x.ms >= ms);
    if (after < 0) return s.at(-1)!.cpu - first.cpu;
    if (after === 0) return 0;
    const [a, b] = [s[after - 1]!, s[after]!];
    const share = b.ms > a.ms ? (ms - a.ms) / (b.ms - a.ms) : 1;
    return a.cpu + share * (b.cpu - a.cpu) - first.cpu;
  }
}

function readProc(pid: number, file: string): string | null {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return null;
  }
}

export interface Measurement {
  wallSeconds: number;
  clientCpuSeconds: number;
  postgresCpuSeconds: number;
  otherCpuSeconds: number;
  peakRssBytes: Record<string, number>;
  /** CPU seconds of each client process, named as in peakRssBytes (polled: see the header). */
  cpuSecondsByRole: Record<string, number>;
}

/**
 * Run `body` (which starts client processes and waits for all of them) and measure it.
 * `postgresCpuAt(ms)`: PostgreSQL's CPU seconds from the start to epoch `ms` (a moment of the load);
 * `roleCpuAt(role, ms)`: the CPU seconds the processes of a role had used by then (polled).
 */
export async function measure<T>(
  postmasterPid: number,
  body: () => Promise<T>,
): Promise<{ result: T; m: Measurement; postgresCpuAt: (ms: number) => number; roleCpuAt: (role: string, ms: number) => number }> {
  const watcher = new ProcessWatcher(roleOf, postmasterPid);
  const pg0 = postgresCpuSeconds(postmasterPid);
  const kids0 = childrenCpuSeconds();
  const busy0 = machineBusySeconds();
  const self0 = process.cpuUsage();
  const t0 = performance.now();
  watcher.start();
  let procs: ReturnType<ProcessWatcher['stop']> = { peakRssBytes: {}, cpuSecondsByRole: {} };
  let result: T;
  try {
    result = await body();
  } finally {
    procs = watcher.stop();
  }
  const wallSeconds = (performance.now() - t0) / 1000;
  const selfCpu = process.cpuUsage(self0);
  const clientCpuSeconds = childrenCpuSeconds() - kids0;
  const pgCpu = postgresCpuSeconds(postmasterPid) - pg0;
  // The harness's own polling is neither client nor "other".
  const harness = (selfCpu.user + selfCpu.system) / 1e6;
  const otherCpuSeconds = Math.max(0, machineBusySeconds() - busy0 - clientCpuSeconds - pgCpu - harness);
  return {
    result,
    m: { wallSeconds, clientCpuSeconds, postgresCpuSeconds: pgCpu, otherCpuSeconds, ...procs },
    postgresCpuAt: (ms) => watcher.postgresCpuAt(ms),
    roleCpuAt: (role, ms) => watcher.roleCpuAt(role, ms),
  };
}
