/**
 * Producers for the three queues, with the job options copyfleet relies on:
 * deterministic job ids (adding a chunk twice is a no-op while the job exists),
 * retries with capped exponential backoff and jitter, and finished jobs trimmed so
 * Redis does not grow with every run (bullmq#366).
 */
import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { chunkJobId, QUEUE, runJobId, type ChunkJob, type QueueName, type RunJob } from './names.js';

export interface QueueOptions {
  prefix: string;
  attempts: number;
  backoffMs: number;
}

export class Queues {
  readonly chunks: Queue<ChunkJob>;
  readonly compact: Queue<RunJob>;
  readonly report: Queue<RunJob>;
  private readonly jobOpts: JobsOptions;

  constructor(
    readonly connection: Redis,
    private readonly opts: QueueOptions,
  ) {
    const base = { connection, prefix: opts.prefix };
    this.chunks = new Queue<ChunkJob>(QUEUE.chunks, base);
    this.compact = new Queue<RunJob>(QUEUE.compact, base);
    this.report = new Queue<RunJob>(QUEUE.report, base);
    this.jobOpts = {
      attempts: opts.attempts,
      backoff: { type: 'exponential', delay: opts.backoffMs, jitter: 0.5 },
      removeOnComplete: { age: 24 * 3600, count: 10_000 },
      removeOnFail: { age: 7 * 24 * 3600 },
    };
  }

  /** Enqueue chunks in bulk (one round trip per 1000). Chunks whose job still exists are skipped. */
  async addChunks(jobs: ChunkJob[]): Promise<void> {
    for (let i = 0; i < jobs.length; i += 1000) {
      await this.chunks.addBulk(
        jobs.slice(i, i + 1000).map((data) => ({
          name: 'chunk',
          data,
          opts: { ...this.jobOpts, jobId: chunkJobId(data.runId, data.chunkNo) },
        })),
      );
    }
  }

  /**
   * Make sure a chunk the ledger lacks is queued: re-add it if its job is gone,
   * retry it if it failed, leave it if it is waiting, delayed or running.
   */
  async requeueChunk(data: ChunkJob): Promise<'added' | 'retried' | 'present'> {
    const job = await this.chunks.getJob(chunkJobId(data.runId, data.chunkNo));
    if (job) {
      const state = await job.getState();
      if (state === 'failed') {
        await job.retry('failed');
        return 'retried';
      }
      if (state !== 'completed' && state !== 'unknown') return 'present';
      await job.remove().catch(() => undefined);
    }
    await this.addChunks([data]);
    return 'added';
  }

  async addRunJob(name: Exclude<QueueName, 'chunks'>, data: RunJob): Promise<void> {
    const queue = name === QUEUE.compact ? this.compact : this.report;
    const id = runJobId(name, data.runId);
    const existing = await queue.getJob(id);
    if (existing) {
      const state = await existing.getState();
      if (state === 'failed') return void (await existing.retry('failed'));
      if (state !== 'completed') return;
      await existing.remove().catch(() => undefined);
    }
    await queue.add(name, data, { ...this.jobOpts, jobId: id });
  }

  /** Jobs of a run not yet finished, by state (for status and the supervisor). */
  async chunkJobCounts(): Promise<Record<string, number>> {
    return this.chunks.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized', 'waiting-children');
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.chunks.close(), this.compact.close(), this.report.close()]);
  }
}
