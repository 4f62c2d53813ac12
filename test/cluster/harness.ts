// The pieces the cluster tests start for real: a scratch database of their own (the splitter
// service adopts every unfinished run of its ledger at start-up, so it must not see the runs
// other suites leave behind), the worker, compactor and reporter processes, and the
// `copyfleet splitter-service` process.
import type { ChildProcess } from 'node:child_process';
import { startCli, testServices, uniqueName, type CliResult } from '@copyfleet/testing';
import pg from 'pg';

export interface ScratchDb {
  url: string;
  pool: pg.Pool;
  drop(): Promise<void>;
}

export async function scratchDatabase(): Promise<ScratchDb> {
  const admin = testServices().databaseUrl;
  const name = uniqueName('cf_cluster');
  const adminPool = new pg.Pool({ connectionString: admin, max: 1 });
  await adminPool.query(`CREATE DATABASE ${name}`);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 4 });
  pool.on('error', () => undefined);
  return {
    url: url.toString(),
    pool,
    async drop() {
      await pool.end();
      // Connections closing now would get FORCE's termination as an unhandled error: let them go first.
      for (let i = 0; i < 50; i++) {
        const { rows } = await adminPool.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [name]);
        if (rows[0]!.n === 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      await adminPool.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await adminPool.end();
    },
  };
}

export interface Proc {
  child: ChildProcess;
  done: Promise<CliResult>;
  stop(): Promise<CliResult>;
}

export function startProc(args: string[], env: NodeJS.ProcessEnv): Proc {
  const p = startCli(args, env);
  return {
    ...p,
    async stop() {
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
      return p.done;
    },
  };
}

/** Workers, compactor and reporter: what a cluster runs beside the splitter. */
export function startFleet(env: NodeJS.ProcessEnv, workers = 1): Proc[] {
  const procs = [];
  for (let i = 0; i < workers; i++) procs.push(startProc(['worker'], env));
  procs.push(startProc(['compactor'], env), startProc(['reporter'], env));
  return procs;
}

/** `copyfleet splitter-service`, resolved with its URL once it says where it listens. */
export async function startService(env: NodeJS.ProcessEnv): Promise<Proc & { url: string; output(): string }> {
  const p = startProc(['splitter-service'], { SPLITTER_PORT: '0', METRICS_PORT: 'off', ...env });
  let out = '';
  let err = '';
  p.child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    p.child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /splitter service on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    void p.done.then((r) => reject(new Error(`splitter-service exited (${r.code}): ${r.stderr}`)));
  });
  return { ...p, url, output: () => out + err };
}

/** Poll GET /api/runs/:id until the run has ended. */
export async function waitForEnd(url: string, runId: string, headers: Record<string, string>, timeoutMs = 60_000): Promise<RunViewJson> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${url}/api/runs/${runId}`, { headers });
    const view = (await res.json()) as RunViewJson;
    if (view.ended) return view;
    if (Date.now() > until) throw new Error(`run ${runId} did not end within ${timeoutMs} ms: ${JSON.stringify(view.run)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface RunViewJson {
  run: { run_id: string; status: string; rows_loaded: string; rows_rejected: string; target_table: string; message: string | null };
  progress: { chunksDone: number; chunksTotal: number; rowsLoaded: number };
  report: { status: string; rows: { loaded: number; rejected: number } };
  ended: boolean;
  filesNote: string | null;
  exitCode: number | null;
}

/** A small CSV of `rows` records (id, day, amount) and its size in bytes. */
export function csvText(rows: number, from = 0): string {
  const lines = ['id,day,amount'];
  for (let i = from; i < from + rows; i++) lines.push(`${i},2026-0${1 + (i % 9)}-1${i % 10},${(i * 1.25).toFixed(2)}`);
  return `${lines.join('\n')}\n`;
}
