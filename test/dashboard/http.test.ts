// The dashboard's HTTP surface against the real PostgreSQL and Redis: who may see and do
// what (401, 403, cross-site refusal, cookies), hostile names shown as text, and the JSON
// API's numbers equal to the ledger's and to `copyfleet status` after a real load.
import { join } from 'node:path';
import { checkAuthSettings } from '@copyfleet/dashboard';
import { runCli, startCli, uniqueName } from '@copyfleet/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2e, one, runIdOf } from '../helpers.js';
import { startTestDashboard, writeCsvWithRejects, type TestDashboard } from './harness.js';

const t = e2e();
const VIEWER = 'viewer-token-123';
const OPERATOR = 'operator-token-456';
let open: TestDashboard;
let guarded: TestDashboard;

beforeAll(async () => {
  open = await startTestDashboard(t.env);
  guarded = await startTestDashboard(t.env, { host: '0.0.0.0', token: VIEWER, operatorToken: OPERATOR });
});
afterAll(async () => {
  await open?.close();
  await guarded?.close();
  await t.close();
});

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

describe('auth', () => {
  it('off localhost it refuses to start without a token, and says which setting to give', async () => {
    expect(() => checkAuthSettings({ host: '0.0.0.0', token: '', operatorToken: '' })).toThrow(/DASHBOARD_TOKEN/);
    expect(() => checkAuthSettings({ host: '127.0.0.1', token: '', operatorToken: '' })).not.toThrow();
    const res = await runCli(['dashboard'], { ...t.env, DASHBOARD_HOST: '0.0.0.0', DASHBOARD_PORT: '0', DASHBOARD_TOKEN: '', DASHBOARD_OPERATOR_TOKEN: '' });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/would listen on 0\.0\.0\.0 with no credentials: set DASHBOARD_TOKEN/);
  });

  it('`copyfleet dashboard` on localhost starts open and serves the runs page', async () => {
    const { child, done } = startCli(['dashboard'], { ...t.env, DASHBOARD_PORT: '0' });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /dashboard on (http:\/\/\S+)/.exec(out);
          if (m) resolve(m[1]!);
        });
        void done.then((r) => reject(new Error(`dashboard exited: ${r.stderr}`)));
      });
      expect((await fetch(`${url}/runs`)).status).toBe(200);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
      expect((await done).code).toBe(0);
    }
  });

  it('an unauthenticated request gets 401 (JSON for the API, the login form for browsers); health checks stay open', async () => {
    const api = await fetch(`${guarded.url}/api/runs`);
    expect(api.status).toBe(401);
    expect(((await api.json()) as { error: string }).error).toMatch(/authentication required/);
    const page = await fetch(`${guarded.url}/runs`, { headers: { Accept: 'text/html' } });
    expect(page.status).toBe(401);
    expect(page.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    expect(await page.text()).toMatch(/<form method="post" action="\/login"/);
    expect((await fetch(`${guarded.url}/queues`)).status).toBe(401);
    expect((await fetch(`${guarded.url}/api/runs`, { headers: bearer('wrong') })).status).toBe(401);
    expect((await fetch(`${guarded.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${guarded.url}/readyz`)).status).toBe(200);
  });

  it('a viewer reads but every POST is 403; an operator passes; basic auth with the token as password works', async () => {
    expect((await fetch(`${guarded.url}/api/runs`, { headers: bearer(VIEWER) })).status).toBe(200);
    const basic = Buffer.from(`anyone:${VIEWER}`).toString('base64');
    expect((await fetch(`${guarded.url}/api/runs`, { headers: { Authorization: `Basic ${basic}` } })).status).toBe(200);
    for (const path of ['/api/runs/1/cancel', '/api/runs/1/resume', '/api/runs/1/chunks/0/retry']) {
      const res = await fetch(`${guarded.url}${path}`, { method: 'POST', headers: bearer(VIEWER) });
      expect(res.status, path).toBe(403);
      expect(((await res.json()) as { error: string }).error).toMatch(/operator role/);
    }
    // bull-board: viewers get its read-only mode, operators the full one.
    const board = async (token: string) => ((await (await fetch(`${guarded.url}/queues/api/queues`, { headers: bearer(token) })).json()) as { queues: { name: string; readOnlyMode: boolean }[] }).queues;
    const viewerBoard = await board(VIEWER);
    expect(viewerBoard.map((q) => q.name).sort()).toEqual(['chunks', 'compact', 'report']);
    expect(viewerBoard.every((q) => q.readOnlyMode)).toBe(true);
    expect((await board(OPERATOR)).every((q) => !q.readOnlyMode)).toBe(true);
    // bull-board's actions are PUTs: refused for viewers as well.
    expect((await fetch(`${guarded.url}/queues/api/queues/chunks/retry/failed`, { method: 'PUT', headers: bearer(VIEWER) })).status).toBe(403);
    // The operator reaches the action (the run does not exist: 409 with what is wrong).
    const op = await fetch(`${guarded.url}/api/runs/999999999/cancel`, { method: 'POST', headers: bearer(OPERATOR) });
    expect(op.status).toBe(409);
    expect(((await op.json()) as { error: string }).error).toMatch(/run 999999999 does not exist/);
  });

  it('cross-site POSTs are refused, even for an operator (Origin and Sec-Fetch-Site)', async () => {
    const host = new URL(guarded.url).host;
    const cases: [Record<string, string>, number][] = [
      [{ Origin: 'https://evil.example' }, 403],
      [{ 'Sec-Fetch-Site': 'cross-site' }, 403],
      [{ 'Sec-Fetch-Site': 'same-site' }, 403],
      [{ Origin: 'null' }, 403],
      [{ Origin: `http://${host}`, 'Sec-Fetch-Site': 'same-origin' }, 409],
    ];
    for (const [headers, status] of cases) {
      const res = await fetch(`${guarded.url}/api/runs/999999999/cancel`, { method: 'POST', headers: { ...bearer(OPERATOR), ...headers } });
      expect(res.status, JSON.stringify(headers)).toBe(status);
    }
    // Open on localhost too: the check does not depend on auth.
    expect((await fetch(`${open.url}/api/runs/1/cancel`, { method: 'POST', headers: { Origin: 'https://evil.example' } })).status).toBe(403);
    // And a cross-site login form post is refused before the token is looked at.
    const login = await fetch(`${guarded.url}/login`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Sec-Fetch-Site': 'cross-site' }, body: `token=${OPERATOR}` });
    expect(login.status).toBe(403);
  });

  it('login sets an HttpOnly SameSite=Lax cookie that is not the token, and that cookie authenticates', async () => {
    const res = await fetch(`${guarded.url}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: guarded.url },
      body: `token=${VIEWER}&next=%2Fruns`,
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/runs');
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).not.toContain(VIEWER);
    const session = cookie.split(';')[0]!;
    expect((await fetch(`${guarded.url}/api/runs`, { headers: { Cookie: session } })).status).toBe(200);
    expect((await fetch(`${guarded.url}/api/runs/1/cancel`, { method: 'POST', headers: { Cookie: session } })).status).toBe(403);
    const bad = await fetch(`${guarded.url}/login`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'token=nope' });
    expect(bad.status).toBe(401);
    // No open redirect after login.
    const away = await fetch(`${guarded.url}/login`, { method: 'POST', redirect: 'manual', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `token=${VIEWER}&next=//evil.example` });
    expect(away.headers.get('location')).toBe('/runs');
  });
});

describe('pages and API', () => {
  it('a hostile table, file and record text are shown as text, never as HTML; no secret on any page', async () => {
    const hostile = '<script>window.__xss=1</script><img src=x onerror=alert(1)>';
    const { run_id: runId } = await one<{ run_id: string }>(t.pool,
      `INSERT INTO copyfleet.runs (source, source_version, target_table, spec, status, bytes_total, chunks_total, started_at, finished_at)
       VALUES ($1, '1:1', $2, $3, 'failed', 10, 1, now() - interval '72 seconds', now()) RETURNING run_id`,
      [`/data/${hostile}.csv`, `public.${hostile}`, JSON.stringify({ format: 'csv', note: hostile })]);
    await t.pool.query(`INSERT INTO copyfleet.files (run_id, file_no, uri, version, target_table, bytes, status, message) VALUES ($1, 0, $2, '1:1', $3, 10, 'failed', $4)`,
      [runId, `/data/${hostile}.csv`, `public.${hostile}`, hostile]);
    await t.pool.query(`INSERT INTO copyfleet.chunks (run_id, chunk_no, byte_start, byte_end, attempts, last_error, dead_at) VALUES ($1, 0, 0, 10, 3, $2, now())`, [runId, hostile]);
    await t.pool.query(`INSERT INTO copyfleet.rejects (run_id, chunk_no, byte_offset, line_no, chunk_line, reason, raw) VALUES ($1, 0, 0, 2, 1, $2, $2)`, [runId, hostile]);
    const escaped = '&lt;script&gt;window.__xss=1&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;';
    for (const path of ['/runs', `/runs/${runId}`, `/runs/${runId}/fragment`, `/runs/${runId}/rejects`, '/runs?table=%3Cscript%3E']) {
      const res = await fetch(`${open.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
      const html = await res.text();
      expect(html, path).not.toContain('<script>window');
      expect(html, path).not.toContain('<img src=x');
      if (path !== '/runs?table=%3Cscript%3E') expect(html, path).toContain(escaped);
      expect(html).not.toMatch(/postgres(ql)?:\/\//);
    }
    // The run has a file row: the run page lists it (runs without file rows have no Files table: the load test below).
    const runPage = await (await fetch(`${open.url}/runs/${runId}`)).text();
    expect(runPage).toMatch(/<table class="files">[\s\S]*\/data\/&lt;script&gt;/);
    // 72 s, human-formatted.
    expect(await (await fetch(`${open.url}/runs`)).text()).toMatch(/1 m 1[12] s/);
    await t.pool.query('DELETE FROM copyfleet.runs WHERE run_id = $1', [runId]);
  });

  it('after a real load, the API says what the ledger and `copyfleet status` say; rejects page by byte offset', async () => {
    const file = join(t.dir, 'with-rejects.csv');
    const table = uniqueName('dash_api');
    const input = await writeCsvWithRejects(file, 3000, 20);
    const load = await runCli(['load', file, '--table', table, '--workers', '2', '--chunk', '32KiB', '--partition', 'none'], t.env);
    expect(load.code, load.stderr).toBe(0);
    const runId = runIdOf(load.stdout);

    const ledger = await one<{ chunks: number; bytes: string; loaded: string; rejected: string }>(t.pool,
      `SELECT count(*)::int AS chunks, sum(byte_end - byte_start)::text AS bytes, sum(rows_loaded)::text AS loaded, sum(rows_rejected)::text AS rejected
         FROM copyfleet.chunks WHERE run_id = $1`, [runId]);
    expect(ledger.chunks).toBeGreaterThan(3);
    expect(Number(ledger.loaded) + Number(ledger.rejected)).toBe(input.records);
    expect(Number(ledger.rejected)).toBe(input.rejects);

    const status = JSON.parse((await runCli(['status', runId, '--json'], t.env)).stdout) as { rows: { loaded: number; rejected: number }; bytes: { total: number; done: number }; chunks: { total: number; done: number }; throughput: { bytesPerSecond: number }; elapsedSeconds: number };
    const api = (await (await fetch(`${open.url}/api/runs/${runId}`)).json()) as Record<string, any>;
    expect(api).toMatchObject({ runId, status: 'done', percent: 100, rows: { loaded: Number(ledger.loaded), rejected: input.rejects }, bytes: { total: Number(ledger.bytes), done: Number(ledger.bytes) }, chunks: { total: ledger.chunks, done: ledger.chunks, dead: 0 } });
    expect(api.report.rows).toEqual(status.rows);
    expect(api.report.bytes).toEqual(status.bytes);
    expect(api.report.chunks.total).toBe(status.chunks.total);
    // The list computes speed and duration as describeRun does (the run is finished: fixed values).
    expect(api.bytesPerSecond).toBeCloseTo(status.throughput.bytesPerSecond, 6);
    expect(api.elapsedSeconds).toBeCloseTo(status.elapsedSeconds, 6);
    const list = (await (await fetch(`${open.url}/api/runs?table=${encodeURIComponent(`public.${table}`)}`)).json()) as { runs: Record<string, unknown>[] };
    expect(list.runs).toHaveLength(1);
    expect(list.runs[0]).toMatchObject({ runId, rows: api.rows, bytes: api.bytes, chunks: api.chunks, percent: 100 });
    expect((await (await fetch(`${open.url}/api/runs?status=failed&table=${encodeURIComponent(`public.${table}`)}`)).json()).runs).toHaveLength(0);

    const chunks = (await (await fetch(`${open.url}/api/runs/${runId}/chunks`)).json()) as { chunks: { state: string; rowsLoaded: number }[] };
    expect(chunks.chunks).toHaveLength(ledger.chunks);
    expect(chunks.chunks.every((c) => c.state === 'done')).toBe(true);
    expect(chunks.chunks.reduce((s, c) => s + c.rowsLoaded, 0)).toBe(Number(ledger.loaded));
    const files = (await (await fetch(`${open.url}/api/runs/${runId}/files`)).json()) as { files: unknown[] };
    const fileRows = await one<{ n: number }>(t.pool, 'SELECT count(*)::int AS n FROM copyfleet.files WHERE run_id = $1', [runId]);
    expect(files.files).toHaveLength(fileRows.n);
    if (fileRows.n === 0) expect(await (await fetch(`${open.url}/runs/${runId}`)).text()).not.toContain('<table class="files">');

    // Rejects: keyset pages of 100 cover every reject once, in file order.
    const seen: number[] = [];
    let after = '';
    for (let page = 0; page < 10; page++) {
      const r = (await (await fetch(`${open.url}/api/runs/${runId}/rejects${after ? `?after=${after}` : ''}`)).json()) as { rejects: { offset: number; line: number; raw: string }[]; next: string | null; reasons: { reason: string; count: number }[] };
      if (page === 0) expect(r.reasons).toEqual([{ reason: 'expected 3 fields, found 2', count: input.rejects }]);
      seen.push(...r.rejects.map((x) => x.offset));
      if (!r.next) break;
      after = r.next;
    }
    const offsets = (await t.pool.query<{ o: string }>('SELECT byte_offset AS o FROM copyfleet.rejects WHERE run_id = $1 ORDER BY byte_offset', [runId])).rows.map((r) => Number(r.o));
    expect(seen).toEqual(offsets);

    // The download is the `copyfleet rejects` export.
    const cli = await runCli(['rejects', runId], t.env);
    const download = await fetch(`${open.url}/runs/${runId}/rejects/download`);
    expect(download.headers.get('content-disposition')).toMatch(new RegExp(`attachment; filename="?run-${runId}-rejects\\.csv"?`));
    expect(await download.text()).toBe(cli.stdout);

    // Reports of the run are listed and download.
    const reports = api.reports as { name: string }[];
    expect(reports.length).toBeGreaterThan(0);
    const report = await fetch(`${open.url}/runs/${runId}/reports/${reports[0]!.name}`);
    expect(report.status).toBe(200);
    expect((await fetch(`${open.url}/runs/${runId}/reports/..%2F..%2F.env`)).status).toBe(404);
  });

  it('cancel: a running run ends cancelled, its queued chunks leave Redis, and it cannot be cancelled twice', async () => {
    const file = join(t.dir, 'to-cancel.csv');
    await writeCsvWithRejects(file, 3000, 0);
    const split = await runCli(['split', file, '--table', uniqueName('dash_cancel'), '--partition', 'none'], { ...t.env, CHUNK: '16KiB' });
    expect(split.code, split.stderr).toBe(0);
    const runId = (JSON.parse(split.stdout.trim().split('\n').at(-1)!) as { runId: string }).runId;
    const before = await open.ctx.queues.chunkJobStates(runId);
    expect(before.size).toBeGreaterThan(3);
    expect([...before.values()].every((s) => s === 'waiting')).toBe(true);

    const res = await fetch(`${open.url}/api/runs/${runId}/cancel`, { method: 'POST', headers: { Origin: open.url } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'cancelled', removedJobs: before.size, inFlight: 0 });
    expect((await open.ctx.queues.chunkJobStates(runId)).size).toBe(0);
    const run = await one<{ status: string; finished: boolean; message: string }>(t.pool, 'SELECT status, finished_at IS NOT NULL AS finished, message FROM copyfleet.runs WHERE run_id = $1', [runId]);
    expect(run).toMatchObject({ status: 'cancelled', finished: true });
    expect(run.message).toMatch(/load the input again/);
    const page = await (await fetch(`${open.url}/runs/${runId}`)).text();
    expect(page).toMatch(/data-state="cancelled"/);
    expect(page).not.toMatch(/hx-trigger/);
    const again = await fetch(`${open.url}/api/runs/${runId}/cancel`, { method: 'POST' });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: string }).error).toMatch(/is cancelled: only a planning or running run can be cancelled/);
  });
});
