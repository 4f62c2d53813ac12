// What the fault-injection suites share: an input with a unique key and known totals, the
// exactness check (rows, key uniqueness, a column checksum, the ledger), bounded polling,
// the processes of a running `copyfleet load`, the queue as the workers see it, the private
// services that `make chaos` may restart, and the results table RELIABILITY.md quotes.
import { execFile } from 'node:child_process';
import { createWriteStream, appendFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { createRedis, Queues } from '@copyfleet/queue';
import { rng, runCli, testServices } from '@copyfleet/testing';
import type pg from 'pg';
import { expect } from 'vitest';
import { one } from '../helpers.js';

export interface KeyedTotals {
  rows: number;
  /** sum(id) for ids 1..rows. */
  idSum: number;
  /** sum(amount) × 100, exact. */
  amountCents: number;
}

/**
 * keyed.csv: id (unique, 1..rows), day (2023, monthly partitions), amount (2 decimals),
 * note (every `quotedNewlineEvery`-th one quoted with a newline inside).
 */
export async function writeKeyedCsv(path: string, opts: { rows: number; seed?: number; quotedNewlineEvery?: number }): Promise<KeyedTotals> {
  const r = rng(opts.seed ?? 7);
  const out = createWriteStream(path);
  let buf = 'id,day,amount,note\n';
  let amountCents = 0;
  for (let id = 1; id <= opts.rows; id++) {
    const cents = Math.floor(r() * 1_000_000);
    amountCents += cents;
    const day = new Date(Date.UTC(2023, 0, 1) + Math.floor(r() * 365) * 86_400_000).toISOString().slice(0, 10);
    const note = opts.quotedNewlineEvery && id % opts.quotedNewlineEvery === 0 ? '"two\nlines, one ""quote"""' : r() < 0.5 ? 'plain' : '';
    buf += `${id},${day},${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')},${note}\n`;
    if (buf.length > 1 << 16) {
      if (!out.write(buf)) await once(out, 'drain');
      buf = '';
    }
  }
  out.end(buf);
  await once(out, 'finish');
  return { rows: opts.rows, idSum: (opts.rows * (opts.rows + 1)) / 2, amountCents };
}

/** The table holds exactly the file: every key once, and the column checksum. */
export async function expectExactTable(pool: pg.Pool, table: string, totals: KeyedTotals): Promise<void> {
  const t = await one(pool, `SELECT count(*)::int AS n, count(DISTINCT id)::int AS keys, sum(id)::bigint::text AS ids,
                                    (sum(amount) * 100)::bigint::text AS cents FROM ${table}`);
  expect(t).toEqual({ n: totals.rows, keys: totals.rows, ids: String(totals.idSum), cents: String(totals.amountCents) });
}

export interface LedgerTotals {
  chunks: number;
  attempts: number;
  maxAttempts: number;
}

/** The ledger agrees: every chunk loaded once, none dead, rows add up; returns the attempts made. */
export async function expectLedger(pool: pg.Pool, runId: string, rows: number): Promise<LedgerTotals> {
  const l = await one<{ chunks: number; loaded: number; dead: number; rows: number; attempts: number; max_attempts: number; planned: number; status: string }>(pool,
    `SELECT count(*)::int AS chunks, count(loaded_at)::int AS loaded, count(dead_at)::int AS dead, sum(rows_loaded)::int AS rows,
            sum(attempts)::int AS attempts, max(attempts)::int AS max_attempts,
            (SELECT chunks_total FROM copyfleet.runs WHERE run_id = $1) AS planned,
            (SELECT status FROM copyfleet.runs WHERE run_id = $1) AS status
       FROM copyfleet.chunks WHERE run_id = $1`, [runId]);
  expect(l).toMatchObject({ chunks: l.planned, loaded: l.planned, dead: 0, rows, status: 'done' });
  return { chunks: l.chunks, attempts: l.attempts, maxAttempts: l.max_attempts };
}

/**
 * Poll `probe` until it returns something other than null/undefined/false, or fail
 * after `timeoutMs` naming what was awaited. Errors count as "not yet" (services may be
 * restarting), and the last one is reported.
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 60_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = null;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== null && v !== undefined && v !== false) return v;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`);
}

/** Child processes of `parent` whose command line has `arg` (e.g. the workers of a `copyfleet load`). */
export function childPids(parent: number, arg: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const [state, ppid] = readFileSync(`/proc/${entry}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
      if (Number(ppid) !== parent || state === 'Z') continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').includes(arg)) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

/** Whether process `pid` still runs (a zombie does not). */
export function alive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0] !== 'Z';
  } catch {
    return false;
  }
}

/** The run of a table, once the splitter has recorded it. */
export async function runOf(pool: pg.Pool, table: string): Promise<string> {
  return waitFor(`the run of ${table}`, async () => {
    const { rows } = await pool.query<{ run_id: string }>('SELECT max(run_id)::text AS run_id FROM copyfleet.runs WHERE target_table = $1', [`public.${table}`]);
    return rows[0]?.run_id ?? null;
  });
}

/** The queues as the workers see them (same prefix), from this process. */
export function queuesFor(env: NodeJS.ProcessEnv): Queues {
  return new Queues(createRedis(testServices().redisUrl, { blocking: false }), { prefix: env.QUEUE_PREFIX!, attempts: 1, backoffMs: 1, onError: () => undefined });
}

export async function closeQueues(q: Queues): Promise<void> {
  await q.close();
  q.connection.disconnect();
}

/** `copyfleet status RUN --json`, as a user or a script would call it. */
export async function statusOf(runId: string, env: NodeJS.ProcessEnv): Promise<Record<string, any>> {
  const res = await runCli(['status', runId, '--json'], env);
  if (res.code !== 0) throw new Error(`copyfleet status failed (${res.code}): ${res.stderr}`);
  return JSON.parse(res.stdout) as Record<string, any>;
}

/**
 * scripts/services.sh of the private PostgreSQL and Redis that `make chaos` starts for
 * these suites (scripts/chaos.sh), so restarting them disturbs nobody else's tests.
 */
export async function chaosServices(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const script = process.env.COPYFLEET_CHAOS_SERVICES;
  if (!script) throw new Error('COPYFLEET_CHAOS_SERVICES is not set: restarting services is only done under `make chaos` (scripts/chaos.sh)');
  // Like scripts/chaos.sh: the script finds its instances from its own .env, not from our URLs.
  const { DATABASE_URL: _db, REDIS_URL: _redis, ...rest } = process.env;
  const { stdout } = await promisify(execFile)('bash', [script, ...args], { timeout: 180_000, env: { ...rest, ...env } });
  return stdout;
}

/** Stop the chaos Redis without saving (it comes back from its append-only file). */
export async function stopRedis(): Promise<void> {
  await promisify(execFile)('redis-cli', ['-p', String(redisPort()), 'shutdown', 'nosave']).catch(() => undefined);
  await waitFor('Redis to stop', async () => {
    const ok = await promisify(execFile)('redis-cli', ['-p', String(redisPort()), 'ping']).then(() => false, () => true);
    return ok;
  }, 15_000);
}

/** The port of the chaos Redis (from REDIS_URL). */
export function redisPort(): number {
  return Number(new URL(testServices().redisUrl).port);
}

/** One row of the fault matrix: appended to $CHAOS_RESULTS (scripts/chaos.sh prints the table). */
export function recordResult(row: { case: string; seconds: number; exact: boolean; [k: string]: unknown }): void {
  const file = process.env.CHAOS_RESULTS;
  if (!file) return;
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(file, `${JSON.stringify(row)}\n`);
}
