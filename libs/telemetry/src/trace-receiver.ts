#!/usr/bin/env node
/**
 * A local trace receiver for machines without a collector (`make load TRACE=1` starts it):
 *
 *   node libs/telemetry/dist/trace-receiver.js [--port 4318] [--out .data/traces/spans.jsonl]
 *
 * Listens for OTLP/HTTP with JSON bodies (OTEL_EXPORTER_OTLP_PROTOCOL=http/json) and
 * appends one line per span to the file: service, name, trace and span ids, parent,
 * start, duration, status and attributes. On SIGTERM/SIGINT it prints how many spans and
 * traces it got, by service. Query the file with jq, e.g.
 *   jq -r 'select(.name=="chunk") | [.attributes["copyfleet.chunk_no"], .durationMs] | @tsv' spans.jsonl
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { startOtlpReceiver, type OtlpReceiver } from './otlp-receiver.js';

const { values } = parseArgs({ options: { port: { type: 'string', default: '4318' }, out: { type: 'string', default: '.data/traces/spans.jsonl' }, host: { type: 'string', default: '127.0.0.1' } } });
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`trace-receiver: --port ${values.port} is not a port number\n`);
  process.exit(2);
}
mkdirSync(dirname(values.out), { recursive: true });
const out = createWriteStream(values.out, { flags: 'a' });
const traces = new Set<string>();
const byService = new Map<string, number>();
let receiver: OtlpReceiver;
try {
  receiver = await startOtlpReceiver({
    port,
    host: values.host,
    keep: false,
    onSpan: (s) => {
      traces.add(s.traceId);
      byService.set(s.service, (byService.get(s.service) ?? 0) + 1);
      const durationMs = Number((BigInt(s.endUnixNano) - BigInt(s.startUnixNano)) / 1000n) / 1000;
      out.write(`${JSON.stringify({ service: s.service, name: s.name, traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId, start: new Date(Number(BigInt(s.startUnixNano) / 1_000_000n)).toISOString(), durationMs, status: s.status, attributes: s.attributes })}\n`);
    },
  });
} catch (err) {
  process.stderr.write(`trace-receiver: cannot listen on ${values.host}:${port} (${(err as Error).message}); choose another --port\n`);
  process.exit(1);
}
process.stderr.write(`trace-receiver: listening on ${receiver.url} (OTLP http/json), writing ${values.out}\n`);
const stop = async (): Promise<void> => {
  await receiver.close();
  out.end();
  const spans = [...byService.values()].reduce((a, b) => a + b, 0);
  const services = [...byService].map(([s, n]) => `${s} ${n}`).join(', ');
  process.stderr.write(`trace-receiver: ${spans} span(s) in ${traces.size} trace(s)${services ? `: ${services}` : ''}\n`);
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
