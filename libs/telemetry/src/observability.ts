/**
 * What a long-running process calls once at start-up: tracing (when configured), the
 * metrics, and the ops endpoint on METRICS_PORT. `shutdown()` flushes spans and metrics
 * (bounded) and closes the endpoint; call it after the queue worker has closed.
 */
import type { Service } from './attributes.js';
import { startMetrics, type Metrics } from './metrics.js';
import { startOpsServer, type OpsServer } from './ops-server.js';
import { startTelemetry, type PgSpans, type Telemetry } from './tracing.js';

export interface ObservabilityOptions {
  service: Service;
  /** null: no ops endpoint (METRICS_PORT=off); 0: any free port. */
  metricsPort: number | null;
  metricsHost?: string;
  pgSpans?: PgSpans;
  ready?: () => boolean | Promise<boolean>;
  env?: NodeJS.ProcessEnv;
}

export interface Observability {
  telemetry: Telemetry;
  metrics: Metrics | null;
  ops: OpsServer | null;
  shutdown(timeoutMs?: number): Promise<void>;
}

export async function startObservability(opts: ObservabilityOptions): Promise<Observability> {
  const telemetry = await startTelemetry({ service: opts.service, ...(opts.pgSpans ? { pgSpans: opts.pgSpans } : {}), ...(opts.env ? { env: opts.env } : {}) });
  const serve = opts.metricsPort !== null;
  const metrics = serve || telemetry.otlpMetrics ? await startMetrics({ service: opts.service, prometheus: serve, otlp: telemetry.otlpMetrics, ...(opts.env ? { env: opts.env } : {}) }) : null;
  const ops = serve
    ? await startOpsServer({ port: opts.metricsPort!, ...(opts.metricsHost ? { host: opts.metricsHost } : {}), ...(opts.ready ? { ready: opts.ready } : {}), metrics: metrics?.handler ?? null })
    : null;
  return {
    telemetry,
    metrics,
    ops,
    shutdown: async (timeoutMs = 5000) => {
      await Promise.allSettled([
        ops?.close(),
        metrics ? Promise.race([metrics.shutdown(), new Promise((r) => setTimeout(r, timeoutMs).unref())]) : undefined,
        telemetry.shutdown(timeoutMs),
      ]);
    },
  };
}
