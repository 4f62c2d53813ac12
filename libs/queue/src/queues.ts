/**
 * Producers for the three queues, with the job options copyfleet relies on:
 * deterministic job ids (adding a chunk twice is a no-op while the job exists),
 * retries with capped exponential backoff and jitter (backoff.ts), and finished jobs
 * trimmed so Redis does not grow with every run (bullmq#366).
 */
import { Queue, type Job, type JobsOptions, type JobType } from 'bullmq';
import type { Redis } from 'ioredis';
import { BACKOFF_TYPE } from './backoff.js';
import { chunkJobId, chunkJobPrefix, chunksOfJobId, packJobId, QUEUE, runJobId, type ChunkJob, type QueueName, type RunJob } from './names.js';

export interface QueueOptions {
  prefix: string;
  attempts: number;
  backoffMs: number;
  /** Called after each batch of chunk jobs is queued (a failpoint: tests kill the splitter there). */
  afterEnqueueBatch?: () => Promise<void>;
  /** Connection errors of the producers (Redis restarting, unreachable); they retry by themselves. */
  onError?: (err: Error) => void;
}

/** Where a chunk's job is in Redis; absent from the map when Redis has no job for it. */
export type ChunkJobState = 'waiting' | 'delayed' | 'active' | 'failed' | 'completed';

const STATE_LISTS: [ChunkJobState, JobType[]][] = [
  ['completed', ['completed']],
  ['failed', ['failed']],
  ['waiting', ['waiting', 'prioritized']],
  ['delayed', ['delayed']],
  // Last: a job that moves from waiting to active while the lists are read is seen active.
  ['active', ['active']],
];

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
    for (const q of [this.chunks, this.compact, this.report]) q.on('error', (err) => opts.onError?.(err));
    this.jobOpts = {
      attempts: opts.attempts,
      backoff: { type: BACKOFF_TYPE, delay: opts.backoffMs },
      removeOnComplete: { age: 24 * 3600, count: 10_000 },
      removeOnFail: { age: 7 * 24 * 3600 },
    };
  }

  /** Enqueue chunk jobs (chunks or packs) in bulk (one round trip per 1000). Jobs whose id still exists are skipped. */
  async addChunks(jobs: ChunkJob[]): Promise<void> {
    for (let i = 0; i < jobs.length; i += 1000) {
      await this.chunks.addBulk(
        jobs.slice(i, i + 1000).map((data) => ({
          name: 'chunk',
          data,
          opts: { ...this.jobOpts, jobId: data.pack ? packJobId(data.runId, data.chunkNo, data.pack.at(-1)!.chunkNo) : chunkJobId(data.runId, data.chunkNo) },
        })),
      );
      await this.opts.afterEnqueueBatch?.();
    }
  }

  /**
   * Make sure a chunk the ledger lacks is queued: re-add it if its job is gone, retry
   * it with all its attempts if it failed (unless `reviveFailed` is false: then it stays
   * failed, for the dead-letter bookkeeping to find), start its backed-off retry now if
   * it is delayed, leave it if it is waiting or running.
   */
  async requeueChunk(data: ChunkJob, opts: { reviveFailed?: boolean } = {}): Promise<'added' | 'retried' | 'present'> {
    const job = await this.chunks.getJob(chunkJobId(data.runId, data.chunkNo));
    if (job) {
      const state = await job.getState();
      if (state === 'failed' && opts.reviveFailed === false) return 'present';
      if (state === 'failed') {
        await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
        return 'retried';
      }
      if (state === 'delayed') {
        // Backing off after a failure: someone fixed the cause, so try now.
        await job.promote().catch(() => undefined);
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

  /**
   * The state of every chunk of a run that Redis holds a job for, by chunk number (a pack's
   * state is each of its chunks'): a few list reads whatever the number of chunks (for
   * status and reconciling with the ledger).
   */
  async chunkJobStates(runId: string): Promise<Map<number, ChunkJobState>> {
    const states = new Map<number, ChunkJobState>();
    for (const job of await this.chunkJobIds(runId)) for (let c = job.first; c <= job.last; c++) states.set(c, job.state);
    return states;
  }

  /** The run's chunk job ids in Redis, with the chunk numbers each holds and its state (a later list wins). */
  private async chunkJobIds(runId: string): Promise<{ id: string; first: number; last: number; state: ChunkJobState }[]> {
    const prefix = chunkJobPrefix(runId);
    const jobs = new Map<string, { id: string; first: number; last: number; state: ChunkJobState }>();
    for (const [state, types] of STATE_LISTS) {
      for (const id of await this.chunks.getRanges(types, 0, -1)) {
        const range = chunksOfJobId(id, prefix);
        if (range) jobs.set(id, { id, ...range, state });
      }
    }
    return [...jobs.values()];
  }

  /** The job that holds a chunk: its own, or a pack's. */
  private async jobHolding(runId: string, chunkNo: number): Promise<Job<ChunkJob> | undefined> {
    const own = await this.chunks.getJob(chunkJobId(runId, chunkNo));
    if (own) return own;
    const pack = (await this.chunkJobIds(runId)).find((j) => j.first < j.last && j.first <= chunkNo && chunkNo <= j.last);
    return pack ? this.chunks.getJob(pack.id) : undefined;
  }

  /** Why a chunk's job failed (its last error), or null when it has no failed job. */
  async chunkFailure(runId: string, chunkNo: number): Promise<string | null> {
    const job = await this.jobHolding(runId, chunkNo);
    return job?.failedReason ? job.failedReason : null;
  }

  /** Drop a finished chunk job, so the chunk can be queued again under the same id. */
  async removeChunkJob(runId: string, chunkNo: number): Promise<void> {
    const job = await this.chunks.getJob(chunkJobId(runId, chunkNo));
    await job?.remove().catch(() => undefined);
  }

  /** Remove the run's chunk jobs (chunks and packs) that are in one of `states`; returns how many. */
  async removeChunkJobs(runId: string, states: ChunkJobState[]): Promise<number> {
    let removed = 0;
    for (const j of await this.chunkJobIds(runId)) {
      if (!states.includes(j.state)) continue;
      await (await this.chunks.getJob(j.id))?.remove().catch(() => undefined);
      removed++;
    }
    return removed;
  }

  /** Chunk jobs being processed now, with the worker that holds each (for status and tests). */
  async activeChunkJobs(runId: string): Promise<{ chunkNo: number; worker: string | null; attemptsMade: number; startedAt: number | null }[]> {
    const jobs = await this.chunks.getActive();
    return jobs
      .filter((j) => j.data.runId === runId)
      .flatMap((j) => (j.data.pack ?? [j.data]).map((c) => ({ chunkNo: c.chunkNo, worker: j.processedBy ?? null, attemptsMade: j.attemptsMade, startedAt: j.processedOn ?? null })));
  }

  /** Jobs of a run not yet finished, by state (for status and the supervisor). */
  async chunkJobCounts(): Promise<Record<string, number>> {
    return this.chunks.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized', 'waiting-children');
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.chunks.close(), this.compact.close(), this.report.close()]);
  }
}
