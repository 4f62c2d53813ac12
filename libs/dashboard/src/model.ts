/**
 * What the pages and the JSON API show, computed from the ledger (and, for chunks not
 * yet committed, Redis). A run's figures come from describeRun — what `copyfleet status`
 * prints — and the runs list sums the ledger the same way, so the two never disagree.
 */
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  getRun, getRunListRow, listRuns, rejectReasons, rejectsPage, runChunks, runFiles, tablePartitions,
  type AnyRunStatus, type DashboardChunk, type DashboardReject, type RunListFilter, type RunListRow, type RunRow,
} from '@copyfleet/db';
import { describeRun, type RunStatusReport } from '@copyfleet/inspect';
import type { Context } from '@copyfleet/run';
import { percent } from './format.js';

export interface RunSummary {
  runId: string;
  source: string;
  table: string;
  status: AnyRunStatus;
  message: string | null;
  percent: number;
  files: number;
  chunks: { total: number; done: number; dead: number };
  bytes: { total: number; done: number };
  rows: { loaded: number; rejected: number };
  bytesPerSecond: number;
  elapsedSeconds: number;
  startedAt: string;
  finishedAt: string | null;
}

/** True while the run's numbers can still change (the pages keep polling). */
export const isLive = (status: string): boolean => status === 'planning' || status === 'running' || status === 'compacting' || status === 'reporting';

/** describeRun's arithmetic on a runs-list row. */
export function summarize(r: RunListRow, now = new Date()): RunSummary {
  const end = r.finished_at ?? now;
  const elapsedSeconds = Math.max(0.001, (end.getTime() - r.started_at.getTime()) / 1000);
  const loadingSince = r.p_first_started_at ?? r.started_at;
  const loadingSeconds = Math.max(0.001, (end.getTime() - loadingSince.getTime()) / 1000);
  const bytes = { total: Number(r.p_bytes_total), done: Number(r.p_bytes_done) };
  return {
    runId: r.run_id,
    source: r.source,
    table: r.target_table,
    status: r.status,
    message: r.message,
    percent: percent(bytes.done, bytes.total),
    files: Number(r.files),
    chunks: { total: Number(r.p_chunks_total), done: Number(r.p_chunks_done), dead: Number(r.p_chunks_dead) },
    bytes,
    rows: { loaded: Number(r.p_rows_loaded), rejected: Number(r.p_rows_rejected) },
    bytesPerSecond: bytes.done / loadingSeconds,
    elapsedSeconds,
    startedAt: r.started_at.toISOString(),
    finishedAt: r.finished_at?.toISOString() ?? null,
  };
}

export const PAGE_SIZE = 50;

export async function runsPage(ctx: Context, filter: Omit<RunListFilter, 'limit'>): Promise<{ runs: RunSummary[]; next: string | null }> {
  const rows = await listRuns(ctx.pool, { ...filter, limit: PAGE_SIZE + 1 });
  const runs = rows.slice(0, PAGE_SIZE).map((r) => summarize(r));
  return { runs, next: rows.length > PAGE_SIZE ? runs.at(-1)!.runId : null };
}

export async function runSummary(ctx: Context, runId: string): Promise<RunSummary | null> {
  const row = await getRunListRow(ctx.pool, runId);
  return row ? summarize(row) : null;
}

export type ChunkState = 'waiting' | 'active' | 'retrying' | 'done' | 'dead' | 'cancelled';

export interface ChunkView {
  chunk: number;
  file: number;
  state: ChunkState;
  bytes: [number, number];
  rowsLoaded: number | null;
  rowsRejected: number | null;
  attempts: number;
  /** From the first attempt's start to the commit (retries and their backoff included). */
  durationSeconds: number | null;
  startedAt: string | null;
  endedAt: string | null;
  error: string | null;
  /** The worker holding it now (Redis), for active chunks. */
  worker: string | null;
}

/** Every chunk with its state: the ledger for done and dead, Redis for the others. */
export async function chunkViews(ctx: Context, run: RunRow, report?: RunStatusReport): Promise<ChunkView[]> {
  const chunks = await runChunks(ctx.pool, run.run_id);
  const pending = chunks.some((c) => !c.loaded_at && !c.dead_at);
  let states = new Map<number, string>();
  if (pending && (run.status as AnyRunStatus) !== 'cancelled') {
    states = await ctx.queues.chunkJobStates(run.run_id).catch(() => new Map());
  }
  const workers = new Map((report?.running ?? []).map((a) => [a.chunk, a.worker]));
  const now = Date.now();
  return chunks.map((c) => {
    const state = chunkState(c, run.status, states.get(c.chunk_no));
    const end = c.loaded_at ?? c.dead_at ?? (state === 'active' ? new Date(now) : null);
    return {
      chunk: c.chunk_no,
      file: c.file_no,
      state,
      bytes: [Number(c.byte_start), Number(c.byte_end)],
      rowsLoaded: c.rows_loaded === null ? null : Number(c.rows_loaded),
      rowsRejected: c.rows_rejected === null ? null : Number(c.rows_rejected),
      attempts: c.attempts,
      durationSeconds: c.started_at && end ? (end.getTime() - c.started_at.getTime()) / 1000 : null,
      startedAt: c.started_at?.toISOString() ?? null,
      endedAt: end?.toISOString() ?? null,
      error: c.loaded_at ? null : c.last_error,
      worker: workers.get(c.chunk_no) ?? null,
    };
  });
}

function chunkState(c: DashboardChunk, runStatus: string, job: string | undefined): ChunkState {
  if (c.loaded_at) return 'done';
  if (c.dead_at) return 'dead';
  if (runStatus === 'cancelled') return 'cancelled';
  if (job === 'active') return 'active';
  if (job === 'delayed' || job === 'failed' || c.last_error) return 'retrying';
  return 'waiting';
}

export interface TimelineLane {
  label: string;
  bars: { chunk: number; state: ChunkState; left: number; width: number; title: string }[];
}

/**
 * Chunks on lanes, like Spark's task timeline. The ledger does not record which worker
 * committed a chunk, so lanes are derived: each chunk goes on the first lane free at its
 * start (interval partitioning), which needs as many lanes as chunks ran at once — one
 * per worker slot. A slow slot or a skewed chunk shows as a long bar.
 */
export function timeline(chunks: ChunkView[]): { lanes: TimelineLane[]; seconds: number } {
  const spans = chunks
    .filter((c) => c.startedAt && c.endedAt)
    .map((c) => ({ c, start: Date.parse(c.startedAt!), end: Date.parse(c.endedAt!) }))
    .sort((a, b) => a.start - b.start || a.c.chunk - b.c.chunk);
  if (spans.length === 0) return { lanes: [], seconds: 0 };
  const t0 = spans[0]!.start;
  const t1 = Math.max(...spans.map((s) => s.end), t0 + 1);
  const laneEnds: number[] = [];
  const lanes: TimelineLane[] = [];
  for (const s of spans) {
    let lane = laneEnds.findIndex((end) => end <= s.start);
    if (lane < 0) {
      lane = laneEnds.length;
      laneEnds.push(0);
      lanes.push({ label: `slot ${lane + 1}`, bars: [] });
    }
    laneEnds[lane] = s.end;
    const left = (100 * (s.start - t0)) / (t1 - t0);
    lanes[lane]!.bars.push({
      chunk: s.c.chunk,
      state: s.c.state,
      left,
      width: Math.max(0.4, Math.min(100 - left, (100 * (s.end - s.start)) / (t1 - t0))),
      title: `chunk ${s.c.chunk}: ${s.c.state}, ${((s.end - s.start) / 1000).toFixed(1)} s, ${s.c.attempts} attempt(s)${s.c.worker ? `, on ${s.c.worker}` : ''}`,
    });
  }
  return { lanes, seconds: (t1 - t0) / 1000 };
}

/**
 * Throughput over time: each chunk's bytes and rows spread evenly over its time from
 * start to commit, summed in up to 60 buckets. x: unix seconds (bucket end).
 */
export function throughput(chunks: ChunkView[]): { x: number[]; mbPerSecond: number[]; rowsPerSecond: number[] } {
  const done = chunks
    .filter((c) => c.state === 'done' && c.startedAt && c.endedAt)
    .map((c) => ({ start: Date.parse(c.startedAt!) / 1000, end: Date.parse(c.endedAt!) / 1000, bytes: c.bytes[1] - c.bytes[0], rows: c.rowsLoaded ?? 0 }));
  if (done.length === 0) return { x: [], mbPerSecond: [], rowsPerSecond: [] };
  const t0 = Math.min(...done.map((d) => d.start));
  const t1 = Math.max(...done.map((d) => d.end));
  const n = Math.max(1, Math.min(60, Math.ceil((t1 - t0) / 0.5)));
  const width = Math.max(0.001, (t1 - t0) / n);
  const bytes = new Array<number>(n).fill(0);
  const rows = new Array<number>(n).fill(0);
  for (const d of done) {
    const length = Math.max(0.001, d.end - d.start);
    for (let b = Math.max(0, Math.floor((d.start - t0) / width)); b < n && t0 + b * width < d.end; b++) {
      const overlap = Math.min(d.end, t0 + (b + 1) * width) - Math.max(d.start, t0 + b * width);
      if (overlap <= 0) continue;
      bytes[b]! += (d.bytes * overlap) / length;
      rows[b]! += (d.rows * overlap) / length;
    }
  }
  return {
    x: bytes.map((_, b) => Math.round((t0 + (b + 1) * width) * 1000) / 1000),
    mbPerSecond: bytes.map((v) => Math.round((v / width / 1e6) * 1000) / 1000),
    rowsPerSecond: rows.map((v) => Math.round(v / width)),
  };
}

export interface ReportFile {
  name: string;
  bytes: number;
}

/** Where the reporter wrote a run's reports. */
export function reportsDirOf(ctx: Context, run: RunRow): string {
  return resolve(run.reports_dir ?? join(ctx.config.reportsDir, run.run_id));
}

export async function reportFiles(ctx: Context, run: RunRow): Promise<ReportFile[]> {
  const dir = reportsDirOf(ctx, run);
  const names = await readdir(dir).catch(() => [] as string[]);
  const files: ReportFile[] = [];
  for (const name of names.sort()) {
    const s = await stat(join(dir, name)).catch(() => null);
    if (s?.isFile()) files.push({ name, bytes: s.size });
  }
  return files;
}

/** The trace id of a W3C traceparent (00-<trace id>-<span id>-<flags>). */
export function traceIdOf(traceParent: string | null): string | null {
  const m = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(traceParent ?? '');
  return m ? m[1]! : null;
}

export function traceLink(uiUrl: string, traceId: string | null): string | null {
  if (!uiUrl || !traceId) return null;
  const url = uiUrl.includes('{traceId}') ? uiUrl.replaceAll('{traceId}', traceId) : `${uiUrl.replace(/\/$/, '')}/${traceId}`;
  return /^https?:\/\//.test(url) ? url : null;
}

/** What the operator should do next, in a sentence (null: nothing). */
export function advice(report: RunStatusReport, status: AnyRunStatus): string | null {
  const id = report.runId;
  if (status === 'failed' && report.chunks.dead > 0) {
    return `${report.chunks.dead} chunk(s) are dead: fix the cause their errors name (below), then Resume the run (copyfleet resume ${id}), or Retry one chunk (copyfleet retry ${id} --chunk N).`;
  }
  if (status === 'failed') return `Fix the cause in the message, then Resume the run (copyfleet resume ${id}).`;
  if (status === 'cancelled') return 'This run was cancelled; committed chunks stay in the table. Load the input again for a new run.';
  if (!report.queue.reachable) return `Redis is unreachable (${report.queue.error}): chunks cannot be handed to workers until it is back.`;
  if (report.failing.length > 0) return `${report.failing.length} chunk(s) failed their last attempt and are being retried with backoff: their errors are below.`;
  if (status === 'planning') return 'The splitter is planning chunks.';
  if (status === 'done' && report.rows.rejected > 0) {
    return `${report.rows.rejected} record(s) were rejected: see Rejects; download them (copyfleet rejects ${id}), fix and load them again.`;
  }
  return null;
}

export interface RunDetail {
  run: RunRow;
  report: RunStatusReport;
  summary: RunSummary;
  chunks: ChunkView[];
  files: Awaited<ReturnType<typeof runFiles>>;
  advice: string | null;
  traceId: string | null;
  traceUrl: string | null;
}

export async function runDetail(ctx: Context, runId: string): Promise<RunDetail | null> {
  const run = await getRun(ctx.pool, runId);
  if (!run) return null;
  const report = await describeRun(ctx, runId);
  const [summary, chunks, files] = await Promise.all([runSummary(ctx, runId), chunkViews(ctx, run, report), runFiles(ctx.pool, runId)]);
  const traceId = traceIdOf(run.trace_parent);
  return {
    run,
    report,
    summary: summary!,
    chunks,
    files,
    advice: advice(report, run.status),
    traceId,
    traceUrl: traceLink(ctx.config.traceUiUrl, traceId),
  };
}

export async function partitionsOf(ctx: Context, table: string): Promise<Awaited<ReturnType<typeof tablePartitions>>> {
  const dot = table.indexOf('.');
  const [schema, name] = dot > 0 ? [table.slice(0, dot), table.slice(dot + 1)] : [ctx.config.defaultSchema, table];
  return tablePartitions(ctx.pool, schema, name).catch(() => []);
}

export interface RejectView {
  file: number;
  chunk: number;
  offset: number;
  line: number | null;
  reason: string;
  /** The record as text; bytes that are not UTF-8 shown as \xNN. */
  raw: string;
  binary: boolean;
}

export const REJECTS_PAGE = 100;

export async function rejectsView(
  ctx: Context,
  runId: string,
  opts: { after?: { fileNo: number; offset: number } | undefined; reason?: string | undefined },
): Promise<{ rejects: RejectView[]; next: string | null; reasons: { reason: string; count: number }[] }> {
  const [rows, reasons] = await Promise.all([
    rejectsPage(ctx.pool, runId, { ...opts, limit: REJECTS_PAGE + 1 }),
    rejectReasons(ctx.pool, runId),
  ]);
  const page = rows.slice(0, REJECTS_PAGE);
  const last = page.at(-1);
  return {
    rejects: page.map(rejectView),
    next: rows.length > REJECTS_PAGE && last ? `${last.file_no}:${last.byte_offset}` : null,
    reasons: reasons.map((r) => ({ reason: r.reason, count: Number(r.count) })),
  };
}

function rejectView(r: DashboardReject): RejectView {
  const binary = r.raw === null && r.raw_bytes !== null;
  const raw = r.raw ?? (r.raw_bytes ? [...r.raw_bytes].map((b) => (b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('') : '');
  return { file: r.file_no, chunk: r.chunk_no, offset: Number(r.byte_offset), line: r.line_no === null ? null : Number(r.line_no), reason: r.reason, raw, binary };
}

/** `after=F:O` (file number, byte offset) or a plain byte offset of file 0. */
export function parseAfter(v: unknown): { fileNo: number; offset: number } | undefined {
  if (typeof v !== 'string' || v === '') return undefined;
  const m = /^(?:(\d+):)?(\d+)$/.exec(v);
  if (!m) return undefined;
  return { fileNo: Number(m[1] ?? 0), offset: Number(m[2]) };
}
