/**
 * Span processors from the standard variables, as sdk-node builds them (it does not
 * export that function): OTEL_TRACES_EXPORTER = otlp (default) | console | none, and for
 * otlp OTEL_EXPORTER_OTLP_TRACES_PROTOCOL / OTEL_EXPORTER_OTLP_PROTOCOL = http/protobuf
 * (the SDK's default) | http/json | grpc. Endpoints, headers, timeouts and the batch
 * processor's OTEL_BSP_* are read by the exporters and the processor themselves.
 * copyfleet wraps these processors in a filter (span-filter.ts), so it builds them here.
 */
import { createRequire } from 'node:module';
import { diag } from '@opentelemetry/api';
import { otlpProtocol } from './switch.js';
import { BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';

const require = createRequire(import.meta.url);

function otlpTraceExporter(env: NodeJS.ProcessEnv): SpanExporter {
  const protocol = otlpProtocol(env, 'TRACES');
  // Loaded only for the protocol in use (grpc pulls in @grpc/grpc-js).
  switch (protocol) {
    case 'http/json':
      return new (require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter();
    case 'grpc':
      return new (require('@opentelemetry/exporter-trace-otlp-grpc') as typeof import('@opentelemetry/exporter-trace-otlp-grpc')).OTLPTraceExporter();
    default:
      if (protocol !== 'http/protobuf') diag.warn(`OTEL_EXPORTER_OTLP_PROTOCOL=${protocol} is not supported; using http/protobuf`);
      return new (require('@opentelemetry/exporter-trace-otlp-proto') as typeof import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter();
  }
}

export function spanProcessorsFromEnv(env: NodeJS.ProcessEnv = process.env): SpanProcessor[] {
  const names = [...new Set((env.OTEL_TRACES_EXPORTER ?? '').split(',').map((s) => s.trim()).filter(Boolean))];
  if (names.includes('none')) return [];
  if (names.length === 0) names.push('otlp');
  const processors: SpanProcessor[] = [];
  for (const name of names) {
    if (name === 'otlp') processors.push(new BatchSpanProcessor(otlpTraceExporter(env)));
    else if (name === 'console') processors.push(new SimpleSpanProcessor(new ConsoleSpanExporter()));
    else diag.warn(`OTEL_TRACES_EXPORTER=${name} is not supported by copyfleet; supported: otlp, console, none`);
  }
  return processors;
}
