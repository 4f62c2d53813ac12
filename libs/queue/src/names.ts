/** Queue names and job payloads: the contract between splitter, workers, compactor and reporter. */
export const QUEUE = {
  /** One job per chunk; consumed by `copyfleet worker`. */
  chunks: 'chunks',
  /** One job per run after its last chunk; consumed by `copyfleet compactor`. */
  compact: 'compact',
  /** One job per run after compaction; consumed by `copyfleet reporter`. */
  report: 'report',
} as const;

export type QueueName = (typeof QUEUE)[keyof typeof QUEUE];

export interface ChunkJob {
  runId: string;
  /** The file of the run the byte range is in (0 for a single-file run; absent in jobs queued before files existed). */
  fileNo?: number;
  chunkNo: number;
  start: number;
  end: number;
  /** W3C traceparent of the run, so the worker's span joins the run's trace. */
  traceParent?: string | null;
}

export interface RunJob {
  runId: string;
  traceParent?: string | null;
}

/** Every chunk job id of a run starts with this. */
export const chunkJobPrefix = (runId: string): string => `run-${runId}-chunk-`;
export const chunkJobId = (runId: string, chunkNo: number): string => `${chunkJobPrefix(runId)}${chunkNo}`;
export const runJobId = (name: QueueName, runId: string): string => `run-${runId}-${name}`;
