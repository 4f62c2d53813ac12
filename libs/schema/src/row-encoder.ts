/**
 * One record in, one line of COPY text out (or a reason it was rejected). Built
 * once per chunk from the table spec: per column, a getter into the record and an
 * encoder for the type, so the per-row work is a loop over closures and one string
 * join. Also yields the row's partition key so the loader can create partitions
 * before the COPY starts.
 */
import type { CsvFields } from '@copyfleet/parse';
import { encoderFor, JSON_TEXT_REASON, jsonTextEncoder, NULL_TOKEN, REASONS, type Encoder } from './encode.js';
import { isNullSpelling } from './nulls.js';
import { rowPartitionKey } from './partition.js';
import { applyTransform, describeTransform, FAILED } from './transform.js';
import { hasLineage, type Column, type PartitionSpec, type TableSpec } from './types.js';

export interface EncodedRow {
  line: string;
  /** Partition key, or null for the DEFAULT partition (NULL time) or an unpartitioned table. */
  partKey: string | null;
}

/** What a column's value is read from: the record, the exploded element, its index, the member key. */
interface Ctx {
  record: unknown;
  element: unknown;
  index: number;
  key: string | undefined;
}

type Getter = (c: Ctx) => unknown;

export class RowEncoder {
  /** Why the last encode returned null. */
  reason = '';
  private readonly getters: Getter[];
  private readonly encoders: Encoder[];
  private readonly reasons: string[];
  private readonly columns: Column[];
  private readonly partIndex: number;
  private readonly partition: PartitionSpec | null;
  private readonly csvWidth: number;
  private readonly lineage: string | null;
  private readonly explode: string[] | null;
  private readonly nulls: Set<string> | null;
  private readonly ctx: Ctx = { record: undefined, element: undefined, index: 0, key: undefined };

  constructor(spec: TableSpec, runId: number | string) {
    this.columns = spec.columns;
    this.explode = spec.explode?.path ?? null;
    this.nulls = spec.nullValues?.length ? new Set(spec.nullValues) : null;
    this.getters = spec.columns.map((c) => withTransforms(c, getterFor(c, this.explode !== null)));
    this.encoders = spec.columns.map((c) => (c.type === 'jsonb' && c.source.kind === 'field' ? jsonTextEncoder : encoderFor(c.type)));
    this.reasons = spec.columns.map((c) => (c.type === 'jsonb' && c.source.kind === 'field' ? JSON_TEXT_REASON : REASONS[c.type]));
    this.partIndex = spec.partition ? spec.columns.findIndex((c) => c.name === spec.partition!.column) : -1;
    this.partition = spec.partition;
    this.csvWidth = spec.fieldCount ?? Math.max(0, ...spec.columns.map((c) => (c.source.kind === 'field' ? c.source.index + 1 : 0)));
    this.lineage = hasLineage(spec) ? `\t${runId}\t` : null;
  }

  /** Encode a CSV record; null (with `reason`) when it cannot be loaded. */
  encodeCsv(fields: CsvFields, offset: number): EncodedRow | null {
    if (fields.length !== this.csvWidth) {
      this.reason = `expected ${this.csvWidth} fields, found ${fields.length}`;
      return null;
    }
    return this.row(fields, fields, 0, undefined, offset);
  }

  /** Encode a JSON record; `key` is its member name when records are keyed by id. */
  encodeJson(record: unknown, offset: number, key?: string): EncodedRow | null {
    return this.row(record, record, 0, key, offset);
  }

  /**
   * Encode a record into its rows: one, or one per element of the `explode` array (none
   * when the array is missing or empty). Null (with `reason`) rejects the whole record.
   */
  encodeJsonRows(record: unknown, offset: number, key?: string): EncodedRow[] | null {
    if (this.explode === null) {
      const row = this.encodeJson(record, offset, key);
      return row === null ? null : [row];
    }
    const arr = walk(record, this.explode);
    if (arr === null || arr === undefined) return [];
    if (!Array.isArray(arr)) {
      this.reason = `${this.explode.join('.')} is not an array (got ${preview(arr)})`;
      return null;
    }
    const rows: EncodedRow[] = [];
    for (let i = 0; i < arr.length; i++) {
      const row = this.row(record, arr[i], i, key, offset);
      if (row === null) {
        this.reason = `${this.explode.join('.')}[${i}]: ${this.reason}`;
        return null;
      }
      rows.push(row);
    }
    return rows;
  }

  private row(record: unknown, element: unknown, index: number, key: string | undefined, offset: number): EncodedRow | null {
    const ctx = this.ctx;
    ctx.record = record;
    ctx.element = element;
    ctx.index = index;
    ctx.key = key;
    const n = this.columns.length;
    const out = new Array<string>(n);
    let partKey: string | null = null;
    for (let i = 0; i < n; i++) {
      const col = this.columns[i]!;
      const v = this.getters[i]!(ctx);
      if (v === FAILED) {
        // A NULL spelling the transform cannot read ('N/A' for a date format) is NULL.
        const raw = this.rawGetter(i);
        if (col.type !== 'text' && typeof raw === 'string' && isNullSpelling(raw)) {
          out[i] = NULL_TOKEN;
          continue;
        }
        this.reason = `column ${col.name}: ${(col.transform ?? []).map(describeTransform).join(', ')} does not apply to ${preview(this.rawGetter(i))}`;
        return null;
      }
      if (v === null || v === undefined || (v === '' && col.type !== 'text') || (this.nulls !== null && typeof v === 'string' && this.nulls.has(v))) {
        out[i] = NULL_TOKEN;
        continue;
      }
      let token: string | undefined;
      try {
        token = this.encoders[i]!(v);
      } catch (err) {
        // JSON.stringify of a value nested thousands of levels deep overflows the stack.
        if (!(err instanceof RangeError)) throw err;
        this.reason = `column ${col.name}: value nested too deeply to store (${err.message})`;
        return null;
      }
      if (token === undefined) {
        // Checked only after the encoder refused the value: free on the hot path, and a
        // value the type reads ('none' is no boolean, 'null' is JSON) keeps its meaning.
        if (col.type !== 'text' && typeof v === 'string' && isNullSpelling(v)) {
          out[i] = NULL_TOKEN;
          continue;
        }
        this.reason = `column ${col.name}: ${this.reasons[i]} (got ${preview(v)})`;
        return null;
      }
      out[i] = token;
      if (i === this.partIndex) partKey = rowPartitionKey(this.partition!, token);
    }
    const line = out.join('\t');
    return { line: this.lineage === null ? line : line + this.lineage + offset, partKey };
  }

  /** The value before transforms, for a reject reason. */
  private rawGetter(i: number): unknown {
    return getterFor(this.columns[i]!, this.explode !== null)(this.ctx);
  }
}

function getterFor(col: Column, exploding: boolean): Getter {
  const src = col.source;
  const fromElement = exploding && col.scope !== 'record';
  switch (src.kind) {
    case 'field': {
      const i = src.index;
      return (c) => (c.record as CsvFields)[i];
    }
    case 'record':
      return fromElement ? (c) => c.element : (c) => c.record;
    case 'key':
      return (c) => c.key;
    case 'index':
      return (c) => c.index;
    case 'const': {
      const v = src.value;
      return () => v;
    }
    case 'path': {
      const p = src.path;
      if (p.length === 1) {
        const k = p[0]!;
        return fromElement ? (c) => (isObj(c.element) ? c.element[k] : undefined) : (c) => (isObj(c.record) ? c.record[k] : undefined);
      }
      return fromElement ? (c) => walk(c.element, p) : (c) => walk(c.record, p);
    }
  }
}

function withTransforms(col: Column, get: Getter): Getter {
  const ts = col.transform;
  if (!ts || ts.length === 0) return get;
  return (c) => {
    let v = get(c);
    for (const t of ts) {
      v = applyTransform(t, v);
      if (v === FAILED) return FAILED;
    }
    return v;
  };
}

function walk(v: unknown, path: string[]): unknown {
  for (const k of path) {
    if (!isObj(v)) return undefined;
    v = v[k];
  }
  return v;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function preview(v: unknown): string {
  let s: string;
  try {
    s = typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
  } catch {
    s = '(a value nested too deeply to show)';
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
