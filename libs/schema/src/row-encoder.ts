/**
 * One record in, one line of COPY text out (or a reason it was rejected). Built
 * once per chunk from the table spec: per column, a getter into the record and an
 * encoder for the type, so the per-row work is a loop over closures and one string
 * join. Also yields the row's partition key so the loader can create partitions
 * before the COPY starts.
 */
import type { CsvFields } from '@copyfleet/parse';
import { encoderFor, NULL_TOKEN, REASONS, type Encoder } from './encode.js';
import { partitionKey } from './partition.js';
import { hasLineage, type Column, type PartitionInterval, type TableSpec } from './types.js';

export interface EncodedRow {
  line: string;
  /** Partition key, or null for the DEFAULT partition (NULL time) or an unpartitioned table. */
  partKey: string | null;
}

type Getter = (record: unknown) => unknown;

export class RowEncoder {
  /** Why the last encode returned null. */
  reason = '';
  private readonly getters: Getter[];
  private readonly encoders: Encoder[];
  private readonly columns: Column[];
  private readonly partIndex: number;
  private readonly interval: PartitionInterval | null;
  private readonly csvWidth: number;
  private readonly lineage: string | null;

  constructor(spec: TableSpec, runId: number | string) {
    this.columns = spec.columns;
    this.getters = spec.columns.map((c) => (c.source.kind === 'key' ? () => this.key : getterFor(c)));
    this.encoders = spec.columns.map((c) => encoderFor(c.type));
    this.partIndex = spec.partition ? spec.columns.findIndex((c) => c.name === spec.partition!.column) : -1;
    this.interval = spec.partition?.interval ?? null;
    this.csvWidth = Math.max(0, ...spec.columns.map((c) => (c.source.kind === 'field' ? c.source.index + 1 : 0)));
    this.lineage = hasLineage(spec) ? `\t${runId}\t` : null;
  }

  /** Encode a CSV record; null (with `reason`) when it cannot be loaded. */
  encodeCsv(fields: CsvFields, offset: number): EncodedRow | null {
    if (fields.length !== this.csvWidth) {
      this.reason = `expected ${this.csvWidth} fields, found ${fields.length}`;
      return null;
    }
    return this.encode(fields, offset);
  }

  /** Encode a JSON record; `key` is its member name when records are keyed by id. */
  encodeJson(record: unknown, offset: number, key?: string): EncodedRow | null {
    this.key = key;
    return this.encode(record, offset);
  }

  /** The current record's member name, for columns whose source is the key. */
  private key: string | undefined;

  private encode(record: unknown, offset: number): EncodedRow | null {
    const n = this.columns.length;
    const out = new Array<string>(n);
    let partKey: string | null = null;
    for (let i = 0; i < n; i++) {
      const col = this.columns[i]!;
      const v = this.getters[i]!(record);
      if (v === null || v === undefined || (v === '' && col.type !== 'text')) {
        out[i] = NULL_TOKEN;
        continue;
      }
      const token = this.encoders[i]!(v);
      if (token === undefined) {
        this.reason = `column ${col.name}: ${REASONS[col.type]} (got ${preview(v)})`;
        return null;
      }
      out[i] = token;
      if (i === this.partIndex) partKey = partitionKey(token, this.interval!);
    }
    const line = out.join('\t');
    return { line: this.lineage === null ? line : line + this.lineage + offset, partKey };
  }
}

function getterFor(col: Column): Getter {
  const src = col.source;
  switch (src.kind) {
    case 'field': {
      const i = src.index;
      return (r) => (r as CsvFields)[i];
    }
    case 'record':
      return (r) => r;
    case 'key':
      return () => undefined; // bound per record by the encoder
    case 'path': {
      const p = src.path;
      if (p.length === 1) {
        const k = p[0]!;
        return (r) => (isObj(r) ? r[k] : undefined);
      }
      return (r) => {
        let v: unknown = r;
        for (const k of p) {
          if (!isObj(v)) return undefined;
          v = v[k];
        }
        return v;
      };
    }
  }
}

function isObj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function preview(v: unknown): string {
  const s = typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
