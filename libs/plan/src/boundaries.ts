/**
 * Resolves nominal chunk edges (every CHUNK bytes) to record starts, so that every
 * record belongs to exactly one chunk: the one its first byte falls in.
 *
 * - LF-delimited records (JSONL, delimited text without quoting): the record start
 *   after an edge is just past the first LF at or after edge-1. Only a few KiB are
 *   read per edge, never the whole file.
 * - Quoted CSV: a terminator ends a record only outside quotes. One streaming pass
 *   applies the reader's own record-end rule (quote parity that follows the escape and
 *   resynchronises after a stray quote); no field is parsed. This pass costs one
 *   sequential read of the file (terminators and quotes found with Buffer.indexOf).
 */
import { findRecordEnd, freshCache, freshScan, recordRule, recovers, resetScan, type CsvDialect } from '@copyfleet/parse';
import type { Source } from '@copyfleet/source';

const LF = 0x0a;
const PROBE_BYTES = 64 * 1024;

/** Record starts for nominal edges dataStart + k*chunkBytes, LF-delimited records. */
export async function resolveLineEdges(source: Source, dataStart: number, size: number, chunkBytes: number, terminator: number = LF): Promise<number[]> {
  const starts: number[] = [];
  let prev = dataStart;
  for (let edge = dataStart + chunkBytes; edge < size; edge += chunkBytes) {
    if (edge <= prev) continue; // the previous record ran past this edge
    const start = await nextLineStart(source, edge, size, terminator);
    if (start >= size) break;
    if (start > prev) starts.push(start);
    prev = start;
  }
  return starts;
}

/** The first record start at or after `edge`: just past the first LF at position >= edge-1. */
async function nextLineStart(source: Source, edge: number, size: number, terminator: number): Promise<number> {
  for (let pos = edge - 1; pos < size; pos += PROBE_BYTES) {
    const buf = await source.read(pos, PROBE_BYTES);
    const i = buf.indexOf(terminator);
    if (i >= 0) return pos + i + 1;
    if (buf.length === 0) break;
  }
  return size;
}

/**
 * Record starts for quoted CSV by the one record-end rule (libs/parse record-end.ts), in
 * one streaming pass from dataStart: quote parity that follows the dialect's escape
 * (with a backslash escape `\"` does not toggle) and resynchronises after a stray quote
 * exactly as the reader does. Each nominal edge resolves to the first record start at or
 * after it. Holds only the record being scanned (and, at a quoted line break, up to
 * LOOKAHEAD bytes to judge it). `stray`: records cut at a stray quote, in the part read
 * (the pass stops once the last edge is resolved).
 */
export async function resolveRecordEdges(
  source: Source,
  dataStart: number,
  size: number,
  chunkBytes: number,
  dialect: CsvDialect,
): Promise<{ starts: number[]; stray: number }> {
  const starts: number[] = [];
  let stray = 0;
  let nextEdge = dataStart + chunkBytes;
  if (nextEdge >= size) return { starts, stray }; // one chunk: no edge to resolve, nothing to read
  const rule = recordRule(dialect);
  const judges = recovers(rule); // the stray-quote recovery reads from the record start
  let buf: Buffer = Buffer.alloc(0);
  let base = dataStart; // absolute offset of buf[0]
  let recStart = 0;
  const st = freshScan(0);
  const ended = (end: number): void => {
    if (st.stray) stray++;
    const next = base + end + 1;
    if (next >= nextEdge) {
      if (next < size) starts.push(next);
      while (nextEdge <= next) nextEdge += chunkBytes;
    }
    recStart = end + 1;
    resetScan(st, recStart);
  };
  for await (const chunk of source.stream(dataStart, size) as AsyncIterable<Buffer>) {
    buf = buf.length === recStart ? chunk : Buffer.concat([buf.subarray(recStart), chunk]);
    if (recStart > 0) {
      base += recStart;
      st.pos -= recStart;
      recStart = 0;
    }
    const cache = freshCache();
    for (;;) {
      const end = findRecordEnd(buf, recStart, st, rule, false, cache);
      if (end < 0) break;
      ended(end);
    }
    if (st.inQuote && (st.decided || !judges)) {
      // A long quoted field: its start is no longer needed once the stray-quote recovery has
      // judged it, or when there is no recovery (no field count) — kept, a quote that never
      // closes made every later read copy the whole tail: minutes for a GiB.
      const keep = Math.min(st.pos, buf.length);
      buf = buf.subarray(keep);
      base += keep;
      st.pos -= keep;
      recStart = 0;
    }
    if (nextEdge >= size) return { starts, stray }; // every edge resolved: the rest is not read
  }
  for (;;) {
    const end = findRecordEnd(buf, recStart, st, rule, true);
    if (end < 0 || end >= buf.length) break;
    ended(end);
  }
  return { starts, stray };
}

/** Compatibility: record starts for a quoted CSV with the default escape. */
export async function resolveQuotedEdges(source: Source, dataStart: number, size: number, chunkBytes: number, quote: number): Promise<number[]> {
  return (await resolveRecordEdges(source, dataStart, size, chunkBytes, { delimiter: 0x2c, quote, escape: quote, encoding: 'utf8' })).starts;
}

/**
 * Line ends in [start, end): the number of lines that end inside the range. `terminator`
 * is the dialect's line end (LF, or CR for CR-only files: pass plan.dialect's).
 */
export async function countLineFeeds(source: Source, start: number, end: number, terminator: number = LF): Promise<{ lf: number; endsWithLf: boolean }> {
  let lf = 0;
  let last = terminator;
  for await (const chunk of source.stream(start, end) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(terminator); i >= 0; i = chunk.indexOf(terminator, i + 1)) lf++;
    if (chunk.length > 0) last = chunk[chunk.length - 1]!;
  }
  return { lf, endsWithLf: last === terminator };
}

/** Physical lines in [start, end): line ends, plus one for a last line without one. */
export async function countLines(source: Source, start: number, end: number, terminator: number = LF): Promise<number> {
  const { lf, endsWithLf } = await countLineFeeds(source, start, end, terminator);
  return end > start && !endsWithLf ? lf + 1 : lf;
}
