/**
 * Chunk edges for a JSON document, by one structural pass: string state and bracket
 * depth, no parsing. The records live in a container — the top-level array, a
 * top-level object keyed by id, or the array that is the first member of a top-level
 * object (`{"statuses": [...], ...}`). A record start is the first byte of an item of
 * the container; each nominal edge moves to the first record start at or after it,
 * and the last chunk ends at the container's closing bracket. Strings are skipped
 * with Buffer.indexOf, so the pass costs about one read of the file.
 *
 * JSON as exporters write it is often not one document but objects one after another
 * (pretty-printed, or one per line each followed by a comma, the last comma or not): when
 * the top-level object closes and a comma or another object follows, the container is a
 * `sequence` — its records are the top-level values — and the first
 * object is its first record, whatever its members looked like.
 *
 * The scan does not parse; when it finds the document broken (a string that runs over a
 * line end, which JSON forbids; brackets that never close) the error comes from
 * json-syntax.ts, which names the line, column and byte and what was expected there.
 */
import type { JsonContainer } from '@copyfleet/parse';
import type { Source } from '@copyfleet/source';
import { describeJsonSyntaxError, findJsonSyntaxError } from './json-syntax.js';

export interface JsonLayout {
  container: JsonContainer;
  /** First byte of the first record (or the container end when it is empty). */
  start: number;
  /** The container's closing bracket. */
  end: number;
  /** Record starts after `start`, one per chunk edge. */
  edges: number[];
}

export class JsonLayoutError extends Error {
  override readonly name = 'JsonLayoutError';
  constructor(
    message: string,
    /** A syntax error the structural scan cannot place (json-syntax.ts can). */
    readonly syntax = false,
  ) {
    super(message);
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LF = 0x0a;
const isWs = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/**
 * `recordsKey`: the records are the array under this top-level key (any member, not
 * only the first); without it, the first member's value decides.
 */
export async function scanJsonLayout(source: Source, from: number, size: number, chunkBytes: number, recordsKey?: string): Promise<JsonLayout> {
  try {
    return await scan(source, from, size, chunkBytes, recordsKey);
  } catch (err) {
    if (!(err instanceof JsonLayoutError) || !err.syntax) throw err;
    const found = await findJsonSyntaxError(source.stream(from, size) as AsyncIterable<Buffer>, from);
    throw new JsonLayoutError(found ? `${describeJsonSyntaxError(found)}; fix the file, or name it .jsonl if it holds one JSON value per line` : err.message);
  }
}

/** The document is not JSON: the caller finds where. */
const broken = (message: string): JsonLayoutError => new JsonLayoutError(message, true);

async function scan(source: Source, from: number, size: number, chunkBytes: number, recordsKey?: string): Promise<JsonLayout> {
  let container: JsonContainer | null = null;
  let depth = 0;
  let containerDepth = -1; // depth inside the container
  let inStr = false;
  let start = -1;
  let end = -1;
  const edges: number[] = [];
  let nextEdge = Number.POSITIVE_INFINITY;
  let expectItem = false; // after '[' / '{' / ',' at container depth: the next non-ws byte starts a record
  // Top-level object: we look at its first member to tell a keyed object from a member array.
  let firstKey: { start: number; text: string } | null = null;
  let topObjectPhase: 'key' | 'colon' | 'value' | null = null;
  /** Backslashes that ended the previous buffer while inside a string. */
  let pendingBackslashes = 0;
  const isEscaped = (buf: Buffer, q: number, from: number): boolean => {
    let n = 0;
    for (let k = q - 1; k >= from && buf[k] === BACKSLASH; k--) n++;
    if (q - n === from) n += pendingBackslashes;
    return n % 2 === 1;
  };

  /** First byte of the document's first value. */
  let firstValue = -1;
  /**
   * The layout of a one-value document, decided when its records' container closed; kept
   * while the scan looks past the top-level value for another (then it is a sequence).
   */
  let single: JsonLayout | null = null;
  let inSequence = false;

  let base = from;
  for await (const chunk of source.stream(from, size) as AsyncIterable<Buffer>) {
    // The next line feed at or after i: a string holding one is broken JSON (amortised: one indexOf per line).
    let lf = -1;
    for (let i = 0; i < chunk.length; i++) {
      if (inStr) {
        // Jump to the next quote that is not escaped.
        let q = chunk.indexOf(QUOTE, i);
        while (q >= 0 && isEscaped(chunk, q, i)) q = chunk.indexOf(QUOTE, q + 1);
        if (lf < i) lf = chunk.indexOf(LF, i) >>> 0; // none: 2^32 - 1, past any buffer
        if (lf < (q < 0 ? chunk.length : q)) throw broken('a string runs over a line end');
        if (q < 0) {
          // Carry the escape state over the buffer edge: the trailing run of backslashes.
          if (topObjectPhase === 'key' && firstKey) firstKey.text += chunk.toString('utf8', i);
          pendingBackslashes = trailingBackslashes(chunk, i, pendingBackslashes);
          i = chunk.length;
          break;
        }
        pendingBackslashes = 0;
        if (topObjectPhase === 'key' && firstKey) firstKey.text += chunk.toString('utf8', i, q);
        inStr = false;
        if (topObjectPhase === 'key') topObjectPhase = 'colon';
        i = q;
        continue;
      }
      const c = chunk[i]!;
      if (isWs(c)) continue;
      const pos = base + i;
      if (firstValue < 0) firstValue = pos;
      // Only at depth 0 (rare inside a document): the per-byte path stays two compares.
      if (depth === 0 && single !== null) {
        // Past the document's one value: a comma or another object makes the file a
        // sequence of values (`{...},` is a sequence of one, as exporters write it).
        if (c !== 0x7b && c !== 0x2c) return single; // the planner refuses trailing content
        container = { kind: 'sequence' };
        inSequence = true;
        containerDepth = 0;
        start = firstValue;
        edges.length = 0;
        nextEdge = start + chunkBytes;
        expectItem = true;
        single = null;
      }
      if (depth === 0 && inSequence && c !== 0x7b && c !== 0x5b && c !== 0x2c) {
        throw broken(`expected the next JSON object of the sequence at byte ${pos}`);
      }
      if (expectItem && depth === containerDepth && c !== 0x5d && c !== 0x7d && c !== 0x2c) {
        expectItem = false;
        if (start < 0) {
          start = pos;
          nextEdge = pos + chunkBytes;
        } else if (pos >= nextEdge) {
          edges.push(pos);
          while (nextEdge <= pos) nextEdge += chunkBytes;
        }
      }
      if (c === QUOTE) {
        inStr = true;
        pendingBackslashes = 0;
        if (topObjectPhase === 'key' && firstKey === null) firstKey = { start: pos, text: '' };
        continue;
      }
      if (container === null) {
        // The document's first byte decides; an object waits for its first member.
        if (depth === 0 && c === 0x5b) {
          container = { kind: 'array' };
          containerDepth = 1;
          expectItem = true;
        } else if (depth === 0 && c === 0x7b) {
          topObjectPhase = 'key';
        } else if (topObjectPhase === 'colon' && c === 0x3a) {
          topObjectPhase = 'value';
          continue;
        } else if (depth === 1 && c === 0x2c && recordsKey !== undefined) {
          // The next member of the top-level object.
          topObjectPhase = 'key';
          firstKey = null;
          continue;
        } else if (topObjectPhase === 'value' && recordsKey !== undefined) {
          // Looking for one named member: take it if it is an array, else skip this value.
          topObjectPhase = null;
          if (c === 0x5b && firstKey?.text === recordsKey) {
            container = { kind: 'member-array', key: recordsKey };
            containerDepth = 2;
            expectItem = true;
          }
        } else if (topObjectPhase === 'value') {
          topObjectPhase = null;
          if (c === 0x5b) {
            container = { kind: 'member-array', key: firstKey?.text ?? '' };
            containerDepth = 2;
            expectItem = true;
          } else {
            // Keyed object: the first record is the first member, which started at its key.
            container = { kind: 'object' };
            containerDepth = 1;
            start = firstKey!.start;
            nextEdge = start + chunkBytes;
          }
        } else if (depth === 0) {
          throw new JsonLayoutError('a JSON document must be an array or an object');
        }
      }
      if (c === 0x5b || c === 0x7b) depth++;
      else if (c === 0x5d || c === 0x7d) {
        if (container === null && depth === 1) {
          if (recordsKey !== undefined) throw new JsonLayoutError(`the document has no array under the key "${recordsKey}"`);
          return finish({ kind: 'object' }, pos, pos, []); // {}
        }
        if (inSequence) {
          if (depth === 0) throw broken(`an unmatched closing bracket at byte ${pos}`);
          depth--;
          if (depth === 0) expectItem = true;
          continue;
        }
        if (depth === containerDepth) {
          end = pos;
          const layout = finish(container, start < 0 ? end : start, end, edges);
          // A records key names one document's member: no sequence then. Nor after an
          // array, whose elements are the records.
          if (recordsKey !== undefined || container?.kind === 'array') return layout;
          single = layout;
          containerDepth = -1; // no more record starts inside this value
        }
        depth--;
      } else if (c === 0x2c && depth === containerDepth) expectItem = true;
    }
    base += chunk.length;
  }
  if (single !== null && depth === 0 && !inStr) return single;
  if (inSequence && depth === 0 && !inStr) return finish(container, start, size, edges);
  if (container === null && firstValue < 0) throw new JsonLayoutError('no JSON array or object found');
  throw broken('the JSON document ends before its records do (truncated file?)');
}

function trailingBackslashes(buf: Buffer, from: number, carried: number): number {
  let n = 0;
  for (let k = buf.length - 1; k >= from && buf[k] === BACKSLASH; k--) n++;
  return n === buf.length - from ? n + carried : n;
}

function finish(container: JsonContainer | null, start: number, end: number, edges: number[]): JsonLayout {
  if (container === null) throw new JsonLayoutError('no JSON array or object found');
  return { container, start, end, edges: edges.filter((e) => e > start && e < end) };
}
