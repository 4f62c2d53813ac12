// One trace per run, from a real `copyfleet load` (issue #12): the CLI's processes started
// with the telemetry preload and the real OTLP http/json exporter, a real receiver in this
// test, two workers and one of them SIGKILLed between its COPY and its COMMIT. The spans
// must form one trace (planning, workers, compaction, reports), count every chunk's rows
// once, stay within the span budget, and carry no password and no row data.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startCli, testServices, uniqueName, writeTripsCsv } from '@copyfleet/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startOtlpReceiver, type OtlpReceiver } from '../libs/telemetry/src/otlp-receiver.js';
import { e2e, one, runIdOf } from './helpers.js';

const REGISTER = pathToFileURL(join(import.meta.dirname, '..', 'libs', 'telemetry', 'dist', 'register.js')).href;
const PASSWORD = 'hunter2-trace-secret';
const SECRET_ROW = 'SECRET-ROW-4111-1111';

let receiver: OtlpReceiver;
let t: ReturnType<typeof e2e>;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  // A password in the URL (the private PostgreSQL trusts loopback, so it is never checked): it must appear nowhere.
  const url = new URL(testServices().databaseUrl);
  url.password = PASSWORD;
  t = e2e({
    DATABASE_URL: url.toString(),
    NODE_OPTIONS: `--import=${REGISTER}`,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '200',
    COPYFLEET_FAILPOINTS: 'before-commit=700',
    LOCK_DURATION_MS: '3000',
    STALLED_INTERVAL_MS: '1000',
  });
});
afterAll(async () => {
  await t?.close();
  await receiver?.close();
});

it('a load with a killed worker is one trace: planning, a span per chunk, compaction, reports; no secrets', async () => {
  const file = join(t.dir, 'trips.csv');
  const totals = await writeTripsCsv(file, { rows: 6000, quotedNewlineEvery: 7, seed: 9 });
  // A row holding a secret-looking value: row data must never reach a span.
  const { appendFileSync } = await import('node:fs');
  appendFileSync(file, `"${SECRET_ROW}",,,2023-05-05 00:00:00,x,1,1.00,\n`);
  const table = uniqueName('traced');
  const load = startCli(['load', file, '--table', table, '--workers', '2', '--chunk', '64KiB'], { ...t.env, DATABASE_URL: t.env.DATABASE_URL! });
  let killed = false;
  const deadline = Date.now() + 60_000;
  while (!killed && Date.now() < deadline && load.child.exitCode === null) {
    const { rows } = await t.pool.query<{ app: string }>(
      `SELECT application_name AS app FROM pg_stat_activity WHERE application_name LIKE 'copyfleet-worker-%' AND state = 'idle in transaction'`,
    );
    const pid = Number(rows[0]?.app.split('-').at(-1));
    if (Number.isInteger(pid) && pid > 0) {
      process.kill(pid, 'SIGKILL');
      killed = true;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const res = await load.done;
  expect(killed).toBe(true);
  expect(res.code, res.stderr).toBe(0);
  const runId = runIdOf(res.stdout);
  const run = await one<{ chunks: number; trace_parent: string | null }>(t.pool, 'SELECT chunks_total AS chunks, trace_parent FROM copyfleet.runs WHERE run_id = $1', [runId]);
  expect(run.trace_parent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  const traceId = run.trace_parent!.split('-')[1]!;

  // The exporters flush on exit; give the last batch a moment.
  await expect.poll(() => receiver.spans.filter((s) => s.name === 'report').length, { timeout: 10_000 }).toBeGreaterThan(0);
  const spans = receiver.spans.filter((s) => s.attributes['copyfleet.run_id'] === runId || s.traceId === traceId);
  expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([traceId]));
  // `copyfleet load` plans and hosts the compactor and the reporter itself (copyfleet-cli); the workers are processes.
  expect(new Set(spans.map((s) => s.service))).toEqual(new Set(['copyfleet-cli', 'copyfleet-worker']));
  expect([...new Set(spans.filter((s) => s.service === 'copyfleet-cli').map((s) => s.name))]).toEqual(expect.arrayContaining(['run', 'plan.enqueue', 'compact', 'report']));
  expect(spans.filter((s) => s.name === 'run')).toHaveLength(1);

  // Every chunk has a chunk span, and their rows add up to the table once (the killed attempt died with its process).
  const chunkSpans = spans.filter((s) => s.name === 'chunk');
  expect(new Set(chunkSpans.map((s) => s.attributes['copyfleet.chunk_no']))).toEqual(new Set(Array.from({ length: run.chunks }, (_, i) => i)));
  const rows = chunkSpans.reduce((n, s) => n + Number(s.attributes['copyfleet.rows'] ?? 0), 0);
  expect(rows).toBe(totals.rows + 1);
  // Parent links: every span's parent is in the trace, and there is one root.
  const ids = new Set(spans.map((s) => s.spanId));
  expect(spans.filter((s) => !s.parentSpanId)).toHaveLength(1);
  for (const s of spans) if (s.parentSpanId) expect(ids.has(s.parentSpanId), `${s.service} ${s.name}`).toBe(true);
  // The span budget: a handful per chunk attempt, not one per Redis command.
  expect(spans.length).toBeLessThanOrEqual(6 * chunkSpans.length + 20);

  const everything = receiver.raw.join('\n');
  expect(everything).not.toContain(PASSWORD);
  expect(everything).not.toContain(SECRET_ROW);
});
