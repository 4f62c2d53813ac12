/**
 * Whether tracing is on, decided from the standard OTEL_* variables alone, without
 * loading any of the SDK: copyfleet's telemetry is OFF unless an exporter is configured.
 *
 *   on   when OTEL_SDK_DISABLED is not "true" AND one of
 *          OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set, or
 *          OTEL_TRACES_EXPORTER names an exporter (otlp, console, zipkin) other than "none";
 *   off  otherwise: no SDK module is imported, no loader hook is registered, and
 *        withSpan() only calls its function.
 *
 * (The SDK's own default is "on with an OTLP exporter to localhost:4318"; a loader that
 * sends spans to nowhere by default would be a surprise, so copyfleet asks for one.)
 */
export function tracingEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  if ((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true') return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  if (exporters.includes('none')) return false;
  if (exporters.length > 0) return true;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim());
}

/** OTLP metrics export rides on the same switch, unless OTEL_METRICS_EXPORTER says "none". */
export function otlpMetricsEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  if (!tracingEnabled(env)) return false;
  const exporters = (env.OTEL_METRICS_EXPORTER ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  return !exporters.includes('none') && (exporters.length === 0 || exporters.includes('otlp'));
}

/** The OTLP protocol for a signal: http/protobuf (the SDK's default), http/json or grpc. */
export function otlpProtocol(env: NodeJS.ProcessEnv, signal: 'TRACES' | 'METRICS'): string {
  return (env[`OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`] ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? '').trim() || 'http/protobuf';
}
