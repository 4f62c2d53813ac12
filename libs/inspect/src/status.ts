/**
 * `copyfleet status RUN`: where a run is, at this moment, from both stores — the ledger
 * in PostgreSQL says what is loaded and what is dead; Redis says which of the other
 * chunks are running, waiting for a retry (failed, backing off) or waiting to start,
 * and which have no job at all (the supervisor queues those again). When Redis cannot be
 * reached the report says so and gives the ledger's part.
 */
import { formatBytes } from '@copyfleet/config';
import { fileCounts, filesOf, getRun, pendingChunkNos, runProgress, troubledChunks, type DeadChunk, type FileCounts, type RunStatus } from '@copyfleet/db';
import { LoadRequestError } from '@copyfleet/design';
import type { Queues } from '@copyfleet/queue';
import type pg from 'pg';

/** The two stores a run lives in (a copyfleet Context has both). */
export interface Stores {
  pool: pg.Pool;
  queues: Queues;
}

export interface ChunkCounts {
  total: number;
  /** Committed: in the table. */
  done: number;
  /** Retries exhausted: waiting for `copyfleet resume` or `retry --chunk`. */
  dead: number;
  /** Neither done nor dead. */
  pending: number;
  /** The pending chunks by what Redis says (null when Redis could not be asked). */
  running: number | null;
  /** Failed at least once and backing off before the next attempt. */
  retrying: number | null;
  waiting: number | null;
  /** No job in Redis (lost, e.g. in a Redis restart): the supervisor queues them again. */
  unqueued: number | null;
}

export interface TroubledChunk {
  chunk: number;
  bytes: [number, number];
  attempts: number;
  error: string | null;
}

export interface RunStatusReport {
  runId: string;
  status: RunStatus;
  message: string | null;
  source: string;
  table: string;
  startedAt: string;
  finishedAt: string | null;
  elapsedSeconds: number;
  chunks: ChunkCounts;
  /** The run's files by status, and those that failed or were skipped, with why. */
  files: FileCounts & { problems: { file: number; uri: string; status: string; message: string | null }[] };
  rows: { loaded: number; rejected: number; replaced: number; before: number | null };
  bytes: { total: number; done: number };
  throughput: { rowsPerSecond: number; bytesPerSecond: number };
  /** Seconds left at the rate so far, while the run loads chunks. */
  etaSeconds: number | null;
  running: { chunk: number; worker: string | null; attempt: number }[];
  dead: TroubledChunk[];
  /** Chunks whose last attempt failed and that are being retried. */
  failing: TroubledChunk[];
  queue: { reachable: boolean; error?: string };
}

const REDIS_TIMEOUT_MS = 3000;

export async function describeRun(ctx: Stores, runId: string): Promise<RunStatusReport> {
  const run = await getRun(ctx.pool, runId);
  if (!run) throw new LoadRequestError(`run ${runId} does not exist`);
  const [p, dead, failing, counts, failed, skipped] = await Promise.all([
    runProgress(ctx.pool, runId),
    troubledChunks(ctx.pool, runId, 'dead', 20),
    troubledChunks(ctx.pool, runId, 'failing', 20),
    fileCounts(ctx.pool, runId),
    filesOf(ctx.pool, runId, 'failed'),
    filesOf(ctx.pool, runId, 'skipped'),
  ]);
  const problems = [...failed, ...skipped].slice(0, 20).map((f) => ({ file: f.file_no, uri: f.uri, status: f.status, message: f.message }));
  const pending = p.chunksTotal - p.chunksDone - p.chunksDead;
  const chunks: ChunkCounts = { total: p.chunksTotal, done: p.chunksDone, dead: p.chunksDead, pending, running: null, retrying: null, waiting: null, unqueued: null };
  let running: RunStatusReport['running'] = [];
  let queue: RunStatusReport['queue'] = { reachable: true };
  try {
    const [states, active] = await withTimeout(Promise.all([ctx.queues.chunkJobStates(runId), ctx.queues.activeChunkJobs(runId)]));
    const count = { running: 0, retrying: 0, waiting: 0, unqueued: 0 };
    for (const chunk_no of await pendingChunkNos(ctx.pool, runId)) {
      const state = states.get(chunk_no);
      if (state === 'active') count.running++;
      else if (state === 'delayed' || state === 'failed') count.retrying++;
      else if (state === 'waiting') count.waiting++;
      else count.unqueued++;
    }
    Object.assign(chunks, count);
    running = active.map((a) => ({ chunk: a.chunkNo, worker: a.worker, attempt: a.attemptsMade + 1 }));
  } catch (err) {
    queue = { reachable: false, error: (err as Error).message };
  }

  const end = run.finished_at ?? new Date();
  const elapsedSeconds = Math.max(0.001, (end.getTime() - run.started_at.getTime()) / 1000);
  const loadingSince = p.firstStartedAt ?? run.started_at;
  const loadingSeconds = Math.max(0.001, (end.getTime() - loadingSince.getTime()) / 1000);
  const bytesPerSecond = p.bytesDone / loadingSeconds;
  const loading = run.status === 'running' || run.status === 'planning';
  return {
    runId: run.run_id,
    status: run.status,
    message: run.message,
    source: run.source,
    table: run.target_table,
    startedAt: run.started_at.toISOString(),
    finishedAt: run.finished_at?.toISOString() ?? null,
    elapsedSeconds,
    chunks,
    files: { ...counts, problems },
    rows: { loaded: p.rowsLoaded, rejected: p.rowsRejected, replaced: Number(run.rows_replaced), before: run.rows_before === null ? null : Number(run.rows_before) },
    bytes: { total: p.bytesTotal, done: p.bytesDone },
    throughput: { rowsPerSecond: p.rowsLoaded / loadingSeconds, bytesPerSecond },
    etaSeconds: loading && bytesPerSecond > 0 ? (p.bytesTotal - p.bytesDone) / bytesPerSecond : null,
    running,
    dead: dead.map(troubled),
    failing: failing.map(troubled),
    queue,
  };
}

function troubled(c: DeadChunk): TroubledChunk {
  return { chunk: c.chunk_no, bytes: [Number(c.byte_start), Number(c.byte_end)], attempts: c.attempts, error: c.last_error };
}

function withTimeout<T>(p: Promise<T>): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`Redis did not answer within ${REDIS_TIMEOUT_MS / 1000} s`)), REDIS_TIMEOUT_MS).unref()),
  ]);
}

/** The report for people: one line per aspect. */
export function formatRunStatus(r: RunStatusReport): string {
  const c = r.chunks;
  const queued =
    c.running === null
      ? `${c.pending} pending (Redis unreachable: ${r.queue.error})`
      : `${c.running} running, ${c.retrying} retrying, ${c.waiting} waiting` + (c.unqueued ? `, ${c.unqueued} not queued` : '');
  const pct = r.bytes.total > 0 ? Math.floor((100 * r.bytes.done) / r.bytes.total) : 100;
  const lines = [
    `run ${r.runId}: ${r.status} (${r.elapsedSeconds.toFixed(1)} s)`,
    `  input     ${r.source} → ${r.table}`,
    `  chunks    ${c.total} total: ${c.done} done, ${queued}, ${c.dead} dead`,
    ...(r.files.total > 1 || r.files.failed + r.files.skipped > 0
      ? [
          `  files     ${r.files.total} total: ${r.files.done} done, ${r.files.loading + r.files.listed} loading, ${r.files.failed} failed` +
            (r.files.skipped ? `, ${r.files.skipped} skipped` : ''),
        ]
      : []),
    `  rows      ${r.rows.loaded} loaded, ${r.rows.rejected} rejected` +
      (r.rows.replaced ? `, ${r.rows.replaced} replaced by key` : '') +
      (r.rows.before ? `; the table had ${r.rows.before} before` : ''),
    `  bytes     ${formatBytes(r.bytes.done)} of ${formatBytes(r.bytes.total)} (${pct}%)`,
    `  speed     ${Math.round(r.throughput.rowsPerSecond)} rows/s, ${formatBytes(Math.round(r.throughput.bytesPerSecond))}/s`,
    `  ETA       ${r.etaSeconds === null ? '-' : `${Math.ceil(r.etaSeconds)} s`}`,
  ];
  for (const a of r.running) lines.push(`  running   chunk ${a.chunk} on ${a.worker ?? 'a worker'} (attempt ${a.attempt})`);
  for (const f of r.failing) lines.push(`  failing   chunk ${f.chunk} after ${f.attempts} attempt(s): ${f.error}`);
  for (const d of r.dead) lines.push(`  dead      chunk ${d.chunk} (bytes ${d.bytes[0]}-${d.bytes[1]}) after ${d.attempts} attempt(s): ${d.error}`);
  for (const f of r.files.problems) lines.push(`  ${f.status.padEnd(9)} file ${f.file} ${f.uri}: ${f.message ?? ''}`);
  if (r.message) lines.push(`  message   ${r.message}`);
  return `${lines.join('\n')}\n`;
}
