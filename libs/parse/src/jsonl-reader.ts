/**
 * Streaming line readers over Buffers. LineReader finds LF-terminated lines with
 * Buffer.indexOf (readline costs more than JSON.parse itself on large inputs) and
 * hands each non-blank, valid-UTF-8 line over as a byte range; a line that is not
 * valid UTF-8 or is longer than maxRecordBytes becomes a reject with its offset and
 * line. JsonlReader is LineReader plus JSON.parse: one JSON value per line.
 */
import { isUtf8 } from 'node:buffer';
import { Accumulator } from './accumulator.js';
import { CR, LF } from './dialect.js';
import type { ReaderOptions } from './csv-reader.js';
import { rawCopy, type RecordHandler } from './record-handler.js';

export interface LineHandler {
  /** A line's bytes are buf[start, end) (no LF, no trailing CR); valid only during the call. */
  line(buf: Buffer, start: number, end: number, offset: number, line: number): void;
  bad(reason: string, offset: number, line: number, raw: Buffer): void;
}

export class JsonlReader {
  private readonly reader: LineReader;

  constructor(handler: RecordHandler<unknown>, opts: ReaderOptions) {
    this.reader = new LineReader(
      {
        line(buf, start, end, offset, line) {
          let value: unknown;
          try {
            value = JSON.parse(buf.toString('utf8', start, end));
          } catch (err) {
            handler.bad(`invalid JSON: ${(err as Error).message}`, offset, line, rawCopy(buf, start, end));
            return;
          }
          handler.record(value, offset, line);
        },
        bad: (reason, offset, line, raw) => handler.bad(reason, offset, line, raw),
      },
      opts,
    );
  }

  get lines(): number {
    return this.reader.lines;
  }

  push(chunk: Buffer): void {
    this.reader.push(chunk);
  }

  end(): void {
    this.reader.end();
  }
}

export class LineReader {
  private readonly acc = new Accumulator();
  private base: number;
  private line = 1;
  private skip: { offset: number; line: number; raw: Buffer } | null = null;

  constructor(
    private readonly handler: LineHandler,
    private readonly opts: ReaderOptions,
  ) {
    this.base = opts.startOffset;
  }

  get lines(): number {
    return this.line - 1;
  }

  push(chunk: Buffer): void {
    if (this.skip) {
      // Inside an over-long line: drop bytes until its newline.
      const nl = chunk.indexOf(LF);
      if (nl < 0) {
        this.base += chunk.length;
        return;
      }
      this.finishSkip();
      this.base += nl + 1;
      chunk = chunk.subarray(nl + 1);
    }
    if (this.acc.length === 0) {
      const used = this.process(chunk);
      this.base += used;
      this.holdTail(chunk.subarray(used));
      return;
    }
    this.acc.append(chunk);
    if (chunk.indexOf(LF) >= 0) {
      const used = this.process(this.acc.view());
      this.base += used;
      this.acc.keepFrom(used);
    }
    if (this.acc.length > this.opts.maxRecordBytes) this.startSkip(this.acc.view());
  }

  end(): void {
    if (this.skip) this.finishSkip();
    const view = this.acc.view();
    if (view.length > 0) this.emitLine(view, 0, view.length, false);
    this.acc.clear();
  }

  private holdTail(tail: Buffer): void {
    if (tail.length > this.opts.maxRecordBytes) this.startSkip(tail);
    else if (tail.length > 0) this.acc.append(tail);
  }

  private startSkip(pending: Buffer): void {
    this.skip = { offset: this.base, line: this.line, raw: rawCopy(pending, 0, pending.length) };
    this.base += pending.length;
    this.acc.clear();
  }

  private finishSkip(): void {
    const s = this.skip!;
    this.skip = null;
    this.handler.bad(`record is longer than ${this.opts.maxRecordBytes} bytes`, s.offset, s.line, s.raw);
    this.line = s.line + 1;
  }

  /** Emit every complete line in `buf`; returns the bytes consumed. */
  private process(buf: Buffer): number {
    const lastLf = buf.lastIndexOf(LF);
    if (lastLf < 0) return 0;
    const windowValid = isUtf8(buf.subarray(0, lastLf + 1));
    let pos = 0;
    while (pos <= lastLf) {
      const nl = buf.indexOf(LF, pos);
      this.emitLine(buf, pos, nl, windowValid);
      pos = nl + 1;
    }
    return pos;
  }

  private emitLine(buf: Buffer, pos: number, nl: number, valid: boolean): void {
    let end = nl;
    if (end > pos && buf[end - 1] === CR) end--;
    const line = this.line++;
    // Measure with the CR, as push() does for a line still waiting for its LF.
    if (nl - pos > this.opts.maxRecordBytes) {
      this.handler.bad(`record is longer than ${this.opts.maxRecordBytes} bytes`, this.base + pos, line, rawCopy(buf, pos, end));
      return;
    }
    if (isBlank(buf, pos, end)) return;
    if (!valid && !isUtf8(buf.subarray(pos, end))) {
      this.handler.bad('invalid UTF-8 byte sequence', this.base + pos, line, rawCopy(buf, pos, end));
      return;
    }
    this.handler.line(buf, pos, end, this.base + pos, line);
  }
}

function isBlank(buf: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = buf[i];
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return false;
  }
  return true;
}
