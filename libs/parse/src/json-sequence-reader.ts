/**
 * Streaming reader for the records of a JSON document's record container: the byte
 * range of a chunk holds `item (,? item)*`, where an item is a value (a top-level
 * array's elements, or the values of a sequence written one after another) or a member
 * `"key": value` (an object keyed by id). Items are found by tracking string state and
 * bracket depth — a comma at depth 0 outside a string, or the bracket that closes the
 * item's object or array, ends an item — so nothing is parsed here; each item's bytes go
 * to the same handler as a JSON line. A trailing comma, or a doubled one, separates
 * nothing and is no record. A record may span many lines (pretty-printed documents);
 * its line is the line it starts on.
 */
import { isUtf8 } from 'node:buffer';
import { Accumulator } from './accumulator.js';
import { LF } from './dialect.js';
import type { ReaderOptions } from './csv-reader.js';
import { rawCopy } from './record-handler.js';

export interface ItemHandler {
  /**
   * One record: the value is buf[start, end); for members, the key's string (quotes
   * included) is buf[keyStart, keyEnd), else keyStart = keyEnd = -1. Valid only during the call.
   */
  item(buf: Buffer, start: number, end: number, offset: number, line: number, keyStart: number, keyEnd: number): void;
  bad(reason: string, offset: number, line: number, raw: Buffer): void;
}

/** Where a JSON document keeps its records. */
export type JsonContainer =
  | { kind: 'array' }
  /** Values one after another, separated by commas or only by whitespace (no surrounding array). */
  | { kind: 'sequence' }
  | { kind: 'object' }
  | { kind: 'member-array'; key: string };

export interface SequenceOptions extends ReaderOptions {
  /** Items are `"key": value` members (an object keyed by id) rather than values. */
  members: boolean;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

export class JsonSequenceReader {
  private readonly acc = new Accumulator();
  private base: number;
  private line = 1;
  // Scan state of the pending item, relative to its start.
  private inItem = false;
  private itemLine = 1;
  private scanned = 0;
  private depth = 0;
  private inString = false;
  private escape = false;
  private done = false;
  /** The pending item is longer than maxRecordBytes: its bytes are dropped until it ends. */
  private skipping: { offset: number; line: number; raw: Buffer } | null = null;

  constructor(
    private readonly handler: ItemHandler,
    private readonly opts: SequenceOptions,
  ) {
    this.base = opts.startOffset;
  }

  get lines(): number {
    return this.line - 1;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0 || this.done) return;
    if (this.acc.length === 0) {
      const used = this.process(chunk, false);
      this.base += used;
      if (used < chunk.length) this.acc.append(chunk.subarray(used));
    } else {
      this.acc.append(chunk);
      const used = this.process(this.acc.view(), false);
      this.base += used;
      this.acc.keepFrom(used);
    }
    if (this.acc.length > this.opts.maxRecordBytes && !this.skipping) {
      // Too long to hold: keep scanning for its end, but drop its bytes.
      const view = this.acc.view();
      this.skipping = { offset: this.base, line: this.itemLine, raw: rawCopy(view, 0, view.length) };
      this.base += view.length;
      this.scanned = 0;
      this.acc.clear();
    }
  }

  end(): void {
    if (this.done) return;
    const view = this.acc.view();
    if (view.length > 0) this.process(view, true);
    this.acc.clear();
  }

  /** Emit complete items of buf; returns bytes consumed (the rest is one pending item). */
  private process(buf: Buffer, final: boolean): number {
    const len = buf.length;
    let pos = 0; // start of the pending item (or of the separator run before it)
    let i = this.inItem ? this.scanned : 0;
    let depth = this.depth;
    let inStr = this.inString;
    let esc = this.escape;
    while (i < len) {
      if (!this.inItem) {
        // Between items: whitespace and the comma.
        const c = buf[i]!;
        if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x2c) {
          i++;
          continue;
        }
        if (c === LF) {
          this.line++;
          i++;
          continue;
        }
        this.inItem = true;
        this.itemLine = this.line;
        pos = i;
        depth = 0;
        inStr = false;
        esc = false;
      }
      // Inside an item: find the comma at depth 0, or the bracket back to depth 0, that ends it.
      let end = -1;
      let closed = false;
      for (; i < len; i++) {
        const c = buf[i]!;
        if (inStr) {
          if (esc) esc = false;
          else if (c === BACKSLASH) esc = true;
          else if (c === QUOTE) inStr = false;
          else if (c === LF) this.line++;
          continue;
        }
        if (c === QUOTE) inStr = true;
        else if (c === 0x7b || c === 0x5b) depth++;
        else if (c === 0x7d || c === 0x5d) {
          depth--;
          if (depth < 0) {
            // The container's closing bracket: no more items in this range.
            end = i;
            this.done = true;
            break;
          }
          if (depth === 0) {
            // The item's own object or array closed: the item ends here (a sequence
            // needs no comma between values).
            end = i + 1;
            closed = true;
            break;
          }
        } else if (c === 0x2c && depth === 0) {
          end = i;
          break;
        } else if (c === LF) this.line++;
      }
      if (end < 0) {
        if (!final) {
          this.depth = depth;
          this.inString = inStr;
          this.escape = esc;
          if (this.skipping) {
            this.scanned = 0;
            return len;
          }
          this.scanned = i - pos;
          return pos;
        }
        end = len;
      }
      this.finishItem(buf, pos, end);
      this.inItem = false;
      if (this.done) return len;
      i = closed ? end : end + 1;
      pos = i;
    }
    if (final && this.inItem) {
      // The last item, already scanned to the end of the input.
      this.inItem = false;
      this.finishItem(buf, pos, len);
      return len;
    }
    return this.inItem ? pos : len;
  }

  /** The item ending at `end`: emitted, or rejected when it was too long to hold. */
  private finishItem(buf: Buffer, start: number, end: number): void {
    const s = this.skipping;
    if (s === null) return this.emit(buf, start, end);
    this.skipping = null;
    this.handler.bad(`record is longer than ${this.opts.maxRecordBytes} bytes`, s.offset, s.line, s.raw);
  }

  private emit(buf: Buffer, start: number, end: number): void {
    // Trim trailing whitespace; the line of the item is where it started.
    while (end > start && (buf[end - 1] === 0x20 || buf[end - 1] === 0x09 || buf[end - 1] === 0x0d || buf[end - 1] === LF)) end--;
    if (end === start) return; // nothing between two commas, or before the closing bracket
    const offset = this.base + start;
    const line = this.itemLine;
    if (!isUtf8(buf.subarray(start, end))) {
      this.handler.bad('invalid UTF-8 byte sequence', offset, line, rawCopy(buf, start, end));
      return;
    }
    if (!this.opts.members) {
      this.handler.item(buf, start, end, offset, line, -1, -1);
      return;
    }
    // `"key" : value`
    let k = start;
    if (buf[k] !== QUOTE) return this.handler.bad('expected a "key": value member', offset, line, rawCopy(buf, start, end));
    for (k++; k < end; k++) {
      if (buf[k] === BACKSLASH) k++;
      else if (buf[k] === QUOTE) break;
    }
    const keyEnd = k + 1;
    let v = keyEnd;
    while (v < end && (buf[v] === 0x20 || buf[v] === 0x09 || buf[v] === 0x0d || buf[v] === LF)) v++;
    if (buf[v] !== 0x3a) return this.handler.bad('expected ":" after the member key', offset, line, rawCopy(buf, start, end));
    v++;
    while (v < end && (buf[v] === 0x20 || buf[v] === 0x09 || buf[v] === 0x0d || buf[v] === LF)) v++;
    this.handler.item(buf, v, end, offset, line, start, keyEnd);
  }
}
