/**
 * Resolves nominal chunk edges (every CHUNK bytes) to record starts, so that every
 * record belongs to exactly one chunk: the one its first byte falls in.
 *
 * - LF-delimited records (JSONL, delimited text without quoting): the record start
 *   after an edge is just past the first LF at or after edge-1. Only a few KiB are
 *   read per edge, never the whole file.
 * - Quoted CSV: a LF ends a record only outside quotes, and in PostgreSQL's CSV
 *   every quote byte toggles that state, so a LF is a boundary exactly when the
 *   number of quote bytes before it is even. One streaming pass counts quote
 *   parity; no field is parsed. This pass costs one sequential read of the file
 *   (quote bytes found with Buffer.indexOf); see README "Quoted newlines".
 */
import type { Source } from '@copyfleet/source';

const LF = 0x0a;
const PROBE_BYTES = 64 * 1024;

/** Record starts for nominal edges dataStart + k*chunkBytes, LF-delimited records. */
export async function resolveLineEdges(source: Source, dataStart: number, size: number, chunkBytes: number): Promise<number[]> {
  const starts: number[] = [];
  let prev = dataStart;
  for (let edge = dataStart + chunkBytes; edge < size; edge += chunkBytes) {
    if (edge <= prev) continue; // the previous record ran past this edge
    const start = await nextLineStart(source, edge, size);
    if (start >= size) break;
    if (start > prev) starts.push(start);
    prev = start;
  }
  return starts;
}

/** The first record start at or after `edge`: just past the first LF at position >= edge-1. */
async function nextLineStart(source: Source, edge: number, size: number): Promise<number> {
  for (let pos = edge - 1; pos < size; pos += PROBE_BYTES) {
    const buf = await source.read(pos, PROBE_BYTES);
    const i = buf.indexOf(LF);
    if (i >= 0) return pos + i + 1;
    if (buf.length === 0) break;
  }
  return size;
}

/**
 * Record starts for quoted CSV, by quote parity over one streaming pass. Each
 * nominal edge resolves to just past the first LF at or after edge-1 that has an
 * even number of quote bytes before it (counted from dataStart).
 */
export async function resolveQuotedEdges(source: Source, dataStart: number, size: number, chunkBytes: number, quote: number): Promise<number[]> {
  const starts: number[] = [];
  let nextEdge = dataStart + chunkBytes;
  let parity = 0;
  let base = dataStart;
  for await (const chunk of source.stream(dataStart, size) as AsyncIterable<Buffer>) {
    let i = 0;
    while (i < chunk.length) {
      if (nextEdge >= size) return starts;
      const seekFrom = nextEdge - 1 - base; // where the LF we look for may start
      if (seekFrom >= chunk.length) {
        parity ^= countByte(chunk, quote, i, chunk.length) & 1;
        break;
      }
      if (i < seekFrom) {
        parity ^= countByte(chunk, quote, i, seekFrom) & 1;
        i = Math.max(i, seekFrom);
      }
      // Seek the next LF with even parity, tracking quotes on the way.
      const nl = chunk.indexOf(LF, i);
      const q = chunk.indexOf(quote, i);
      if (q >= 0 && (nl < 0 || q < nl)) {
        parity ^= 1;
        i = q + 1;
        continue;
      }
      if (nl < 0) break;
      i = nl + 1;
      if (parity === 0) {
        const start = base + i;
        if (start < size) starts.push(start);
        // Skip edges that this record already ran past.
        while (nextEdge <= start) nextEdge += chunkBytes;
      }
    }
    base += chunk.length;
  }
  return starts;
}

function countByte(buf: Buffer, byte: number, from: number, to: number): number {
  let n = 0;
  for (let i = buf.indexOf(byte, from); i >= 0 && i < to; i = buf.indexOf(byte, i + 1)) n++;
  return n;
}

/** LF bytes in [start, end): the number of lines that end inside the range. */
export async function countLineFeeds(source: Source, start: number, end: number): Promise<{ lf: number; endsWithLf: boolean }> {
  let lf = 0;
  let last = LF;
  for await (const chunk of source.stream(start, end) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(LF); i >= 0; i = chunk.indexOf(LF, i + 1)) lf++;
    if (chunk.length > 0) last = chunk[chunk.length - 1]!;
  }
  return { lf, endsWithLf: last === LF };
}

/** Physical lines in [start, end): LF bytes, plus one for a last line without a LF. */
export async function countLines(source: Source, start: number, end: number): Promise<number> {
  const { lf, endsWithLf } = await countLineFeeds(source, start, end);
  return end > start && !endsWithLf ? lf + 1 : lf;
}
