/**
 * Arrow IPC files (the "file" format with its footer), read through any Source by
 * byte ranges: the footer lists every record batch with its offset, so a chunk is a
 * run of whole batches and a worker reads only those. apache-arrow is imported on
 * first use, so processes loading CSV or JSON never pay for it.
 */
/** The PostgreSQL type an Arrow field loads as (a subset of the schema lib's column types). */
export type ArrowColumnType = 'bigint' | 'double precision' | 'numeric' | 'boolean' | 'text' | 'date' | 'timestamp' | 'timestamptz' | 'jsonb';

/** What arrow needs of a file: stat, positional reads, close (a FileHandle look-alike). */
export interface RangeReader {
  size: number;
  read(start: number, length: number): Promise<Buffer>;
}

export interface ArrowLayout {
  /** Offset of each record batch's message, and where it ends. */
  batches: { start: number; end: number; rows: number }[];
  fields: { name: string; type: ArrowColumnType }[];
}

export const ARROW_MAGIC = Buffer.from('ARROW1');

export function isArrowFile(head: Buffer): boolean {
  return head.length >= 6 && head.subarray(0, 6).equals(ARROW_MAGIC);
}

async function openReader(src: RangeReader) {
  const arrow = await import('apache-arrow');
  const handle = {
    fd: -1,
    stat: async () => ({ size: src.size }),
    read: async (buffer: Uint8Array, offset: number, length: number, position: number) => {
      const bytes = await src.read(position, length);
      buffer.set(bytes, offset);
      return { bytesRead: bytes.length, buffer };
    },
    close: async () => undefined,
  };
  const opened = await arrow.RecordBatchReader.from(handle as unknown as import('node:fs/promises').FileHandle);
  await opened.open();
  if (!opened.isFile()) throw new Error('not an Arrow IPC file (the stream format has no footer to split by)');
  return { arrow, reader: opened as import('apache-arrow').AsyncRecordBatchFileReader };
}

export async function readArrowLayout(src: RangeReader): Promise<ArrowLayout> {
  const { arrow, reader } = await openReader(src);
  const footer = reader.footer!;
  const batches: ArrowLayout['batches'] = [];
  for (let i = 0; i < footer.numRecordBatches; i++) {
    const b = footer.getRecordBatch(i)!;
    batches.push({ start: Number(b.offset), end: Number(b.offset) + b.metaDataLength + Number(b.bodyLength), rows: 0 });
  }
  const fields = reader.schema.fields.map((f) => ({ name: f.name, type: columnTypeOf(arrow, f.type) }));
  await reader.cancel();
  return { batches, fields };
}

/**
 * The rows of the batches that start in [start, end), as plain records (name → value
 * with JSON-friendly values: bigint for 64-bit integers, ISO text for dates and times,
 * objects and arrays for nested types). `index` counts rows from the chunk's start.
 */
export async function* readArrowRows(src: RangeReader, start: number, end: number): AsyncGenerator<{ record: Record<string, unknown>; offset: number; index: number }> {
  const { arrow, reader } = await openReader(src);
  const footer = reader.footer!;
  const fields = reader.schema.fields;
  const convert = fields.map((f) => converterFor(arrow, f.type));
  let index = 0;
  for (let b = 0; b < footer.numRecordBatches; b++) {
    const offset = Number(footer.getRecordBatch(b)!.offset);
    if (offset < start || offset >= end) continue;
    const batch = await reader.readRecordBatch(b);
    if (!batch) continue;
    const columns = fields.map((_, j) => batch.getChildAt(j)!);
    for (let i = 0; i < batch.numRows; i++) {
      const record: Record<string, unknown> = {};
      for (let j = 0; j < fields.length; j++) record[fields[j]!.name] = convert[j]!(columns[j]!.get(i));
      yield { record, offset, index: index++ };
    }
  }
}

type Arrow = typeof import('apache-arrow');

function columnTypeOf(arrow: Arrow, t: import('apache-arrow').DataType): ArrowColumnType {
  const T = arrow.Type;
  switch (t.typeId) {
    case T.Int:
      return 'bigint';
    case T.Float:
      return 'double precision';
    case T.Decimal:
      return 'numeric';
    case T.Bool:
      return 'boolean';
    case T.Utf8:
    case T.LargeUtf8:
      return 'text';
    case T.Date:
      return 'date';
    case T.Timestamp:
      return (t as import('apache-arrow').Timestamp).timezone ? 'timestamptz' : 'timestamp';
    default:
      return 'jsonb';
  }
}

function converterFor(arrow: Arrow, t: import('apache-arrow').DataType): (v: unknown) => unknown {
  const T = arrow.Type;
  const iso = (v: unknown): string => (v instanceof Date ? v : new Date(Number(v))).toISOString();
  switch (t.typeId) {
    case T.Date:
      return (v) => (v === null || v === undefined ? v : iso(v).slice(0, 10));
    case T.Timestamp: {
      const zoned = Boolean((t as import('apache-arrow').Timestamp).timezone);
      return (v) => (v === null || v === undefined ? v : zoned ? iso(v) : iso(v).replace('T', ' ').replace('Z', ''));
    }
    case T.Decimal:
      return (v) => (v === null || v === undefined ? v : String(v));
    case T.Struct:
    case T.List:
    case T.FixedSizeList:
    case T.Map:
      return (v) => (v === null || v === undefined ? v : JSON.parse(JSON.stringify((v as { toJSON(): unknown }).toJSON(), (_k, x) => (typeof x === 'bigint' ? x.toString() : x))));
    default:
      return (v) => v;
  }
}
