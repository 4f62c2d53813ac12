/**
 * Chunk edges for a JSON document, by one structural pass: string state and bracket
 * depth, no parsing. The records live in a container — the top-level array, a
 * top-level object keyed by id, or the array that is the first member of a top-level
 * object (`{"statuses": [...], ...}`). A record start is the first byte of an item of
 * the container; each nominal edge moves to the first record start at or after it,
 * and the last chunk ends at the container's closing bracket. Strings are skipped
 * with Buffer.indexOf, so the pass costs about one read of the file.
 */
import type { JsonContainer } from '@copyfleet/parse';
import type { Source } from '@copyfleet/source';

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
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const isWs = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/**
 * `recordsKey`: the records are the array under this top-level key (any member, not
 * only the first); without it, the first member's value decides.
 */
export async function scanJsonLayout(source: Source, from: number, size: number, chunkBytes: number, recordsKey?: string): Promise<JsonLayout> {
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

  let base = from;
  for await (const chunk of source.stream(from, size) as AsyncIterable<Buffer>) {
    for (let i = 0; i < chunk.length; i++) {
      if (inStr) {
        // Jump to the next quote that is not escaped.
        let q = chunk.indexOf(QUOTE, i);
        while (q >= 0 && isEscaped(chunk, q, i)) q = chunk.indexOf(QUOTE, q + 1);
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
      if (expectItem && depth === containerDepth && c !== 0x5d && c !== 0x7d) {
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
        if (depth === containerDepth) {
          end = pos;
          return finish(container, start < 0 ? end : start, end, edges);
        }
        depth--;
      } else if (c === 0x2c && depth === containerDepth) expectItem = true;
    }
    base += chunk.length;
  }
  if (container === null) throw new JsonLayoutError('no JSON array or object found');
  throw new JsonLayoutError('the JSON document ends before its records do (truncated file?)');
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
