/**
 * Redis connections for BullMQ. Workers need maxRetriesPerRequest: null (BullMQ
 * refuses otherwise) so that commands wait through a Redis restart instead of
 * failing; ioredis reconnects with a capped backoff.
 *
 * TCP keepalive after `keepAliveMs` idle (TCP_KEEPALIVE_MS, default 5 s): a worker's
 * blocking connection is idle between jobs, and a NAT or load balancer that forgets idle
 * connections would otherwise leave it waiting for a reply that never comes.
 */
import { Redis } from 'ioredis';

export function createRedis(url: string, opts: { blocking: boolean; connectTimeoutMs?: number; noRetry?: boolean; keepAliveMs?: number }): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: opts.noRetry ? 0 : opts.blocking ? null : 20,
    enableReadyCheck: true,
    keepAlive: opts.keepAliveMs ?? 5000,
    ...(opts.connectTimeoutMs ? { connectTimeout: opts.connectTimeoutMs } : {}),
    retryStrategy: opts.noRetry ? () => null : (times) => Math.min(200 * 2 ** Math.min(times, 6), 5000) + Math.floor(Math.random() * 200),
  });
}
