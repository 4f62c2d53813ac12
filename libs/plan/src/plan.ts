/**
 * The splitter's planning step: look at the head of a source, work out its format
 * and header, and cut it into byte-range chunks whose edges are record starts.
 * Reads the head, a few KiB per edge, and — only for quoted CSV — one quote-parity
 * pass. Never parses the whole file.
 */
import { CR, CSV_DIALECT, LF, confirmDialect, detectDialect, detectLineEnd, readArrowLayout, sniffFormat, type ArrowColumnType, type CsvDialect, type Decision, type FormatName, type JsonContainer } from '@copyfleet/parse';
import type { Source } from '@copyfleet/source';
import { resolveLineEdges, resolveRecordEdges } from './boundaries.js';
import { detectLayout, knownHeader, LayoutError } from './layout.js';
import { scanJsonLayout } from './json-edges.js';

export interface PlanOptions {
  chunkBytes: number;
  /** Override detection. */
  format?: FormatName;
  dialect?: CsvDialect;
  /** CSV: a dialect to try first (the run's first file's); taken when it reads the whole sample cleanly. */
  preferDialect?: CsvDialect;
  /** CSV, with preferDialect: the run's header; a first line that is exactly it needs no layout detection. */
  preferHeader?: string[];
  /** CSV: the first record is a header. @defaultValue true */
  header?: boolean;
  /** CSV: quote parity decides edges. @defaultValue true when the dialect quotes */
  quotedNewlines?: boolean;
  /** JSON documents: the records are the array under this top-level key. */
  records?: string;
}

export interface ChunkRange {
  chunkNo: number;
  start: number;
  end: number;
}

export interface Plan {
  size: number;
  version: string;
  format: FormatName;
  dialect: CsvDialect;
  /** CSV header names, or null. */
  header: string[] | null;
  /** First byte after the BOM, preamble and header: the first data record. */
  dataStart: number;
  /** Line number (1-based) of the record at dataStart (CSV; JSON: the line dataStart is on). */
  firstDataLine: number;
  /** CSV: what was decided and why (`copyfleet infer` prints them as YAML comments). */
  decisions: Decision[];
  /** CSV: leading lines skipped before the header (titles, blank lines, comments). */
  preamble: { lines: number; first: string } | null;
  /** CSV: the detection is unsure (said in the run's message and by infer), or null. */
  lowConfidence: string | null;
  /** CSV: records the parity pass cut at a stray quote (in the part it read). */
  strayQuotes: number;
  chunks: ChunkRange[];
  /** Whether a quote-parity pass decided the edges. */
  quoteScan: boolean;
  /** JSON documents: where the records are. */
  json?: JsonContainer;
  /** Arrow IPC files: the schema's fields and the types they load as. */
  arrow?: { name: string; type: ArrowColumnType }[];
}

export class PlanError extends Error {
  override readonly name = 'PlanError';
}

const HEAD_BYTES = 1024 * 1024;

export async function planChunks(source: Source, opts: PlanOptions): Promise<Plan> {
  if (!(opts.chunkBytes >= 1)) throw new PlanError(`chunk size must be at least 1 byte (got ${opts.chunkBytes})`);
  const { size, version } = await source.stat();
  const head = await source.read(0, Math.min(size, HEAD_BYTES));
  const sniffed = sniffFormat(head, source.name);
  const format = opts.format ?? sniffed.format;
  let dialect = opts.dialect ?? CSV_DIALECT;
  if (format === 'arrow') {
    // Arrow IPC file: chunks are runs of whole record batches, from the footer.
    const layout = await readArrowLayout({ size, read: (start, len) => source.read(start, len) }).catch((err: Error) => {
      throw new PlanError(`${source.uri}: ${err.message}`);
    });
    const chunks: ChunkRange[] = [];
    for (const b of layout.batches) {
      const last = chunks.at(-1);
      if (last && b.start - last.start < opts.chunkBytes) last.end = b.end;
      else chunks.push({ chunkNo: chunks.length, start: b.start, end: b.end });
    }
    return { size, version, format, dialect, header: null, dataStart: chunks[0]?.start ?? size, firstDataLine: 1, ...NO_CSV, chunks, quoteScan: false, arrow: layout.fields };
  }
  if (format === 'json') {
    const layout = await scanJsonLayout(source, sniffed.bomBytes, size, opts.chunkBytes, opts.records).catch((err: Error) => {
      throw new PlanError(`${source.uri}: ${err.message}`);
    });
    if (layout.container.kind !== 'member-array') await refuseTrailingContent(source, layout.end + 1, size);
    const edges = [layout.start, ...layout.edges, layout.end];
    const chunks = edges.slice(0, -1).map((start, k) => ({ chunkNo: k, start, end: edges[k + 1]! })).filter((c) => c.end > c.start);
    return { size, version, format, dialect, header: null, dataStart: layout.start, firstDataLine: 1 + countIn(head, LF, layout.start), ...NO_CSV, chunks, quoteScan: false, json: layout.container };
  }

  if (format !== 'csv') {
    // JSON Lines.
    const starts = await resolveLineEdges(source, sniffed.bomBytes, size, opts.chunkBytes);
    return { size, version, format, dialect, header: null, dataStart: sniffed.bomBytes, firstDataLine: 1, ...NO_CSV, chunks: chunksOf(sniffed.bomBytes, starts, size), quoteScan: false };
  }

  // Delimited text: the dialect from a sample across the file, then preamble and header.
  if (looksUtf16(head)) {
    throw new PlanError(`${source.uri}: the file is UTF-16 text (an Excel "Unicode text" export?): save it as UTF-8 (Excel: "CSV UTF-8"), or convert it: iconv -f UTF-16 -t UTF-8`);
  }
  const whole = head.length === size;
  const term = (opts.dialect?.lineEnd ?? detectLineEnd(head).lineEnd) === 'cr' ? CR : LF;
  const headBody = head.subarray(sniffed.bomBytes, whole ? head.length : head.lastIndexOf(term) + 1);
  // A later file of a run confirms the first file's dialect on a smaller sample (4 windows):
  // detection scores every candidate on 16.
  const preferred = opts.preferDialect && !opts.dialect ? confirmDialect([headBody, ...(await sampleWindows(source, head.length, size, term, PREFERRED_WINDOWS))], opts.preferDialect) : null;
  const guess = preferred ?? detectDialect([headBody, ...(await sampleWindows(source, head.length, size, term, WINDOWS))], source.name, opts.dialect);
  dialect = guess.fields >= 2 ? { ...guess.dialect, fields: guess.fields } : guess.dialect;
  let layout;
  try {
    // A later file with the run's dialect and, as its first line, the run's header: nothing to detect.
    const known = preferred && opts.preferHeader && opts.header !== false ? knownHeader(head, whole, sniffed.bomBytes, dialect, opts.preferHeader) : null;
    layout = known ?? detectLayout(head, whole, sniffed.bomBytes, dialect, guess.fields, opts.header);
  } catch (err) {
    if (err instanceof LayoutError) throw new PlanError(`${source.uri}: ${err.message}; fix that line, or give header: false (and the columns) in a dataset spec`);
    throw err;
  }
  const dataStart = Math.min(layout.dataStart, size);
  const quoteScan = dialect.quote !== null && (opts.quotedNewlines ?? true);
  let starts: number[] = [];
  let strayQuotes = 0;
  if (size > dataStart) {
    if (quoteScan) ({ starts, stray: strayQuotes } = await resolveRecordEdges(source, dataStart, size, opts.chunkBytes, dialect));
    else starts = await resolveLineEdges(source, dataStart, size, opts.chunkBytes, term);
  }
  const decisions = [...guess.decisions, ...layout.decisions];
  if (strayQuotes > 0) decisions.push({ what: 'stray quotes', choice: `${strayQuotes} record(s)`, reason: 'a quoted field would swallow a line break: each costs its own record only' });
  return {
    size,
    version,
    format,
    dialect,
    header: layout.header,
    dataStart,
    firstDataLine: layout.firstDataLine,
    decisions,
    preamble: layout.preamble,
    lowConfidence: guess.lowConfidence,
    strayQuotes,
    chunks: chunksOf(dataStart, starts, size),
    quoteScan,
  };
}

/** A UTF-16 byte order mark, or NUL in every other byte of the first line. */
function looksUtf16(head: Buffer): boolean {
  if (head.length >= 2 && ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff))) return true;
  const n = Math.min(head.length, 200);
  let nul = 0;
  for (let i = 0; i < n; i++) if (head[i] === 0) nul++;
  return n >= 8 && nul * 3 >= n;
}

const NO_CSV = { decisions: [] as Decision[], preamble: null, lowConfidence: null, strayQuotes: 0 };

function chunksOf(dataStart: number, starts: number[], size: number): ChunkRange[] {
  const edges = [dataStart, ...starts, size];
  const chunks: ChunkRange[] = [];
  for (let k = 0; k + 1 < edges.length; k++) {
    if (edges[k + 1]! > edges[k]!) chunks.push({ chunkNo: chunks.length, start: edges[k]!, end: edges[k + 1]! });
  }
  return chunks;
}

function countIn(buf: Buffer, byte: number, end: number): number {
  let n = 0;
  for (let i = buf.indexOf(byte); i >= 0 && i < end; i = buf.indexOf(byte, i + 1)) n++;
  return n;
}

const WINDOWS = 16;
const PREFERRED_WINDOWS = 4;
const WINDOW_BYTES = 64 * 1024;

/**
 * Windows of whole lines at evenly spaced offsets past the head, for dialect detection:
 * each starts after the first line end in it and stops at its last one.
 */
async function sampleWindows(source: Source, headEnd: number, size: number, term: number, windows: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  if (size <= headEnd) return out;
  const step = (size - headEnd) / windows;
  for (let k = 0; k < windows; k++) {
    const at = Math.floor(headEnd + k * step);
    const buf = await source.read(at, Math.min(WINDOW_BYTES, size - at));
    const first = buf.indexOf(term);
    const last = at + buf.length === size ? buf.length : buf.lastIndexOf(term) + 1;
    if (first >= 0 && last > first + 1) out.push(buf.subarray(first + 1, last));
  }
  return out;
}

/** A JSON document is one value: anything but whitespace after it would be lost silently, so refuse it. */
async function refuseTrailingContent(source: Source, from: number, size: number): Promise<void> {
  for (let pos = from; pos < size; pos += 1024 * 1024) {
    const buf = await source.read(pos, Math.min(1024 * 1024, size - pos));
    for (let i = 0; i < buf.length; i++) {
      const c = buf[i];
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) {
        throw new PlanError(
          `${source.uri}: there is more after the JSON document (at byte ${pos + i}): a file must hold one JSON value; for one value per line, name it .jsonl`,
        );
      }
    }
  }
}
