/**
 * Connection pools. Every session copyfleet opens runs with TimeZone=UTC, so
 * timestamps without a zone and partition bounds mean the same thing everywhere.
 *
 * Dead peers are found in bounded time on both ends (RELIABILITY.md, "Network faults"):
 *
 *   client  TCP keepalive after `keepaliveMs` idle (keeps NAT / load-balancer mappings alive
 *           and finds a dead server on an idle connection);
 *   server  for each of our sessions, set at connection start (no server-wide change, other
 *           users of the database keep theirs): tcp_keepalives_idle = keepaliveMs,
 *           tcp_keepalives_count = 4, tcp_keepalives_interval = (deadPeerMs − keepaliveMs) / 4 (whole
 *           seconds, rounded down), and tcp_user_timeout = idle + 4 × interval <= deadPeerMs (also
 *           for data sent and not acknowledged). Defaults: 5 s + 4 × 6 s = 29 s. So a session
 *           whose worker was partitioned away or whose node is gone ends within deadPeerMs and
 *           its transaction, with the ledger row lock of its chunk, rolls back.
 *   loading sessions (workers) also get idle_in_transaction_session_timeout, statement_timeout
 *           and lock_timeout (`session`): a worker that is alive but stuck (frozen, or its
 *           socket hanging with the kernel still acknowledging) cannot hold a chunk's row for ever.
 */
import pg from 'pg';

export interface NetSettings {
  /** Idle time before the first keepalive probe, both ends. */
  keepaliveMs: number;
  /** The server drops a silent client within this. */
  deadPeerMs: number;
}

export interface SessionTimeouts {
  idleInTxMs: number;
  statementMs: number;
}

export interface PoolOptions {
  max: number;
  /** Shows up in pg_stat_activity. */
  applicationName: string;
  /** How long to wait for a connection. @defaultValue 30000 */
  connectionTimeoutMillis?: number;
  /** @defaultValue keepalive 5 s, dead peer 30 s (libs/config's defaults) */
  net?: NetSettings;
  /** Timeouts of loading sessions; none for other roles (a compaction may run long). */
  session?: SessionTimeouts;
}

const DEFAULT_NET: NetSettings = { keepaliveMs: 5000, deadPeerMs: 30_000 };
const KEEPALIVE_PROBES = 4;

/** The `options` startup parameter: `-c name=value` for each setting of our sessions. */
export function sessionOptions(net: NetSettings, session?: SessionTimeouts): string {
  const idle = Math.max(1, Math.floor(net.keepaliveMs / 1000));
  const interval = Math.max(1, Math.floor((net.deadPeerMs / 1000 - idle) / KEEPALIVE_PROBES));
  const settings: [string, string | number][] = [
    ['TimeZone', 'UTC'],
    ['tcp_keepalives_idle', idle],
    ['tcp_keepalives_interval', interval],
    ['tcp_keepalives_count', KEEPALIVE_PROBES],
    // With tcp_user_timeout set, Linux drops a silent peer at the first keepalive probe at or
    // after it (not after the count of probes): so it is the last probe's time, within deadPeerMs.
    ['tcp_user_timeout', (idle + KEEPALIVE_PROBES * interval) * 1000],
  ];
  if (session) {
    settings.push(['idle_in_transaction_session_timeout', session.idleInTxMs], ['statement_timeout', session.statementMs], ['lock_timeout', session.statementMs]);
  }
  return settings.map(([k, v]) => `-c ${k}=${v}`).join(' ');
}

export function createPool(databaseUrl: string, opts: PoolOptions): pg.Pool {
  const net = opts.net ?? DEFAULT_NET;
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: opts.max,
    application_name: opts.applicationName,
    options: sessionOptions(net, opts.session),
    connectionTimeoutMillis: opts.connectionTimeoutMillis ?? 30_000,
    keepAlive: true,
    keepAliveInitialDelayMillis: net.keepaliveMs,
  });
  // An idle client losing its connection (PostgreSQL restarted) must not crash the process.
  pool.on('error', (err) => {
    process.emitWarning(`idle PostgreSQL connection closed: ${err.message}`);
  });
  // Nor a checked-out one: a client that loses its connection between two statements (a
  // transaction waiting for its COMMIT when the server shuts down) emits 'error', which
  // unhandled kills the process. Handled, its next query fails instead, and the caller's
  // retry policy takes over.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}
