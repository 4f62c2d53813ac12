/**
 * Sized, streamed output for the example generators. A scenario writes whole records into
 * one or more files that share a byte budget; a record that would take the files past the
 * budget is not written, so the total is at most the budget and every file ends with a whole
 * record. Records are collected into ~1 MiB strings and written with backpressure (the
 * scenario awaits `flush()` when a batch is full, never per record).
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';

const BATCH_CHARS = 1 << 20;

export interface FileTotals { path: string; bytes: number; records: number }

export class Sink {
  bytes = 0;
  records = 0;
  private batch = '';
  /** Only ASCII text so far: the batch is encoded as Latin-1 (faster, same bytes). */
  private ascii = true;
  private readonly stream: WriteStream;

  constructor(readonly name: string, path: string, private readonly budget: Budget) {
    // A deep write queue lets generating the next batches overlap writing this one.
    this.stream = createWriteStream(path, { highWaterMark: 16 << 20 });
  }

  /** Text that is not a record (a header line). */
  preamble(text: string): void {
    const n = Buffer.byteLength(text);
    if (n !== text.length) this.ascii = false;
    this.commit(text, n, 0);
  }

  /**
   * Appends `text` (holding `records` records) if it fits the budget; false, and nothing
   * kept, when it does not. For `ascii` text the length is the byte count (the fast path).
   */
  put(text: string, records = 1, ascii = false): boolean {
    const n = ascii ? text.length : Buffer.byteLength(text);
    if (!this.budget.fits(n)) return false;
    if (!ascii) this.ascii = false;
    this.commit(text, n, records);
    return true;
  }

  private commit(text: string, n: number, records: number): void {
    this.batch += text;
    this.budget.used += n;
    this.bytes += n;
    this.records += records;
  }

  /** The batch is large enough to write: call flush(). */
  get full(): boolean { return this.batch.length >= BATCH_CHARS; }

  /** Writes the batch, waiting while the stream is full. */
  async flush(): Promise<void> {
    const text = this.batch;
    this.batch = '';
    if (text && !this.stream.write(Buffer.from(text, this.ascii ? 'latin1' : 'utf8'))) await once(this.stream, 'drain');
  }

  async close(): Promise<FileTotals> {
    await this.flush();
    this.stream.end();
    await once(this.stream, 'finish');
    return { path: this.name, bytes: this.bytes, records: this.records };
  }
}

/** The byte budget shared by a scenario's files (or one file's share of it). */
export class Budget {
  used = 0;
  constructor(readonly limit: number) {}
  fits(n: number): boolean { return this.used + n <= this.limit; }
}

export class Output {
  readonly sinks: Sink[] = [];
  constructor(readonly dir: string) {}
  static async create(dir: string): Promise<Output> {
    await mkdir(dir, { recursive: true });
    return new Output(dir);
  }
  open(name: string, budget: Budget): Sink {
    const sink = new Sink(name, join(this.dir, name), budget);
    this.sinks.push(sink);
    return sink;
  }
  async close(): Promise<FileTotals[]> {
    const out: FileTotals[] = [];
    for (const s of this.sinks) out.push(await s.close());
    return out;
  }
}

/** Appends `text` (one record) to `sink` if it fits the budget; false when the budget is spent. */
export function put(sink: Sink, _budget: Budget, text: string): boolean {
  return sink.put(text);
}

/** As put, for text known to be ASCII: the fast generators' path. */
export function putAscii(sink: Sink, _budget: Budget, text: string): boolean {
  return sink.put(text, 1, true);
}
