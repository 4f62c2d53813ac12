/**
 * A BullMQ worker with copyfleet's settings: one job at a time per process (the
 * process is the unit of parallelism; parsing is CPU-bound), a lock that is
 * renewed while the job runs, and stalled-job recovery for workers that die.
 */
import { Worker, type Job, type Processor } from 'bullmq';
import type { Redis } from 'ioredis';
import { backoffStrategy } from './backoff.js';

export interface WorkerOptions {
  prefix: string;
  lockDurationMs: number;
  stalledIntervalMs: number;
  maxStalledCount: number;
  concurrency?: number;
  /** Stored on every job this worker takes (job.processedBy): which process holds a chunk. */
  name?: string;
}

export function createWorker<T>(name: string, connection: Redis, processor: Processor<T>, opts: WorkerOptions): Worker<T> {
  return new Worker<T>(name, processor, {
    connection,
    prefix: opts.prefix,
    ...(opts.name ? { name: opts.name } : {}),
    // Retries of failed jobs wait with capped exponential backoff and jitter (backoff.ts).
    settings: { backoffStrategy },
    concurrency: opts.concurrency ?? 1,
    lockDuration: opts.lockDurationMs,
    stalledInterval: opts.stalledIntervalMs,
    maxStalledCount: opts.maxStalledCount,
    autorun: true,
  });
}

export type { Job, Worker };
