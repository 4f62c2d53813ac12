/**
 * Connection pools. Every session copyfleet opens runs with TimeZone=UTC, so
 * timestamps without a zone and partition bounds mean the same thing everywhere.
 */
import pg from 'pg';

export interface PoolOptions {
  max: number;
  /** Shows up in pg_stat_activity. */
  applicationName: string;
  /** How long to wait for a connection. @defaultValue 30000 */
  connectionTimeoutMillis?: number;
}

export function createPool(databaseUrl: string, opts: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: opts.max,
    application_name: opts.applicationName,
    options: '-c TimeZone=UTC',
    connectionTimeoutMillis: opts.connectionTimeoutMillis ?? 30_000,
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
