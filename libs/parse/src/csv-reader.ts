/**
 * Streaming CSV/TSV record reader over Buffers.
 *
 * Record boundaries follow PostgreSQL's CSV rules — a quote byte toggles "inside
 * quotes" wherever it appears, a doubled (or escaped) quote inside quotes is a literal
 * quote, and only a terminator (LF, a CR before it dropped; or CR in CR-only files)
 * outside quotes ends a record — plus stray-quote recovery when the dialect knows the
 * field count. The rule lives in record-end.ts; the planner cuts chunks by the same one.
 *
 * Hot path: records without quotes are split with Buffer.indexOf cursors (no
 * byte loop, no regex); only records containing a quote byte take the byte loop.
 * UTF-8 validity is checked once per read for the whole window, and per record
 * only when the window is not valid, so bad bytes become rejects instead of
 * U+FFFD. Blank lines are not records.
 */
import { isUtf8 } from 'node:buffer';
import { Accumulator } from './accumulator.js';
import { CR, LF, type CsvDialect } from './dialect.js';
import { findRecordEnd, freshCache, freshScan, recordRule, resetScan, type RecordRule, type RecordScan } from './record-end.js';
import { rawCopy, type RecordHandler } from './record-handler.js';

export type CsvFields = (string | null)[];

export interface ReaderOptions {
  /** Absolute byte offset of the first byte that will be pushed. */
  startOffset: number;
  /** Records longer than this are rejected and skipped without being buffered. */
  maxRecordBytes: number;
}

interface SkipState {
  offset: number;
  line: number;
  raw: Buffer;
  lines: number;
}

export class CsvReader {
  private readonly acc = new Accumulator();
  /** Absolute offset of the first pending byte (acc[0], or the next chunk when acc is empty). */
  private base: number;
  private line = 1;
  /** Scan state of the pending record, positions relative to its start. */
  private scan: RecordScan = freshScan(0);
  private readonly rule: RecordRule;
  private readonly term: number;
  private readonly trimSpace: boolean;
  private skip: SkipState | null = null;
  private readonly delim: number;
  private readonly quote: number;
  private readonly escape: number;
  private readonly enc: BufferEncoding;
  // The delimiter, quote and escape as text: records are decoded first and split as text.
  private readonly delimText: string;
  private readonly quoteText: string;
  private readonly escapeText: string;

  constructor(
    dialect: CsvDialect,
    private readonly handler: RecordHandler<CsvFields>,
    private readonly opts: ReaderOptions,
  ) {
    this.base = opts.startOffset;
    this.rule = recordRule(dialect);
    this.term = this.rule.terminator;
    this.trimSpace = this.rule.trimSpace;
    this.delim = dialect.delimiter;
    this.quote = dialect.quote ?? -1;
    this.escape = dialect.escape ?? this.quote;
    this.enc = dialect.encoding === 'latin1' ? 'latin1' : 'utf8';
    // Splitting decoded text equals splitting bytes only for single-byte characters: ASCII
    // (no UTF-8 multi-byte sequence contains an ASCII byte), or any byte in Latin-1.
    if (this.enc === 'utf8' && Math.max(this.delim, this.quote, this.escape) > 0x7f) {
      throw new Error('CSV dialect: the delimiter, quote and escape of a UTF-8 file must be ASCII characters');
    }
    this.delimText = String.fromCharCode(this.delim);
    this.quoteText = this.quote < 0 ? '' : String.fromCharCode(this.quote);
    this.escapeText = this.escape < 0 ? '' : String.fromCharCode(this.escape);
  }

  /** Physical lines consumed so far (a record's quoted newlines included). */
  get lines(): number {
    return this.line - 1;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.acc.length === 0) {
      const used = this.process(chunk, false);
      this.keepTail(chunk, used);
    } else {
      this.acc.append(chunk);
      const used = this.process(this.acc.view(), false);
      this.base += used;
      this.acc.keepFrom(used);
    }
  }

  /** Flush the last record (one without a final newline). */
  end(): void {
    const view = this.acc.view();
    if (view.length > 0 || this.skip) this.process(view, true);
    this.acc.clear();
  }

  private keepTail(chunk: Buffer, used: number): void {
    this.base += used;
    if (used < chunk.length) this.acc.append(chunk.subarray(used));
  }

  /**
   * Parse complete records in `buf` (whose first byte is at this.base). Returns how
   * many bytes were consumed; the rest is one incomplete record.
   */
  private process(buf: Buffer, final: boolean): number {
    const { term } = this;
    const len = buf.length;
    const lastTerm = buf.lastIndexOf(term);
    const windowValid = this.enc === 'latin1' || isUtf8(buf.subarray(0, lastTerm + 1));
    const cache = freshCache();
    const st = this.scan;
    let pos = 0;

    for (;;) {
      // 1. Where does the record starting at `pos` end (the one rule: record-end.ts)?
      const found = findRecordEnd(buf, pos, st, this.rule, final, cache);
      if (found < 0 || found >= len) {
        // Incomplete record [pos, len).
        const inQ = st.inQuote;
        if (final && len > pos) {
          if (this.skip) this.finishSkip(buf, pos, len);
          else if (inQ) {
            this.bad('unterminated quoted field at end of input', buf, pos, len);
            this.line += this.countTerm(buf, pos, len);
          } else {
            const contentEnd = term === LF && buf[len - 1] === CR ? len - 1 : len;
            this.emit(buf, pos, contentEnd, len, st.hadQuote, false);
            this.line += this.countTerm(buf, pos, len); // quoted newlines of a last record without one
          }
        } else if (final && this.skip) {
          this.finishSkip(buf, pos, len);
        } else if (this.skip || len - pos > this.opts.maxRecordBytes) {
          // Too long to hold: remember where it started and drop its bytes.
          if (!this.skip) {
            this.skip = { offset: this.base + pos, line: this.line, raw: rawCopy(buf, pos, len), lines: 0 };
          }
          // Inside quotes, keep a trailing escape byte (st.pos < len) to rescan it with the next byte.
          const used = inQ ? Math.min(st.pos, len) : len;
          this.skip.lines += this.countTerm(buf, pos, used);
          this.scan = { ...st, pos: 0, decided: true };
          return used;
        }
        this.scan = final ? freshScan(0) : { ...st, pos: st.pos - pos };
        return final ? len : pos;
      }

      // 2. A complete record [pos, end) followed by its terminator at `end`.
      const end = found;
      if (this.skip) {
        this.finishSkip(buf, pos, end + 1);
      } else {
        const contentEnd = term === LF && end > pos && buf[end - 1] === CR ? end - 1 : end;
        if (end + 1 - pos > this.opts.maxRecordBytes) {
          this.bad(`record is longer than ${this.opts.maxRecordBytes} bytes`, buf, pos, end);
          this.line += 1 + (st.hadQuote ? this.countTerm(buf, pos, end) : 0);
        } else if (contentEnd === pos) {
          this.line += 1; // blank line: not a record
        } else if (st.stray) {
          this.emitStray(buf, pos, contentEnd, end, windowValid);
          this.line += 1;
        } else if (!st.hadQuote) {
          if (!windowValid && !isUtf8(buf.subarray(pos, contentEnd))) {
            this.bad('invalid UTF-8 byte sequence', buf, pos, end);
          } else {
            this.handler.record(this.splitPlain(buf, pos, contentEnd), this.base + pos, this.line);
          }
          this.line += 1;
        } else {
          this.emit(buf, pos, contentEnd, end, true, windowValid);
          this.line += 1 + this.countTerm(buf, pos, end);
        }
      }
      pos = end + 1;
      resetScan(st, pos);
    }
  }

  /**
   * A record cut at a stray quote's line break (see record-end.ts). Read as a person reads
   * it when that is unambiguous — every quote byte is inside a field (`5" screen`) and the
   * line has the file's field count: the quotes are data. Otherwise it is rejected alone.
   */
  private emitStray(buf: Buffer, pos: number, contentEnd: number, end: number, windowValid: boolean): void {
    if (!windowValid && this.enc === 'utf8' && !isUtf8(buf.subarray(pos, contentEnd))) {
      this.bad('invalid UTF-8 byte sequence', buf, pos, end);
      return;
    }
    const fields = this.splitPlain(buf, pos, contentEnd);
    const n = this.rule.fields;
    if (fields.length === n && !fields.some((f) => f !== null && f.startsWith(this.quoteText))) {
      this.handler.record(fields, this.base + pos, this.line);
      return;
    }
    this.bad(
      `unbalanced quote: a quoted field opens on this line and does not close where a record of ${n} fields ends; ` +
        'only this line is rejected (the next line is read as the next record); fix the quote, or give quote/escape in a dataset spec',
      buf,
      pos,
      end,
    );
  }

  private countTerm(buf: Buffer, from: number, to: number): number {
    let n = 0;
    for (let i = buf.indexOf(this.term, from); i >= 0 && i < to; i = buf.indexOf(this.term, i + 1)) n++;
    return n;
  }

  /** Emit a record that has quotes (or is the unterminated-newline tail). */
  private emit(buf: Buffer, pos: number, contentEnd: number, end: number, hadQ: boolean, windowValid: boolean): void {
    if (!windowValid && this.enc === 'utf8' && !isUtf8(buf.subarray(pos, contentEnd))) {
      this.bad('invalid UTF-8 byte sequence', buf, pos, end);
      return;
    }
    if (contentEnd === pos) return;
    const fields = hadQ ? (this.splitWholeQuoted(buf, pos, contentEnd) ?? this.splitQuoted(buf, pos, contentEnd)) : this.splitPlain(buf, pos, contentEnd);
    this.handler.record(fields, this.base + pos, this.line);
  }

  /** A record without quotes: decoded once, split on the delimiter (empty fields are null). */
  private splitPlain(buf: Buffer, pos: number, end: number): CsvFields {
    const fields: CsvFields = buf.toString(this.enc, pos, end).split(this.delimText);
    for (let k = 0; k < fields.length; k++) {
      if (this.trimSpace) fields[k] = fields[k]!.replace(/^ +/, '');
      if (fields[k] === '') fields[k] = null;
    }
    return fields;
  }

  /**
   * The usual shape of a record with quotes — quotes only around whole fields, none
   * doubled or escaped inside ("a,b",c,"d") — decoded once and cut with indexOf. Null
   * for anything else, which the byte loop below handles.
   */
  private splitWholeQuoted(buf: Buffer, pos: number, end: number): CsvFields | null {
    if (this.trimSpace) return null;
    const text = buf.toString(this.enc, pos, end);
    const n = text.length;
    const { delimText: delim, quoteText: quote, escapeText: escape } = this;
    const fields: CsvFields = [];
    let s = 0;
    let nextQ = -1;
    for (;;) {
      if (s === n) {
        fields.push(null);
        return fields;
      }
      if (text[s] === quote) {
        const q = text.indexOf(quote, s + 1);
        if (q < 0) return null;
        if (escape !== quote) {
          const e = text.indexOf(escape, s + 1);
          if (e >= 0 && e < q) return null;
        }
        fields.push(text.slice(s + 1, q));
        if (q + 1 === n) return fields;
        if (text[q + 1] !== delim) return null; // a doubled quote, or text after the closing quote
        s = q + 2;
      } else {
        let d = text.indexOf(delim, s);
        if (d < 0) d = n;
        if (nextQ < s) nextQ = text.indexOf(quote, s);
        if (nextQ >= 0 && nextQ < d) return null; // a quote inside an unquoted field
        fields.push(d > s ? text.slice(s, d) : null);
        if (d === n) return fields;
        s = d + 1;
      }
    }
  }

  /**
   * Byte loop for records with quotes: PostgreSQL CSV semantics. A field is decoded in
   * the runs between quote bytes; empty runs (an opening quote at the field's start, a
   * delimiter right after the closing quote) cost nothing, so a field quoted whole is one
   * decode.
   */
  private splitQuoted(buf: Buffer, pos: number, end: number): CsvFields {
    const { delim, quote, escape, enc } = this;
    const fields: CsvFields = [];
    let cur = '';
    let quoted = false;
    let inQ = false;
    let seg = pos;
    const take = (to: number): void => {
      if (to > seg) cur += buf.toString(enc, seg, to);
    };
    for (let j = pos; j < end; j++) {
      const c = buf[j];
      if (inQ) {
        if (escape !== quote && c === escape && j + 1 < end && (buf[j + 1] === quote || buf[j + 1] === escape)) {
          take(j);
          seg = j + 1;
          j++;
        } else if (c === quote) {
          if (escape === quote && j + 1 < end && buf[j + 1] === quote) {
            take(j + 1);
            j++;
            seg = j + 1;
          } else {
            take(j);
            seg = j + 1;
            inQ = false;
          }
        }
      } else if (c === quote) {
        take(j);
        seg = j + 1;
        inQ = true;
        quoted = true;
      } else if (c === 0x20 && this.trimSpace && cur === '' && !quoted && seg === j) {
        seg = j + 1; // a space at the field's start: not data
      } else if (c === delim) {
        take(j);
        fields.push(cur === '' && !quoted ? null : cur);
        cur = '';
        quoted = false;
        seg = j + 1;
      }
    }
    take(end);
    fields.push(cur === '' && !quoted ? null : cur);
    return fields;
  }

  private finishSkip(buf: Buffer, pos: number, end: number): void {
    const s = this.skip!;
    this.skip = null;
    this.handler.bad(`record is longer than ${this.opts.maxRecordBytes} bytes`, s.offset, s.line, s.raw);
    this.line = s.line + s.lines + this.countTerm(buf, pos, end);
  }

  private bad(reason: string, buf: Buffer, pos: number, end: number): void {
    this.handler.bad(reason, this.base + pos, this.line, rawCopy(buf, pos, end));
  }
}
