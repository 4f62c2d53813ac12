/**
 * Metrics over real HTTP: the ops endpoint scraped like Prometheus does, values set
 * through the recording functions; OTLP push to a real receiver; ports that do not
 * clash; the alert rules use metric names that exist.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { observeChunkStates, recordChunkFailed, recordChunkLoaded, recordChunkSkipped, recordRunFinished, startMetrics, type Metrics } from './metrics.js';
import { startOpsServer, type OpsServer } from './ops-server.js';
import { startOtlpReceiver } from './otlp-receiver.js';

let metrics: Metrics | null = null;
const servers: OpsServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await metrics?.shutdown();
  metrics = null;
});

async function scrape(port: number, path = '/metrics'): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
}

/** The value of the sample `name{…labels…}` whose labels include all of `labels`. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const set = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => set[k] === v)) return Number(m[3]);
  }
  return undefined;
}

async function serve(): Promise<number> {
  metrics = await startMetrics({ service: 'worker', prometheus: true, otlp: false });
  const ops = await startOpsServer({ port: 0, host: '127.0.0.1', metrics: metrics.handler });
  servers.push(ops);
  return ops.port;
}

describe('/metrics', () => {
  it('shows rows, bytes, rejects, durations, throughput, chunk states, queue age and run ends with the values recorded', async () => {
    const port = await serve();
    recordChunkLoaded({ runId: '17', rows: 1000, rejects: 3, bytes: 65536, seconds: 2, copySeconds: 0.5, passThrough: true });
    recordChunkLoaded({ runId: '17', rows: 500, rejects: 0, bytes: 32768, seconds: 1, passThrough: false });
    recordChunkSkipped({ runId: '17', seconds: 0.01 });
    recordChunkFailed({ runId: '17', seconds: 4 });
    recordRunFinished({ runId: '16', status: 'failed' });
    observeChunkStates(async () => [{ runId: '17', waiting: 5, active: 2, retrying: 1, dead: 1, oldestWaitingSeconds: 42 }]);
    const { status, body } = await scrape(port);
    expect(status).toBe(200);
    const run = { copyfleet_run_id: '17' };
    expect(sample(body, 'copyfleet_rows_loaded_total', run)).toBe(1500);
    expect(sample(body, 'copyfleet_rows_rejected_total', run)).toBe(3);
    expect(sample(body, 'copyfleet_bytes_loaded_total', run)).toBe(98304);
    expect(sample(body, 'copyfleet_chunk_failures_total', run)).toBe(1);
    expect(sample(body, 'copyfleet_chunk_duration_count', { ...run, copyfleet_outcome: 'loaded', copyfleet_pass_through: 'true' })).toBe(1);
    expect(sample(body, 'copyfleet_chunk_duration_count', { ...run, copyfleet_outcome: 'loaded', copyfleet_pass_through: 'false' })).toBe(1);
    expect(sample(body, 'copyfleet_chunk_duration_count', { ...run, copyfleet_outcome: 'skipped' })).toBe(1);
    expect(sample(body, 'copyfleet_chunk_duration_sum', { ...run, copyfleet_outcome: 'failed' })).toBe(4);
    expect(sample(body, 'copyfleet_chunk_duration_bucket', { ...run, copyfleet_outcome: 'loaded', copyfleet_pass_through: 'true', le: '1' })).toBe(0);
    expect(sample(body, 'copyfleet_chunk_duration_bucket', { ...run, copyfleet_outcome: 'loaded', copyfleet_pass_through: 'true', le: '2.5' })).toBe(1);
    // The last COPY of this worker for the run: 32768 B in 1 s (the first one was 65536 B in 0.5 s).
    expect(sample(body, 'copyfleet_copy_throughput', run)).toBe(32768);
    expect(sample(body, 'copyfleet_chunks', { ...run, copyfleet_state: 'waiting' })).toBe(5);
    expect(sample(body, 'copyfleet_chunks', { ...run, copyfleet_state: 'dead' })).toBe(1);
    expect(sample(body, 'copyfleet_chunk_oldest_waiting_age', run)).toBe(42);
    expect(sample(body, 'copyfleet_runs_finished_total', { copyfleet_run_id: '16', copyfleet_status: 'failed' })).toBe(1);
    // Per worker: every series names its process.
    expect(body).toMatch(/copyfleet_rows_loaded_total\{[^}]*service_name="copyfleet-worker"/);
    expect(body).toMatch(/copyfleet_rows_loaded_total\{[^}]*service_instance_id="[^"]+\/\d+"/);
  });

  it('skips a chunk-state sample whose reader fails, and keeps serving', async () => {
    const port = await serve();
    observeChunkStates(async () => {
      throw new Error('PostgreSQL unavailable');
    });
    observeChunkStates(async () => [{ runId: '9', waiting: 0, active: 1, retrying: 0, dead: 0, oldestWaitingSeconds: null }]);
    const { status, body } = await scrape(port);
    expect(status).toBe(200);
    expect(sample(body, 'copyfleet_chunks', { copyfleet_run_id: '9', copyfleet_state: 'active' })).toBe(1);
  });

  it('the example alert rules use only metric names the endpoint serves', async () => {
    const port = await serve();
    recordChunkLoaded({ runId: '1', rows: 1, rejects: 0, bytes: 1, seconds: 1, passThrough: true });
    recordRunFinished({ runId: '1', status: 'failed' });
    observeChunkStates(async () => [{ runId: '1', waiting: 1, active: 0, retrying: 0, dead: 0, oldestWaitingSeconds: 1 }]);
    const { body } = await scrape(port);
    const served = new Set(body.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => /^[\w:]+/.exec(l)![0]));
    const rules = parse(readFileSync(fileURLToPath(new URL('../../../docs/prometheus-alerts.yaml', import.meta.url)), 'utf8')) as {
      groups: { rules: { alert: string; expr: string }[] }[];
    };
    const names = rules.groups.flatMap((g) => g.rules.flatMap((r) => [...r.expr.matchAll(/\bcopyfleet_\w+/g)].map((m) => m[0]).filter((n) => !n.startsWith('copyfleet_run_id') && !/^copyfleet_(state|status)$/.test(n))));
    expect(names.length).toBeGreaterThan(4);
    for (const n of names) expect(served, n).toContain(n);
  });
});

describe('ops endpoint', () => {
  it('answers /healthz always and /readyz as ready() says', async () => {
    let ready = false;
    const ops = await startOpsServer({ port: 0, host: '127.0.0.1', ready: () => ready });
    servers.push(ops);
    expect((await scrape(ops.port, '/healthz')).status).toBe(200);
    expect((await scrape(ops.port, '/readyz')).status).toBe(503);
    ready = true;
    expect((await scrape(ops.port, '/readyz')).status).toBe(200);
    expect((await scrape(ops.port, '/nope')).status).toBe(404);
    const post = await fetch(`http://127.0.0.1:${ops.port}/healthz`, { method: 'POST' });
    expect(post.status).toBe(405);
  });

  it('several processes on one host: a port in use makes the next one take the next port', async () => {
    const first = await startOpsServer({ port: 0, host: '127.0.0.1' });
    servers.push(first);
    const second = await startOpsServer({ port: first.port, host: '127.0.0.1' });
    servers.push(second);
    expect(second.port).toBeGreaterThan(first.port);
    expect(second.port - first.port).toBeLessThan(64);
    expect((await scrape(second.port, '/healthz')).status).toBe(200);
  });

  it('says what to do when every port of the range is taken', async () => {
    const first = await startOpsServer({ port: 0, host: '127.0.0.1' });
    servers.push(first);
    await expect(startOpsServer({ port: first.port, host: '127.0.0.1', portSpan: 1 })).rejects.toThrow(/METRICS_PORT.*in use.*0 for any, or off/);
  });
});

describe('OTLP metrics', () => {
  it('pushes the same instruments to an OTLP/HTTP receiver (http/json)', async () => {
    const receiver = await startOtlpReceiver();
    try {
      metrics = await startMetrics({
        service: 'worker',
        prometheus: false,
        otlp: true,
        env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_METRIC_EXPORT_INTERVAL: '100000' },
      });
      recordChunkLoaded({ runId: '5', rows: 7, rejects: 1, bytes: 100, seconds: 1, passThrough: false });
      await metrics.shutdown(); // flushes
      metrics = null;
      const body = receiver.raw.join('\n');
      expect(body).toContain('"copyfleet.rows.loaded"');
      expect(body).toContain('"copyfleet.run_id"');
      expect(body).toContain('"copyfleet-worker"');
    } finally {
      await receiver.close();
    }
  });
});
