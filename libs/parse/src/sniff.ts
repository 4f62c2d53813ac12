/**
 * Guesses the format of a file from its first bytes: JSON Lines, a JSON document,
 * or delimited text (and which delimiter). A dataset spec overrides all of this.
 */
import { CSV_DIALECT, LF, type CsvDialect } from './dialect.js';

export type FormatName = 'csv' | 'jsonl' | 'json' | 'arrow';

export interface Sniffed {
  format: FormatName;
  dialect: CsvDialect;
  /** Bytes of a UTF-8 byte order mark at the start of the file (0 or 3). */
  bomBytes: number;
}

const CANDIDATE_DELIMITERS = [0x2c, 0x09, 0x3b, 0x7c]; // , \t ; |

export function hasBom(head: Buffer): boolean {
  return head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf;
}

export function sniffFormat(head: Buffer, fileName: string): Sniffed {
  if (head.length >= 6 && head.toString('latin1', 0, 6) === 'ARROW1') return { format: 'arrow', dialect: CSV_DIALECT, bomBytes: 0 };
  const bomBytes = hasBom(head) ? 3 : 0;
  const lower = fileName.toLowerCase();
  const body = head.subarray(bomBytes);
  const first = firstNonSpace(body);
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return { format: 'jsonl', dialect: CSV_DIALECT, bomBytes };
  if (first === 0x5b) return { format: 'json', dialect: CSV_DIALECT, bomBytes }; // [
  if (first === 0x7b) {
    // {: one object per line is JSONL; an object spanning lines is a document.
    const nl = body.indexOf(LF);
    const line = body.toString('utf8', 0, nl < 0 ? body.length : nl).trim();
    try {
      JSON.parse(line);
      // One object on one line: JSON Lines, unless it is the whole of a .json file.
      const single = nl < 0 || body.subarray(nl + 1).toString('utf8').trim() === '';
      return { format: single && lower.endsWith('.json') ? 'json' : 'jsonl', dialect: CSV_DIALECT, bomBytes };
    } catch {
      return { format: 'json', dialect: CSV_DIALECT, bomBytes };
    }
  }
  const nl = body.indexOf(LF);
  const headerLine = body.subarray(0, nl < 0 ? body.length : nl);
  let delimiter = lower.endsWith('.tsv') || lower.endsWith('.tab') ? 0x09 : 0x2c;
  if (!lower.endsWith('.tsv')) {
    let best = 0;
    for (const d of CANDIDATE_DELIMITERS) {
      const n = countOutsideQuotes(headerLine, d);
      if (n > best) {
        best = n;
        delimiter = d;
      }
    }
  }
  return { format: 'csv', dialect: { ...CSV_DIALECT, delimiter }, bomBytes };
}

function firstNonSpace(buf: Buffer): number {
  for (const c of buf) if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return c;
  return -1;
}

function countOutsideQuotes(line: Buffer, byte: number): number {
  let n = 0;
  let inQ = false;
  for (const c of line) {
    if (c === 0x22) inQ = !inQ;
    else if (c === byte && !inQ) n++;
  }
  return n;
}
