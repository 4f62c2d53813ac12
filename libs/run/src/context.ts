/** The connections a copyfleet process holds, made from the validated config. */
import { setTimeout as sleep } from 'node:timers/promises';
import { maskUrl, type Config } from '@copyfleet/config';
import { classifyDbError, createPool, describeError, migrate } from '@copyfleet/db';
import { cappedBackoff, createRedis, Queues } from '@copyfleet/queue';
import type pg from 'pg';
import { createLogger, throttled, type Logger } from './log.js';

export interface Context {
  config: Config;
  pool: pg.Pool;
  queues: Queues;
  close(): Promise<void>;
}

export async function openContext(config: Config, role: string, log: Logger = createLogger(role)): Promise<Context> {
  const pool = createPool(config.databaseUrl, {
    max: config.pgPoolMax,
    applicationName: `copyfleet-${role}-${process.pid}`,
    net: { keepaliveMs: config.tcpKeepaliveMs, deadPeerMs: config.pgDeadPeerMs },
    // Loading sessions only: a compaction or a report may rightly run for long.
    ...(role === 'worker' ? { session: { idleInTxMs: config.pgIdleInTxMs, statementMs: config.pgStatementTimeoutMs } } : {}),
  });
  try {
    await migrate(pool);
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
  const warn = throttled(log.warn, 10_000);
  const queues = new Queues(createRedis(config.redisUrl, { blocking: false, keepAliveMs: config.tcpKeepaliveMs }), {
    prefix: config.queuePrefix,
    attempts: config.attempts,
    backoffMs: config.backoffMs,
    afterEnqueueBatch: enqueueFailpoint(),
    // ioredis reconnects by itself (capped backoff); say so once in a while, do not crash.
    onError: (err) => warn('Redis unavailable; retrying', { error: err.message }),
  });
  return {
    config,
    pool,
    queues,
    async close() {
      await queues.close();
      queues.connection.disconnect();
      await pool.end();
    },
  };
}

/**
 * openContext that waits, with capped backoff, while PostgreSQL is unavailable (down,
 * restarting, no connection slot for us) instead of failing: a worker started during
 * an outage waits for the database rather than crash-looping. Null when `signal` ends
 * the wait.
 */
export async function openContextPatiently(config: Config, role: string, log: Logger, signal?: AbortSignal): Promise<Context | null> {
  for (let failures = 1; ; failures++) {
    try {
      return await openContext(config, role, log);
    } catch (err) {
      if (classifyDbError(err) !== 'unavailable') throw err;
      const delay = cappedBackoff(failures, 500, 10_000);
      log.warn('PostgreSQL unavailable at start-up; waiting', { error: describeError(err), retryInMs: delay });
      await sleep(delay, undefined, { signal }).catch(() => undefined);
      if (signal?.aborted) return null;
    }
  }
}

/**
 * COPYFLEET_FAILPOINTS="after-enqueue-batch=MS" pauses the splitter after each batch of
 * 1000 chunk jobs, so a test can kill it half-way through queueing. Unset in production.
 */
function enqueueFailpoint(): (() => Promise<void>) | undefined {
  const m = /(?:^|,)\s*after-enqueue-batch=(\d+)/.exec(process.env.COPYFLEET_FAILPOINTS ?? '');
  return m ? () => sleep(Number(m[1])) : undefined;
}

export class UnreachableError extends Error {
  override readonly name = 'UnreachableError';
}

/**
 * For commands a person waits on (load, status, resume, retry): PostgreSQL and Redis must
 * answer within `timeoutMs`, or the command stops saying which server (password masked) and
 * what to check — instead of waiting for ever as the long-running processes do.
 */
export async function assertReachable(config: Config, timeoutMs = 5000): Promise<void> {
  const pool = createPool(config.databaseUrl, { max: 1, applicationName: `copyfleet-check-${process.pid}`, connectionTimeoutMillis: timeoutMs });
  const redis = createRedis(config.redisUrl, { blocking: false, connectTimeoutMs: timeoutMs, noRetry: true });
  redis.on('error', () => undefined); // reported below, once
  const within = <T>(p: Promise<T>): Promise<T> =>
    Promise.race([
      p,
      new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs + 500).unref()),
    ]);
  try {
    const [pg, rd] = await Promise.allSettled([within(pool.query('SELECT 1')), within(redis.ping())]);
    if (pg.status === 'rejected') {
      throw new UnreachableError(
        `cannot reach PostgreSQL at ${maskUrl(config.databaseUrl)} (${describeError(pg.reason)}). ` +
          'Is it running and reachable from here? Check DATABASE_URL (in the environment or .env), or run `make setup` to start the private one.',
      );
    }
    if (rd.status === 'rejected') {
      throw new UnreachableError(
        `cannot reach Redis at ${maskUrl(config.redisUrl)} (${(rd.reason as Error).message}). ` +
          'Is it running and reachable from here? Check REDIS_URL (in the environment or .env), or run `make setup` to start the private one.',
      );
    }
  } finally {
    redis.disconnect();
    await pool.end().catch(() => undefined);
  }
}
