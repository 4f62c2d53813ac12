/**
 * Turns a dataset spec into what the splitter and workers use: reader options before
 * planning, and after sampling the table spec — the spec's columns with any missing
 * type inferred from the sample, its partitioning, dedupe key, winner and explode.
 */
import type { CsvDialect, CsvFields, FormatName } from '@copyfleet/parse';
import {
  applyTransform, FAILED, inferValueType,
  type Column, type ColumnSource, type ColumnType, type PartitionSpec, type TableSpec, type Transform,
} from '@copyfleet/schema';
import type { ColumnSpec, DatasetSpec } from './schema.js';
import { DatasetSpecError } from './read.js';

export interface ReaderOverrides {
  format?: FormatName;
  dialect?: CsvDialect;
  header?: boolean;
  /** JSON documents: records are the array under this top-level key. */
  records?: string;
}

export function readerOverrides(spec: DatasetSpec): ReaderOverrides {
  const s = spec.source;
  const out: ReaderOverrides = {};
  if (s.format) out.format = s.format === 'tsv' ? 'csv' : s.format;
  const touchesDialect = s.delimiter !== undefined || s.quote !== undefined || s.escape !== undefined || s.encoding !== undefined || s.format === 'tsv';
  if (touchesDialect) {
    const quote = s.quote === null ? null : (s.quote ?? '"').charCodeAt(0);
    out.dialect = {
      delimiter: (s.delimiter ?? (s.format === 'tsv' ? '\t' : ',')).charCodeAt(0),
      quote,
      escape: s.escape !== undefined ? s.escape.charCodeAt(0) : quote,
      encoding: s.encoding === 'latin1' || s.encoding === 'iso-8859-1' ? 'latin1' : 'utf8',
    };
  }
  // `format: csv` alone leaves the dialect to detection (libs/plan detect.ts).
  if (s.header !== undefined) out.header = s.header;
  if (s.records !== undefined) out.records = s.records;
  return out;
}

export interface SampleView {
  format: FormatName;
  header: string[] | null;
  csv: CsvFields[];
  json: unknown[];
}

/** The table spec for a load with a dataset spec; `inferred` is what inference alone would give. */
export function tableSpecFrom(spec: DatasetSpec, target: { schema: string; table: string }, sample: SampleView, inferred: Column[]): TableSpec {
  const explode = spec.explode ? spec.explode.split('.') : null;
  const columns = spec.columns ? spec.columns.map((c) => columnFrom(c, sample, explode)) : inferred;
  const names = columns.map((c) => c.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new DatasetSpecError(`columns: "${dup}" appears twice`);
  const need = (name: string, what: string): string => {
    if (!names.includes(name)) throw new DatasetSpecError(`table.${what}: "${name}" is not a column; columns are: ${names.join(', ')}`);
    return name;
  };
  const t = spec.table;
  return {
    ...target,
    columns,
    partition: partitionFrom(t.partition, columns, need),
    key: t.key ? t.key.map((k) => need(k, 'key')) : null,
    winnerBy: t.winner ? need(t.winner, 'winner') : null,
    explode: explode ? { path: explode } : null,
    ...(sample.format === 'csv' && sample.header ? { fieldCount: sample.header.length } : {}),
    ...(spec.source.nulls?.length ? { nullValues: spec.source.nulls } : {}),
  };
}

function partitionFrom(p: DatasetSpec['table']['partition'], columns: Column[], need: (n: string, w: string) => string): PartitionSpec | null {
  if (p === 'none') return null;
  if (p === undefined) {
    const time = columns.find((c) => c.type === 'date' || c.type === 'timestamp' || c.type === 'timestamptz');
    return time ? { column: time.name, interval: 'month' } : null;
  }
  if ('range' in p) {
    const col = columns.find((c) => c.name === need(p.range, 'partition.range'))!;
    if (col.type !== 'date' && col.type !== 'timestamp' && col.type !== 'timestamptz') {
      throw new DatasetSpecError(`table.partition.range: "${p.range}" is ${col.type}; range partitions need a date or timestamp column`);
    }
    return { column: col.name, interval: p.interval };
  }
  if ('list' in p) return { by: 'list', column: need(p.list, 'partition.list') };
  return { by: 'hash', column: need(p.hash, 'partition.hash'), modulus: p.partitions };
}

function columnFrom(c: ColumnSpec, sample: SampleView, explode: string[] | null): Column {
  const source = sourceFrom(c, sample);
  const transform = (c.transform ?? []).map(transformFrom);
  const scope = c.scope ?? 'element';
  const type = (c.type as ColumnType | undefined) ?? inferValueType(sampleValues(source, scope, transform, sample, explode));
  return { name: c.name, type, source, ...(c.scope ? { scope: c.scope } : {}), ...(transform.length ? { transform } : {}) };
}

function sourceFrom(c: ColumnSpec, sample: SampleView): ColumnSource {
  if (c.path !== undefined) return { kind: 'path', path: typeof c.path === 'string' ? c.path.split('.') : c.path };
  if (c.const !== undefined) return { kind: 'const', value: c.const };
  if (c.from !== undefined) return { kind: c.from };
  if (c.position !== undefined) return { kind: 'field', index: c.position - 1 };
  const header = sample.header ?? [];
  const index = header.indexOf(c.column!);
  if (index < 0) {
    throw new DatasetSpecError(`columns.${c.name}: the file has no column "${c.column}"; its header is: ${header.join(', ')}`);
  }
  return { kind: 'field', index };
}

function transformFrom(t: NonNullable<ColumnSpec['transform']>[number]): Transform {
  if (t === 'trim') return { kind: 'trim' };
  if ('wkt_point' in t) return { kind: 'wkt_point', axis: t.wkt_point };
  return { kind: 'date_format', format: t.date_format };
}

/** The column's values in the sample, after transforms (failed ones left out). */
function sampleValues(src: ColumnSource, scope: 'element' | 'record', transform: Transform[], sample: SampleView, explode: string[] | null): unknown[] {
  const raw: unknown[] = [];
  const walk = (v: unknown, path: string[]): unknown => {
    for (const k of path) v = v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>)[k] : undefined;
    return v;
  };
  if (src.kind === 'const') raw.push(src.value);
  else if (src.kind === 'index') raw.push(0, 1);
  else if (src.kind === 'key') raw.push('key');
  else if (src.kind === 'field') for (const r of sample.csv) raw.push(r[src.index]);
  else {
    for (const rec of sample.json) {
      const bases = explode && scope === 'element' ? ((walk(rec, explode) as unknown[] | undefined) ?? []) : [rec];
      for (const b of Array.isArray(bases) ? bases : []) raw.push(src.kind === 'record' ? b : walk(b, src.path));
    }
  }
  return raw.map((v) => transform.reduce<unknown>((acc, t) => (acc === FAILED ? acc : applyTransform(t, acc)), v)).filter((v) => v !== FAILED);
}
