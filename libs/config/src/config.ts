/**
 * All of copyfleet's settings, read from the environment once and validated here.
 * Precedence: an explicit value (CLI flag) beats the environment, which beats a
 * `.env` file in the working directory, which beats the default.
 */
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseEnv } from 'node:util';
import { z } from 'zod';
import { parseSize } from './size.js';

const size = z.union([z.string(), z.number()]).transform((v, ctx) => {
  try {
    return parseSize(v);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});
const int = (min: number) => z.coerce.number().int().min(min);
const METRICS_PORT_RULE = 'METRICS_PORT is a port number (0 for any free one) or off';
const copyFormatSchema = z.enum(['auto', 'text', 'binary'], { error: 'COPY_FORMAT is auto, text or binary' });
const tracePgSchema = z.enum(['slow', 'all', 'off'], { error: 'TRACE_PG is slow (failed queries and those over 100 ms), all or off' });

const schema = z.object({
  /** PostgreSQL connection string. `make setup` writes one to .env for the local instance. */
  databaseUrl: z.string().min(1, 'DATABASE_URL is not set: run `make setup` (it starts a local PostgreSQL and writes .env) or export DATABASE_URL'),
  /** Redis connection string for the BullMQ queues. */
  redisUrl: z.string().min(1, 'REDIS_URL is not set: run `make setup` or export REDIS_URL'),
  /**
   * Target chunk size in bytes. Larger chunks mean fewer queue round trips and
   * commits; a worker holds about one chunk of encoded rows in memory.
   * @defaultValue 64MiB (at most 512MiB)
   */
  chunkBytes: size.pipe(z.number().int().min(1).max(512 * 1024 ** 2, 'CHUNK is at most 512MiB: a worker holds one chunk of rows in memory')),
  /**
   * Small files' chunks go to the workers in packs of about this many bytes, loaded in one
   * transaction (a job's fixed cost, ~10 ms, paid once a pack); 0: every chunk is its own job.
   * @defaultValue 16MiB (at most CHUNK)
   */
  packBytes: size.pipe(z.number().int().min(0)),
  /** Worker processes `copyfleet load` starts locally. @defaultValue number of cores */
  workers: int(1).max(256),
  /** Records longer than this become rejects. @defaultValue 64MiB */
  maxRecordBytes: size.pipe(z.number().int().min(1024)),
  /** PostgreSQL connections per worker process (one COPY at a time plus one for DDL). */
  pgPoolMax: int(1).max(64),
  /**
   * Idle time before the first TCP keepalive probe on every PostgreSQL and Redis
   * connection, both ends (client sockets; the server's tcp_keepalives_idle for our
   * sessions). Shorter than the idle timeout of any NAT or load balancer on the path
   * keeps idle connections alive through it. @defaultValue 5000
   */
  tcpKeepaliveMs: int(1000),
  /**
   * How soon PostgreSQL drops a session of ours whose client stopped answering (a
   * partition, a node gone): tcp_user_timeout, and keepalive probes that fail within it.
   * Until then a dead worker's ledger row lock holds its chunk. @defaultValue 30000
   */
  pgDeadPeerMs: int(1000),
  /**
   * idle_in_transaction_session_timeout of the workers' sessions: a loading transaction
   * waits for Node to parse its chunk; longer than this, the worker is stuck and its
   * transaction is ended. @defaultValue max(60 s, 1 s per MiB of CHUNK)
   */
  pgIdleInTxMs: int(1000).optional(),
  /**
   * statement_timeout and lock_timeout of the workers' sessions: one COPY of a chunk, or a
   * duplicate waiting on its ledger row. @defaultValue max(5 min, 4 s per MiB of CHUNK)
   */
  pgStatementTimeoutMs: int(1000).optional(),
  /**
   * How rows that copyfleet parses (JSON, CSV on the parse path) go to COPY: `binary` moves
   * the text → value work (numeric, timestamp, float parsing, unescaping) from PostgreSQL's
   * backend to the workers, `text` keeps it in the database; `auto` is binary when the
   * workers are not on the database's host (DATABASE_URL's host is not localhost,
   * 127.0.0.0/8, ::1 or a unix socket) and text otherwise (copyFormatFor; docs/copy-format.md).
   * CSV streamed unparsed is always text. @defaultValue auto
   */
  copyFormat: copyFormatSchema,
  /**
   * How long a worker keeps its chunk through an outage of the input's store (S3
   * unreachable, timing out, 5xx) without spending an attempt; past it every failure
   * spends one. @defaultValue 900000 (15 min)
   */
  sourceOutageMs: int(0),
  /** Key prefix for the BullMQ queues, so several installations can share one Redis. */
  queuePrefix: z.string().regex(/^[A-Za-z0-9_.-]+$/),
  /** BullMQ lock: a chunk whose worker stops renewing it for this long is taken over. @defaultValue 30000 */
  lockDurationMs: int(1000),
  /** How often BullMQ looks for stalled chunks. @defaultValue 15000 */
  stalledIntervalMs: int(500),
  /** Times a chunk may stall (worker died) before it counts as failed. @defaultValue 10 */
  maxStalledCount: int(0),
  /** Attempts per chunk for errors that are not bad rows, with exponential backoff. @defaultValue 8 */
  attempts: int(1),
  /** First retry delay; doubles each attempt, with jitter. @defaultValue 1000 */
  backoffMs: int(0),
  /** Where the reporter writes `<run_id>/<report>.{csv,json,arrow}`. */
  reportsDir: z.string().min(1),
  /**
   * Where compressed inputs are decompressed before loading; every worker must see it
   * (a shared volume on a cluster). Needs the uncompressed size free. @defaultValue .data/staging
   */
  stagingDir: z.string().min(1),
  /** Schema of target tables created without a qualified name. */
  defaultSchema: z.string().min(1),
  /** SIGTERM grace period for a worker to finish or release its chunk. @defaultValue 30000 */
  shutdownGraceMs: int(0),
  /**
   * Port of the ops endpoint (/metrics, /healthz, /readyz) of workers, compactor and
   * reporter. A port in use makes the process try the next ones (N workers on one host
   * take 9464, 9465, …); 0 lets the system pick; `off` serves nothing. @defaultValue 9464
   */
  metricsPort: z.union([z.literal('off').transform(() => null), int(0).max(65535, METRICS_PORT_RULE)], { error: METRICS_PORT_RULE }),
  /** Address the ops endpoint binds. @defaultValue 0.0.0.0 (a cluster's Prometheus scrapes the pod address) */
  metricsHost: z.string().min(1),
  /** Which pg query spans a trace keeps (when tracing is on): failed and slow (>= 100 ms) ones, all, or off. @defaultValue slow */
  tracePg: tracePgSchema,
  /**
   * Webhooks (comma-separated http(s) URLs: Slack or Teams incoming webhooks, or any
   * receiver of JSON) that get each run's summary when it ends. @defaultValue none
   */
  notifyUrls: z.string().transform((v, ctx) => {
    const urls = v.split(',').map((s) => s.trim()).filter(Boolean);
    for (const u of urls) {
      let ok = false;
      try {
        ok = ['http:', 'https:'].includes(new URL(u).protocol);
      } catch {
        ok = false;
      }
      // The URL itself is not repeated: a webhook URL is a secret (its path is the token).
      if (!ok) ctx.addIssue({ code: 'custom', message: `entry ${urls.indexOf(u) + 1} is not an http(s) URL; write comma-separated webhook URLs` });
    }
    return urls;
  }),
  /** Public address of the dashboard, for the links in notifications. @defaultValue none (no link) */
  dashboardUrl: z.union([z.literal(''), z.url({ protocol: /^https?$/, error: 'DASHBOARD_URL is an http(s) URL, e.g. https://copyfleet.example.com' })]),
  /** Port of `copyfleet dashboard` (0: any free port, printed at start). @defaultValue 3000 */
  dashboardPort: int(0).max(65535),
  /**
   * Address the dashboard listens on. Anything but 127.0.0.1 / ::1 / localhost needs
   * DASHBOARD_TOKEN: the dashboard refuses to start open to a network. @defaultValue 127.0.0.1
   */
  dashboardHost: z.string().min(1),
  /** Token of the viewer role (read-only pages and API); empty: none. Never printed. */
  dashboardToken: z.string(),
  /** Token of the operator role (retry, resume, cancel, bull-board actions); empty: nobody off localhost. */
  dashboardOperatorToken: z.string(),
  /** Port of `copyfleet splitter-service`, the HTTP API that takes loads (0: any free port, printed at start). @defaultValue 8080 */
  splitterPort: int(0).max(65535),
  /**
   * Address the splitter service listens on. Anything but 127.0.0.1 / ::1 / localhost needs
   * SPLITTER_TOKEN: the service refuses to start open to a network. @defaultValue 127.0.0.1 (the chart sets 0.0.0.0)
   */
  splitterHost: z.string().min(1),
  /** Bearer token the splitter service's API requires (and `copyfleet … --cluster` sends); empty: none. Never printed. */
  splitterToken: z.string(),
  /** The splitter service sets the worker Deployment's scale while chunks wait (cluster mode without KEDA). @defaultValue false */
  scaleWorkers: z.enum(['true', 'false', '1', '0'], { error: 'SCALE_WORKERS is true or false' }).transform((v) => v === 'true' || v === '1'),
  /** The worker Deployment the splitter service scales (SCALE_WORKERS=true needs it). */
  workerDeployment: z.string().regex(/^$|^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'WORKER_DEPLOYMENT is a Kubernetes object name (lower case letters, digits, - and .)'),
  /** Namespace of the worker Deployment; empty: the service account's namespace file, else default. */
  podNamespace: z.string().regex(/^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'POD_NAMESPACE is a Kubernetes namespace name'),
  /** Workers when no chunk waits (SCALE_WORKERS). @defaultValue 0 */
  scaleWorkersMin: int(0).max(10_000),
  /** Most workers the splitter service scales to (SCALE_WORKERS). @defaultValue 10 */
  scaleWorkersMax: int(1).max(10_000),
  /** Chunks waiting or running per worker: workers = ceil(chunks ÷ this), within min and max. @defaultValue 2 */
  chunksPerWorker: int(1),
  /** How often the splitter service looks at the pending chunks to scale workers (SCALE_WORKERS). @defaultValue 5000 */
  scaleIntervalMs: int(100),
  /** Trace UI link for a run's trace id: `{traceId}` is replaced (else the id is appended); empty: no link. */
  traceUiUrl: z.string(),
});

type Parsed = z.infer<typeof schema>;
/** The settings; the two workers' session timeouts always have a value (derived from CHUNK when unset). */
export type Config = Omit<Parsed, 'pgIdleInTxMs' | 'pgStatementTimeoutMs'> & { pgIdleInTxMs: number; pgStatementTimeoutMs: number };
export type ConfigInput = { [K in keyof Config]?: unknown };

const MiB = 1024 ** 2;
/**
 * Defaults of the workers' session timeouts, from the chunk size. Inside a loading
 * transaction Node parses its whole chunk (idle in transaction meanwhile) at tens of MiB/s
 * on one core; a COPY streams it at tens of MiB/s too. The bounds assume 1 MiB/s for the
 * parse and 256 KiB/s for the COPY (20–100× slower than measured), with floors of 60 s and
 * 5 min: 64 MiB chunks → 64 s and 5 min; 512 MiB chunks → 512 s and 34 min.
 */
export function sessionTimeoutDefaults(chunkBytes: number): { idleInTxMs: number; statementMs: number } {
  return {
    idleInTxMs: Math.max(60_000, Math.ceil((chunkBytes / MiB) * 1000)),
    statementMs: Math.max(300_000, Math.ceil((chunkBytes / MiB) * 4000)),
  };
}

const ENV_KEYS: Record<keyof Config, string> = {
  databaseUrl: 'DATABASE_URL',
  redisUrl: 'REDIS_URL',
  chunkBytes: 'CHUNK',
  packBytes: 'PACK_BYTES',
  workers: 'WORKERS',
  maxRecordBytes: 'MAX_RECORD_BYTES',
  pgPoolMax: 'PG_POOL_MAX',
  tcpKeepaliveMs: 'TCP_KEEPALIVE_MS',
  pgDeadPeerMs: 'PG_DEAD_PEER_MS',
  pgIdleInTxMs: 'PG_IDLE_IN_TX_MS',
  pgStatementTimeoutMs: 'PG_STATEMENT_TIMEOUT_MS',
  copyFormat: 'COPY_FORMAT',
  sourceOutageMs: 'SOURCE_OUTAGE_MS',
  queuePrefix: 'QUEUE_PREFIX',
  lockDurationMs: 'LOCK_DURATION_MS',
  stalledIntervalMs: 'STALLED_INTERVAL_MS',
  maxStalledCount: 'MAX_STALLED_COUNT',
  attempts: 'CHUNK_ATTEMPTS',
  backoffMs: 'BACKOFF_MS',
  reportsDir: 'REPORTS_DIR',
  stagingDir: 'STAGING_DIR',
  defaultSchema: 'PGSCHEMA',
  shutdownGraceMs: 'SHUTDOWN_GRACE_MS',
  metricsPort: 'METRICS_PORT',
  metricsHost: 'METRICS_HOST',
  tracePg: 'TRACE_PG',
  notifyUrls: 'NOTIFY_URL',
  dashboardUrl: 'DASHBOARD_URL',
  dashboardPort: 'DASHBOARD_PORT',
  dashboardHost: 'DASHBOARD_HOST',
  dashboardToken: 'DASHBOARD_TOKEN',
  dashboardOperatorToken: 'DASHBOARD_OPERATOR_TOKEN',
  traceUiUrl: 'OTEL_TRACE_UI_URL',
  splitterPort: 'SPLITTER_PORT',
  splitterHost: 'SPLITTER_HOST',
  splitterToken: 'SPLITTER_TOKEN',
  scaleWorkers: 'SCALE_WORKERS',
  workerDeployment: 'WORKER_DEPLOYMENT',
  podNamespace: 'POD_NAMESPACE',
  scaleWorkersMin: 'SCALE_WORKERS_MIN',
  scaleWorkersMax: 'SCALE_WORKERS_MAX',
  chunksPerWorker: 'CHUNKS_PER_WORKER',
  scaleIntervalMs: 'SCALE_INTERVAL_MS',
};

const DEFAULTS: ConfigInput = {
  // Unset URLs are '' (not undefined) so the schema's "is not set: run `make setup`" message applies.
  databaseUrl: '',
  redisUrl: '',
  chunkBytes: '64MiB',
  packBytes: '16MiB',
  workers: Math.max(1, cpus().length),
  maxRecordBytes: '64MiB',
  pgPoolMax: 2,
  tcpKeepaliveMs: 5000,
  pgDeadPeerMs: 30_000,
  copyFormat: 'auto',
  sourceOutageMs: 900_000,
  queuePrefix: 'copyfleet',
  lockDurationMs: 30_000,
  stalledIntervalMs: 15_000,
  maxStalledCount: 10,
  attempts: 8,
  backoffMs: 1000,
  reportsDir: 'reports',
  stagingDir: '.data/staging',
  defaultSchema: 'public',
  shutdownGraceMs: 30_000,
  metricsPort: 9464,
  metricsHost: '0.0.0.0',
  tracePg: 'slow',
  notifyUrls: '',
  dashboardUrl: '',
  dashboardPort: 3000,
  dashboardHost: '127.0.0.1',
  dashboardToken: '',
  dashboardOperatorToken: '',
  traceUiUrl: '',
  splitterPort: 8080,
  splitterHost: '127.0.0.1',
  splitterToken: '',
  scaleWorkers: 'false',
  workerDeployment: '',
  podNamespace: '',
  scaleWorkersMin: 0,
  scaleWorkersMax: 10,
  chunksPerWorker: 2,
  scaleIntervalMs: 5000,
};

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Variables from `.env` in `dir`, without touching process.env. */
export function readDotEnv(dir = process.cwd()): Record<string, string> {
  const file = `${dir}/.env`;
  return existsSync(file) ? (parseEnv(readFileSync(file, 'utf8')) as Record<string, string>) : {};
}

export function loadConfig(explicit: ConfigInput = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const fromFile = readDotEnv();
  const input: Record<string, unknown> = {};
  for (const [key, envName] of Object.entries(ENV_KEYS) as [keyof Config, string][]) {
    const value = explicit[key] ?? nonEmpty(env[envName]) ?? nonEmpty(fromFile[envName]) ?? DEFAULTS[key];
    if (value !== undefined) input[key] = value;
  }
  const parsed = schema
    .refine((c) => !c.scaleWorkers || c.workerDeployment !== '', { path: ['workerDeployment'], message: 'SCALE_WORKERS=true needs WORKER_DEPLOYMENT, the worker Deployment to scale' })
    .refine((c) => c.scaleWorkersMin <= c.scaleWorkersMax, { path: ['scaleWorkersMin'], message: 'SCALE_WORKERS_MIN must not exceed SCALE_WORKERS_MAX' })
    .safeParse(input);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const key = i.path[0] as keyof Config | undefined;
      return `  ${key ? ENV_KEYS[key] : 'config'}: ${i.message}`;
    });
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  // Keepalive probes (4 of them, after TCP_KEEPALIVE_MS idle) must fit in PG_DEAD_PEER_MS.
  if (c.pgDeadPeerMs < c.tcpKeepaliveMs + 4000) {
    throw new ConfigError(
      `invalid configuration:\n  PG_DEAD_PEER_MS: ${c.pgDeadPeerMs} is less than TCP_KEEPALIVE_MS (${c.tcpKeepaliveMs}) + 4000; ` +
        'make it larger (default 30000) or TCP_KEEPALIVE_MS smaller (default 5000)',
    );
  }
  const d = sessionTimeoutDefaults(c.chunkBytes);
  return { ...c, pgIdleInTxMs: c.pgIdleInTxMs ?? d.idleInTxMs, pgStatementTimeoutMs: c.pgStatementTimeoutMs ?? d.statementMs };
}

/**
 * The COPY format of parsed rows: COPY_FORMAT, with `auto` resolved from where the database is.
 * On its own host PostgreSQL and the workers share the cores, and binary only moves work
 * between them; elsewhere the database's CPU is the fleet's ceiling and binary saves it.
 */
export function copyFormatFor(config: Pick<Config, 'copyFormat' | 'databaseUrl'>): 'text' | 'binary' {
  if (config.copyFormat !== 'auto') return config.copyFormat;
  return isLocalDatabase(config.databaseUrl) ? 'text' : 'binary';
}

/** Whether a connection string points at this host: localhost, 127.0.0.0/8, ::1, a unix socket, or no host (libpq's socket). Unreadable: local (text is always right). */
export function isLocalDatabase(databaseUrl: string): boolean {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    return true;
  }
  const hosts = [url.searchParams.get('host') ?? decodeURIComponent(url.hostname)];
  if (url.protocol === 'socket:') return true;
  return hosts.every((h) => h === '' || h.startsWith('/') || h === 'localhost' || h === '[::1]' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h));
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}

/**
 * TRACE_PG alone, for the tracing preload, which runs before the program and its config
 * (and must not fail on a missing DATABASE_URL). The same rule as loadConfig's.
 */
export function readTracePg(env: NodeJS.ProcessEnv = process.env): Config['tracePg'] {
  const parsed = tracePgSchema.safeParse(nonEmpty(env.TRACE_PG) ?? DEFAULTS.tracePg);
  if (!parsed.success) throw new ConfigError(`invalid configuration:\n  TRACE_PG: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

/** The config as environment variables, for child processes that must agree with this one. */
export function configToEnv(config: Config): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, envName] of Object.entries(ENV_KEYS) as [keyof Config, string][]) {
    const value = config[key];
    env[envName] = value === null ? 'off' : Array.isArray(value) ? value.join(',') : String(value);
  }
  return env;
}
