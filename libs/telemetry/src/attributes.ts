/**
 * Every span attribute, metric attribute and span name copyfleet writes, in one place
 * (bullmq's `enums/telemetry-attributes.ts` habit): dashboards, alert rules and trace
 * searches depend on these strings, so they change here or nowhere.
 *
 * Span names are low-cardinality: never a run id, file name or chunk number in a name
 * (those are attributes), so a trace store can group them.
 */
export const Attr = {
  RunId: 'copyfleet.run_id',
  File: 'copyfleet.file',
  FileNo: 'copyfleet.file_no',
  ChunkNo: 'copyfleet.chunk_no',
  /** Chunks in a job (a pack of small files' chunks), or committed together. */
  Chunks: 'copyfleet.chunks',
  Attempt: 'copyfleet.attempt',
  Bytes: 'copyfleet.bytes',
  Rows: 'copyfleet.rows',
  Rejects: 'copyfleet.rejects',
  PartitionsCreated: 'copyfleet.partitions_created',
  PassThrough: 'copyfleet.pass_through',
  /** Files in a batch the splitter queued. */
  Files: 'copyfleet.files',
  /** Metric attributes only. */
  Status: 'copyfleet.status',
  State: 'copyfleet.state',
  Outcome: 'copyfleet.outcome',
  Report: 'copyfleet.report',
  Table: 'copyfleet.table',
} as const;
export type AttrKey = (typeof Attr)[keyof typeof Attr];

export const SpanName = {
  /** The splitter's root span: one trace per run. */
  Run: 'run',
  Plan: 'plan',
  PlanSniff: 'plan.sniff',
  PlanSample: 'plan.sample',
  PlanParity: 'plan.parity',
  PlanPartitions: 'plan.partitions',
  PlanEnqueue: 'plan.enqueue',
  /** One per attempt of a chunk job (a chunk, or a pack of them), in a worker; child of the run span through the job's data. */
  Chunk: 'chunk',
  ChunkRead: 'chunk.read',
  ChunkParse: 'chunk.parse',
  ChunkCopy: 'chunk.copy',
  ChunkCommit: 'chunk.commit',
  Compact: 'compact',
  Report: 'report',
  /** One per report query. */
  ReportQuery: 'report.query',
  Analyze: 'analyze',
} as const;
export type SpanNameValue = (typeof SpanName)[keyof typeof SpanName];

/** The attributes a span may carry: values are ids and counts, never row data. */
export type SpanAttributes = Partial<Record<AttrKey, string | number | boolean>>;

/** service.name of each process. */
export type Service = 'splitter' | 'worker' | 'compactor' | 'reporter' | 'dashboard' | 'cli';
export const serviceName = (service: Service): string => `copyfleet-${service}`;

const ROLES: Record<string, Service> = { split: 'splitter', worker: 'worker', compactor: 'compactor', reporter: 'reporter', dashboard: 'dashboard' };

/**
 * The service of a process from its command line, for the preload (which runs before
 * the program): `apps/<role>/dist/main.js`, or `copyfleet <command>` where split plans
 * runs (splitter) and worker/compactor/reporter/dashboard are themselves; any other
 * command — load too, which plans, hosts the compactor and the reporter, and starts
 * the workers as processes of their own — is the cli.
 */
export function serviceFromArgv(argv: readonly string[]): Service {
  const script = (argv[1] ?? '').replace(/\\/g, '/');
  const app = /apps\/(splitter|worker|compactor|reporter|dashboard)\/(?:dist|src)\/main\.[cm]?[jt]s$/.exec(script);
  if (app) return app[1] as Service;
  const command = argv.slice(2).find((a) => !a.startsWith('-'));
  return (command && ROLES[command]) || 'cli';
}
