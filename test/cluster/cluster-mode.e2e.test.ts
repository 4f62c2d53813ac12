// `copyfleet load|status|cancel --cluster` end to end through a test Kubernetes API server
// (kube-api.ts: the real service-proxy and deployments/scale paths and shapes, recording the
// requests) to the real splitter service, workers, PostgreSQL, Redis and S3 (s3rver):
// the CLI reads a kubeconfig with a bearer token, goes through the service proxy, exits 0
// with the summary, never prints a token; the service scales the worker Deployment up for
// the run and back to its minimum with merge patches.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, startCli, uniqueName } from '@copyfleet/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalS3, type LocalS3 } from '../../libs/source/src/s3.fixture.js';
import { e2e } from '../helpers.js';
import { csvText, scratchDatabase, startFleet, startService, type Proc, type ScratchDb } from './harness.js';
import { startTestKubeApi, writeKubeconfig, type TestKubeApi } from './kube-api.js';

const SPLITTER_TOKEN = 'splitter-secret-a1b2c3d4e5';
const KUBE_TOKEN = 'kube-bearer-f6e5d4c3b2a1';
const NS = 'data';
const BUCKET = 'cf-cluster';
const t = e2e();
let s3: LocalS3;
let db: ScratchDb;
let fleet: Proc[] = [];
let service: Awaited<ReturnType<typeof startService>>;
let kube: TestKubeApi;
let cliEnv: NodeJS.ProcessEnv;

beforeAll(async () => {
  s3 = await startLocalS3();
  await s3.createBucket(BUCKET);
  db = await scratchDatabase();
  const env = { ...t.env, ...s3.env, DATABASE_URL: db.url, CHUNK: '16KiB', SPLITTER_TOKEN };
  fleet = startFleet(env);
  // The kube API server forwards to the service, and the service scales through the kube API server:
  // the service gets the kubeconfig once the API server's address is known.
  const kubeconfig = join(t.dir, 'kubeconfig');
  let target = '';
  kube = await startTestKubeApi({
    token: KUBE_TOKEN,
    service: { namespace: NS, name: 'copyfleet-splitter', portName: 'http', port: 8080, get target() { return target; } },
    deployments: { [`${NS}/copyfleet-worker`]: 0 },
  });
  writeKubeconfig(kubeconfig, kube.url, KUBE_TOKEN, NS);
  service = await startService({
    ...env,
    KUBECONFIG: kubeconfig,
    SCALE_WORKERS: 'true',
    WORKER_DEPLOYMENT: 'copyfleet-worker',
    POD_NAMESPACE: NS,
    SCALE_WORKERS_MIN: '0',
    SCALE_WORKERS_MAX: '3',
    CHUNKS_PER_WORKER: '2',
    SCALE_INTERVAL_MS: '100',
  });
  target = service.url;
  // The laptop's side: only a kubeconfig and the splitter token; no database, no Redis.
  cliEnv = { KUBECONFIG: kubeconfig, SPLITTER_TOKEN, DATABASE_URL: '', REDIS_URL: '', HOME: t.dir };
}, 60_000);
afterAll(async () => {
  await service?.stop();
  await Promise.all(fleet.map((p) => p.stop()));
  await kube?.close();
  await db?.drop();
  await s3?.close();
  await t.close();
});

describe('copyfleet load --cluster', () => {
  it('loads an S3 prefix through the API server proxy, exits 0 with the summary, and never prints a token', async () => {
    await s3.put(BUCKET, 'landing/2026-11-01.csv', Buffer.from(csvText(2000)));
    await s3.put(BUCKET, 'landing/2026-11-02.csv', Buffer.from(csvText(1500, 2000)));
    const table = uniqueName('cl_orders');
    const before = kube.requests.length;
    const res = await runCli(['load', '--cluster', `s3://${BUCKET}/landing/`, '--table', table], cliEnv);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toMatch(new RegExp(`run \\d+ started: s3://${BUCKET}/landing/ → public\\.${table}, 2 files, .* on the cluster \\(service copyfleet-splitter in namespace ${NS} \\(context test\\)\\)`));
    expect(res.stdout).toMatch(/^copyfleet: run \d+ done: 2 file\(s\): 2 loaded; 3500 rows loaded, 0 rejected, .* in [\d.]+ s \([\d.]+ MB\/s\)/);
    expect((await db.pool.query(`SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids FROM ${table}`)).rows[0]).toEqual({ n: 3500, ids: 3500 });

    const mine = kube.requests.slice(before);
    const proxy = `/api/v1/namespaces/${NS}/services/copyfleet-splitter:http/proxy`;
    const submit = mine.find((r) => r.method === 'POST' && r.path === `${proxy}/api/loads`);
    expect(submit, mine.map((r) => `${r.method} ${r.path}`).join('\n')).toBeDefined();
    expect(JSON.parse(submit!.body)).toEqual({ inputs: [`s3://${BUCKET}/landing/`], table });
    expect(mine.some((r) => r.method === 'GET' && new RegExp(`^${proxy}/api/runs/\\d+\\?report=false$`).test(r.path))).toBe(true);
    // Every request of the CLI authenticated to the API server with the kubeconfig's token; the splitter's in its own header.
    const fromCli = mine.filter((r) => r.path.startsWith(proxy));
    for (const r of fromCli) {
      expect(r.headers.authorization).toBe(`Bearer ${KUBE_TOKEN}`);
      expect(r.headers['x-copyfleet-token']).toBe(SPLITTER_TOKEN);
    }
    for (const secret of [KUBE_TOKEN, SPLITTER_TOKEN]) {
      expect(res.stdout + res.stderr).not.toContain(secret);
    }
  });

  it('status --cluster prints the run; cancel and resume --cluster of a done run say why not', async () => {
    const file = join(t.dir, 'one.csv');
    writeFileSync(file, csvText(40));
    const load = await runCli(['load', '--cluster', file, '--table', uniqueName('cl_one')], cliEnv);
    expect(load.code, load.stderr).toBe(0);
    const runId = /run (\d+) done: 40 rows loaded/.exec(load.stdout)![1]!;
    const status = await runCli(['status', '--cluster', runId], cliEnv);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`run ${runId}: done`));
    const json = await runCli(['status', '--cluster', runId, '--json'], cliEnv);
    expect(JSON.parse(json.stdout)).toMatchObject({ runId, status: 'done', rows: { loaded: 40, rejected: 0 } });
    const cancel = await runCli(['cancel', '--cluster', runId], cliEnv);
    expect(cancel.code).toBe(1);
    expect(cancel.stderr).toMatch(new RegExp(`run ${runId} is done: only a planning or running run can be cancelled`));
    const resume = await runCli(['resume', '--cluster', runId], cliEnv);
    expect(resume.code).toBe(1);
    expect(resume.stderr).toMatch(new RegExp(`run ${runId} is done: nothing to continue`));
  });

  it('refuses inputs the pods cannot see, and says why a request did not get through', async () => {
    const local = await runCli(['load', '--cluster', 'data/trips.csv'], cliEnv);
    expect(local.code).toBe(1);
    expect(local.stderr).toMatch(/data\/trips\.csv is a path on this machine: with --cluster .* Give s3:\/\/ URIs/);

    const flags = await runCli(['load', '--cluster', 's3://b/x.csv', '--workers', '4'], cliEnv);
    expect(flags.code).toBe(1);
    expect(flags.stderr).toMatch(/--workers and --chunk do not apply with --cluster/);

    const wrongKube = join(t.dir, 'kubeconfig-wrong');
    writeKubeconfig(wrongKube, kube.url, 'not-the-token', NS);
    const refused = await runCli(['status', '--cluster', '1'], { ...cliEnv, KUBECONFIG: wrongKube });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/the Kubernetes API server refused the kube context's credentials/);
    expect(refused.stderr).not.toContain('not-the-token');

    const noToken = await runCli(['status', '--cluster', '1'], { ...cliEnv, SPLITTER_TOKEN: '' });
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toMatch(/authentication required/);

    const otherNs = await runCli(['status', '--cluster', '1', '--namespace', 'elsewhere'], cliEnv);
    expect(otherNs.code).toBe(1);
    expect(otherNs.stderr).toMatch(/no splitter reachable as the service copyfleet-splitter in namespace elsewhere .*--namespace and --release/);

    const release = await runCli(['status', '--cluster', '1', '--release', 'nightly'], cliEnv);
    expect(release.stderr).toMatch(/service nightly-copyfleet-splitter in namespace data/);
  });

  it('Ctrl-C stops following, not the run, and says how to follow it; workers are scaled for the waiting chunks and back after', async () => {
    // A run that cannot end while we watch: its workers come later.
    await s3.put(BUCKET, 'slow/a.csv', Buffer.from(csvText(3000)));
    const stopped = Promise.all(fleet.map((p) => p.stop()));
    await stopped;
    const { child, done } = startCli(['load', '--cluster', `s3://${BUCKET}/slow/`, '--table', uniqueName('cl_slow')], cliEnv);
    let err = '';
    let sent = false;
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (!sent && /run \d+ started/.test(err)) sent = child.kill('SIGINT');
    });
    const res = await done;
    expect(res.code).toBe(130);
    const runId = /run (\d+) started/.exec(res.stderr)![1]!;
    expect(res.stderr).toContain(`run ${runId} goes on in the cluster: follow it with \`copyfleet status --cluster ${runId}\``);

    // Its chunks wait: the service scales the worker Deployment to ceil(chunks ÷ 2), at most 3.
    const chunks = (await db.pool.query(`SELECT count(*)::int AS n FROM copyfleet.chunks WHERE run_id = $1`, [runId])).rows[0].n as number;
    expect(chunks).toBeGreaterThan(2);
    const want = Math.min(3, Math.ceil(chunks / 2));
    const scale = `/apis/apps/v1/namespaces/${NS}/deployments/copyfleet-worker/scale`;
    await expect.poll(() => kube.replicas.get(`${NS}/copyfleet-worker`), { timeout: 5000 }).toBe(want);

    // The run is still there and goes to its end once workers run; then the Deployment goes back to 0.
    fleet = startFleet({ ...t.env, ...s3.env, DATABASE_URL: db.url, CHUNK: '16KiB', SPLITTER_TOKEN });
    await expect
      .poll(async () => (await db.pool.query(`SELECT status FROM copyfleet.runs WHERE run_id = $1`, [runId])).rows[0].status, { timeout: 30_000, interval: 200 })
      .toBe('done');
    await expect.poll(() => kube.replicas.get(`${NS}/copyfleet-worker`), { timeout: 5000 }).toBe(0);

    const patches = kube.requests.filter((r) => r.method === 'PATCH');
    expect(patches.length).toBeGreaterThanOrEqual(2);
    for (const p of patches) {
      expect(p.path).toBe(`${scale}?fieldManager=copyfleet-splitter`);
      expect(p.headers['content-type']).toMatch(/^application\/merge-patch\+json/);
      expect(p.headers.authorization).toBe(`Bearer ${KUBE_TOKEN}`);
    }
    expect(patches.map((p) => JSON.parse(p.body))).toContainEqual({ spec: { replicas: want } });
    expect(JSON.parse(patches.at(-1)!.body)).toEqual({ spec: { replicas: 0 } });
    // It only reads and patches that one subresource (what the chart's Role grants) besides the proxied requests.
    const other = kube.requests.filter((r) => !r.path.startsWith('/api/v1/namespaces/') && !(r.path.startsWith(scale) && ['GET', 'PATCH'].includes(r.method)));
    expect(other).toEqual([]);
  });
});
