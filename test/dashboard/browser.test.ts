// The dashboard in headless Chromium (Debian's, driven by playwright-core) during a REAL
// `copyfleet load` with two workers and slowed chunks: the runs page shows the run and
// its progress moves without a reload, the run page shows every chunk and reaches 100 %
// and done exactly when the ledger does, the rejects page shows a reject's line and raw
// text as text; and a dead chunk (INSERT revoked, as test/chaos/poison.test.ts does) is
// retried from the page after the grant is back, and loads. Screenshots go to
// test-artifacts/dashboard/ (gitignored).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, runCli, startCli, testServices, uniqueName } from '@copyfleet/testing';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { e2e, one } from '../helpers.js';
import { startTestDashboard, writeCsvWithRejects, type TestDashboard } from './harness.js';

const t = e2e({ CHUNK_ATTEMPTS: '2', BACKOFF_MS: '100' });
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts/dashboard');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
let dash: TestDashboard;
let browser: Browser;
let page: Page;
const role = uniqueName('cf_dash');
const tables: string[] = [];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  dash = await startTestDashboard(t.env);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1360, height: 1000 } });
  page.on('dialog', (d) => void d.accept()); // the actions' confirmations
  await t.pool.query(`CREATE ROLE ${role} LOGIN IN ROLE ${new URL(testServices().databaseUrl).username}`);
});
afterAll(async () => {
  await browser?.close();
  await dash?.close();
  for (const table of tables) await t.pool.query(`DROP TABLE IF EXISTS ${table}`);
  await t.pool.query(`DROP OWNED BY ${role}`).catch(() => undefined);
  await t.pool.query(`DROP ROLE IF EXISTS ${role}`);
  await t.close();
});

const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

async function runIdFor(table: string): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const { rows } = await t.pool.query<{ run_id: string }>('SELECT run_id FROM copyfleet.runs WHERE target_table = $1', [`public.${table}`]);
    if (rows[0]) return rows[0].run_id;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no run into ${table}`);
}

it('runs page and run page follow a real load live, to 100 % and done; the rejects page shows raw records as text', async () => {
  const file = join(t.dir, 'live.csv');
  const table = uniqueName('dash_live');
  tables.push(table);
  const input = await writeCsvWithRejects(file, 3000, 150);
  // Each chunk waits 1.5 s before its commit: ~7 chunks on 2 workers take several of the page's 2 s polls.
  const load = startCli(['load', file, '--table', table, '--workers', '2', '--chunk', '40KiB', '--partition', 'none'], { ...t.env, COPYFLEET_FAILPOINTS: 'before-commit=1500' });
  const runId = await runIdFor(table);

  await page.goto(`${dash.url}/runs?table=${encodeURIComponent(`public.${table}`)}`);
  const row = page.locator(`tr[data-run="${runId}"]`);
  await expect.poll(() => row.count()).toBe(1);
  const pct = row.locator('.pct');
  const first = await pct.textContent();
  // It moves without a reload (htmx polls the table every 2 s).
  await expect.poll(async () => (await pct.textContent()) !== first && (await pct.textContent()) !== '100 %', { timeout: 15_000, interval: 100 }).toBe(true);
  await shot('runs-live');

  await page.goto(`${dash.url}/runs/${runId}`);
  const { chunks_total: chunksTotal } = await one<{ chunks_total: number }>(t.pool, 'SELECT chunks_total FROM copyfleet.runs WHERE run_id = $1', [runId]);
  expect(chunksTotal).toBeGreaterThanOrEqual(5);
  await expect.poll(() => page.locator('#chunk-grid .chunk').count()).toBe(chunksTotal);
  await shot('run-live');
  // Reaches done, with every chunk done, and only when the ledger says so.
  await page.locator('#run-status', { hasText: 'done' }).waitFor({ timeout: 40_000 });
  const ledger = await one<{ status: string; done: number; loaded: string; rejected: string }>(t.pool,
    `SELECT r.status, (SELECT count(loaded_at)::int FROM copyfleet.chunks c WHERE c.run_id = r.run_id) AS done,
            (SELECT sum(rows_loaded)::text FROM copyfleet.chunks c WHERE c.run_id = r.run_id) AS loaded,
            (SELECT sum(rows_rejected)::text FROM copyfleet.chunks c WHERE c.run_id = r.run_id) AS rejected
       FROM copyfleet.runs r WHERE run_id = $1`, [runId]);
  expect(ledger).toMatchObject({ status: 'done', done: chunksTotal });
  expect(Number(ledger.loaded) + Number(ledger.rejected)).toBe(input.records);
  expect(await page.locator('#run-percent').textContent()).toBe('100 %');
  expect(await page.locator('#chunks-done').textContent()).toBe(`${chunksTotal} / ${chunksTotal}`);
  expect(await page.locator('#chunk-grid .chunk[data-state="done"]').count()).toBe(chunksTotal);
  expect(await page.locator('#rows-loaded').getAttribute('title')).toBe(ledger.loaded);
  expect(await page.locator('.timeline .tbar').count()).toBe(chunksTotal);
  await page.locator('#chart canvas').first().waitFor({ timeout: 10_000 });
  await page.locator('.reports a').first().waitFor();
  await shot('run-done');
  const cli = await load.done;
  expect(cli.code, cli.stderr).toBe(0);

  await page.goto(`${dash.url}/runs/${runId}/rejects`);
  const reject = await one<{ line_no: string; raw: string }>(t.pool, 'SELECT line_no::text, raw FROM copyfleet.rejects WHERE run_id = $1 ORDER BY byte_offset LIMIT 1', [runId]);
  const firstRow = page.locator('table.rejects tbody tr').first();
  expect(await firstRow.locator('td').nth(1).textContent()).toBe(reject.line_no);
  expect(await firstRow.locator('pre.raw').textContent()).toBe(reject.raw);
  expect(reject.raw).toContain('<script>');
  expect(await page.locator('table.rejects tbody tr').count()).toBe(input.rejects);
  expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  const reasons = page.locator('table.reasons tbody tr').first();
  expect(await reasons.locator('td').nth(0).textContent()).toBe('expected 3 fields, found 2');
  expect(await reasons.locator('td').nth(1).textContent()).toBe(String(input.rejects));
  await shot('rejects');
});

it('a dead chunk is retried from the run page once its cause is fixed, and loads', async () => {
  const url = new URL(testServices().databaseUrl);
  url.username = role;
  const env = { ...t.env, DATABASE_URL: url.toString(), CHUNK: '40KiB' };
  const file = join(t.dir, 'poison.csv');
  const table = uniqueName('dash_poison');
  tables.push(table);
  await writeCsvWithRejects(file, 1500, 0);
  const split = await runCli(['split', file, '--table', table, '--partition', 'none'], env);
  expect(split.code, split.stderr).toBe(0);
  const runId = (JSON.parse(split.stdout.trim().split('\n').at(-1)!) as { runId: string }).runId;
  await t.pool.query(`REVOKE INSERT ON ${table} FROM ${role}`);
  const failed = await runCli(['resume', runId, '--workers', '2'], env);
  expect(failed.code).toBe(1);

  await page.goto(`${dash.url}/runs/${runId}`);
  expect(await page.locator('#run-status').textContent()).toBe('failed');
  const dead = await page.locator('#chunk-grid .chunk[data-state="dead"]').count();
  expect(dead).toBeGreaterThanOrEqual(2);
  await expect.poll(() => page.locator('.advice').textContent()).toMatch(/chunk\(s\) are dead: fix the cause/);
  await shot('run-failed');

  // Fix the cause, have a worker up, and press Retry on chunk 1 (a confirmation, then a POST).
  await t.pool.query(`GRANT INSERT ON ${table} TO ${role}`);
  const worker = startCli(['worker'], env);
  try {
    await page.locator('table.troubled tr[data-chunk="1"] button.action').click();
    await page.locator('#flash', { hasText: 'queued again' }).waitFor({ timeout: 5000 });
    await page.locator('#chunk-grid .chunk[data-chunk="1"][data-state="done"]').waitFor({ timeout: 20_000 });
    const c = await one<{ loaded: boolean }>(t.pool, 'SELECT loaded_at IS NOT NULL AS loaded FROM copyfleet.chunks WHERE run_id = $1 AND chunk_no = 1', [runId]);
    expect(c.loaded).toBe(true);
    expect(await page.locator('#chunk-grid .chunk[data-state="dead"]').count()).toBe(dead - 1);
    // The chart, empty before, follows the live region: the committed chunk is drawn.
    await page.locator('#chart canvas').first().waitFor({ timeout: 5000 });
    await shot('run-retried');
  } finally {
    worker.child.kill('SIGTERM');
    await worker.done;
  }
});

it('polling pauses while the tab is hidden and refreshes at once when it is shown again', async () => {
  await page.goto(`${dash.url}/runs`);
  const polls: number[] = [];
  page.on('request', (r) => void (r.url().includes('/runs/fragment') && polls.push(Date.now())));
  await expect.poll(() => polls.length, { timeout: 5000 }).toBeGreaterThan(0); // the runs table polls every 2 s
  await page.evaluate(() => {
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  const hiddenAt = Date.now();
  await page.waitForTimeout(4500);
  expect(polls.filter((t) => t > hiddenAt + 100)).toEqual([]);
  // Taken before showing: the refresh's request event can reach the test before evaluate() returns.
  const shownAt = Date.now();
  await page.evaluate(() => {
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => false });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  // Within 500 ms, a quarter of the 2 s poll period: the timer alone would rarely land there.
  await expect.poll(() => polls.filter((t) => t >= shownAt).length, { timeout: 500, interval: 25 }).toBeGreaterThan(0);
});
