/**
 * copyfleet's metrics, one set of instruments read two ways: scraped from /metrics
 * (Prometheus text, ops-server.ts) and, when tracing is on, pushed over OTLP with the
 * traces. Per run: the `copyfleet.run_id` attribute; per worker: each process is its own
 * scrape target and its own OTLP resource (service.instance.id = host/pid), and the
 * Prometheus output also carries service_name and service_instance_id as labels.
 *
 *   copyfleet.rows.loaded / rows.rejected / bytes.loaded   counters, per run
 *   copyfleet.chunk.duration                               histogram (s), per run and outcome
 *   copyfleet.chunk.failures                               counter, failed attempts
 *   copyfleet.copy.throughput                              gauge (By/s), the last COPY of this worker per run
 *   copyfleet.chunks{state=waiting|active|retrying|dead}   gauge, per run (from observeChunkStates)
 *   copyfleet.chunk.oldest_waiting_age                     gauge (s), per run — BullMQ has none (bullmq#3237)
 *
 * On /metrics the names are the OTel names with dots as underscores and `_total` on
 * counters (copyfleet_rows_loaded_total, copyfleet_chunk_duration_bucket, copyfleet_chunks);
 * attributes become labels (copyfleet_run_id, copyfleet_state).
 *   copyfleet.runs.finished{status}                        counter, per run end
 *
 * Before startMetrics() every record* call is a no-op. Cardinality: a run id per run;
 * each instrument is capped at 2000 attribute sets per process (the SDK's overflow
 * series after that), which a worker reaches only after thousands of runs; restart
 * long-lived workers now and then or scrape through an aggregating collector.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Counter, Gauge, Histogram, ObservableGauge } from '@opentelemetry/api';
import { Attr, serviceName, type Service } from './attributes.js';
import { otlpProtocol } from './switch.js';

export interface MetricsOptions {
  service: Service;
  /** Keep a Prometheus reader for /metrics. */
  prometheus: boolean;
  /** Push over OTLP (OTEL_EXPORTER_OTLP_* as for traces; OTEL_METRIC_EXPORT_INTERVAL, default 60000 ms). */
  otlp: boolean;
  env?: NodeJS.ProcessEnv;
}

export interface Metrics {
  /** Serves the Prometheus text format; null without the Prometheus reader. */
  readonly handler: ((req: IncomingMessage, res: ServerResponse) => void) | null;
  shutdown(): Promise<void>;
}

interface Instruments {
  rowsLoaded: Counter;
  rowsRejected: Counter;
  bytesLoaded: Counter;
  chunkDuration: Histogram;
  chunkFailures: Counter;
  throughput: Gauge;
  runsFinished: Counter;
  chunks: ObservableGauge;
  oldestWaiting: ObservableGauge;
}

let instruments: Instruments | null = null;
let started: Metrics | null = null;
let chunkStateReaders: ChunkStateReader[] = [];

const DURATION_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600];

export async function startMetrics(opts: MetricsOptions): Promise<Metrics> {
  if (started) return started;
  const env = opts.env ?? process.env;
  const [{ metrics }, sdk, { detectResources, envDetector, hostDetector }, { processResource }] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/sdk-metrics'),
    import('@opentelemetry/resources'),
    import('./resource.js'),
  ]);
  const readers: InstanceType<typeof sdk.MetricReader>[] = [];
  let handler: Metrics['handler'] = null;
  if (opts.prometheus) {
    const { PrometheusExporter } = await import('@opentelemetry/exporter-prometheus');
    const exporter = new PrometheusExporter({
      preventServerStart: true,
      withResourceConstantLabels: /^service\.(name|instance\.id)$/,
    });
    readers.push(exporter);
    handler = (req, res) => exporter.getMetricsRequestHandler(req, res);
  }
  if (opts.otlp) {
    const protocol = otlpProtocol(env, 'METRICS');
    const { OTLPMetricExporter } =
      protocol === 'http/json' ? await import('@opentelemetry/exporter-metrics-otlp-http') : await import('@opentelemetry/exporter-metrics-otlp-proto');
    const interval = Number(env.OTEL_METRIC_EXPORT_INTERVAL) || 60_000;
    readers.push(new sdk.PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter(metricsEndpoint(env)), exportIntervalMillis: interval, exportTimeoutMillis: Math.min(30_000, interval) }));
  }
  const service = env.OTEL_SERVICE_NAME?.trim() || serviceName(opts.service);
  const resource = processResource(service).merge(detectResources({ detectors: [envDetector, hostDetector] }));
  const provider = new sdk.MeterProvider({
    resource,
    readers,
    // One view only: every view an instrument matches is one more stream of it (a '*' view
    // beside this one doubled the histogram). The SDK's default limit of 2000 attribute sets applies.
    views: [
      { instrumentName: 'copyfleet.chunk.duration', aggregation: { type: sdk.AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: DURATION_BUCKETS } } },
    ],
  });
  metrics.setGlobalMeterProvider(provider);
  const meter = provider.getMeter('copyfleet');
  instruments = {
    rowsLoaded: meter.createCounter('copyfleet.rows.loaded', { description: 'Rows committed to the target table', unit: '{row}' }),
    rowsRejected: meter.createCounter('copyfleet.rows.rejected', { description: 'Records rejected (in copyfleet.rejects)', unit: '{row}' }),
    bytesLoaded: meter.createCounter('copyfleet.bytes.loaded', { description: 'Input bytes of committed chunks', unit: 'By' }),
    chunkDuration: meter.createHistogram('copyfleet.chunk.duration', { description: 'Time of one chunk attempt', unit: 's' }),
    chunkFailures: meter.createCounter('copyfleet.chunk.failures', { description: 'Chunk attempts that failed (retried or dead)', unit: '{attempt}' }),
    throughput: meter.createGauge('copyfleet.copy.throughput', { description: "Input bytes per second of this worker's last COPY", unit: 'By/s' }),
    runsFinished: meter.createCounter('copyfleet.runs.finished', { description: 'Runs that ended, by status', unit: '{run}' }),
    chunks: meter.createObservableGauge('copyfleet.chunks', { description: 'Chunks of unfinished runs by state', unit: '{chunk}' }),
    oldestWaiting: meter.createObservableGauge('copyfleet.chunk.oldest_waiting_age', { description: 'Age of the oldest chunk waiting to start', unit: 's' }),
  };
  const { chunks, oldestWaiting } = instruments;
  meter.addBatchObservableCallback(async (result) => {
    for (const read of chunkStateReaders) {
      let runs: RunChunkStates[];
      try {
        runs = await read();
      } catch {
        continue; // PostgreSQL or Redis away: no sample this scrape rather than a wrong one
      }
      for (const r of runs) {
        for (const state of ['waiting', 'active', 'retrying', 'dead'] as const) {
          result.observe(chunks, r[state], { [Attr.RunId]: r.runId, [Attr.State]: state });
        }
        result.observe(oldestWaiting, r.oldestWaitingSeconds ?? 0, { [Attr.RunId]: r.runId });
      }
    }
  }, [chunks, oldestWaiting]);

  started = {
    handler,
    shutdown: async () => {
      started = null;
      instruments = null;
      chunkStateReaders = [];
      metrics.disable();
      await provider.shutdown().catch(() => undefined);
    },
  };
  return started;
}

/** The OTLP metrics URL from `env` (the exporter itself would read process.env only). */
function metricsEndpoint(env: NodeJS.ProcessEnv): { url?: string } {
  const signal = env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT?.trim();
  if (signal) return { url: signal };
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  return base ? { url: `${base.replace(/\/+$/, '')}/v1/metrics` } : {};
}

/** A committed chunk: its rows, rejects and input bytes; `copySeconds` gives the throughput gauge. */
export function recordChunkLoaded(c: { runId: string; rows: number; rejects: number; bytes: number; seconds: number; copySeconds?: number; passThrough: boolean }): void {
  if (!instruments) return;
  const run = { [Attr.RunId]: c.runId };
  instruments.rowsLoaded.add(c.rows, run);
  instruments.rowsRejected.add(c.rejects, run);
  instruments.bytesLoaded.add(c.bytes, run);
  instruments.chunkDuration.record(c.seconds, { ...run, [Attr.Outcome]: 'loaded', [Attr.PassThrough]: c.passThrough });
  const copySeconds = c.copySeconds ?? c.seconds;
  if (copySeconds > 0) instruments.throughput.record(c.bytes / copySeconds, run);
}

/** An attempt that found the chunk already loaded (a duplicate or a retry after commit). */
export function recordChunkSkipped(c: { runId: string; seconds: number }): void {
  instruments?.chunkDuration.record(c.seconds, { [Attr.RunId]: c.runId, [Attr.Outcome]: 'skipped' });
}

export function recordChunkFailed(c: { runId: string; seconds: number }): void {
  if (!instruments) return;
  instruments.chunkDuration.record(c.seconds, { [Attr.RunId]: c.runId, [Attr.Outcome]: 'failed' });
  instruments.chunkFailures.add(1, { [Attr.RunId]: c.runId });
}

export function recordRunFinished(r: { runId: string; status: 'done' | 'failed' | 'cancelled' }): void {
  instruments?.runsFinished.add(1, { [Attr.RunId]: r.runId, [Attr.Status]: r.status });
}

/** The chunk states of one unfinished run, as the ledger and the queue say. */
export interface RunChunkStates {
  runId: string;
  waiting: number;
  active: number;
  retrying: number;
  dead: number;
  /** Seconds since the oldest waiting chunk was queued; null when none waits. */
  oldestWaitingSeconds: number | null;
}
export type ChunkStateReader = () => Promise<RunChunkStates[]>;

/**
 * Sample chunk states at each collection (scrape or OTLP push) with `read`. One process
 * per installation should do this (the compactor): every worker doing it would only
 * repeat the same numbers. Returns a function that stops it.
 */
export function observeChunkStates(read: ChunkStateReader): () => void {
  chunkStateReaders.push(read);
  return () => {
    chunkStateReaders = chunkStateReaders.filter((r) => r !== read);
  };
}
