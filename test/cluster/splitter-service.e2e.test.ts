// The splitter service (`copyfleet splitter-service`) against the real PostgreSQL and Redis,
// with real worker, compactor and reporter processes: loads submitted over HTTP end with
// exact row counts, bad requests get a 4xx that says what is wrong, the token is required,
// readiness follows the schema version, and a run nobody follows any more is finalized by
// a service started later — by one replica, not two.
import { writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@copyfleet/config';
import { createLogger, openContext, type Context } from '@copyfleet/run';
import { Finalizer, readiness, startSplitterService } from '@copyfleet/splitter-service';
import { createRedis } from '@copyfleet/queue';
import { runCli, testServices, uniqueName } from '@copyfleet/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2e } from '../helpers.js';
import { csvText, scratchDatabase, startFleet, startService, waitForEnd, type Proc, type ScratchDb } from './harness.js';

const TOKEN = 'splitter-token-0123456789';
const auth = { Authorization: `Bearer ${TOKEN}` };
const t = e2e();
let db: ScratchDb;
let env: NodeJS.ProcessEnv;
let fleet: Proc[] = [];
let service: Awaited<ReturnType<typeof startService>>;

beforeAll(async () => {
  db = await scratchDatabase();
  // Short locks: a stalled run is looked at after 10 s (superviseRun), not 45.
  env = { ...t.env, DATABASE_URL: db.url, CHUNK: '16KiB', SPLITTER_TOKEN: TOKEN, LOCK_DURATION_MS: '3000', STALLED_INTERVAL_MS: '1000' };
  fleet = startFleet(env);
  service = await startService(env);
});
afterAll(async () => {
  await service?.stop();
  await Promise.all(fleet.map((p) => p.stop()));
  await db?.drop();
  await t.close();
});

const post = (path: string, body: unknown, headers: Record<string, string> = auth) =>
  fetch(`${service.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

describe('POST /api/loads', () => {
  it('loads a CSV file: 202 with the started run, then GET shows it done with the exact row count', async () => {
    const file = join(t.dir, 'orders.csv');
    writeFileSync(file, csvText(3000));
    const table = uniqueName('svc_orders');
    const res = await post('/api/loads', { inputs: [file], table });
    expect(res.status).toBe(202);
    const started = (await res.json()) as { runId: string; files: number; chunks: number; bytes: number; table: string; resumed: boolean };
    expect(started).toMatchObject({ files: 1, table: `public.${table}`, resumed: false });
    expect(started.chunks).toBeGreaterThan(1);
    const view = await waitForEnd(service.url, started.runId, auth);
    expect(view.run.status).toBe('done');
    expect(view.exitCode).toBe(0);
    expect(view.run.rows_loaded).toBe('3000');
    expect(view.report.rows).toMatchObject({ loaded: 3000, rejected: 0 });
    expect((await db.pool.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n).toBe(3000);
  });

  it('loads with a dataset spec given as text: its table, key and columns apply', async () => {
    const file = join(t.dir, 'dupes.csv');
    // 500 records, ids 0-249 twice: the key keeps one row per id.
    writeFileSync(file, csvText(250) + csvText(250).split('\n').slice(1).join('\n'));
    const table = uniqueName('svc_spec');
    const spec = `table:\n  name: ${table}\n  partition: none\n  key: [id]\ncolumns:\n  - { name: id, column: id, type: bigint }\n  - { name: day, column: day, type: date }\n  - { name: amount, column: amount, type: numeric }\n`;
    const res = await post('/api/loads', { inputs: [file], spec });
    expect(res.status).toBe(202);
    const { runId } = (await res.json()) as { runId: string };
    const view = await waitForEnd(service.url, runId, auth);
    expect(view.run.status).toBe('done');
    expect(view.run.rows_loaded).toBe('500');
    const { rows } = await db.pool.query(`SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids FROM ${table}`);
    expect(rows[0]).toEqual({ n: 250, ids: 250 });
  });

  it('refuses bad requests with a 4xx that says what is wrong', async () => {
    const cases: [unknown, number, RegExp][] = [
      [{}, 400, /no input given: name a file/],
      [{ inputs: 'x.csv' }, 400, /inputs: .*expected array/i],
      [{ inputs: ['/x.csv'], tabel: 'x' }, 400, /bad load request: .*tabel/],
      [{ inputs: [join(t.dir, 'missing.csv')] }, 400, /missing\.csv/],
      [{ inputs: [join(t.dir, 'orders.csv')], spec: 'table:\n  name: t\n  partiton: none\n' }, 400, /spec:3:3: table: .*partiton/],
      [{ inputs: ['/a.csv'], spec: 'x: 1', dataset: '/d.yaml' }, 400, /not both/],
      ['{not json', 400, /body is not JSON/],
      [{ spec: 'sources:\n  - { name: a, path: a.csv }\n  - { name: b, path: s3://x/b.csv }\n' }, 400, /a spec sent as text has no folder for its relative source paths \(a\.csv\): give data/],
    ];
    for (const [body, code, message] of cases) {
      const res = await post('/api/loads', body);
      const json = (await res.json()) as { error: string };
      expect(res.status, JSON.stringify(body)).toBe(code);
      expect(json.error, JSON.stringify(body)).toMatch(message);
      expect(json.error).not.toMatch(/copyfleet-spec-/); // the spec's temporary file is not named
    }
    expect((await fetch(`${service.url}/api/runs/99999999`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${service.url}/api/runs/abc`, { headers: auth })).status).toBe(404);
  });

  it('cancel and resume answer 409 for a run that is done, 404 for none', async () => {
    const file = join(t.dir, 'small.csv');
    writeFileSync(file, csvText(10));
    const { runId } = (await (await post('/api/loads', { inputs: [file], table: uniqueName('svc_small') })).json()) as { runId: string };
    await waitForEnd(service.url, runId, auth);
    const cancel = await post(`/api/runs/${runId}/cancel`, {});
    expect(cancel.status).toBe(409);
    expect(((await cancel.json()) as { error: string }).error).toMatch(/is done: only a planning or running run can be cancelled/);
    const resume = await post(`/api/runs/${runId}/resume`, {});
    expect(resume.status).toBe(409);
    expect(((await resume.json()) as { error: string }).error).toMatch(/is done: nothing to continue/);
    expect((await post('/api/runs/99999999/cancel', {})).status).toBe(404);
  });
});

describe('access', () => {
  it('needs the token, as a bearer or in X-Copyfleet-Token; health checks stay open', async () => {
    const none = await fetch(`${service.url}/api/runs/1`);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: string }).error).toMatch(/authentication required: send Authorization: Bearer <SPLITTER_TOKEN>/);
    expect((await fetch(`${service.url}/api/runs/1`, { headers: { Authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await post('/api/loads', { inputs: ['/x.csv'] }, {})).status).toBe(401);
    expect((await fetch(`${service.url}/api/runs/99999999`, { headers: { 'X-Copyfleet-Token': TOKEN } })).status).toBe(404);
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${service.url}/readyz`)).status).toBe(200);
  });

  it('off localhost it refuses to start without a token', async () => {
    const res = await runCli(['splitter-service'], { ...env, SPLITTER_HOST: '0.0.0.0', SPLITTER_PORT: '0', SPLITTER_TOKEN: '' });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/the splitter service would listen on 0\.0\.0\.0 with no credentials: set SPLITTER_TOKEN/);
  });

  const external = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
  it.runIf(external)('bound to a non-loopback address, a request from it without the token is refused', async () => {
    const ctx = await openContext(loadConfig({ databaseUrl: db.url, redisUrl: testServices().redisUrl }, { ...process.env, ...env, SPLITTER_HOST: external!, SPLITTER_PORT: '0' }), 'test');
    const svc = await startSplitterService(ctx, createLogger('test', 'error'));
    try {
      expect(svc.url).toContain(external!);
      const res = await fetch(`${svc.url}/api/runs/1`);
      expect(res.status).toBe(401);
      expect((await fetch(`${svc.url}/api/runs/99999999`, { headers: auth })).status).toBe(404);
    } finally {
      await svc.close();
      await ctx.close();
    }
  });
});

describe('readiness', () => {
  it('serves /healthz, /readyz and /metrics on METRICS_PORT like the other long-running processes', async () => {
    const svc = await startService({ ...env, METRICS_PORT: '0', LOG_LEVEL: 'info' });
    try {
      await expect.poll(() => /ops endpoint port=(\d+)/.test(svc.output()), { timeout: 5000 }).toBe(true);
      const port = /ops endpoint port=(\d+)/.exec(svc.output())![1]!;
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect([ready.status, await ready.text()]).toEqual([200, 'ready\n']);
      const metrics = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toMatch(/^# (HELP|TYPE) /m);
    } finally {
      await svc.stop();
    }
  });

  it('/readyz is ready at the expected schema version, not on a database without the schema', async () => {
    const ready = (await (await fetch(`${service.url}/readyz`)).json()) as { ready: boolean; schema: { current: number; expected: number } };
    expect(ready.ready).toBe(true);
    expect(ready.schema.current).toBe(ready.schema.expected);
    expect(ready.schema.expected).toBeGreaterThanOrEqual(4);
    // A database with no copyfleet schema: PostgreSQL answers, the schema is not there.
    const empty = await scratchDatabase();
    const pg = await import('pg');
    const pool = new pg.default.Pool({ connectionString: empty.url, max: 1 });
    try {
      const r = await readiness({ pool } as unknown as Context);
      expect(r).toMatchObject({ ready: false, postgres: 'ok', schema: { current: 0 } });
    } finally {
      await pool.end();
      await empty.drop();
    }
  });
});

describe('finalizing', () => {
  // The service of the tests above would adopt these runs too (it scans every 30 s): it goes first.
  beforeAll(async () => {
    await service.stop();
  });

  it('a run nobody follows, whose queued chunks were lost, is finalized by a service started later', async () => {
    // `copyfleet split` plans and queues the run, then exits: nobody follows it.
    const prefix = uniqueName('cflost');
    const lostEnv = { ...env, QUEUE_PREFIX: prefix };
    const file = join(t.dir, 'lost.csv');
    writeFileSync(file, csvText(1200));
    const table = uniqueName('svc_lost');
    const split = await runCli(['split', file, '--table', table], lostEnv);
    expect(split.code, split.stderr).toBe(0);
    const runId = (JSON.parse(split.stdout.trim().split('\n').at(-1)!) as { runId: string }).runId;
    // Redis loses the jobs (a restart without its AOF): workers alone can never finish the run.
    const redis = createRedis(testServices().redisUrl, { blocking: false });
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    const lostFleet = startFleet(lostEnv);
    try {
      // A fresh service adopts the run at start-up; its supervisor finds the chunks without jobs once
      // progress has stalled (10 s), queues them again, and the run goes to its end.
      const fresh = await startService({ ...lostEnv, LOG_LEVEL: 'info' });
      try {
        const view = await waitForEnd(fresh.url, runId, auth, 60_000);
        expect(view.run.status).toBe('done');
        expect(view.run.rows_loaded).toBe('1200');
        await expect.poll(() => fresh.output(), { timeout: 5000 }).toMatch(new RegExp(`run ${runId} done: 1200 rows loaded, 0 rejected`));
      } finally {
        await fresh.stop();
      }
    } finally {
      await Promise.all(lostFleet.map((p) => p.stop()));
    }
  }, 90_000);

  it('two replicas never follow one run: the second finds it claimed', async () => {
    const file = join(t.dir, 'claim.csv');
    writeFileSync(file, csvText(50));
    // A run that stays running: planned on a queue nobody consumes.
    const idleEnv = { ...env, QUEUE_PREFIX: uniqueName('cfidle') };
    const split = await runCli(['split', file, '--table', uniqueName('svc_claim')], idleEnv);
    const runId = (JSON.parse(split.stdout.trim().split('\n').at(-1)!) as { runId: string }).runId;
    const config = loadConfig({ databaseUrl: db.url, redisUrl: testServices().redisUrl }, { ...process.env, ...idleEnv });
    const [a, b] = [await openContext(config, 'test'), await openContext(config, 'test')];
    const log = createLogger('test', 'error');
    const [fa, fb] = [new Finalizer(a, log, { rescanMs: 60_000 }), new Finalizer(b, log, { rescanMs: 60_000 })];
    try {
      expect(await fa.follow(runId)).toBe(true);
      expect(await fb.follow(runId)).toBe(false);
      expect(fa.following).toContain(runId);
      expect(fb.following).not.toContain(runId);
      // The first replica goes away (its session ends): the second claims the run now.
      await fa.stop();
      expect(await fb.follow(runId)).toBe(true);
    } finally {
      await fa.stop();
      await fb.stop();
      await runCli(['cancel', runId], idleEnv);
      await a.close();
      await b.close();
    }
  });
});
