/**
 * Infers columns and types from sampled records. A type is chosen only when every
 * non-empty sampled value fits it, most specific first:
 * bigint → numeric → boolean → date → timestamp/timestamptz → text. Integers with a
 * leading zero stay text (they are codes: "007"). For JSON, nested objects are
 * flattened to parent_child columns; arrays, and paths whose values disagree in
 * kind (object here, number there), become jsonb.
 */
import type { CsvFields } from '@copyfleet/parse';
import { toIdentifier, uniqueNames } from './ident.js';
import { isInt64Text, isNumericText } from './encode.js';
import { parseTemporal } from './temporal.js';
import type { Column, ColumnType } from './types.js';

interface Tally {
  seen: number;
  int: number;
  num: number;
  bool: number;
  date: number;
  tsNaive: number;
  tsZoned: number;
}

const newTally = (): Tally => ({ seen: 0, int: 0, num: 0, bool: 0, date: 0, tsNaive: 0, tsZoned: 0 });

function tallyText(t: Tally, raw: string): void {
  const s = raw.trim();
  if (s === '') return;
  t.seen++;
  if (isInt64Text(s) && !/^[+-]?0\d/.test(s)) t.int++;
  if (isNumericText(s) && !/^[+-]?0\d/.test(s)) t.num++;
  if (/^(true|false|t|f)$/i.test(s)) t.bool++;
  const tm = parseTemporal(s);
  if (tm !== null) {
    if (!tm.hasTime) t.date++;
    else if (tm.offset === null) t.tsNaive++;
    else t.tsZoned++;
  }
}

function decide(t: Tally): ColumnType {
  if (t.seen === 0) return 'text';
  if (t.int === t.seen) return 'bigint';
  if (t.num === t.seen) return 'numeric';
  if (t.bool === t.seen) return 'boolean';
  if (t.date === t.seen) return 'date';
  if (t.tsNaive === t.seen) return 'timestamp';
  if (t.tsZoned + t.tsNaive === t.seen && t.tsZoned > 0) return 'timestamptz';
  return 'text';
}

/** Columns of a delimited file with a header (or `col_1…` names without one). */
export function inferCsvColumns(header: string[] | null, rows: CsvFields[]): Column[] {
  const width = header?.length ?? Math.max(0, ...rows.map((r) => r.length));
  const tallies = Array.from({ length: width }, newTally);
  for (const row of rows) {
    if (row.length !== width) continue; // a malformed row tells nothing
    for (let i = 0; i < width; i++) {
      const v = row[i];
      if (v != null) tallyText(tallies[i]!, v);
    }
  }
  const names = uniqueNames(Array.from({ length: width }, (_, i) => toIdentifier(header?.[i] ?? '', `col_${i + 1}`)));
  return names.map((name, i) => ({ name, type: decide(tallies[i]!), source: { kind: 'field', index: i } }));
}

/** 'deep': an object nested deeper than MAX_FLATTEN_DEPTH, kept whole (jsonb). */
type Kind = 'object' | 'array' | 'string' | 'number' | 'boolean' | 'deep';

/**
 * Objects are flattened into columns this many levels deep; deeper ones stay one jsonb
 * value. Bounds the work (and the recursion) for hostile input: a record nested
 * 100,000 levels deep must not overflow the stack of the splitter.
 */
export const MAX_FLATTEN_DEPTH = 32;

interface PathInfo {
  path: string[];
  kinds: Set<Kind>;
  ints: number;
  numbers: number;
  text: Tally;
}

/** Columns of JSON records (objects); any other top-level value is one jsonb column. */
export function inferJsonColumns(records: unknown[]): Column[] {
  const objects = records.filter(isPlainObject);
  if (objects.length === 0 || objects.length < records.length / 2) {
    return [{ name: 'value', type: 'jsonb', source: { kind: 'record' } }];
  }
  const paths = new Map<string, PathInfo>();
  for (const obj of objects) walk(obj, [], paths);

  // A path that was ever not an object keeps its own column (jsonb if mixed); its children go.
  const leaves: PathInfo[] = [];
  const keys = [...paths.keys()];
  for (const key of keys) {
    const info = paths.get(key)!;
    if (info.kinds.size === 1 && info.kinds.has('object')) continue;
    if (ancestorIsLeaf(info.path, paths)) continue;
    leaves.push(info);
  }
  const names = uniqueNames(leaves.map((l) => toIdentifier(l.path.join('_'), 'field')));
  return leaves.map((l, i) => ({ name: names[i]!, type: jsonType(l), source: { kind: 'path', path: l.path } }));
}

function ancestorIsLeaf(path: string[], paths: Map<string, PathInfo>): boolean {
  for (let n = 1; n < path.length; n++) {
    const a = paths.get(JSON.stringify(path.slice(0, n)));
    if (a && !(a.kinds.size === 1 && a.kinds.has('object'))) return true;
  }
  return false;
}

function jsonType(info: PathInfo): ColumnType {
  const k = info.kinds;
  if (k.size === 0) return 'text';
  if (k.size > 1 || k.has('object') || k.has('array') || k.has('deep')) return 'jsonb';
  if (k.has('boolean')) return 'boolean';
  if (k.has('number')) return info.ints === info.numbers ? 'bigint' : 'numeric';
  const t = decide(info.text);
  // JSON strings that look numeric stay text: the producer chose a string.
  return t === 'bigint' || t === 'numeric' || t === 'boolean' ? 'text' : t;
}

function walk(obj: Record<string, unknown>, prefix: string[], paths: Map<string, PathInfo>): void {
  for (const [k, v] of Object.entries(obj)) {
    const path = [...prefix, k];
    const key = JSON.stringify(path);
    let info = paths.get(key);
    if (!info) {
      info = { path, kinds: new Set(), ints: 0, numbers: 0, text: newTally() };
      paths.set(key, info);
    }
    if (v === null || v === undefined) continue;
    if (Array.isArray(v)) info.kinds.add('array');
    else if (typeof v === 'object') {
      if (path.length >= MAX_FLATTEN_DEPTH) info.kinds.add('deep');
      else {
        info.kinds.add('object');
        walk(v as Record<string, unknown>, path, paths);
      }
    } else if (typeof v === 'number') {
      info.kinds.add('number');
      info.numbers++;
      if (Number.isSafeInteger(v)) info.ints++;
    } else if (typeof v === 'boolean') info.kinds.add('boolean');
    else if (typeof v === 'string') {
      info.kinds.add('string');
      tallyText(info.text, v);
    }
  }
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * The type of one column from its sampled values (after any transform): strings by the
 * same rules as CSV fields, JSON numbers and booleans by kind, objects, arrays and
 * mixed kinds as jsonb.
 */
export function inferValueType(values: unknown[]): ColumnType {
  const kinds = new Set<string>();
  const tally = newTally();
  let ints = 0;
  let numbers = 0;
  for (const v of values) {
    if (v === null || v === undefined) continue;
    if (typeof v === 'string') {
      kinds.add('string');
      tallyText(tally, v);
    } else if (typeof v === 'number') {
      kinds.add('number');
      numbers++;
      if (Number.isSafeInteger(v)) ints++;
    } else if (typeof v === 'boolean') kinds.add('boolean');
    else kinds.add('json');
  }
  if (kinds.size === 0) return 'text';
  if (kinds.size > 1 || kinds.has('json')) return 'jsonb';
  if (kinds.has('boolean')) return 'boolean';
  if (kinds.has('number')) return ints === numbers ? 'bigint' : 'numeric';
  return decide(tally);
}
