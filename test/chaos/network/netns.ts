// Test hosts on one machine: each service and each copyfleet process in a network namespace
// of its own, joined by veth pairs to a bridge in the root namespace, on addresses of the
// harness's own from the benchmarking range 198.18.0.0/15 (RFC 2544; no default route, no
// route out of the machine). Links are cut per host and per peer by dropping packets, both
// ways, so a cut connection hangs as across a real partition (no RST, no ICMP) instead of
// being refused:
//
//   root qdisc htb on the host's end inside its namespace (egress to the peer) and on its
//   end on the bridge (egress from the peer to it); a u32 filter by address sends a cut
//   peer's packets to a class whose queue holds 0 packets (pfifo limit 0), so they drop.
//
// (The kernels these tests run on need no netem or gact: htb, pfifo and u32 are enough.)
// Names carry a prefix with this process's id (namespaces cfnet-<pid>-<host>, links
// cf<pid>…), so a start-up sweep can remove what a killed run left behind, and close()
// removes everything of this run; process exit handlers call it too.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { once } from 'node:events';

const NS_PREFIX = 'cfnet-';
const LINK_RE = /^cf(\d+)[bh]\d*$/;
const NS_RE = /^cfnet-(\d+)-/;

/** Why the network suites cannot run here, or null when they can (root, ip, tc, namespaces). */
export function netnsUnavailable(): string | null {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (process.getuid?.() !== 0) return 'network namespaces need root (CI runs this suite as root)';
  for (const tool of ['ip', 'tc']) {
    try {
      execFileSync(tool, ['-V'], { stdio: 'ignore' });
    } catch {
      return `\`${tool}\` (iproute2) is not installed`;
    }
  }
  const probe = `${NS_PREFIX}${process.pid}-probe`;
  try {
    ip('netns', 'add', probe);
    ip('netns', 'del', probe);
  } catch (err) {
    return `cannot create a network namespace: ${(err as Error).message.split('\n')[0]}`;
  }
  return null;
}

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function inNs(ns: string, cmd: string, ...args: string[]): string {
  return execFileSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

const alive = (pid: number): boolean => existsSync(`/proc/${pid}`);

/**
 * Remove the namespaces and links of runs whose process is gone (a run killed before its
 * clean-up), with the processes still in those namespaces. Returns what was removed.
 */
export function sweepStale(): string[] {
  const removed: string[] = [];
  const namespaces = ip('netns', 'list').split('\n').map((l) => l.split(' ')[0]!).filter(Boolean);
  for (const ns of namespaces) {
    const m = NS_RE.exec(ns);
    if (!m || alive(Number(m[1]))) continue;
    killNsProcesses(ns);
    ip('netns', 'del', ns);
    removed.push(ns);
  }
  for (const link of readdirSync('/sys/class/net')) {
    const m = LINK_RE.exec(link);
    if (!m || alive(Number(m[1]))) continue;
    try {
      ip('link', 'del', link);
      removed.push(link);
    } catch {
      // the other end of a pair, gone with it
    }
  }
  return removed;
}

function killNsProcesses(ns: string): void {
  let pids: number[] = [];
  try {
    pids = ip('netns', 'pids', ns).split('\n').filter(Boolean).map(Number);
  } catch {
    return;
  }
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

export interface Host {
  name: string;
  ns: string;
  ip: string;
  /** Its end of the veth pair on the bridge (root namespace). */
  outer: string;
}

/** A bridge with hosts on it; cut and heal links; close() removes it all. */
export class TestNet {
  readonly id = process.pid;
  readonly bridge = `cf${this.id}b`;
  readonly hosts = new Map<string, Host>();
  /** The root namespace's address on the bridge: this test process, as a peer. */
  readonly rootIp: string;
  private readonly subnet: string;
  private readonly children = new Set<ChildProcess>();
  private readonly cuts = new Map<string, Set<string>>();
  private readonly slowed = new Set<string>();
  private closed = false;
  private readonly onExit = () => this.closeSync();

  constructor() {
    // One /24 of 198.18.0.0/15 per run, chosen by pid, skipping one some other run has.
    let n = this.id % 512;
    const routes = ip('-4', 'route', 'show').split('\n');
    const used = (s: string) => routes.some((r) => r.startsWith(`${s}.0/24`));
    let subnet = '';
    for (let i = 0; i < 512; i++, n = (n + 1) % 512) {
      subnet = `198.${18 + (n >> 8)}.${n & 255}`;
      if (!used(subnet)) break;
    }
    this.subnet = subnet;
    this.rootIp = `${subnet}.1`;
    process.once('exit', this.onExit);
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => (this.closeSync(), process.exit(130)));
    ip('link', 'add', this.bridge, 'type', 'bridge');
    ip('addr', 'add', `${this.rootIp}/24`, 'dev', this.bridge);
    ip('link', 'set', this.bridge, 'up');
  }

  /** A namespace `cfnet-<pid>-<name>` on the bridge, at the next address. */
  addHost(name: string): Host {
    const index = this.hosts.size + 2;
    const ns = `${NS_PREFIX}${this.id}-${name}`;
    const outer = `cf${this.id}h${index}`;
    const inner = `cf${this.id}i${index}`;
    const host: Host = { name, ns, ip: `${this.subnet}.${index}`, outer };
    ip('netns', 'add', ns);
    this.hosts.set(name, host);
    ip('link', 'add', outer, 'type', 'veth', 'peer', 'name', inner);
    ip('link', 'set', inner, 'netns', ns);
    inNs(ns, 'ip', 'link', 'set', inner, 'name', 'eth0');
    inNs(ns, 'ip', 'addr', 'add', `${host.ip}/24`, 'dev', 'eth0');
    inNs(ns, 'ip', 'link', 'set', 'eth0', 'up');
    inNs(ns, 'ip', 'link', 'set', 'lo', 'up');
    ip('link', 'set', outer, 'master', this.bridge);
    ip('link', 'set', outer, 'up');
    // The drop class, unused until a cut; everything else passes (default class, no real limit).
    for (const [dev, where] of [['eth0', ns], [outer, null]] as const) {
      const tc = (...a: string[]) => (where ? inNs(where, 'tc', ...a) : execFileSync('tc', a, { stdio: 'pipe' }));
      tc('qdisc', 'add', 'dev', dev, 'root', 'handle', '1:', 'htb', 'default', '1', 'r2q', '100000');
      tc('class', 'add', 'dev', dev, 'parent', '1:', 'classid', '1:1', 'htb', 'rate', '10gbit');
      tc('class', 'add', 'dev', dev, 'parent', '1:', 'classid', '1:2', 'htb', 'rate', '10gbit');
      tc('qdisc', 'add', 'dev', dev, 'parent', '1:2', 'handle', '20:', 'pfifo', 'limit', '0');
    }
    this.cuts.set(name, new Set());
    return host;
  }

  host(name: string): Host {
    const h = this.hosts.get(name);
    if (!h) throw new Error(`no test host ${name}`);
    return h;
  }

  /**
   * Cut `name` off from `peers` (host names, or 'root' for this process; none: from
   * everything): packets both ways are dropped from now on.
   */
  cut(name: string, peers: string[] = []): void {
    const h = this.host(name);
    const addrs = peers.length === 0 ? ['0.0.0.0/0'] : peers.map((p) => `${p === 'root' ? this.rootIp : this.host(p).ip}/32`);
    for (const a of addrs) {
      if (this.cuts.get(name)!.has(a)) continue;
      this.cuts.get(name)!.add(a);
      inNs(h.ns, 'tc', 'filter', 'add', 'dev', 'eth0', 'parent', '1:', 'protocol', 'ip', 'prio', '1', 'u32', 'match', 'ip', 'dst', a, 'flowid', '1:2');
      execFileSync('tc', ['filter', 'add', 'dev', h.outer, 'parent', '1:', 'protocol', 'ip', 'prio', '1', 'u32', 'match', 'ip', 'src', a, 'flowid', '1:2'], { stdio: 'pipe' });
    }
  }

  /** Make what `peer` sends to `name` crawl at `rate` (tc's units, e.g. 64kbit): a store answering slowly. */
  slow(name: string, peer: string, rate: string): void {
    const h = this.host(name);
    const tc = (...a: string[]) => execFileSync('tc', a, { stdio: 'pipe' });
    tc('class', 'replace', 'dev', h.outer, 'parent', '1:', 'classid', '1:3', 'htb', 'rate', rate, 'ceil', rate);
    tc('filter', 'add', 'dev', h.outer, 'parent', '1:', 'protocol', 'ip', 'prio', '3', 'u32', 'match', 'ip', 'src', `${this.host(peer).ip}/32`, 'flowid', '1:3');
    this.slowed.add(name);
  }

  /** Restore every link of `name`. */
  heal(name: string): void {
    const h = this.host(name);
    if (this.slowed.delete(name)) execFileSync('tc', ['filter', 'del', 'dev', h.outer, 'parent', '1:', 'prio', '3'], { stdio: 'pipe' });
    if (this.cuts.get(name)!.size === 0) return;
    inNs(h.ns, 'tc', 'filter', 'del', 'dev', 'eth0', 'parent', '1:', 'prio', '1');
    execFileSync('tc', ['filter', 'del', 'dev', h.outer, 'parent', '1:', 'prio', '1'], { stdio: 'pipe' });
    this.cuts.get(name)!.clear();
  }

  /**
   * A NAT or load balancer with an idle timeout on `name`'s link: every 500 ms, each TCP
   * connection of the host that has sent, received and had acknowledged nothing for
   * `idleMs` (ss: lastsnd, lastrcv, lastack — a keepalive probe's answer counts) is
   * forgotten: its packets are dropped both ways from then on, as a NAT that lost the
   * mapping does. Returns the flows forgotten so far and a stop function.
   */
  forgetIdleFlows(name: string, idleMs: number): { forgotten: string[]; stop(): void } {
    const h = this.host(name);
    const forgotten: string[] = [];
    const timer = setInterval(() => {
      let out = '';
      try {
        out = inNs(h.ns, 'ss', '-tinH', 'state', 'established');
      } catch {
        return;
      }
      // One connection per two lines: addresses, then the info with last* times.
      const lines = out.split('\n');
      for (let i = 0; i + 1 < lines.length; i++) {
        const a = /(\d+\.\d+\.\d+\.\d+):(\d+)\s+(\d+\.\d+\.\d+\.\d+):(\d+)/.exec(lines[i]!);
        if (!a) continue;
        const info = lines[i + 1]!;
        const last = ['lastsnd', 'lastrcv', 'lastack'].map((k) => Number(new RegExp(`${k}:(\\d+)`).exec(info)?.[1] ?? 0));
        const flow = `${a[1]}:${a[2]}>${a[3]}:${a[4]}`;
        if (Math.min(...last) < idleMs || forgotten.includes(flow) || a[1] !== h.ip) continue;
        forgotten.push(flow);
        const [, lip, lport, pip, pport] = a;
        inNs(h.ns, 'tc', 'filter', 'add', 'dev', 'eth0', 'parent', '1:', 'protocol', 'ip', 'prio', '2', 'u32',
          'match', 'ip', 'dst', `${pip}/32`, 'match', 'ip', 'sport', lport!, '0xffff', 'match', 'ip', 'dport', pport!, '0xffff', 'flowid', '1:2');
        execFileSync('tc', ['filter', 'add', 'dev', h.outer, 'parent', '1:', 'protocol', 'ip', 'prio', '2', 'u32',
          'match', 'ip', 'src', `${pip}/32`, 'match', 'ip', 'sport', pport!, '0xffff', 'match', 'ip', 'dport', lport!, '0xffff', 'flowid', '1:2'], { stdio: 'pipe' });
      }
    }, 500);
    return { forgotten, stop: () => clearInterval(timer) };
  }

  /** Packets dropped by the cuts of `name` so far, both directions (proof the cut bit). */
  dropped(name: string): number {
    const h = this.host(name);
    const parse = (out: string) => Number(/pfifo 20:[^\n]*\n\s*Sent \d+ bytes \d+ pkt \(dropped (\d+)/.exec(out)?.[1] ?? 0);
    return parse(inNs(h.ns, 'tc', '-s', 'qdisc', 'show', 'dev', 'eth0')) + parse(execFileSync('tc', ['-s', 'qdisc', 'show', 'dev', h.outer], { encoding: 'utf8' }));
  }

  /** Start `cmd args` inside host `name`'s namespace; stopped by close() if still running. */
  spawn(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv, opts: { user?: string } = {}): NetProcess {
    const h = this.host(name);
    const full = opts.user ? ['runuser', '-u', opts.user, '--', cmd, ...args] : [cmd, ...args];
    const child = spawn('ip', ['netns', 'exec', h.ns, ...full], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const p = new NetProcess(child);
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    return p;
  }

  async close(): Promise<void> {
    await Promise.all([...this.children].map((c) => stop(c)));
    this.closeSync();
  }

  /** What must happen even on process exit: kill what runs in our namespaces, remove them. */
  closeSync(): void {
    if (this.closed) return;
    this.closed = true;
    process.removeListener('exit', this.onExit);
    for (const c of this.children) c.kill('SIGKILL');
    for (const h of this.hosts.values()) {
      killNsProcesses(h.ns);
      try {
        ip('netns', 'del', h.ns);
      } catch {
        // gone already
      }
    }
    for (const link of [this.bridge, ...[...this.hosts.values()].map((h) => h.outer)]) {
      if (existsSync(`/sys/class/net/${link}`)) {
        try {
          ip('link', 'del', link);
        } catch {
          // removed with its namespace
        }
      }
    }
  }
}

/** A process on a test host, with its output kept. */
export class NetProcess {
  stdout = '';
  stderr = '';
  readonly done: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  constructor(readonly child: ChildProcess) {
    child.stdout!.on('data', (d: Buffer) => (this.stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.done = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  }
  get pid(): number {
    return this.child.pid!;
  }
  async stop(): Promise<void> {
    await stop(this.child);
  }
}

async function stop(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await once(child, 'exit');
  clearTimeout(timer);
}

/** Our namespaces still present (the suites assert none is left after close()). */
export function ourNamespaces(pid = process.pid): string[] {
  return ip('netns', 'list').split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(`${NS_PREFIX}${pid}-`));
}

/** The PostgreSQL server binary directory (the newest of /usr/lib/postgresql/N/bin, or COPYFLEET_PG_BINDIR). */
export function pgBinDir(): string {
  if (process.env.COPYFLEET_PG_BINDIR) return process.env.COPYFLEET_PG_BINDIR;
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).filter((v) => existsSync(`${base}/${v}/bin/postgres`)).sort((a, b) => Number(b) - Number(a)) : [];
  if (versions.length === 0) throw new Error('no PostgreSQL server found under /usr/lib/postgresql (make setup installs one)');
  return `${base}/${versions[0]}/bin`;
}

export const readProc = (pid: number, what: string): string => readFileSync(`/proc/${pid}/${what}`, 'utf8');
