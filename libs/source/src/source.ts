/**
 * Where input bytes come from. Workers only ever ask for byte ranges, so a source
 * that supports ranged reads (a local file, an S3 object through ranged GETs) plugs in
 * without changing them.
 */
import type { Readable } from 'node:stream';

export interface SourceStat {
  size: number;
  /** Changes when the content changes (mtime+size locally, the ETag on S3). */
  version: string;
}

export interface Source {
  /** What the user named, e.g. `data/trips.csv` or `s3://bucket/key`. */
  readonly uri: string;
  /** The base name without directories, e.g. `trips.csv`. */
  readonly name: string;
  stat(): Promise<SourceStat>;
  /** Up to `length` bytes from `start` (fewer at the end of the source). */
  read(start: number, length: number): Promise<Buffer>;
  /** The bytes of [start, end), streamed with backpressure. */
  stream(start: number, end: number): Readable;
}

export class SourceError extends Error {
  override readonly name = 'SourceError';
  /**
   * True when trying again later may succeed (the network or the object store failed,
   * not the request): a job should be retried rather than given up.
   */
  readonly retryable: boolean;

  constructor(message: string, options: { retryable?: boolean } = {}) {
    super(message);
    this.retryable = options.retryable ?? false;
  }
}
