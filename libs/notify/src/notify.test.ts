/**
 * Run-end webhooks against a real HTTP receiver in the test: the POST and its fields,
 * a retry after a 500, no retry after a 404, a receiver that hangs costs the caller
 * nothing and the delivery ends within its bound, and no secret travels.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { notifyRunEnd, settleNotifications } from './notify.js';
import { formatCount, formatDuration, runSummaryOf, type RunSummary } from './summary.js';

interface Received {
  method: string;
  path: string;
  contentType: string;
  body: Record<string, unknown>;
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

/** A webhook receiver; `answer` decides each response (by the request's number, from 1). */
async function receiver(answer: (n: number, res: ServerResponse) => void = (_n, res) => res.end('ok')): Promise<{ url: string; got: Received[] }> {
  const got: Received[] = [];
  const open = new Set<ServerResponse>();
  const server = createServer((req: IncomingMessage, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      got.push({ method: req.method!, path: req.url!, contentType: String(req.headers['content-type']), body: JSON.parse(Buffer.concat(parts).toString()) });
      open.add(res);
      res.on('close', () => open.delete(res));
      answer(got.length, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  closers.push(
    () =>
      new Promise((r) => {
        for (const res of open) res.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hooks/T0KEN-abc123`, got };
}

const failedRun = (): RunSummary =>
  runSummaryOf(
    {
      run_id: '8',
      status: 'failed',
      source: 'trips.csv',
      target_table: 'public.trips',
      message: 'chunk 3 (bytes 0-65536) failed after 8 attempt(s): connect to postgres://loader:s3cr3t-PW@db:5432/x refused. Fix the cause, then `copyfleet resume 8`',
      rows_loaded: '150000',
      rows_rejected: '12',
      bytes_total: '16777216',
      started_at: new Date('2026-01-01T10:00:00Z'),
      finished_at: new Date('2026-01-01T10:01:12Z'),
    },
    ['trips.csv'],
  );

describe('notifyRunEnd', () => {
  it('POSTs the run summary as JSON with a text field Slack and Teams show, and for a failed run what to do', async () => {
    const hook = await receiver();
    const deliveries = await notifyRunEnd(failedRun(), { urls: [hook.url], dashboardUrl: 'https://cf.example.com/' });
    expect(deliveries).toEqual([expect.objectContaining({ outcome: 'delivered', attempts: 1, status: 200, webhook: expect.not.stringContaining('T0KEN') })]);
    expect(hook.got).toHaveLength(1);
    const { method, contentType, body } = hook.got[0]!;
    expect(method).toBe('POST');
    expect(contentType).toBe('application/json');
    expect(body).toMatchObject({
      runId: '8',
      status: 'failed',
      table: 'public.trips',
      files: ['trips.csv'],
      rowsLoaded: 150000,
      rowsRejected: 12,
      durationSeconds: 72,
      dashboard: 'https://cf.example.com/runs/8',
      whatToDo: expect.stringContaining('copyfleet resume 8'),
    });
    expect(body.text).toBe(
      [
        '❌ copyfleet run 8 failed: trips.csv → public.trips',
        '150,000 rows loaded, 12 rejected, 16 MiB, in 1 m 12 s',
        'chunk 3 (bytes 0-65536) failed after 8 attempt(s): connect to postgres://loader:***@db:5432/x refused. Fix the cause, then `copyfleet resume 8`',
        `What to do: ${body.whatToDo as string}`,
        'https://cf.example.com/runs/8',
      ].join('\n'),
    );
  });

  it('retries after a 500 and delivers on the next attempt', async () => {
    const hook = await receiver((n, res) => {
      res.statusCode = n === 1 ? 500 : 200;
      res.end();
    });
    const [d] = await notifyRunEnd(failedRun(), { urls: [hook.url], baseDelayMs: 20 });
    expect(d).toMatchObject({ outcome: 'delivered', attempts: 2, status: 200 });
    expect(hook.got).toHaveLength(2);
    expect(hook.got[1]!.body).toEqual(hook.got[0]!.body);
  });

  it('does not retry a 404 (a wrong URL stays wrong)', async () => {
    const hook = await receiver((_n, res) => {
      res.statusCode = 404;
      res.end();
    });
    const [d] = await notifyRunEnd(failedRun(), { urls: [hook.url], baseDelayMs: 10 });
    expect(d).toMatchObject({ outcome: 'refused', attempts: 1, status: 404 });
    expect(hook.got).toHaveLength(1);
  });

  it('costs the caller nothing when a receiver hangs, ends within its bound, and still serves the other webhooks', async () => {
    const hanging = await receiver(() => undefined); // never answers
    const fine = await receiver();
    const logged: Record<string, unknown>[] = [];
    const t0 = performance.now();
    const pending = notifyRunEnd(failedRun(), { urls: [hanging.url, fine.url], attemptMs: 300, totalMs: 1200, baseDelayMs: 50, log: (_m, f) => logged.push(f) });
    expect(performance.now() - t0).toBeLessThan(50); // returned at once
    const deliveries = await pending;
    const took = performance.now() - t0;
    expect(took).toBeLessThan(2000);
    expect(deliveries[0]).toMatchObject({ outcome: 'gave-up', error: 'timed out' });
    expect(deliveries[0]!.attempts).toBeGreaterThan(0);
    expect(hanging.got.length).toBeGreaterThanOrEqual(2); // retried after the timeouts
    expect(deliveries[1]).toMatchObject({ outcome: 'delivered' });
    expect(fine.got).toHaveLength(1);
    expect(JSON.stringify(logged)).not.toContain('T0KEN');
    await settleNotifications(); // nothing left in flight
  });

  it('gives up on a closed port without throwing', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    await new Promise((r) => server.close(r));
    const deliveries = await notifyRunEnd(failedRun(), { urls: [`http://127.0.0.1:${port}/hook`], totalMs: 500, baseDelayMs: 20 });
    expect(deliveries[0]).toMatchObject({ outcome: 'gave-up', error: 'ECONNREFUSED' });
  });

  it('carries no secret: passwords in the message or in an http source, query-string tokens', async () => {
    const hook = await receiver();
    const summary = runSummaryOf({
      run_id: '9',
      status: 'done',
      source: 'https://user:srcPASS@files.example.com/data.csv?X-Amz-Signature=SIGsecret',
      target_table: 'public.t',
      message: 'done; password=hunter2 AKIAABCDEFGHIJKLMNOP',
      rows_loaded: 1,
      rows_rejected: 0,
      started_at: new Date(Date.now() - 1000),
      finished_at: new Date(),
    });
    await notifyRunEnd(summary, { urls: [hook.url] });
    const sent = JSON.stringify(hook.got[0]!.body);
    for (const secret of ['srcPASS', 'SIGsecret', 'hunter2', 'AKIAABCDEFGHIJKLMNOP']) expect(sent).not.toContain(secret);
    expect(hook.got[0]!.body.files).toEqual(['https://user:***@files.example.com/data.csv']);
    expect(hook.got[0]!.body.whatToDo).toBeNull();
    expect(String(hook.got[0]!.body.text)).toMatch(/^✅ copyfleet run 9 done: https:\/\/user:\*\*\*@files\.example\.com\/data\.csv → public\.t\n1 rows loaded, 0 rejected, in 1\.0 s$/);
  });

  it('does nothing without webhooks', async () => {
    expect(await notifyRunEnd(failedRun(), { urls: [] })).toEqual([]);
  });
});

describe('human numbers', () => {
  it('formats counts and durations as people read them', () => {
    expect(formatCount(1234)).toBe('1,234');
    expect(formatCount(3_400_000)).toBe('3.4 M');
    expect(formatDuration(6.5)).toBe('6.5 s');
    expect(formatDuration(72)).toBe('1 m 12 s');
    expect(formatDuration(3725)).toBe('1 h 2 m');
  });
});
