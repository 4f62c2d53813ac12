/**
 * A run's end as teams read it: the JSON every webhook receives, with a `text` line
 * that Slack and Teams incoming webhooks show as the message (they take `text` and
 * ignore the rest). Never carries secrets: the run's message and the source are passed
 * through redactText (URL passwords, tokens, AWS keys), and a source URL loses its query.
 */
import { formatBytes } from '@copyfleet/config';
import { redactText, redactUrl } from '@copyfleet/telemetry';

export type EndStatus = 'done' | 'failed' | 'cancelled';

/** The fields of a copyfleet.runs row the summary needs (RunRow has them all). */
export interface RunRowLike {
  run_id: string;
  status: string;
  source: string;
  target_table: string;
  message: string | null;
  rows_loaded: string | number;
  rows_rejected: string | number;
  bytes_total?: string | number;
  started_at: Date;
  finished_at: Date | null;
}

export interface RunSummary {
  runId: string;
  status: EndStatus;
  table: string;
  /** Input files (one for a single-file run). */
  files: string[];
  rowsLoaded: number;
  rowsRejected: number;
  bytes: number | null;
  durationSeconds: number;
  startedAt: string;
  finishedAt: string;
  message: string | null;
}

export interface WebhookPayload extends RunSummary {
  /** The message line for Slack / Teams incoming webhooks. */
  text: string;
  /** The run's page on the dashboard; null when DASHBOARD_URL is not set. */
  dashboard: string | null;
  /** For a failed or cancelled run: the next step. */
  whatToDo: string | null;
}

export function runSummaryOf(run: RunRowLike, files: string[] = [run.source], now = new Date()): RunSummary {
  const finished = run.finished_at ?? now;
  const status: EndStatus = run.status === 'done' || run.status === 'cancelled' ? run.status : 'failed';
  return {
    runId: String(run.run_id),
    status,
    table: run.target_table,
    files: files.map(showSource),
    rowsLoaded: Number(run.rows_loaded),
    rowsRejected: Number(run.rows_rejected),
    bytes: run.bytes_total === undefined ? null : Number(run.bytes_total),
    durationSeconds: Math.max(0, (finished.getTime() - run.started_at.getTime()) / 1000),
    startedAt: run.started_at.toISOString(),
    finishedAt: finished.toISOString(),
    message: run.message === null ? null : redactText(run.message),
  };
}

/** A source as it may be shown: s3:// keys and paths as they are, URLs without credentials or query. */
function showSource(source: string): string {
  return /^https?:\/\//i.test(source) ? redactUrl(source, { keepPath: true }) : redactText(source);
}

export function webhookPayload(summary: RunSummary, dashboardUrl: string | null = null): WebhookPayload {
  const dashboard = dashboardUrl ? `${dashboardUrl.replace(/\/+$/, '')}/runs/${encodeURIComponent(summary.runId)}` : null;
  const whatToDo =
    summary.status === 'failed'
      ? `Run \`copyfleet status ${summary.runId}\` to see the failed chunks and their errors; fix the cause, then \`copyfleet resume ${summary.runId}\` (loaded chunks are kept).`
      : summary.status === 'cancelled'
        ? `Nothing more is loaded; \`copyfleet resume ${summary.runId}\` continues the run from where it stopped.`
        : null;
  return { ...summary, text: textOf(summary, dashboard, whatToDo), dashboard, whatToDo };
}

const ICON: Record<EndStatus, string> = { done: '✅', failed: '❌', cancelled: '⏹️' };

function textOf(s: RunSummary, dashboard: string | null, whatToDo: string | null): string {
  const files = s.files.length === 1 ? s.files[0] : `${s.files.length} files`;
  const size = s.bytes !== null ? `, ${formatBytes(s.bytes)}` : '';
  const lines = [
    `${ICON[s.status]} copyfleet run ${s.runId} ${s.status}: ${files} → ${s.table}`,
    `${formatCount(s.rowsLoaded)} rows loaded, ${formatCount(s.rowsRejected)} rejected${size}, in ${formatDuration(s.durationSeconds)}`,
  ];
  if (s.status !== 'done' && s.message) lines.push(s.message);
  if (whatToDo) lines.push(`What to do: ${whatToDo}`);
  if (dashboard) lines.push(dashboard);
  return lines.join('\n');
}

/** 1234 → "1,234"; 3400000 → "3.4 M". */
export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} M`;
  return n.toLocaleString('en-US');
}

/** 72 → "1 m 12 s"; 6.5 → "6.5 s"; 3725 → "1 h 2 m". */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)} s`;
  const s = Math.round(seconds);
  if (s < 3600) return `${Math.floor(s / 60)} m ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} m`;
}
