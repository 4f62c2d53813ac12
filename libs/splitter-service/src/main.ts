/**
 * `copyfleet splitter-service`: the API on SPLITTER_HOST:SPLITTER_PORT, the run finalizer,
 * the worker scaler when SCALE_WORKERS=true, and — like every long-running process —
 * /healthz, /readyz and /metrics on METRICS_PORT (libs/telemetry), until SIGTERM/SIGINT.
 */
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { maskUrl, type Config } from '@copyfleet/config';
import { checkAuthSettings } from '@copyfleet/http-auth';
import { createLogger, openContextPatiently, type Context, type Logger } from '@copyfleet/run';
import { startObservability } from '@copyfleet/telemetry';
import { createSplitterApp, readiness } from './app.js';
import { Finalizer, type FinalizerOptions } from './finalizer.js';
import { WorkerScaler } from './scaler.js';

export interface SplitterService {
  url: string;
  finalizer: Finalizer;
  scaler: WorkerScaler | null;
  close(): Promise<void>;
}

/** Start the API, the finalizer and the scaler on an open context (tests call this in-process). */
export async function startSplitterService(ctx: Context, log: Logger, opts: FinalizerOptions = {}): Promise<SplitterService> {
  const { config } = ctx;
  const finalizer = new Finalizer(ctx, log, opts);
  const app = createSplitterApp({ ctx, host: config.splitterHost, token: config.splitterToken, finalizer, log });
  const server = createServer(app);
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new Error(`port ${config.splitterPort} is in use: set SPLITTER_PORT to a free port`, { cause: err }) : err),
    );
    server.listen(config.splitterPort, config.splitterHost, () => resolve());
  });
  await finalizer.start();
  const scaler = config.scaleWorkers
    ? new WorkerScaler({
        db: ctx.pool,
        namespace: config.podNamespace || serviceAccountNamespace() || 'default',
        deployment: config.workerDeployment,
        min: config.scaleWorkersMin,
        max: config.scaleWorkersMax,
        chunksPerWorker: config.chunksPerWorker,
        log,
        intervalMs: config.scaleIntervalMs,
      })
    : null;
  scaler?.start();
  return {
    url: urlOf(server, config.splitterHost),
    finalizer,
    scaler,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await scaler?.stop();
      await finalizer.stop();
    },
  };
}

export async function serveSplitter(config: Config): Promise<void> {
  checkAuthSettings({
    host: config.splitterHost,
    token: '',
    operatorToken: config.splitterToken,
    service: { name: 'the splitter service', fix: 'set SPLITTER_TOKEN, or SPLITTER_HOST=127.0.0.1' },
  });
  const log = createLogger('splitter');
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  let ctx: Context | null = null;
  const obs = await startObservability({
    service: 'splitter',
    metricsPort: config.metricsPort,
    metricsHost: config.metricsHost,
    pgSpans: config.tracePg,
    ready: async () => ctx !== null && !stop.signal.aborted && (await readiness(ctx)).ready,
  });
  if (obs.ops) log.info('ops endpoint', { port: obs.ops.port });
  ctx = await openContextPatiently(config, 'splitter', log, stop.signal);
  if (!ctx) return void (await obs.shutdown());
  let service: SplitterService;
  try {
    service = await startSplitterService(ctx, log);
  } catch (err) {
    await ctx.close();
    await obs.shutdown();
    throw err;
  }
  const access = config.splitterToken ? 'token required' : 'open to this machine (no token set)';
  process.stdout.write(`copyfleet: splitter service on ${service.url} (${access}); data from ${maskUrl(config.databaseUrl)}${service.scaler ? `; scaling ${config.workerDeployment}` : ''}\n`);
  if (!stop.signal.aborted) await new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true }));
  log.info('stopping: runs go on; another replica or the next start follows them');
  await service.close();
  await ctx.close();
  await obs.shutdown();
}

function urlOf(server: Server, host: string): string {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** The pod's namespace from its service account, when it has one mounted. */
function serviceAccountNamespace(): string | null {
  try {
    return readFileSync('/var/run/secrets/kubernetes.io/serviceaccount/namespace', 'utf8').trim() || null;
  } catch {
    return null;
  }
}
