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

/** One chunk of a run: a byte range of one of its files. */
export interface ChunkRef {
  /** The file of the run the byte range is in (0 for a single-file run; absent in jobs queued before files existed). */
  fileNo?: number;
  chunkNo: number;
  start: number;
  end: number;
}

export interface ChunkJob extends ChunkRef {
  runId: string;
  /**
   * A pack: several small chunks (of small files) loaded by one job, in one transaction,
   * so that the per-job cost is paid once (pack.ts). The fields above are its first chunk's.
   */
  pack?: ChunkRef[];
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
/** A pack's id names the range of chunk numbers it holds: `run-7-chunk-10-41`. */
export const packJobId = (runId: string, first: number, last: number): string => `${chunkJobPrefix(runId)}${first}-${last}`;
/** The chunks a job of the run holds, from its id (a chunk, or a pack's range); null when the id is not one. */
export function chunksOfJobId(id: string, prefix: string): { first: number; last: number } | null {
  if (!id.startsWith(prefix)) return null;
  const m = /^(\d+)(?:-(\d+))?$/.exec(id.slice(prefix.length));
  if (!m) return null;
  const first = Number(m[1]);
  return { first, last: m[2] === undefined ? first : Number(m[2]) };
}
export const runJobId = (name: QueueName, runId: string): string => `run-${runId}-${name}`;
