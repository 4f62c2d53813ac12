/**
 * Redis connections for BullMQ. Workers need maxRetriesPerRequest: null (BullMQ
 * refuses otherwise) so that commands wait through a Redis restart instead of
 * failing; ioredis reconnects with a capped backoff.
 */
import { Redis } from 'ioredis';

export function createRedis(url: string, opts: { blocking: boolean; connectTimeoutMs?: number; noRetry?: boolean }): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: opts.noRetry ? 0 : opts.blocking ? null : 20,
    enableReadyCheck: true,
    ...(opts.connectTimeoutMs ? { connectTimeout: opts.connectTimeoutMs } : {}),
    retryStrategy: opts.noRetry ? () => null : (times) => Math.min(200 * 2 ** Math.min(times, 6), 5000) + Math.floor(Math.random() * 200),
  });
}
