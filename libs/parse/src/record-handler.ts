/**
 * Callbacks a reader calls for every record it finds. Locations are absolute byte
 * offsets in the source and 1-based physical line numbers counted from the first
 * byte the reader was given (the chunk's start); the finalizer turns those into
 * line numbers in the file.
 */
export interface RecordHandler<R> {
  record(value: R, offset: number, line: number): void;
  /** A record that cannot be parsed. `raw` is a copy, safe to keep. */
  bad(reason: string, offset: number, line: number, raw: Buffer): void;
}

/** How much of a bad record's raw bytes is kept in the reject row. */
export const MAX_RAW_KEPT = 64 * 1024;

export function rawCopy(buf: Buffer, start: number, end: number): Buffer {
  return Buffer.from(buf.subarray(start, Math.min(end, start + MAX_RAW_KEPT)));
}
