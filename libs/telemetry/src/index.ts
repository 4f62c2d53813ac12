export { Attr, SpanName, serviceName, type AttrKey, type Service, type SpanAttributes, type SpanNameValue } from './attributes.js';
export { tracingEnabled, otlpMetricsEnabled } from './switch.js';
export {
  startTelemetry, currentTelemetry, withSpan, markSpanFailed, setSpanAttributes, injectContext, withParentContext, traceIdOf,
  type Telemetry, type TelemetryOptions, type PgSpans,
} from './tracing.js';
export { redactText, redactUrl, redactError, type RedactedError } from './redact.js';
export {
  startMetrics, recordChunkLoaded, recordChunkSkipped, recordChunkFailed, recordRunFinished, observeChunkStates,
  type Metrics, type MetricsOptions, type RunChunkStates, type ChunkStateReader,
} from './metrics.js';
export { startOpsServer, type OpsServer, type OpsServerOptions } from './ops-server.js';
export { startObservability, type Observability, type ObservabilityOptions } from './observability.js';
export { startOtlpReceiver, type OtlpReceiver, type OtlpReceiverOptions, type ReceivedSpan } from './otlp-receiver.js';
/** The span type withSpan hands to its function (a type only: nothing is loaded for it). */
export type { Span } from '@opentelemetry/api';
