/**
 * The ops endpoint of a long-running process (worker, compactor, reporter):
 *
 *   GET /metrics   Prometheus text (metrics.ts)
 *   GET /healthz   200 while the process answers (liveness: the event loop is not stuck)
 *   GET /readyz    200 when `ready()` says so (connected, not stopping), else 503
 *
 * node:http, not a framework: three fixed GET routes, and the Prometheus exporter's
 * handler takes node's request and response as they are.
 *
 * Ports: METRICS_PORT (default 9464, Prometheus' registered port for OTel). A port in use
 * is not an error: the next one up is tried, up to `portSpan` ports (default 64), so N
 * workers on one host take 9464, 9465, … (scrape the range, or read the port from the
 * "ops endpoint" log line). METRICS_PORT=0 lets the system choose; off disables it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface OpsServerOptions {
  port: number;
  /** @defaultValue '0.0.0.0' (Prometheus in a cluster scrapes the pod's address) */
  host?: string;
  /** How many ports from `port` up may be tried when one is taken. @defaultValue 64 */
  portSpan?: number;
  ready?: () => boolean | Promise<boolean>;
  metrics?: ((req: IncomingMessage, res: ServerResponse) => void) | null;
}

export interface OpsServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startOpsServer(opts: OpsServerOptions): Promise<OpsServer> {
  const server = createServer((req, res) => void handle(opts, req, res));
  server.keepAliveTimeout = 5000;
  const host = opts.host ?? '0.0.0.0';
  const span = opts.port === 0 ? 1 : Math.max(1, opts.portSpan ?? 64);
  for (let i = 0; i < span; i++) {
    const port = opts.port === 0 ? 0 : opts.port + i;
    if (port > 65535) break;
    const bound = await listen(server, port, host);
    if (bound === 'in-use') continue;
    server.unref(); // the ops endpoint never keeps a process alive
    return { port: bound, close: () => new Promise((r) => server.close(() => r())) };
  }
  throw new Error(`METRICS_PORT: ports ${opts.port}-${opts.port + span - 1} on ${host} are all in use; set METRICS_PORT to a free port, 0 for any, or off`);
}

function listen(server: Server, port: number, host: string): Promise<number | 'in-use'> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (err.code === 'EADDRINUSE') resolve('in-use');
      else reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

async function handle(opts: OpsServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed\n', { allow: 'GET, HEAD' });
  if (path === '/healthz') return send(res, 200, 'ok\n');
  if (path === '/readyz') {
    let ready = false;
    try {
      ready = opts.ready ? await opts.ready() : true;
    } catch {
      ready = false;
    }
    return send(res, ready ? 200 : 503, ready ? 'ready\n' : 'not ready\n');
  }
  if (path === '/metrics' && opts.metrics) return opts.metrics(req, res);
  send(res, 404, 'not found: try /metrics, /healthz or /readyz\n');
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(body);
}
