/**
 * A small OTLP/HTTP receiver: what an OpenTelemetry collector does with
 * OTEL_EXPORTER_OTLP_PROTOCOL=http/json, without one (there is none in apt or npm). The
 * tests use it, and `trace-receiver.ts` runs it for `make load TRACE=1` on a machine with
 * no collector. POST /v1/traces and /v1/metrics bodies are kept raw (tests grep them for
 * secrets) and trace spans decoded; `onSpan` sees each span as it arrives. A body in
 * protobuf is kept raw but not decoded: use http/json.
 */
import { createServer, type Server } from 'node:http';
import { gunzipSync } from 'node:zlib';

export interface ReceivedSpan {
  service: string;
  scope: string;
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  attributes: Record<string, unknown>;
  status: { code?: number; message?: string };
  events: { name: string; attributes: Record<string, unknown> }[];
}

export interface OtlpReceiver {
  url: string;
  /** Every request body as received, decoded to text. */
  raw: string[];
  /** `POST path content-type` of every request. */
  requests: string[];
  spans: ReceivedSpan[];
  close(): Promise<void>;
}

export interface OtlpReceiverOptions {
  /** @defaultValue 0 (any free port) */
  port?: number;
  host?: string;
  /** Keep raw bodies and spans in memory (tests); a long-running receiver passes false. @defaultValue true */
  keep?: boolean;
  onSpan?: (span: ReceivedSpan & { startUnixNano: string; endUnixNano: string }) => void;
}

type AnyValue = { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean; arrayValue?: { values?: AnyValue[] } };
type KeyValue = { key: string; value: AnyValue };

function value(v: AnyValue): unknown {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(value);
  return undefined;
}
const attrs = (list: KeyValue[] | undefined): Record<string, unknown> => Object.fromEntries((list ?? []).map((kv) => [kv.key, value(kv.value)]));

export async function startOtlpReceiver(opts: OtlpReceiverOptions = {}): Promise<OtlpReceiver> {
  const keep = opts.keep ?? true;
  const raw: string[] = [];
  const requests: string[] = [];
  const spans: ReceivedSpan[] = [];
  const server: Server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      let body = Buffer.concat(parts);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const text = body.toString('utf8');
      if (keep) {
        raw.push(text);
        requests.push(`${req.method} ${req.url} ${req.headers['content-type']}`);
      }
      if (req.url === '/v1/traces' && String(req.headers['content-type']).includes('json')) {
        const doc = JSON.parse(text) as { resourceSpans?: { resource?: { attributes?: KeyValue[] }; scopeSpans?: { scope?: { name?: string }; spans?: Record<string, unknown>[] }[] }[] };
        for (const rs of doc.resourceSpans ?? []) {
          const service = String(attrs(rs.resource?.attributes)['service.name']);
          for (const ss of rs.scopeSpans ?? []) {
            for (const s of ss.spans ?? []) {
              const span = {
                service,
                scope: ss.scope?.name ?? '',
                name: String(s.name),
                traceId: String(s.traceId),
                spanId: String(s.spanId),
                parentSpanId: String(s.parentSpanId ?? ''),
                attributes: attrs(s.attributes as KeyValue[]),
                status: (s.status ?? {}) as ReceivedSpan['status'],
                events: ((s.events ?? []) as { name: string; attributes?: KeyValue[] }[]).map((e) => ({ name: e.name, attributes: attrs(e.attributes) })),
              };
              if (keep) spans.push(span);
              opts.onSpan?.({ ...span, startUnixNano: String(s.startTimeUnixNano), endUnixNano: String(s.endTimeUnixNano) });
            }
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const addr = server.address() as { port: number };
  return { url: `http://${host}:${addr.port}`, raw, requests, spans, close: () => new Promise((r) => server.close(() => r())) };
}
