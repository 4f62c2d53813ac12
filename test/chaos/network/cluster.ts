// A copyfleet deployment on test hosts (netns.ts): PostgreSQL, Redis and the S3-compatible
// server each on a host of its own, every worker on its own host, the splitter (`copyfleet
// split --wait`, which also supervises the run) on one, the compactor and the reporter on
// another. The services are private to the suite (their own data directories, ports and
// addresses) and run with their stock settings: the bounds under test are the ones copyfleet
// sets for its own sessions (libs/db/src/pool.ts), not the server's.
import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLI, uniqueName } from '@copyfleet/testing';
import pg from 'pg';
import { startLocalS3, type LocalS3 } from '../../../libs/source/src/s3.fixture.js';
import { waitFor } from '../harness.js';
import { pgBinDir, sweepStale, TestNet, type NetProcess } from './netns.js';

export interface Cluster {
  net: TestNet;
  /** This process's pool on the suite's PostgreSQL (through the bridge). */
  pool: pg.Pool;
  databaseUrl: string;
  redisUrl: string;
  s3: LocalS3 | null;
  dir: string;
  /** Environment of every copyfleet process of a case. */
  env(overrides?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  /** `copyfleet <role>` on test host `host`. */
  start(host: string, args: string[], env: NodeJS.ProcessEnv): NetProcess;
  close(): Promise<void>;
}

export async function startCluster(opts: { workers: number; s3?: boolean }): Promise<Cluster> {
  const stale = sweepStale();
  if (stale.length > 0) process.stderr.write(`network suite: removed what a killed run left: ${stale.join(', ')}\n`);
  const net = new TestNet();
  const dir = mkdtempSync(join(tmpdir(), 'cfnet-'));
  let pool: pg.Pool | null = null;
  let s3: LocalS3 | null = null;
  try {
    for (const h of ['pg', 'redis', ...(opts.s3 ? ['s3'] : []), 'split', 'ctl', ...Array.from({ length: opts.workers }, (_, i) => `w${i + 1}`)]) net.addHost(h);
    // PostgreSQL: initdb as the postgres user into a directory of ours, listening on its host's address.
    const data = join(dir, 'pg');
    chmodSync(dir, 0o755);
    execFileSync('mkdir', ['-p', data]);
    chownSync(data, uid('postgres'), gid('postgres'));
    const bin = pgBinDir();
    execFileSync('runuser', ['-u', 'postgres', '--', `${bin}/initdb`, '-D', data, '-U', 'copyfleet', '--auth=trust', '-E', 'UTF8', '--locale=C'], { stdio: 'pipe' });
    // Trust on the harness's own subnet only (the test hosts; nothing else can reach it).
    appendFileSync(join(data, 'pg_hba.conf'), `host all all ${net.rootIp.replace(/\.1$/, '.0')}/24 trust\n`);
    const pgHost = net.host('pg');
    const server = net.spawn('pg', `${bin}/postgres`, ['-D', data, '-p', '5432', '-k', data, '-c', `listen_addresses=${pgHost.ip}`, '-c', 'max_connections=100', '-c', 'fsync=off'], {}, { user: 'postgres' });
    const admin = `postgres://copyfleet@${pgHost.ip}:5432/postgres`;
    await waitFor('the test hosts\' PostgreSQL', async () => {
      const c = new pg.Client({ connectionString: admin, connectionTimeoutMillis: 1000 });
      await c.connect();
      await c.query('CREATE DATABASE copyfleet');
      await c.end();
      return true;
    }, 30_000, 200).catch((err: Error) => {
      throw new Error(`${err.message}\n${server.stderr.slice(-2000)}`);
    });
    const databaseUrl = `postgres://copyfleet@${pgHost.ip}:5432/copyfleet`;
    pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
    pool.on('error', () => undefined);
    // Redis: no persistence needed, the suite's own.
    const redisHost = net.host('redis');
    net.spawn('redis', 'redis-server', ['--port', '6379', '--bind', redisHost.ip, '--save', '', '--appendonly', 'no', '--protected-mode', 'no', '--maxmemory-policy', 'noeviction'], {});
    const redisUrl = `redis://${redisHost.ip}:6379`;
    await waitFor('the test hosts\' Redis', async () => execFileSync('redis-cli', ['-u', redisUrl, 'ping'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() === 'PONG', 15_000, 100);
    if (opts.s3) s3 = await startLocalS3({ address: net.host('s3').ip, prefix: ['ip', 'netns', 'exec', net.host('s3').ns] });
    const p = pool;
    const s = s3;
    return {
      net,
      pool: p,
      databaseUrl,
      redisUrl,
      s3: s,
      dir,
      env(overrides = {}) {
        const { DATABASE_URL: _d, REDIS_URL: _r, COPYFLEET_FAILPOINTS: _f, ...rest } = process.env;
        return {
          ...rest,
          DATABASE_URL: databaseUrl,
          REDIS_URL: redisUrl,
          QUEUE_PREFIX: uniqueName('cfnet'),
          REPORTS_DIR: join(dir, 'reports'),
          STAGING_DIR: join(dir, 'staging'),
          LOG_LEVEL: 'warn',
          METRICS_PORT: 'off',
          ...(s ? s.env : {}),
          ...overrides,
        };
      },
      start(host, args, env) {
        return net.spawn(host, process.execPath, [CLI, ...args], env);
      },
      async close() {
        await net.close();
        await p.end().catch(() => undefined);
        await s?.close().catch(() => undefined);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    net.closeSync();
    await pool?.end().catch(() => undefined);
    await s3?.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

const uid = (user: string): number => Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
const gid = (user: string): number => Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());

/** The processes of one load: workers on their hosts, compactor and reporter, and the splitter (`split --wait`). */
export interface Deployment {
  workers: NetProcess[];
  others: NetProcess[];
  splitter: NetProcess;
  /** Wait for the splitter to end; fails after `boundMs` naming the bound. */
  finished(boundMs: number): Promise<number>;
  stop(): Promise<void>;
}

export function deploy(c: Cluster, inputs: string[], table: string, env: NodeJS.ProcessEnv, workerEnv: (i: number) => NodeJS.ProcessEnv = () => ({})): Deployment {
  const workers: NetProcess[] = [];
  for (const [name] of c.net.hosts) {
    const m = /^w(\d+)$/.exec(name);
    if (m) workers.push(c.start(name, ['worker'], { ...env, ...workerEnv(Number(m[1])) }));
  }
  const others = [c.start('ctl', ['compactor'], env), c.start('ctl', ['reporter'], env)];
  const splitter = c.start('split', ['split', ...inputs, '--table', table, '--wait'], env);
  const t0 = Date.now();
  return {
    workers,
    others,
    splitter,
    async finished(boundMs) {
      const timer = sleep(boundMs).then(() => 'late' as const);
      const r = await Promise.race([splitter.done, timer]);
      if (r === 'late') {
        throw new Error(`the run did not finish within its bound of ${boundMs / 1000} s\nsplitter: ${splitter.stdout}${splitter.stderr}\nworkers: ${workers.map((w) => w.stderr).join('\n')}`);
      }
      if (r.code !== 0) throw new Error(`split --wait exited ${r.code ?? r.signal}:\n${splitter.stdout}${splitter.stderr}\nworkers: ${workers.map((w) => w.stderr).join('\n')}`);
      return Date.now() - t0;
    },
    async stop() {
      await Promise.all([...workers, ...others, splitter].map((p) => p.stop()));
    },
  };
}

/** The worker session holding a loading transaction open (idle in it: between its COPY and COMMIT), with its process id. */
export async function loadingSession(pool: pg.Pool): Promise<{ pid: number; backend: number; app: string } | null> {
  const { rows } = await pool.query<{ app: string; backend: number }>(
    `SELECT application_name AS app, pid AS backend FROM pg_stat_activity
      WHERE application_name LIKE 'copyfleet-worker-%' AND state = 'idle in transaction' AND xact_start < now() - interval '100 ms' LIMIT 1`,
  );
  const r = rows[0];
  return r ? { pid: Number(r.app.replace('copyfleet-worker-', '')), backend: r.backend, app: r.app } : null;
}
