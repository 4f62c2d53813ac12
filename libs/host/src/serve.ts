/**
 * The long-running processes: a chunk worker, the compactor and the reporter. Each
 * consumes one queue until SIGTERM/SIGINT.
 *
 * Failures (retry-policy.ts): while PostgreSQL is unavailable the job is kept and done
 * again once the server answers (no attempt spent); while the input's store is (S3
 * unreachable, slow, 5xx) it is kept and done again after a backoff, up to
 * SOURCE_OUTAGE_MS; other errors are retried by BullMQ
 * with capped exponential backoff and jitter; a chunk out of attempts is dead (ledger
 * dead_at), and once no chunk of its run is pending the run fails naming its dead chunks
 * (settle.ts). A process started while PostgreSQL is down waits for it.
 *
 * Shutdown — what Kubernetes does at every scale-down: on SIGTERM the worker takes no
 * new job and lets the current one finish within SHUTDOWN_GRACE_MS. Past the grace
 * period it releases the job (back to waiting, no attempt spent, no lock to expire) and
 * exits; its open transaction rolls back with its connection. So a chunk is committed
 * or not in the table at all, never half-done. A second signal exits at once (the
 * stalled-job check then hands the chunk out again).
 */
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { copyFormatFor, type Config } from '@copyfleet/config';
import { describeError, getRun, markChunkDead, recordChunkError, settleFiles, transitionRun, PartitionCache, type RunRow } from '@copyfleet/db';
import { loadPack, PermanentChunkError, type ChunkResult, type ChunkRun } from '@copyfleet/loader';
import {
  chunksOf, createRedis, createWorker, QUEUE, UnrecoverableError, WaitingError, type ChunkJob, type Job, type RunJob, type Worker,
} from '@copyfleet/queue';
import { announceRunEnd, chunkSourceOf, compactRun, createLogger, openContextPatiently, reportRun, runFiles, settleRun, throttled, type Context, type Logger } from '@copyfleet/run';
import {
  Attr, recordChunkFailed, recordChunkLoaded, recordChunkSkipped, SpanName, startObservability, withParentContext, withSpan,
} from '@copyfleet/telemetry';
import { failureAction, sourceWaitMs, waitForDatabase } from './retry-policy.js';

export type Role = 'worker' | 'compactor' | 'reporter';

/** What a role is doing: the job it holds, and whether it was asked to stop. */
interface Holder {
  stopping: AbortSignal;
  current: { job: Job; token: string } | null;
}

/** Roles consumed in one process (hostRoles). */
export interface Hosted {
  /** The jobs held now: past the grace period they are handed back. */
  held(): { job: Job; token: string }[];
  /** Take no new job, let the current ones finish, close the connections. */
  close(): Promise<void>;
}

/**
 * Consume the queues of `roles` in this process until `stopping` aborts — a worker, the
 * compactor or the reporter, or several of them at once (`copyfleet load` hosts the
 * compactor and reporter in its own process, and for an input of one job the worker too).
 * Workers get a loading session (libs/run openContext: the idle-in-transaction and
 * statement timeouts); the compactor and reporter share one without them. Null when
 * `stopping` aborted while PostgreSQL was still unreachable.
 */
export async function hostRoles(config: Config, roles: readonly Role[], stopping: AbortSignal, logOf: (role: Role) => Logger = (r) => createLogger(r)): Promise<Hosted | null> {
  const sessionOf = (r: Role): Role => (r === 'worker' ? r : roles.find((x) => x !== 'worker')!);
  const sessions = [...new Set(roles.map(sessionOf))];
  const opened = await Promise.allSettled(sessions.map((s) => openContextPatiently(config, s, logOf(s), stopping)));
  const all = opened.map((o) => (o.status === 'fulfilled' ? o.value : null));
  const closeContexts = () => Promise.allSettled(all.map((c) => c?.close())).then(() => undefined);
  const failed = opened.find((o) => o.status === 'rejected');
  if (failed || all.includes(null) || stopping.aborted) {
    await closeContexts(); // the ones that did open
    if (failed) throw failed.reason;
    return null;
  }
  const contexts = new Map(sessions.map((s, i) => [s, all[i]!]));
  const consumers = roles.map((role) => consume(contexts.get(sessionOf(role))!, role, logOf(role), stopping));
  return {
    held: () => consumers.flatMap((c) => (c.holder.current ? [c.holder.current] : [])),
    async close() {
      await Promise.allSettled(consumers.map((c) => c.close()));
      await closeContexts();
    },
  };
}

/** One role's queue consumer on `ctx`: a BullMQ worker on a blocking connection of its own. */
function consume(ctx: Context, role: Role, log: Logger, stopping: AbortSignal): { holder: Holder; close(): Promise<void> } {
  const holder: Holder = { stopping, current: null };
  const connection = createRedis(ctx.config.redisUrl, { blocking: true, keepAliveMs: ctx.config.tcpKeepaliveMs });
  const opts = {
    prefix: ctx.config.queuePrefix,
    lockDurationMs: ctx.config.lockDurationMs,
    stalledIntervalMs: ctx.config.stalledIntervalMs,
    maxStalledCount: ctx.config.maxStalledCount,
    name: `${role}@${hostname()}/${process.pid}`,
  };
  const w: Worker =
    role === 'worker'
      ? createWorker<ChunkJob>(QUEUE.chunks, connection, chunkProcessor(ctx, log, holder), opts)
      : createWorker<RunJob>(role === 'compactor' ? QUEUE.compact : QUEUE.report, connection, runProcessor(ctx, log, holder, role), opts);

  const warn = throttled(log.warn, 10_000);
  w.on('error', (err) => warn('queue error (Redis unavailable?); retrying', { error: err.message }));
  w.on('stalled', (jobId) => log.warn('job stalled (its worker stopped renewing the lock): handed out again', { job: jobId }));
  w.on('failed', (job: Job | undefined, err: Error) => {
    if (!job || err.name === 'WaitingError') return;
    const final = job.attemptsMade >= (job.opts.attempts ?? 1) || err instanceof UnrecoverableError || err.name === 'UnrecoverableError';
    log.warn(final ? 'job failed for good' : 'job failed, will retry', { job: job.id, attempt: job.attemptsMade, error: err.message });
    if (final) void onFinalFailure(ctx, job, err, log);
  });
  log.info('started', { queue: w.name, pid: process.pid });
  return {
    holder,
    async close() {
      await w.close();
      await connection.quit().catch(() => undefined);
    },
  };
}

/**
 * A worker, the compactor or the reporter as a process of its own (a container on a
 * cluster, a member of a local fleet) until SIGTERM/SIGINT — or, `untilStdinEnds`, until
 * its stdin ends too (the local fleet's members: their command exited).
 */
export async function serve(config: Config, role: Role, opts: { untilStdinEnds?: boolean } = {}): Promise<void> {
  const log = createLogger(role);
  const stop = new AbortController();
  let hosted: Hosted | null = null;

  const onSignal = (signal: string): void => {
    if (stop.signal.aborted) {
      log.warn('second signal: exiting now; the current job will be handed out again', { signal });
      process.exit(130);
    }
    stop.abort();
    log.info('stopping: finishing the current job', { signal, graceMs: config.shutdownGraceMs });
    setTimeout(() => void releaseAndExit(hosted?.held() ?? [], log, config.shutdownGraceMs), config.shutdownGraceMs).unref();
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  // A member of `copyfleet load`'s local fleet: its stdin is a pipe from the command, which ends when the command exits.
  if (opts.untilStdinEnds) process.stdin.on('end', () => onSignal('stdin ended')).resume();

  // Tracing (when configured, off by default), metrics and /healthz /readyz /metrics on METRICS_PORT.
  const obs = await startObservability({
    service: role,
    metricsPort: config.metricsPort,
    metricsHost: config.metricsHost,
    pgSpans: config.tracePg,
    ready: () => hosted !== null && !stop.signal.aborted,
  });
  if (obs.ops) log.info('ops endpoint', { port: obs.ops.port });
  hosted = await hostRoles(config, [role], stop.signal, () => log);
  if (hosted) {
    await new Promise<void>((resolve) => (stop.signal.aborted ? resolve() : stop.signal.addEventListener('abort', () => resolve(), { once: true })));
    await hosted.close();
  }
  await obs.shutdown();
  if (opts.untilStdinEnds) process.stdin.destroy(); // an open pipe would keep the process alive
}

/** Grace period over: hand the current jobs back and exit (their transactions roll back with the connections). */
async function releaseAndExit(held: { job: Job; token: string }[], log: Logger, graceMs: number): Promise<never> {
  const released = await Promise.race([
    Promise.all(held.map((h) => h.job.moveToWait(h.token))).then(() => true, () => false),
    new Promise<boolean>((r) => setTimeout(() => r(false), 2000).unref()),
  ]);
  log.warn(
    released ? 'grace period over: current job released, exiting' : 'grace period over: exiting; the stalled-job check will hand the job out again',
    { graceMs, jobs: held.map((h) => h.job.id).join(',') },
  );
  process.exit(released ? 0 : 1);
}

/**
 * A job whose work keeps losing its connection although the server answers in between
 * (a proxy cutting long transactions, say) stops waiting after this many rounds and
 * spends an attempt like any other failure, so it cannot loop for ever.
 */
const MAX_WAIT_ROUNDS = 10;

/**
 * Run a job's work with the retry policy: while PostgreSQL is unavailable, wait and do
 * it again; when stopping meanwhile, release the job instead of spending an attempt.
 */
async function patiently<T>(ctx: Context, log: Logger, holder: Holder, job: Job, token: string | undefined, work: () => Promise<T>, onFailure?: (err: unknown) => Promise<void>): Promise<T> {
  holder.current = token ? { job, token } : null;
  try {
    let sourceDownSince: number | null = null;
    let sourceFailures = 0;
    for (let rounds = 1; ; rounds++) {
      try {
        return await work();
      } catch (err) {
        const action = failureAction(err);
        if (action === 'wait-source') {
          sourceDownSince ??= Date.now();
          if (Date.now() - sourceDownSince < ctx.config.sourceOutageMs) {
            const delay = sourceWaitMs(++sourceFailures);
            log.warn('input store unavailable; the job waits for it', { job: job.id, failures: sourceFailures, retryInMs: delay, error: describeError(err) });
            await sleep(delay, undefined, { signal: holder.stopping }).catch(() => undefined);
            if (!holder.stopping.aborted) continue;
            if (token) {
              await job.moveToWait(token);
              throw new WaitingError();
            }
          }
        }
        if (action === 'wait' && rounds <= MAX_WAIT_ROUNDS) {
          log.warn('PostgreSQL unavailable; the job waits for it', { job: job.id, error: describeError(err) });
          const up = await waitForDatabase(ctx.pool, holder.stopping, (n, e, delay) =>
            log.debug('still waiting for PostgreSQL', { job: job.id, failures: n, retryInMs: delay, error: describeError(e) }));
          if (up) continue;
          if (token) {
            await job.moveToWait(token);
            throw new WaitingError();
          }
        }
        await onFailure?.(err);
        if (action === 'give-up') throw new UnrecoverableError(describeError(err));
        throw err;
      }
    }
  } finally {
    holder.current = null;
  }
}

function chunkProcessor(ctx: Context, log: Logger, holder: Holder) {
  const partitions = new PartitionCache();
  const copyFormat = copyFormatFor(ctx.config);
  // What each file loads with, read once per file (a run of 1,000 files: 1,000 entries at
  // most), and each run's row once (it does not change after the run starts).
  const files = new Map<string, ChunkRun>();
  const runs = new Map<string, RunRow>();
  const filesFor = async (runId: string, fileNos: number[]): Promise<Map<number, ChunkRun>> => {
    const out = new Map<number, ChunkRun>();
    const unknown = [...new Set(fileNos)].filter((n) => !files.has(`${runId}/${n}`));
    if (unknown.length > 0) {
      const read = await runFiles(ctx.pool, runId, unknown, runs.get(runId)).catch((err: Error) => {
        throw new PermanentChunkError(err.message);
      });
      if (runs.size >= 100) runs.clear();
      runs.set(runId, read.run);
      if (files.size >= 10_000) files.clear();
      for (const [fileNo, { file, spec }] of read.files) {
        const { source, version } = await chunkSourceOf(file);
        files.set(`${runId}/${fileNo}`, { spec, source, sourceVersion: version });
      }
    }
    for (const n of fileNos) out.set(n, files.get(`${runId}/${n}`)!);
    return out;
  };

  return async (job: Job<ChunkJob>, token?: string) => {
    const data = job.data;
    const tasks = chunksOf(data);
    const work = async (): Promise<JobOutcome> => {
      try {
        const runsOf = await filesFor(data.runId, tasks.map((t) => t.fileNo ?? 0));
        const packed = tasks.map((task) => ({ run: runsOf.get(task.fileNo ?? 0)!, task }));
        for (const run of new Set(packed.map((p) => p.run))) {
          const { version } = await run.source.stat();
          if (version !== run.sourceVersion) {
            throw new PermanentChunkError(
              `${run.source.uri} changed since run ${data.runId} was planned (size or modification time differ): ` +
                'loaded chunks stay in the table; load the new file as a new run',
            );
          }
        }
        const results = await loadPack({ pool: ctx.pool, partitions, copyFormat }, packed);
        const outcome = sum(results);
        if (outcome.loaded) log.debug('chunk(s) loaded', { run: data.runId, chunk: data.chunkNo, chunks: tasks.length, rows: outcome.rowsLoaded, rejected: outcome.rowsRejected });
        // Also after a skip: the attempt that committed may have died before settling.
        await settleFiles(ctx.pool, data.runId, [...new Set(tasks.map((t) => t.fileNo ?? 0))]);
        await settleRun(ctx, data.runId);
        return outcome;
      } catch (err) {
        // An outage (PostgreSQL, the input's store) is waited out by the whole pack.
        const action = failureAction(err);
        if (tasks.length === 1 || action === 'wait' || action === 'wait-source') throw err;
        // A pack that cannot load whole (a file changed, rows PostgreSQL refused unparsed): its
        // chunks go to the queue one by one, each with its own attempts, and one bad file stops no other.
        log.info('pack unpacked: its chunks are queued one by one', { job: job.id, chunks: tasks.length, reason: describeError(err) });
        await ctx.queues.addChunks(tasks);
        return { ...sum([]), unpacked: tasks.length };
      }
    };
    const record = (err: unknown) => recordChunkError(ctx.pool, data.runId, tasks.map((t) => t.chunkNo), describeError(err)).catch(() => undefined);
    // One span per attempt, in the run's trace (the traceparent travels in the job).
    const t0 = performance.now();
    const bytes = tasks.reduce((n, t) => n + t.end - t.start, 0);
    const attrs = { [Attr.RunId]: data.runId, [Attr.FileNo]: data.fileNo ?? 0, [Attr.ChunkNo]: data.chunkNo, [Attr.Chunks]: tasks.length, [Attr.Attempt]: job.attemptsStarted, [Attr.Bytes]: bytes };
    return withParentContext(data.traceParent ?? null, () =>
      withSpan(SpanName.Chunk, attrs, async (span) => {
        try {
          const r = await patiently(ctx, log, holder, job, token, work, record);
          const seconds = (performance.now() - t0) / 1000;
          span.setAttributes({ [Attr.Rows]: r.rowsLoaded, [Attr.Rejects]: r.rowsRejected, [Attr.PartitionsCreated]: r.partitionsCreated, [Attr.PassThrough]: r.passThrough });
          if (r.loaded) recordChunkLoaded({ runId: data.runId, rows: r.rowsLoaded, rejects: r.rowsRejected, bytes, seconds, passThrough: r.passThrough });
          else if (!r.unpacked) recordChunkSkipped({ runId: data.runId, seconds });
          return r;
        } catch (err) {
          if ((err as Error).name !== 'WaitingError') recordChunkFailed({ runId: data.runId, seconds: (performance.now() - t0) / 1000 });
          throw err;
        }
      }),
    );
  };
}

/** What a chunk job did: its chunks' results added up (a job's return value in Redis: a few numbers). */
interface JobOutcome extends ChunkResult {
  /** A pack that was queued again as single chunks. */
  unpacked?: number;
}

function sum(results: ChunkResult[]): JobOutcome {
  const loaded = results.filter((r) => r.loaded);
  return {
    loaded: loaded.length > 0,
    rowsLoaded: loaded.reduce((n, r) => n + r.rowsLoaded, 0),
    rowsRejected: loaded.reduce((n, r) => n + r.rowsRejected, 0),
    lines: loaded.some((r) => r.lines === null) ? null : loaded.reduce((n, r) => n + r.lines!, 0),
    partitionsCreated: loaded.reduce((n, r) => n + r.partitionsCreated, 0),
    passThrough: loaded.length > 0 && loaded.every((r) => r.passThrough),
    binary: loaded.length > 0 && loaded.every((r) => r.binary),
  };
}

function runProcessor(ctx: Context, log: Logger, holder: Holder, role: 'compactor' | 'reporter') {
  return async (job: Job<RunJob>, token?: string) => {
    const runId = job.data.runId;
    const traceParent = job.data.traceParent ?? (await getRun(ctx.pool, runId))?.trace_parent ?? null;
    return withParentContext(traceParent, () =>
      withSpan(role === 'compactor' ? SpanName.Compact : SpanName.Report, { [Attr.RunId]: runId }, async () => {
        if (role === 'compactor') return patiently<unknown>(ctx, log, holder, job, token, () => compactRun(ctx, runId, log));
        return patiently(ctx, log, holder, job, token, () => reportRun(ctx, runId, log));
      }),
    );
  };
}

/** A job out of attempts: a chunk is dead (and its run settles); a compaction or report fails the run. */
async function onFinalFailure(ctx: Context, job: Job, err: Error, log: Logger): Promise<void> {
  const data = job.data as Partial<ChunkJob>;
  if (!data.runId) return;
  try {
    if (data.chunkNo !== undefined) {
      for (const c of data.pack ?? [{ chunkNo: data.chunkNo }]) await markChunkDead(ctx.pool, data.runId, c.chunkNo, describeError(err));
      await settleRun(ctx, data.runId);
      return;
    }
    const message =
      `${job.name} failed after ${job.attemptsMade} attempt(s): ${err.message}. ` +
      `Fix the cause, then \`copyfleet resume ${data.runId}\` (or run the same load command again).`;
    if (await transitionRun(ctx.pool, data.runId, ['planning', 'running', 'compacting', 'reporting'], 'failed', message)) {
      await announceRunEnd(ctx, data.runId, 'failed', log);
    }
  } catch (e) {
    // The supervisor's reconciliation finds the failed job and does this later.
    log.error('could not record the failure in PostgreSQL', { run: data.runId, error: (e as Error).message });
  }
}
