/**
 * Tracing end to end, with no mocks: child processes started as copyfleet's are (ESM,
 * `node --import register.js`), the real OTLP http/json exporter, and a real receiver
 * (test-support/otlp-receiver.ts). Proves: one trace across two processes through a
 * JSON job payload, parent links, the pg instrumentation is ACTIVE (a COPY span arrives
 * under copyfleet's span — and does not without the preload), a failed COPY marks the
 * span ERROR, no secret or row value in anything exported, and no SDK loaded when off.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testServices } from '@copyfleet/testing';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './otlp-receiver.js';

const run = promisify(execFile);
const CHILD = fileURLToPath(new URL('./test-support/trace-child.mjs', import.meta.url));
const REGISTER = fileURLToPath(new URL('../dist/register.js', import.meta.url));
const PASSWORD = 'hunter2-Pw-9f3k';
const SECRET_ROW = 'SECRET-ROW-4111x';

/** The test database URL with a password in it (trust auth ignores it; the spans must not show it). */
function urlWithPassword(): string {
  const u = new URL(testServices().databaseUrl);
  u.password = PASSWORD;
  return u.toString();
}

async function child(args: string[], env: NodeJS.ProcessEnv, preload = true): Promise<string> {
  // As `copyfleet split` / `copyfleet worker` would be named (serviceFromArgv).
  const service = args[0] === 'producer' ? 'copyfleet-splitter' : 'copyfleet-worker';
  const { stdout } = await run(process.execPath, [...(preload ? ['--import', REGISTER] : []), CHILD, ...args], {
    env: { ...process.env, SECRET_ROW, OTEL_SERVICE_NAME: service, ...env },
    timeout: 60_000,
  });
  return stdout;
}

function otelEnv(receiver: OtlpReceiver): NodeJS.ProcessEnv {
  return { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '50', OTEL_SDK_DISABLED: '' };
}

const one = (spans: ReceivedSpan[], name: string, scope = 'copyfleet'): ReceivedSpan => {
  const found = spans.filter((s) => s.name === name && s.scope === scope);
  expect(found, `${name} spans`).toHaveLength(1);
  return found[0]!;
};

describe('tracing across processes', () => {
  let receiver: OtlpReceiver;
  let consumerOut = '';

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    const env = otelEnv(receiver);
    const produced = await child(['producer', urlWithPassword()], env);
    const payload = /^PAYLOAD=(.*)$/m.exec(produced)?.[1];
    expect(payload).toBeTruthy();
    consumerOut = await child(['consumer', urlWithPassword(), payload!], env);
  });
  afterAll(() => receiver.close());

  it('joins the worker span to the run trace through the JSON job payload', () => {
    const runSpan = one(receiver.spans, 'run');
    const chunk = one(receiver.spans, 'chunk');
    expect(runSpan.service).toBe('copyfleet-splitter');
    expect(chunk.service).toBe('copyfleet-worker');
    expect(runSpan.parentSpanId).toBe('');
    expect(chunk.traceId).toBe(runSpan.traceId);
    expect(chunk.parentSpanId).toBe(runSpan.spanId);
    expect(one(receiver.spans, 'plan.enqueue').parentSpanId).toBe(runSpan.spanId);
    const copy = one(receiver.spans, 'chunk.copy');
    expect(copy.parentSpanId).toBe(chunk.spanId);
    expect(chunk.attributes).toMatchObject({ 'copyfleet.run_id': '42', 'copyfleet.chunk_no': 7, 'copyfleet.attempt': 1, 'copyfleet.rows': 3 });
    expect(new Set(receiver.spans.map((s) => s.traceId))).toEqual(new Set([runSpan.traceId]));
  });

  it('instruments pg through the preload: the failed query span arrives under chunk, redacted; fast ones are dropped', () => {
    const pgSpans = receiver.spans.filter((s) => s.scope.includes('instrumentation-pg'));
    const chunk = one(receiver.spans, 'chunk');
    const failed = pgSpans.find((s) => s.parentSpanId === chunk.spanId && s.status.code === 2);
    expect(failed, JSON.stringify(pgSpans.map((s) => s.name))).toBeDefined();
    expect(failed!.name).toMatch(/^pg\.query:SELECT/);
    expect(failed!.status.message).toBe('invalid input syntax for type bigint: "…"');
    // The budget (TRACE_PG=slow): SELECT 1, CREATE TEMP TABLE, fast and fine, are not exported.
    expect(pgSpans.every((s) => s.status.code === 2)).toBe(true);
  });

  it('marks a failed COPY as an error with its SQLSTATE, not the row value', () => {
    const commit = one(receiver.spans, 'chunk.commit');
    expect(commit.status.code).toBe(2); // ERROR
    expect(commit.status.message).toMatch(/SQLSTATE 22P02/);
    expect(commit.events.map((e) => e.name)).toContain('exception');
    const read = one(receiver.spans, 'chunk.read');
    expect(read.status.code).toBe(2);
    expect(read.status.message).toContain(':***@');
  });

  it('exports no password and no row value anywhere', () => {
    const everything = receiver.raw.join('\n');
    expect(everything.length).toBeGreaterThan(1000);
    expect(everything).not.toContain(PASSWORD);
    expect(everything).not.toContain(SECRET_ROW);
  });

  it('loads the SDK when on', () => {
    expect(consumerOut).toContain('OTEL_LOADED=true TRACING=true');
  });
});

describe('the switch and the preload', () => {
  it('TRACE_PG=all exports every pg query under a copyfleet span (SELECT 1 under plan.enqueue)', async () => {
    const receiver = await startOtlpReceiver();
    try {
      await child(['producer', urlWithPassword()], { ...otelEnv(receiver), TRACE_PG: 'all' });
      const enqueue = one(receiver.spans, 'plan.enqueue');
      const select = receiver.spans.find((s) => s.scope.includes('instrumentation-pg') && s.parentSpanId === enqueue.spanId);
      expect(select?.name).toMatch(/^pg\.query:SELECT/);
      expect(receiver.raw.join('\n')).not.toContain(PASSWORD);
    } finally {
      await receiver.close();
    }
  });

  it('sends http/protobuf, the SDK default, when no protocol is set', async () => {
    const receiver = await startOtlpReceiver();
    try {
      await child(['producer', urlWithPassword()], { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: '' });
      expect(receiver.requests).toEqual(['POST /v1/traces application/x-protobuf']);
    } finally {
      await receiver.close();
    }
  });

  it('without the preload, pg is not instrumented (the hook in the preload is what makes it work)', async () => {
    const receiver = await startOtlpReceiver();
    try {
      const env = { ...otelEnv(receiver), TRACE_PG: 'all' };
      const produced = await child(['producer', urlWithPassword()], env, false);
      await child(['consumer', urlWithPassword(), /^PAYLOAD=(.*)$/m.exec(produced)![1]!], env, false);
      expect(receiver.spans.some((s) => s.name === 'chunk')).toBe(true);
      expect(receiver.spans.filter((s) => s.scope.includes('instrumentation-pg'))).toEqual([]);
    } finally {
      await receiver.close();
    }
  });

  it('is off without an exporter: no OpenTelemetry module loaded (not even the API), no traceparent in the payload', async () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_TRACES_EXPORTER: '', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '' };
    const produced = await child(['producer', testServices().databaseUrl], env);
    expect(JSON.parse(/^PAYLOAD=(.*)$/m.exec(produced)![1]!)).toEqual({ runId: '42', chunkNo: 7, traceParent: null });
    const out = await child(['consumer', testServices().databaseUrl, JSON.stringify({ runId: '42', chunkNo: 7, traceParent: null })], env);
    expect(out).toContain('OTEL_LOADED=false TRACING=false');
  });
});

describe('trace-receiver (the local receiver for make load TRACE=1)', () => {
  it('writes every span it receives as a JSON line and sums them up on SIGTERM', async () => {
    const { spawn } = await import('node:child_process');
    const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'cf-traces-'));
    const out = join(dir, 'spans.jsonl');
    const proc = spawn(process.execPath, [fileURLToPath(new URL('../dist/trace-receiver.js', import.meta.url)), '--port', '0', '--out', out], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no listening line: ${stderr}`)), 20_000);
        proc.stderr.on('data', () => /listening on/.test(stderr) && (clearTimeout(timer), resolve()));
      });
      const url = /listening on (\S+)/.exec(stderr)![1]!;
      await child(['producer', urlWithPassword()], { OTEL_EXPORTER_OTLP_ENDPOINT: url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
      const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { name: string; service: string; traceId: string; durationMs: number });
      expect(lines.map((l) => l.name).sort()).toEqual(['plan.enqueue', 'run']);
      expect(lines.every((l) => l.service === 'copyfleet-splitter' && l.durationMs >= 0)).toBe(true);
      expect(stderr).toContain('2 span(s) in 1 trace(s): copyfleet-splitter 2');
      expect(readFileSync(out, 'utf8')).not.toContain(PASSWORD);
    } finally {
      proc.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
