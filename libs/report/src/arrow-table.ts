/**
 * Report results as an Arrow table (IPC file format), one nullable column per field
 * typed by PostgreSQL OID. Imported on demand by writers.ts.
 */
import {
  Bool, DataType, DateDay, Field, Float64, Int32, Int64, RecordBatch, Schema, Struct, Table,
  TimestampMillisecond, Utf8, makeBuilder, makeData, tableToIPC,
} from 'apache-arrow';
import { epochMs, localDayMs, PgType, toText, type QueryResultLike } from './writers.js';

/** Builds an Arrow table with one nullable column per field, typed by PostgreSQL OID. */
export function toArrowTable({ fields, rows }: QueryResultLike): Table {
  const columns = fields.map((f) => {
    const type = arrowType(f.dataTypeID);
    const builder = makeBuilder({ type, nullValues: [null, undefined] });
    try {
      for (const row of rows) builder.append(toArrowValue(row[f.name], type, f.dataTypeID));
    } catch (err) {
      throw new Error(`column ${JSON.stringify(f.name)}: ${(err as Error).message}`, { cause: err });
    }
    return { field: new Field(f.name, type, true), data: builder.finish().flush() };
  });
  const schema = new Schema(columns.map((c) => c.field));
  const data = makeData({
    type: new Struct(schema.fields), length: rows.length, nullCount: 0, children: columns.map((c) => c.data),
  });
  return new Table(schema, new RecordBatch(schema, data));
}

export function arrowType(oid: number): DataType {
  switch (oid) {
    case PgType.int8: return new Int64();
    case PgType.int2: case PgType.int4: return new Int32();
    case PgType.float4: case PgType.float8: case PgType.numeric: return new Float64();
    case PgType.bool: return new Bool();
    case PgType.date: return new DateDay();
    case PgType.timestamp: case PgType.timestamptz: return new TimestampMillisecond('UTC');
    default: return new Utf8();
  }
}

function toArrowValue(v: unknown, type: DataType, oid: number): unknown {
  if (v === null || v === undefined) return null;
  if (DataType.isInt(type)) {
    if (type.bitWidth === 32) return Number(v);
    if (typeof v === 'bigint') return v;
    if ((typeof v === 'string' && /^[+-]?\d+$/.test(v)) || Number.isSafeInteger(v)) return BigInt(v as string | number);
    throw new TypeError(`cannot convert ${JSON.stringify(v)} to int8`);
  }
  if (DataType.isFloat(type)) return Number(v);
  if (DataType.isBool(type)) return v === true || v === 't' || v === 'true';
  if (DataType.isDate(type) || DataType.isTimestamp(type)) {
    // pg parses `date` as local midnight; keep the calendar day, not the instant.
    const ms = v instanceof Date && oid === PgType.date ? localDayMs(v) : epochMs(v);
    return Number.isFinite(ms) ? ms : null; // ±infinity has no Arrow representation
  }
  return toText(v, oid);
}


export function toIpcFile(table: Table): Uint8Array {
  return tableToIPC(table, 'file');
}
