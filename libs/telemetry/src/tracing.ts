/**
 * Tracing for copyfleet's processes: one trace per run.
 *
 *   splitter   startTelemetry({ service: 'splitter' }); withSpan('run', …) is the root;
 *              injectContext() inside it is the run's W3C traceparent, saved in
 *              copyfleet.runs.trace_parent and carried in every job's data;
 *   worker     withParentContext(job.data.traceParent, () => withSpan('chunk', …)) per
 *              attempt, with chunk.read/parse/copy/commit inside;
 *   compactor, reporter   the same with the run's traceparent.
 *
 * Off (switch.ts): startTelemetry() imports nothing and withSpan() is `fn(NOOP_SPAN)` —
 * bullmq's `trace()` habit. On: @opentelemetry/sdk-node with the standard OTEL_*
 * variables (exporter, endpoint, protocol incl. http/json, resource attributes), plus
 * instrumentation-pg limited to queries under a copyfleet span, and only failed or slow
 * queries exported (TRACE_PG, span-filter.ts): a chunk costs about five spans, never one
 * per Redis command.
 *
 * Propagation is copyfleet's own, through job data, not bullmq-otel: bullmq-otel adds
 * spans per queue operation and a stalled-checker span that lives as long as the worker
 * (taskforcesh/bullmq#4731), and the run must be joinable from PostgreSQL alone (a
 * resumed run re-queues chunks from the ledger, long after the producer's span ended).
 */
// Types only: while tracing is off not even the API package is loaded.
import type { Span, SpanContext, Tracer } from '@opentelemetry/api';
import { Attr, serviceName, type Service, type SpanAttributes, type SpanNameValue } from './attributes.js';
import { redactError } from './redact.js';
import { otlpMetricsEnabled, tracingEnabled } from './switch.js';

/** Which pg query spans are exported: failed and slow ones (default), all, or none. */
export type PgSpans = 'slow' | 'all' | 'off';

export interface TelemetryOptions {
  service: Service;
  /** @defaultValue 'slow' */
  pgSpans?: PgSpans;
  env?: NodeJS.ProcessEnv;
}

export interface Telemetry {
  /** Whether spans are recorded and exported. */
  readonly tracing: boolean;
  /** Whether metrics go out over OTLP too (the /metrics endpoint is separate: ops-server.ts). */
  readonly otlpMetrics: boolean;
  readonly service: string;
  /** Flush what is buffered and stop; bounded by `timeoutMs` so a dead collector cannot hold an exit. */
  shutdown(timeoutMs?: number): Promise<void>;
}

interface Started {
  sdk: { shutdown(): Promise<void> };
  tracer: Tracer;
  api: typeof import('@opentelemetry/api');
}

let started: Started | null = null;
let current: Telemetry | null = null;

export async function startTelemetry(opts: TelemetryOptions): Promise<Telemetry> {
  const env = opts.env ?? process.env;
  const service = env.OTEL_SERVICE_NAME?.trim() || serviceName(opts.service);
  if (current) return current;
  if (!tracingEnabled(env)) {
    current = { tracing: false, otlpMetrics: false, service, shutdown: async () => undefined };
    return current;
  }
  // Only now: the SDK costs ~150 ms of start-up and memory nobody asked for when off.
  const [api, { NodeSDK }, { PgInstrumentation }, { processResource }, { keepSpan, FilteringSpanProcessor }, { spanProcessorsFromEnv }, { envDetector, hostDetector }] =
    await Promise.all([
      import('@opentelemetry/api'),
      import('@opentelemetry/sdk-node'),
      import('@opentelemetry/instrumentation-pg'),
      import('./resource.js'),
      import('./span-filter.js'),
      import('./sdk-env.js'),
      import('@opentelemetry/resources'),
    ]);
  const pgSpans = opts.pgSpans ?? 'slow';
  const instrumentations =
    pgSpans === 'off'
      ? []
      : [
          new PgInstrumentation({
            // Only queries inside a copyfleet span (a chunk, a report query): no spans for the pool's idle chatter.
            requireParentSpan: true,
            ignoreConnectSpans: true,
            // Never the query's parameter values: they are row data (rejects' raw text).
            enhancedDatabaseReporting: false,
          }),
        ];
  const sdk = new NodeSDK({
    serviceName: service,
    resource: processResource(service),
    // Not the SDK's processDetector: it exports process.command_args, and a command line
    // may hold a connection string with its password (found by the secret grep test).
    resourceDetectors: [envDetector, hostDetector],
    instrumentations,
    spanProcessors: spanProcessorsFromEnv().map((p) => new FilteringSpanProcessor(p, (s) => keepSpan(s, pgSpans))),
    // Metrics have their own MeterProvider (metrics.ts), which also serves /metrics when tracing is off.
    metricReaders: [],
    // copyfleet writes its logs to stderr itself; no OTLP log pipeline.
    logRecordProcessors: [],
  });
  sdk.start();
  started = { sdk, tracer: api.trace.getTracer('copyfleet'), api };
  const stop = started;
  current = {
    tracing: true,
    otlpMetrics: otlpMetricsEnabled(env),
    service,
    shutdown: async (timeoutMs = 5000) => {
      if (started !== stop) return;
      started = null;
      current = null;
      await Promise.race([stop.sdk.shutdown().catch(() => undefined), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    },
  };
  return current;
}

/** The telemetry started in this process, if any. */
export function currentTelemetry(): Telemetry | null {
  return current;
}

/** The no-op span handed to withSpan's function while tracing is off (the API's own would need the API loaded). */
const NOOP_CONTEXT: SpanContext = { traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 0 };
const NOOP_SPAN: Span = {
  spanContext: () => NOOP_CONTEXT,
  setAttribute: () => NOOP_SPAN,
  setAttributes: () => NOOP_SPAN,
  addEvent: () => NOOP_SPAN,
  addLink: () => NOOP_SPAN,
  addLinks: () => NOOP_SPAN,
  setStatus: () => NOOP_SPAN,
  updateName: () => NOOP_SPAN,
  end: () => undefined,
  isRecording: () => false,
  recordException: () => undefined,
};
const STATUS_ERROR = 2; // SpanStatusCode.ERROR

/**
 * Run `fn` in a span named `name` with `attrs`. An exception is recorded (redacted: no
 * row values, no secrets), the span marked ERROR, and the exception rethrown; the span
 * ends in every case. `fn` may add counts with `span.setAttributes`.
 */
export async function withSpan<T>(name: SpanNameValue, attrs: SpanAttributes, fn: (span: Span) => Promise<T> | T): Promise<T> {
  if (!started) return fn(NOOP_SPAN);
  return started.tracer.startActiveSpan(name, { attributes: attrs }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      markSpanFailed(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Record `err` on `span` (redacted) and mark it ERROR, for spans that fail without throwing. */
export function markSpanFailed(span: Span, err: unknown): void {
  const e = redactError(err);
  span.recordException({ name: e.name, message: e.message, ...(e.code ? { code: e.code } : {}), ...(e.stack ? { stack: e.stack } : {}) });
  span.setStatus({ code: STATUS_ERROR, message: e.code ? `${e.name} (SQLSTATE ${e.code}): ${e.message}` : `${e.name}: ${e.message}` });
}

/** Set counts on the active span (e.g. rows and rejects once a chunk is parsed); no-op when off. */
export function setSpanAttributes(attrs: SpanAttributes): void {
  if (started) started.api.trace.getActiveSpan()?.setAttributes(attrs);
}

/** The active span's W3C traceparent ("00-<trace>-<span>-01"), or null when tracing is off or no span is active. */
export function injectContext(): string | null {
  if (!started) return null;
  const carrier: Record<string, string> = {};
  started.api.propagation.inject(started.api.context.active(), carrier);
  return carrier.traceparent ?? null;
}

/**
 * Run `fn` with the span context of `traceparent` as parent, so spans started inside join
 * that trace (a chunk's span under its run's span). A missing or malformed traceparent
 * starts a trace of its own.
 */
export async function withParentContext<T>(traceparent: string | null | undefined, fn: () => Promise<T> | T): Promise<T> {
  if (!started || !traceparent) return fn();
  const { propagation, context, ROOT_CONTEXT } = started.api;
  return context.with(propagation.extract(ROOT_CONTEXT, { traceparent }), fn);
}

/** The trace id of a traceparent (for logs and the dashboard's trace link), or null. */
export function traceIdOf(traceparent: string | null | undefined): string | null {
  const m = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(traceparent ?? '');
  return m && m[1] !== '0'.repeat(32) ? m[1]! : null;
}

export { Attr };
