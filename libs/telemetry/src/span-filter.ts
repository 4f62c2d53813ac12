/**
 * The span budget, and pg spans made safe to export.
 *
 * instrumentation-pg makes a span per query; a chunk runs about ten (ledger, BEGIN,
 * lock, markLoaded, COMMIT, settle). By default (TRACE_PG=slow) a pg span is exported
 * only when its query failed or took at least SLOW_QUERY_MS; copyfleet's own spans
 * always are. pg spans are leaves, so dropping one leaves no span without its parent.
 * Together: about five spans per chunk attempt, plus the odd slow query.
 *
 * Two things instrumentation-pg (0.76) gets wrong for us, found by the tests here:
 *  - a COPY through pg-copy-streams is a "submittable" query that returns neither a
 *    promise nor takes a callback, so its span is never ended and never exported — it
 *    has no row count either. copyfleet's chunk.copy span is the COPY's span: bytes,
 *    rows, and ERROR when PostgreSQL refuses it;
 *  - a failed query's span status carries PostgreSQL's raw message, which quotes the
 *    offending value (row data). The status message is redacted here before export.
 */
import type { Context } from '@opentelemetry/api';
import { SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { redactError } from './redact.js';
import type { PgSpans } from './tracing.js';

export const SLOW_QUERY_MS = 100;

const isPgSpan = (span: ReadableSpan): boolean => span.instrumentationScope.name.includes('instrumentation-pg');

export function keepSpan(span: ReadableSpan, pgSpans: PgSpans): boolean {
  if (!isPgSpan(span)) return true;
  if (pgSpans === 'all') return true;
  if (pgSpans === 'off') return false;
  const ms = span.duration[0] * 1000 + span.duration[1] / 1e6;
  return span.status.code === SpanStatusCode.ERROR || ms >= SLOW_QUERY_MS;
}

/** A pg span whose status message is redacted like copyfleet's own (no quoted values, no secrets). */
function redactPgStatus(span: ReadableSpan): ReadableSpan {
  if (!isPgSpan(span) || !span.status.message) return span;
  const err = Object.assign(new Error(span.status.message), { code: '00000' });
  const status = { ...span.status, message: redactError(err).message };
  return new Proxy(span, { get: (target, key, receiver) => (key === 'status' ? status : Reflect.get(target, key, receiver)) });
}

export class FilteringSpanProcessor implements SpanProcessor {
  constructor(
    private readonly inner: SpanProcessor,
    private readonly keep: (span: ReadableSpan) => boolean,
  ) {}
  onStart(span: Span, parentContext: Context): void {
    this.inner.onStart(span, parentContext);
  }
  onEnd(span: ReadableSpan): void {
    if (this.keep(span)) this.inner.onEnd(redactPgStatus(span));
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}
