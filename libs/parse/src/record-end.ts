/**
 * The one rule for where a delimited record ends. The reader (csv-reader.ts), the
 * planner's parity pass (libs/plan boundaries.ts) and the rejects export all call
 * findRecordEnd, so they cannot disagree about a record's bytes.
 *
 * Base rule (PostgreSQL CSV): a quote byte toggles "inside quotes" wherever it is; inside
 * quotes a doubled quote (escape = quote) or an escape byte followed by any byte (escape ≠
 * quote: `\"` does not toggle) is data; a terminator (LF, or CR for CR-only files) outside
 * quotes ends the record.
 *
 * Stray-quote recovery (only when the dialect knows the file's field count N ≥ 2): the
 * first time a record reaches a terminator inside quotes, decide whether that is a genuine
 * quoted newline or a stray quote swallowing the line break:
 *   - the quote that is open opened mid-field (`5" screen`): stray;
 *   - else read on by the base rule (at most LOOKAHEAD bytes from the record start): the
 *     record ends there with N fields — genuine; with another count, or the input ends
 *     inside quotes — stray;
 *   - no end within LOOKAHEAD: stray when the next line alone is a clean record of N
 *     fields, genuine otherwise.
 * A stray record ends at that terminator (st.stray is set) and the next record starts on
 * the next line. The decision depends only on the bytes from the record's start, so
 * every caller that starts at the same record start cuts the same records.
 */
import { CR, LF, type CsvDialect } from './dialect.js';

/** How far the recovery reads ahead for a quoted field's end (bytes from the record start). */
export const LOOKAHEAD = 256 * 1024;

export interface RecordRule {
  delimiter: number;
  /** -1: no quoting. */
  quote: number;
  escape: number;
  terminator: number;
  /** The file's field count; 0 turns stray-quote recovery off. */
  fields: number;
  trimSpace: boolean;
}

/** Whether findRecordEnd applies the stray-quote recovery, which reads from the record's start. */
export const recovers = (r: RecordRule): boolean => r.fields >= 2 && r.quote >= 0;

export function recordRule(d: CsvDialect): RecordRule {
  const quote = d.quote ?? -1;
  return {
    delimiter: d.delimiter,
    quote,
    escape: d.escape ?? quote,
    terminator: d.lineEnd === 'cr' ? CR : LF,
    fields: d.fields ?? 0,
    trimSpace: d.trimSpace ?? false,
  };
}

/** Scan state of one record; positions index the buffer passed to findRecordEnd. */
export interface RecordScan {
  /** Where to resume scanning. */
  pos: number;
  inQuote: boolean;
  /** The record has a quote byte (the reader's slow split path). */
  hadQuote: boolean;
  /** The first terminator inside quotes was judged (recovery is done for this record). */
  decided: boolean;
  /** The record was cut at a stray quote's line break. */
  stray: boolean;
}

export function freshScan(pos: number): RecordScan {
  return { pos, inQuote: false, hadQuote: false, decided: false, stray: false };
}

/** freshScan in place, for a loop over millions of records (an object each cost a fifth of the parity pass). */
export function resetScan(st: RecordScan, pos: number): void {
  st.pos = pos;
  st.inQuote = st.hadQuote = st.decided = st.stray = false;
}

/** Next-byte positions already found in the current buffer (reset when the buffer changes). */
export interface ScanCache {
  nextT: number;
  nextQ: number;
}

export const freshCache = (): ScanCache => ({ nextT: -1, nextQ: -1 });

/**
 * The index of the terminator that ends the record starting at `start`, or -1 when the
 * buffer ends first (st holds where to resume once more bytes are appended; `final`:
 * there are none, and buf.length is returned for a last record without terminator).
 */
export function findRecordEnd(buf: Buffer, start: number, st: RecordScan, r: RecordRule, final: boolean, cache: ScanCache = freshCache()): number {
  const { quote, escape, terminator } = r;
  const len = buf.length;
  const recover = recovers(r);
  let i = st.pos;
  for (;;) {
    if (!st.inQuote) {
      if (cache.nextT < i) cache.nextT = indexOrLen(buf, terminator, i);
      if (quote >= 0 && cache.nextQ < i) cache.nextQ = indexOrLen(buf, quote, i);
      if (quote >= 0 && cache.nextQ < cache.nextT) {
        st.inQuote = true;
        st.hadQuote = true;
        i = cache.nextQ + 1;
        continue;
      }
      st.pos = i;
      if (cache.nextT >= len) return final ? len : -1;
      return cache.nextT;
    }
    // Inside quotes: the closing quote, or -1 - resume position.
    let close: number;
    if (escape !== quote) close = scanQuotedWithEscape(buf, i, quote, escape);
    else {
      if (cache.nextQ < i) cache.nextQ = indexOrLen(buf, quote, i);
      close = cache.nextQ < len ? cache.nextQ : -1 - len;
    }
    if (recover && !st.decided) {
      if (cache.nextT < i) cache.nextT = indexOrLen(buf, terminator, i);
      const t = cache.nextT;
      if (t < len && (close < 0 || t < close)) {
        const verdict = judge(buf, start, t, r, final);
        if (verdict === 'wait') {
          st.pos = i;
          return -1;
        }
        st.decided = true;
        if (verdict === 'stray') {
          st.stray = true;
          st.inQuote = false;
          st.pos = t;
          return t;
        }
      }
    }
    if (close < 0) {
      st.pos = -1 - close;
      return final ? len : -1;
    }
    st.inQuote = false;
    i = close + 1;
  }
}

type Verdict = 'genuine' | 'stray' | 'wait';

/** Is the terminator at `t`, inside quotes, of the record starting at `s` a genuine quoted newline? */
function judge(buf: Buffer, s: number, t: number, r: RecordRule, final: boolean): Verdict {
  const first = shape(buf, s, t, r, false);
  if (!first.openAtFieldStart) return 'stray';
  const limit = Math.min(buf.length, s + LOOKAHEAD);
  const whole = shape(buf, s, limit, r, true);
  const atEof = final && limit === buf.length && !whole.endsInQuote; // the last record, without a line end
  if (whole.end >= 0 || atEof) return whole.fields === r.fields ? 'genuine' : 'stray';
  if (limit === buf.length && buf.length < s + LOOKAHEAD) {
    if (final) return 'stray'; // the input ends inside the quotes
    return 'wait';
  }
  // No end within LOOKAHEAD: trust the next line.
  const nt = buf.indexOf(r.terminator, t + 1);
  if (nt < 0 && !final) return 'wait';
  const next = shape(buf, t + 1, nt < 0 ? buf.length : nt, r, false);
  return next.clean && !next.endsInQuote && next.fields === r.fields ? 'stray' : 'genuine';
}

export interface LineShape {
  fields: number;
  /** Quotes only around whole fields, escapes valid. */
  clean: boolean;
  endsInQuote: boolean;
  /** The quote still open at the end opened at a field's start. */
  openAtFieldStart: boolean;
  /** multiLine: index of the terminator outside quotes that ends the record, or -1. */
  end: number;
}

/**
 * The fields of bytes [s, e) read by the base rule. multiLine: terminators inside quotes
 * are data and the first one outside ends the record (`end`); otherwise [s, e) is one line.
 * `alien`, `alien2`: bytes that make the record unclean when a field starts with them
 * (dialect scoring: a `"` or `'` opening a field under another quote, or none, looks quoted).
 */
export function shape(buf: Buffer, s: number, e: number, r: RecordRule, multiLine: boolean, alien = -1, alien2 = -1): LineShape {
  const { delimiter, quote, escape, terminator, trimSpace } = r;
  let fields = 1;
  let inQ = false;
  let atStart = true;
  let closed = false;
  let clean = true;
  let openAtFieldStart = true;
  for (let j = s; j < e; j++) {
    const c = buf[j]!;
    if (inQ) {
      if (escape !== quote && c === escape) j++;
      else if (c === quote) {
        if (escape === quote && j + 1 < e && buf[j + 1] === quote) j++;
        else {
          inQ = false;
          closed = true;
        }
      }
    } else if (c === quote) {
      if (!atStart) clean = false;
      openAtFieldStart = atStart;
      inQ = true;
      atStart = false;
      closed = false;
    } else if (c === delimiter) {
      fields++;
      atStart = true;
      closed = false;
    } else if (c === terminator && multiLine) {
      return { fields, clean, endsInQuote: false, openAtFieldStart, end: j };
    } else if (!(atStart && trimSpace && c === 0x20) && !(c === CR && terminator === LF && (j + 1 === e || buf[j + 1] === LF))) {
      if (closed || (atStart && (c === alien || c === alien2))) clean = false;
      atStart = false;
    }
  }
  return { fields, clean: clean && !inQ, endsInQuote: inQ, openAtFieldStart, end: -1 };
}

function indexOrLen(buf: Buffer, byte: number, from: number): number {
  const i = buf.indexOf(byte, from);
  return i < 0 ? buf.length : i;
}

/**
 * Inside quotes with a distinct escape byte: index of the closing quote, or, when there
 * is none yet, -1 - k where k is where to resume scanning once more bytes arrive (the
 * end, or an escape byte that is the last byte: what it escapes is in the next push).
 */
function scanQuotedWithEscape(buf: Buffer, from: number, quote: number, escape: number): number {
  for (let j = from; j < buf.length; j++) {
    const c = buf[j];
    if (c === escape) {
      if (j + 1 === buf.length) return -1 - j;
      j++;
    } else if (c === quote) return j;
  }
  return -1 - buf.length;
}

/**
 * The end of the record that starts at `offset` in a random-access source: the offset of
 * its terminator (or the source's end). Reads growing pieces; holds the record's bytes
 * only until the recovery decision is made (then only the unread tail).
 */
export async function findRecordEndAt(read: (pos: number, len: number) => Promise<Buffer>, offset: number, dialect: CsvDialect): Promise<number> {
  const r = recordRule(dialect);
  let buf: Buffer = Buffer.alloc(0);
  let base = offset; // absolute offset of buf[0]
  let start = 0;
  const st = freshScan(0);
  for (let want = 16 * 1024; ; want = Math.min(want * 4, 4 * 1024 * 1024)) {
    const more = await read(base + buf.length, want);
    const final = more.length === 0;
    buf = buf.length === 0 ? more : Buffer.concat([buf, more]);
    const end = findRecordEnd(buf, start, st, r, final);
    if (end >= 0) return base + end;
    if (st.decided) {
      // The start is no longer needed: keep only what is left to scan.
      const keep = Math.min(st.pos, buf.length);
      buf = buf.subarray(keep);
      base += keep;
      st.pos -= keep;
      start = 0;
    }
  }
}
