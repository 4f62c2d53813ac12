/**
 * The parsing path of a chunk: its byte range through the format's reader and the
 * encoders into a RowSpool, collecting rejects (with offset and line), the partition
 * keys the rows need, and — when the spec has a bronze table — each record's raw text.
 * Backpressure: one read at a time; a read is parsed before the next one is asked for.
 */
import { CsvReader, JsonSequenceReader, LineReader, MAX_RAW_KEPT, readArrowRows, type CsvFields } from '@copyfleet/parse';
import { copyFieldTypes, CopyBinaryTranscoder, escapeCopyText, JsonLineEncoder, RowEncoder, type EncodedRow } from '@copyfleet/schema';
import type { Reject } from '@copyfleet/db';
import type { ChunkRun, ChunkTask } from './load-chunk.js';
import { RowSpool } from './row-spool.js';

export interface ChunkRows {
  spool: RowSpool;
  /** Raw records for the bronze table, when the spec has one. */
  bronze: RowSpool | null;
  rejects: Reject[];
  partKeys: Set<string>;
  lines: number;
}

/** Where a chunk's records go: encoded rows, rejects, partition keys, bronze. */
class Collector implements ChunkRows {
  readonly spool: RowSpool;
  readonly bronze: RowSpool | null;
  readonly rejects: Reject[] = [];
  readonly partKeys = new Set<string>();
  lines = 0;
  readonly encoder: RowEncoder;

  constructor(
    run: ChunkRun,
    private readonly runId: string,
    binary: boolean,
  ) {
    this.spool = new RowSpool(binary ? new CopyBinaryTranscoder(copyFieldTypes(run.spec.table)) : null);
    this.encoder = new RowEncoder(run.spec.table, runId);
    this.bronze = run.spec.bronze ? new RowSpool() : null;
  }

  bad = (reason: string, offset: number, line: number, raw: Buffer): void => {
    this.rejects.push({ offset, line, reason, raw });
  };

  /** Encoded row(s) of one record, or its reject when the encoder refused it. */
  take(rows: EncodedRow | EncodedRow[] | null, offset: number, line: number, rawOf: () => Buffer): void {
    if (rows === null) return this.bad(this.encoder.reason, offset, line, rawOf());
    for (const row of Array.isArray(rows) ? rows : [rows]) {
      this.spool.append(row.line, offset, line);
      if (row.partKey !== null) this.partKeys.add(row.partKey);
    }
  }

  /** The record as it landed, for the bronze table (only text that is JSON reaches jsonb). */
  raw(json: string, offset: number, line: number): void {
    const text = escapeCopyText(json);
    if (this.bronze && text !== undefined) this.bronze.append(`${this.runId}\t${offset}\t${text}`, offset, line);
  }
}

/** `binary`: the rows as binary COPY tuples (the spool says `textOnly` when one cannot be). */
export async function readChunk(run: ChunkRun, task: ChunkTask, binary = false): Promise<ChunkRows> {
  const out = new Collector(run, task.runId, binary);
  const format = run.spec.format;
  if (format === 'arrow') await readArrow(run, task, out);
  else await readBytes(run, task, out, format === 'csv' ? csvReader(run, task, out) : jsonReader(run, task, out));
  return out;
}

interface ByteReader {
  push(b: Buffer): void;
  end(): void;
  readonly lines: number;
}

async function readBytes(run: ChunkRun, task: ChunkTask, out: Collector, reader: ByteReader): Promise<void> {
  for await (const chunk of run.source.stream(task.start, task.end) as AsyncIterable<Buffer>) reader.push(chunk);
  reader.end();
  out.lines = reader.lines;
}

function csvReader(run: ChunkRun, task: ChunkTask, out: Collector): ByteReader {
  const { spec } = run;
  const header = spec.header ?? null;
  return new CsvReader(
    spec.dialect,
    {
      record: (fields: CsvFields, offset, line) => {
        if (out.bronze) out.raw(JSON.stringify(header ? Object.fromEntries(header.map((h, i) => [h, fields[i] ?? null])) : fields), offset, line);
        out.take(out.encoder.encodeCsv(fields, offset), offset, line, () => Buffer.from(csvLine(fields, spec.dialect.delimiter)));
      },
      bad: out.bad,
    },
    { startOffset: task.start, maxRecordBytes: spec.maxRecordBytes },
  );
}

/** JSON Lines and JSON documents: the byte-level encoder first; JSON.parse + RowEncoder for what it declines. */
function jsonReader(run: ChunkRun, task: ChunkTask, out: Collector): ByteReader {
  const { spec } = run;
  const fast = JsonLineEncoder.supports(spec.table) ? new JsonLineEncoder(spec.table, task.runId) : null;
  const record = (buf: Buffer, start: number, end: number, offset: number, line: number, ks = -1, ke = -1): void => {
    // Bronze keeps the record's own text; a keyed record keeps its key: {"key": value}.
    if (out.bronze) out.raw(ks >= 0 ? `{${buf.toString('utf8', ks, end)}}` : buf.toString('utf8', start, end), offset, line);
    if (fast?.encode(buf, start, end, out.spool, offset, line, ks, ke)) {
      if (fast.partKey !== null) out.partKeys.add(fast.partKey);
      return;
    }
    const raw = (): Buffer => Buffer.from(buf.subarray(ks >= 0 ? ks : start, Math.min(end, start + MAX_RAW_KEPT)));
    let value: unknown;
    let key: string | undefined;
    try {
      value = JSON.parse(buf.toString('utf8', start, end));
      if (ks >= 0) key = JSON.parse(buf.toString('utf8', ks, ke)) as string;
    } catch (err) {
      return out.bad(`invalid JSON: ${(err as Error).message}`, offset, line, raw());
    }
    out.take(out.encoder.encodeJsonRows(value, offset, key), offset, line, raw);
  };
  const opts = { startOffset: task.start, maxRecordBytes: spec.maxRecordBytes };
  return spec.format === 'json'
    ? new JsonSequenceReader({ item: record, bad: out.bad }, { ...opts, members: spec.json?.kind === 'object' })
    : new LineReader({ line: (buf, s, e, offset, line) => record(buf, s, e, offset, line), bad: out.bad }, opts);
}

/** Arrow: whole record batches; a row's "line" is its position in the chunk. */
async function readArrow(run: ChunkRun, task: ChunkTask, out: Collector): Promise<void> {
  const src = { size: (await run.source.stat()).size, read: (s: number, l: number) => run.source.read(s, l) };
  for await (const { record, offset, index } of readArrowRows(src, task.start, task.end)) {
    const line = index + 1;
    const text = (): string => JSON.stringify(record, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    if (out.bronze) out.raw(text(), offset, line);
    out.take(out.encoder.encodeJsonRows(record, offset), offset, line, () => Buffer.from(text()));
    out.lines = line;
  }
}

/** A rejected CSV record written back as CSV (fields quoted), for the reject row. */
function csvLine(fields: CsvFields, delimiter: number): string {
  const d = String.fromCharCode(delimiter);
  return fields
    .map((f) => (f === null ? '' : /[",\r\n]/.test(f) || f.includes(d) ? `"${f.replace(/"/g, '""')}"` : f))
    .join(d);
}
