/**
 * The splitter's planning step: look at the head of a source, work out its format
 * and header, and cut it into byte-range chunks whose edges are record starts.
 * Reads the head, a few KiB per edge, and — only for quoted CSV — one quote-parity
 * pass. Never parses the whole file.
 */
import { CsvReader, CSV_DIALECT, readArrowLayout, sniffFormat, type ArrowColumnType, type CsvDialect, type CsvFields, type FormatName, type JsonContainer } from '@copyfleet/parse';
import type { Source } from '@copyfleet/source';
import { resolveLineEdges, resolveQuotedEdges } from './boundaries.js';
import { scanJsonLayout } from './json-edges.js';

export interface PlanOptions {
  chunkBytes: number;
  /** Override detection. */
  format?: FormatName;
  dialect?: CsvDialect;
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
  /** First byte after the BOM and header. */
  dataStart: number;
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
  const dialect = opts.dialect ?? (format === 'csv' ? sniffed.dialect : CSV_DIALECT);
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
    return { size, version, format, dialect, header: null, dataStart: chunks[0]?.start ?? size, chunks, quoteScan: false, arrow: layout.fields };
  }
  if (format === 'json') {
    const layout = await scanJsonLayout(source, sniffed.bomBytes, size, opts.chunkBytes, opts.records).catch((err: Error) => {
      throw new PlanError(`${source.uri}: ${err.message}`);
    });
    if (layout.container.kind !== 'member-array') await refuseTrailingContent(source, layout.end + 1, size);
    const edges = [layout.start, ...layout.edges, layout.end];
    const chunks = edges.slice(0, -1).map((start, k) => ({ chunkNo: k, start, end: edges[k + 1]! })).filter((c) => c.end > c.start);
    return { size, version, format, dialect, header: null, dataStart: layout.start, chunks, quoteScan: false, json: layout.container };
  }

  let header: string[] | null = null;
  let dataStart = sniffed.bomBytes;
  if (format === 'csv' && (opts.header ?? true) && size > dataStart) {
    const first = await readFirstRecord(source, dialect, dataStart, size);
    header = first.fields.map((f) => f ?? '');
    dataStart = first.end;
  }

  const quoteScan = format === 'csv' && dialect.quote !== null && (opts.quotedNewlines ?? true);
  const starts = size <= dataStart
    ? []
    : quoteScan
      ? await resolveQuotedEdges(source, dataStart, size, opts.chunkBytes, dialect.quote!)
      : await resolveLineEdges(source, dataStart, size, opts.chunkBytes);

  const edges = [dataStart, ...starts, size];
  const chunks: ChunkRange[] = [];
  for (let k = 0; k + 1 < edges.length; k++) {
    if (edges[k + 1]! > edges[k]!) chunks.push({ chunkNo: chunks.length, start: edges[k]!, end: edges[k + 1]! });
  }
  return { size, version, format, dialect, header, dataStart, chunks, quoteScan };
}

/**
 * The first CSV record (the header) and the offset just past it. Bytes are fed in
 * runs that end at a LF, so when the reader emits the header the position is
 * exactly past its terminating LF (quoted newlines inside the header included).
 */
async function readFirstRecord(source: Source, dialect: CsvDialect, from: number, size: number): Promise<{ fields: CsvFields; end: number }> {
  let found: CsvFields | null = null;
  let problem: string | null = null;
  const reader = new CsvReader(
    dialect,
    {
      record: (fields) => void (found ??= fields),
      bad: (reason) => void (problem ??= reason),
    },
    { startOffset: from, maxRecordBytes: 16 * 1024 * 1024 },
  );
  let base = from;
  for await (const chunk of source.stream(from, size) as AsyncIterable<Buffer>) {
    for (let pos = 0; pos < chunk.length; ) {
      const nl = chunk.indexOf(0x0a, pos);
      const stop = nl < 0 ? chunk.length : nl + 1;
      reader.push(chunk.subarray(pos, stop));
      pos = stop;
      if (found || problem) return header(found, problem, base + pos);
    }
    base += chunk.length;
  }
  reader.end();
  return header(found, problem, size);
}

function header(found: CsvFields | null, problem: string | null, end: number): { fields: CsvFields; end: number } {
  if (problem !== null) throw new PlanError(`cannot read the header line: ${problem}`);
  if (found === null) throw new PlanError('the file has no header line');
  return { fields: found, end };
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
