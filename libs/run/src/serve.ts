/**
 * The long-running processes: a chunk worker, the compactor and the reporter. Each
 * consumes one queue until SIGTERM/SIGINT, then stops taking jobs and lets the
 * current one finish within SHUTDOWN_GRACE_MS. Past the grace period the process
 * exits anyway: its open transaction rolls back and the job is handed out again by
 * BullMQ's stalled-job check, so a chunk is never left half-done.
 */
import type { Config } from '@copyfleet/config';
import { getRun, recordChunkError, transitionRun, PartitionCache } from '@copyfleet/db';
import { loadChunk, PermanentChunkError, type ChunkRun, type LoadSpec } from '@copyfleet/loader';
import { createRedis, createWorker, QUEUE, UnrecoverableError, type ChunkJob, type Job, type RunJob, type Worker } from '@copyfleet/queue';
import { openSource } from '@copyfleet/source';
import { openContext, type Context } from './context.js';
import { compactRun, reportRun } from './finalize.js';
import { createLogger, type Logger } from './log.js';

export type Role = 'worker' | 'compactor' | 'reporter';

export async function serve(config: Config, role: Role): Promise<void> {
  const log = createLogger(role);
  const ctx = await openContext(config, role);
  const connection = createRedis(config.redisUrl, { blocking: true });
  const opts = {
    prefix: config.queuePrefix,
    lockDurationMs: config.lockDurationMs,
    stalledIntervalMs: config.stalledIntervalMs,
    maxStalledCount: config.maxStalledCount,
  };
  let worker: Worker;
  if (role === 'worker') worker = createWorker<ChunkJob>(QUEUE.chunks, connection, chunkProcessor(ctx, log), opts);
  else if (role === 'compactor') worker = createWorker<RunJob>(QUEUE.compact, connection, async (job) => compactRun(ctx, job.data.runId), opts);
  else worker = createWorker<RunJob>(QUEUE.report, connection, async (job) => reportRun(ctx, job.data.runId), opts);

  worker.on('error', (err) => log.warn('queue error', { error: err.message }));
  worker.on('failed', (job: Job | undefined, err: Error) => {
    if (!job) return;
    const final = job.attemptsMade >= (job.opts.attempts ?? 1) || err instanceof UnrecoverableError || err.name === 'UnrecoverableError';
    log.warn(final ? 'job failed for good' : 'job failed, will retry', { job: job.id, attempt: job.attemptsMade, error: err.message });
    if (final) void failRun(ctx, job, err, log);
  });
  log.info('started', { queue: worker.name, pid: process.pid });

  await new Promise<void>((resolveStop) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) {
        log.warn('second signal: exiting now; the current job will be retried', { signal });
        process.exit(130);
      }
      stopping = true;
      log.info('stopping: finishing the current job', { signal });
      const timer = setTimeout(() => {
        log.warn('grace period over: exiting; the current job will be retried', { graceMs: config.shutdownGraceMs });
        process.exit(1);
      }, config.shutdownGraceMs);
      timer.unref();
      void worker
        .close()
        .finally(() => Promise.allSettled([ctx.close(), connection.quit()]))
        .finally(() => resolveStop());
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

function chunkProcessor(ctx: Context, log: Logger) {
  const partitions = new PartitionCache();
  const runs = new Map<string, ChunkRun>();
  const runFor = async (runId: string): Promise<ChunkRun> => {
    let run = runs.get(runId);
    if (!run) {
      const row = await getRun(ctx.pool, runId);
      if (!row) throw new PermanentChunkError(`run ${runId} does not exist`);
      run = { spec: row.spec as LoadSpec, source: openSource(row.source), sourceVersion: row.source_version };
      runs.set(runId, run);
    }
    return run;
  };

  return async (job: Job<ChunkJob>) => {
    const task = job.data;
    try {
      const run = await runFor(task.runId);
      const { version } = await run.source.stat();
      if (version !== run.sourceVersion) {
        throw new PermanentChunkError(
          `${run.source.uri} changed since run ${task.runId} was planned (size or modification time differ): ` +
            'loaded chunks stay in the table; load the new file as a new run',
        );
      }
      const result = await loadChunk({ pool: ctx.pool, partitions }, run, task);
      if (result.loaded) {
        log.debug('chunk loaded', { run: task.runId, chunk: task.chunkNo, rows: result.rowsLoaded, rejected: result.rowsRejected });
        await queueCompactionIfComplete(ctx, task.runId);
      }
      return result;
    } catch (err) {
      const message = (err as Error).message;
      await recordChunkError(ctx.pool, task.runId, task.chunkNo, message).catch(() => undefined);
      if (err instanceof PermanentChunkError || (err as { name?: string }).name === 'SourceError') throw new UnrecoverableError(message);
      throw err;
    }
  };
}

/** After a commit: if the ledger has every chunk, queue the run's compaction (idempotent). */
async function queueCompactionIfComplete(ctx: Context, runId: string): Promise<void> {
  const { rows } = await ctx.pool.query<{ complete: boolean }>(
    'SELECT NOT EXISTS (SELECT 1 FROM copyfleet.chunks WHERE run_id = $1 AND loaded_at IS NULL) AS complete',
    [runId],
  );
  if (rows[0]?.complete) await ctx.queues.addRunJob('compact', { runId });
}

async function failRun(ctx: Context, job: Job, err: Error, log: Logger): Promise<void> {
  const data = job.data as Partial<ChunkJob>;
  if (!data.runId) return;
  const what = data.chunkNo !== undefined ? `chunk ${data.chunkNo} (bytes ${data.start}-${data.end})` : job.name;
  const message =
    `${what} failed after ${job.attemptsMade} attempt(s): ${err.message}. ` +
    `Fix the cause, then run the same command again to resume run ${data.runId}.`;
  try {
    await transitionRun(ctx.pool, data.runId, ['planning', 'running', 'compacting', 'reporting'], 'failed', message);
  } catch (e) {
    log.error('could not mark the run failed', { run: data.runId, error: (e as Error).message });
  }
}
