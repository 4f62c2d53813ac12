/**
 * Infers columns and types from sampled records.
 *
 * A column's type is decided by consensus over its sampled non-null values, on a ladder
 * from the most specific type: bigint → numeric → boolean → date → timestamp →
 * timestamptz → dates in a non-ISO spelling (`28/01/2018 00:00`, `01/28/2018`,
 * `2018.01.28`, read with a `date_format` transform) → text.
 *  - The first type every value fits wins.
 *  - Otherwise the type with the fewest misfits wins, if they are few: at most
 *    MAX_OUTLIERS and at most MAX_OUTLIER_FRACTION of the values (so a sample of
 *    fewer than 1,000 values tolerates none), and each one is a value the loader
 *    rejects for that type (never one it would load changed: `007` in a bigint column
 *    would load as 7, so codes with leading zeros keep the column text). Those values
 *    become rejects with their reason when loaded; the result says which, with examples.
 *  - Empty fields and NULL_SPELLINGS (nulls.ts) are not values here: they load as NULL
 *    in a column that is not text.
 *  - A CSV column whose every value is a JSON object or array is jsonb.
 *  - Day-first and month-first spellings that both fit (no day above 12 in the sample)
 *    are ambiguous: the column stays text, with a note.
 * Integers with a leading zero stay text (they are codes: "007"). For JSON, nested
 * objects are flattened to parent_child columns; arrays, and paths whose values
 * disagree in kind (object here, number there), become jsonb; a path of numbers with a
 * few strings that are not numbers is numeric by the same consensus.
 */
import type { CsvFields } from '@copyfleet/parse';
import { toIdentifier, uniqueNames } from './ident.js';
import { encoderFor, isInt64Text, isNumericText } from './encode.js';
import { isNullSpelling } from './nulls.js';
import { parseTemporal } from './temporal.js';
import { parseWithFormat } from './transform.js';
import type { Column, ColumnType, Transform } from './types.js';

/** At most this many sampled values may misfit a column's type… */
export const MAX_OUTLIERS = 5;
/** …and at most this fraction of its sampled values (0.1 %). */
export const MAX_OUTLIER_FRACTION = 0.001;
/** Examples of misfits kept per column. */
const MAX_EXAMPLES = 3;

/** How many misfits a column of `n` sampled values tolerates. */
export function allowedOutliers(n: number): number {
  return Math.min(MAX_OUTLIERS, Math.floor(n * MAX_OUTLIER_FRACTION));
}

/** Where a sampled record is in the file, when the sampler knows. */
export interface SampleLocation {
  offset?: number;
  line?: number;
}

export interface Outlier {
  value: string;
  /** Index of the record in the sample. */
  row: number;
  offset?: number;
  line?: number;
}

/** What inference decided for one column, and why: for `copyfleet infer` and the run's message. */
export interface ColumnInference {
  name: string;
  type: ColumnType;
  transform?: Transform[];
  /** Non-null sampled values. */
  values: number;
  /** Fraction of `values` that fit `type` (1 for text). */
  fit: number;
  /** Values that do not fit `type` and will be rejected when loaded. */
  outliers: { count: number; examples: Outlier[] };
  /** NULL spellings seen (they load as NULL; none for text columns). */
  nulls: { spelling: string; count: number }[];
  /** One line a person reads, or null when there is nothing to say. */
  note: string | null;
}

export interface Inference {
  columns: Column[];
  report: ColumnInference[];
  /** The notes of `report`, in column order. */
  notes: string[];
}

interface Candidate {
  type: ColumnType;
  transform?: Transform[];
  /** Plural noun for a note: "3 values are not {what}". */
  what: string;
  fits(s: string): boolean;
  /** Whether the loader rejects `s` for this candidate (a misfit it would load is no outlier). */
  rejects(s: string): boolean;
  /** When set, at least one value must satisfy it (a timestamp column needs a time). */
  needs?: (s: string) => boolean;
  /** The candidate that reads the same spelling the other way round (day/month). */
  mirror?: string;
  label?: string;
}

const leadingZero = (s: string): boolean => /^[+-]?0\d/.test(s);
const encodes = (type: ColumnType) => {
  const enc = encoderFor(type);
  return (s: string): boolean => enc(s) !== undefined;
};
const bigintEncodes = encodes('bigint');
const numericEncodes = encodes('numeric');
const booleanEncodes = encodes('boolean');
const dateEncodes = encodes('date');
const timestampEncodes = encodes('timestamp');
const timestamptzEncodes = encodes('timestamptz');

const ISO_LADDER: Candidate[] = [
  { type: 'bigint', what: 'integers', fits: (s) => isInt64Text(s) && !leadingZero(s), rejects: (s) => !bigintEncodes(s) },
  {
    type: 'numeric',
    what: 'numbers',
    fits: (s) => (isNumericText(s) && !leadingZero(s)) || /^(NaN|[+-]?Infinity)$/.test(s),
    rejects: (s) => !numericEncodes(s),
  },
  { type: 'boolean', what: 'booleans', fits: (s) => /^(true|false|t|f)$/i.test(s), rejects: (s) => !booleanEncodes(s) },
  { type: 'date', what: 'dates', fits: (s) => parseTemporal(s)?.hasTime === false, rejects: (s) => !dateEncodes(s) },
  {
    type: 'timestamp',
    what: 'timestamps',
    fits: (s) => parseTemporal(s)?.offset === null,
    needs: (s) => parseTemporal(s)?.hasTime === true,
    rejects: (s) => !timestampEncodes(s),
  },
  {
    type: 'timestamptz',
    what: 'timestamps',
    fits: (s) => parseTemporal(s) !== null,
    needs: (s) => typeof parseTemporal(s)?.offset === 'number',
    rejects: (s) => !timestamptzEncodes(s),
  },
];

/** Day-first and month-first spellings, each with the one that reads it the other way. */
const DATE_SPELLINGS: [string, string | null][] = [
  ['DD/MM/YYYY', 'MM/DD/YYYY'],
  ['MM/DD/YYYY', 'DD/MM/YYYY'],
  ['DD.MM.YYYY', 'MM.DD.YYYY'],
  ['MM.DD.YYYY', 'DD.MM.YYYY'],
  ['DD-MM-YYYY', 'MM-DD-YYYY'],
  ['MM-DD-YYYY', 'DD-MM-YYYY'],
  ['YYYY/MM/DD', null],
  ['YYYY.MM.DD', null],
];
const TIME_SPELLINGS = ['', ' HH:mm', ' HH:mm:ss'];

const FORMAT_LADDER: Candidate[] = DATE_SPELLINGS.flatMap(([date, mirror]) =>
  TIME_SPELLINGS.map((time): Candidate => {
    const format = date + time;
    const type: ColumnType = time === '' ? 'date' : 'timestamp';
    const ok = type === 'date' ? dateEncodes : timestampEncodes;
    const fits = (s: string): boolean => {
      const iso = parseWithFormat(s, format);
      return iso !== null && ok(iso);
    };
    return {
      type,
      transform: [{ kind: 'date_format', format }],
      what: `${type === 'date' ? 'dates' : 'timestamps'} written ${format}`,
      label: format,
      fits,
      rejects: (s) => !fits(s),
      ...(mirror ? { mirror: mirror + time } : {}),
    };
  }),
);

const CSV_LADDER = [...ISO_LADDER, ...FORMAT_LADDER];
/** JSON strings that look like numbers or booleans stay text: the producer chose a string. */
const JSON_STRING_LADDER = CSV_LADDER.filter((c) => c.type !== 'bigint' && c.type !== 'numeric' && c.type !== 'boolean');

interface Values {
  /** Trimmed non-null values and the sample row each came from. */
  texts: string[];
  rows: number[];
  nulls: Map<string, number>;
}

const newValues = (): Values => ({ texts: [], rows: [], nulls: new Map() });

function addValue(v: Values, raw: string, row: number): void {
  const s = raw.trim();
  if (s === '') return;
  if (isNullSpelling(s)) {
    v.nulls.set(s, (v.nulls.get(s) ?? 0) + 1);
    return;
  }
  v.texts.push(s);
  v.rows.push(row);
}

interface Tried {
  c: Candidate;
  misses: number[];
}

/** Misfits of `c` (indexes into texts), or null when disqualified or over `limit`. */
function tryCandidate(c: Candidate, texts: string[], limit: number): Tried | null {
  const misses: number[] = [];
  let needed = c.needs === undefined;
  for (let i = 0; i < texts.length; i++) {
    const s = texts[i]!;
    if (c.fits(s)) {
      if (!needed && c.needs!(s)) needed = true;
      continue;
    }
    if (misses.length >= limit || !c.rejects(s)) return null;
    misses.push(i);
  }
  return needed ? { c, misses } : null;
}

interface Decision {
  type: ColumnType;
  transform?: Transform[];
  what: string;
  misses: number[];
  ambiguous?: [string, string];
  near?: { what: string; misses: number };
}

function decideTexts(texts: string[], ladder: Candidate[], jsonText: boolean): Decision {
  if (texts.length === 0) return { type: 'text', what: '', misses: [] };
  if (jsonText && texts.every(isJsonContainerText)) return { type: 'jsonb', what: 'JSON', misses: [] };
  const limit = allowedOutliers(texts.length);
  const tried = new Map<string, Tried | null>();
  let best: Tried | null = null;
  for (const c of ladder) {
    const t = tryCandidate(c, texts, limit);
    tried.set(c.label ?? c.type, t);
    if (t === null) continue;
    if (best === null || t.misses.length < best.misses.length) best = t;
    if (t.misses.length === 0) break; // the ladder's order: the first exact fit wins
  }
  if (best !== null && best.c.mirror !== undefined) {
    const m = tried.has(best.c.mirror) ? tried.get(best.c.mirror) : tryCandidate(ladder.find((c) => c.label === best!.c.mirror)!, texts, limit);
    if (m && m.misses.length === best.misses.length) return { type: 'text', what: '', misses: [], ambiguous: [best.c.label!, best.c.mirror] };
  }
  if (best === null) return { type: 'text', what: '', misses: [], ...nearMiss(texts, ladder) };
  return { type: best.c.type, ...(best.c.transform ? { transform: best.c.transform } : {}), what: best.c.what, misses: best.misses };
}

/** The type a text column nearly had (at least 99 % fit), for a note. */
function nearMiss(texts: string[], ladder: Candidate[]): { near?: { what: string; misses: number } } {
  const limit = Math.floor(texts.length * 0.01);
  if (limit <= allowedOutliers(texts.length)) return {};
  for (const c of ladder) {
    let misses = 0;
    for (const s of texts) if (!c.fits(s) && ++misses > limit) break;
    if (misses <= limit) return { near: { what: c.what, misses } };
  }
  return {};
}

function isJsonContainerText(s: string): boolean {
  const c = s.charCodeAt(0);
  const e = s.charCodeAt(s.length - 1);
  if (!((c === 0x7b && e === 0x7d) || (c === 0x5b && e === 0x5d))) return false;
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}

function report(name: string, v: Values, d: Decision, locations: readonly (SampleLocation | undefined)[] | undefined): ColumnInference {
  const examples = d.misses.slice(0, MAX_EXAMPLES).map((i): Outlier => {
    const row = v.rows[i]!;
    const at = locations?.[row];
    return { value: v.texts[i]!, row, ...(at?.offset !== undefined ? { offset: at.offset } : {}), ...(at?.line !== undefined ? { line: at.line } : {}) };
  });
  const nulls = d.type === 'text' ? [] : [...v.nulls].map(([spelling, count]) => ({ spelling, count }));
  const n = v.texts.length;
  const out: ColumnInference = {
    name,
    type: d.type,
    ...(d.transform ? { transform: d.transform } : {}),
    values: n,
    fit: n === 0 ? 1 : (n - d.misses.length) / n,
    outliers: { count: d.misses.length, examples },
    nulls,
    note: null,
  };
  out.note = noteFor(out, d);
  return out;
}

const fmt = (n: number): string => n.toLocaleString('en-US');
const quote = (s: string): string => `'${s.length > 40 ? `${s.slice(0, 37)}...` : s}'`;

function where(o: Outlier): string {
  return o.line !== undefined ? `line ${fmt(o.line)}` : o.offset !== undefined ? `byte ${fmt(o.offset)}` : `sampled record ${fmt(o.row + 1)}`;
}

function noteFor(c: ColumnInference, d: Decision): string | null {
  const parts: string[] = [];
  if (d.ambiguous) {
    const [a, b] = d.ambiguous;
    parts.push(`text; its values read as ${a} and as ${b} alike (no day above 12 in the sample) — give transform: [{ date_format: "${a}" }] and a type in a spec`);
  } else if (d.near) {
    parts.push(`text; ${fmt(d.near.misses)} of ${fmt(c.values)} sampled values are not ${d.near.what}, more than the ${allowedOutliers(c.values)} tolerated`);
  } else if (c.outliers.count > 0) {
    const e = c.outliers.examples[0]!;
    const one = c.outliers.count === 1;
    const what = one ? d.what.replace(/^(\w+?)s\b/, (_, w: string) => `${/^[aeiou]/.test(w) ? 'an' : 'a'} ${w}`) : d.what;
    parts.push(
      `${c.type}; ${fmt(c.outliers.count)} of ${fmt(c.values)} sampled values ${one ? 'is' : 'are'} not ${what}, e.g. ${quote(e.value)} at ${where(e)} — ` +
        `${c.outliers.count === 1 ? 'it' : 'they'} will be rejected; type it text in a spec to keep them`,
    );
  } else if (c.transform) parts.push(`${c.type}, read as ${d.what.replace(/^\S+ written /, '')}`);
  else if (c.type === 'jsonb' && c.values > 0) parts.push('jsonb: every sampled value is a JSON object or array');
  if (c.nulls.length > 0) {
    const total = c.nulls.reduce((a, x) => a + x.count, 0);
    parts.push(`${fmt(total)} sampled value${total === 1 ? '' : 's'} spelled ${c.nulls.map((x) => x.spelling).join(', ')} load as NULL`);
  }
  if (parts.length === 0) return null;
  return `${c.name}: ${parts.join('; ')}`;
}

/** Columns of a delimited file with a header (or `col_1…` names without one). */
export function inferCsvColumns(header: string[] | null, rows: CsvFields[]): Column[] {
  return inferCsvSchema(header, rows).columns;
}

/**
 * Columns of a delimited file, with what was decided per column and why. `locations[i]`,
 * when given, is where `rows[i]` is in the file (for the notes).
 */
export function inferCsvSchema(header: string[] | null, rows: CsvFields[], locations?: readonly (SampleLocation | undefined)[]): Inference {
  const width = header?.length ?? Math.max(0, ...rows.map((r) => r.length));
  const values = Array.from({ length: width }, newValues);
  rows.forEach((row, r) => {
    if (row.length !== width) return; // a malformed row tells nothing
    for (let i = 0; i < width; i++) {
      const v = row[i];
      if (v != null) addValue(values[i]!, v, r);
    }
  });
  const names = uniqueNames(Array.from({ length: width }, (_, i) => toIdentifier(header?.[i] ?? '', `col_${i + 1}`)));
  const reports = names.map((name, i) => report(name, values[i]!, decideTexts(values[i]!.texts, CSV_LADDER, true), locations));
  const columns = reports.map((c, i): Column => ({ name: c.name, type: c.type, source: { kind: 'field', index: i }, ...(c.transform ? { transform: c.transform } : {}) }));
  return { columns, report: reports, notes: reports.flatMap((c) => (c.note ? [c.note] : [])) };
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
  strings: Values;
}

/** Columns of JSON records (objects); any other top-level value is one jsonb column. */
export function inferJsonColumns(records: unknown[]): Column[] {
  return inferJsonSchema(records).columns;
}

/** Columns of JSON records, with what was decided per column and why (see inferCsvSchema). */
export function inferJsonSchema(records: unknown[], locations?: readonly (SampleLocation | undefined)[]): Inference {
  const objects: Record<string, unknown>[] = [];
  const rowOf: number[] = [];
  records.forEach((r, i) => {
    if (isPlainObject(r)) {
      objects.push(r);
      rowOf.push(i);
    }
  });
  if (objects.length === 0 || objects.length < records.length / 2) {
    const columns: Column[] = [{ name: 'value', type: 'jsonb', source: { kind: 'record' } }];
    const only: ColumnInference = { name: 'value', type: 'jsonb', values: records.length, fit: 1, outliers: { count: 0, examples: [] }, nulls: [], note: null };
    return { columns, report: [only], notes: [] };
  }
  const paths = new Map<string, PathInfo>();
  objects.forEach((obj, i) => walk(obj, [], paths, rowOf[i]!));

  // A path that was ever not an object keeps its own column (jsonb if mixed); its children go.
  const leaves: PathInfo[] = [];
  for (const info of paths.values()) {
    if (info.kinds.size === 1 && info.kinds.has('object')) continue;
    if (ancestorIsLeaf(info.path, paths)) continue;
    leaves.push(info);
  }
  const names = uniqueNames(leaves.map((l) => toIdentifier(l.path.join('_'), 'field')));
  const reports = leaves.map((l, i) => jsonReport(names[i]!, l, locations));
  const columns = reports.map((c, i): Column => ({ name: c.name, type: c.type, source: { kind: 'path', path: leaves[i]!.path }, ...(c.transform ? { transform: c.transform } : {}) }));
  return { columns, report: reports, notes: reports.flatMap((c) => (c.note ? [c.note] : [])) };
}

function ancestorIsLeaf(path: string[], paths: Map<string, PathInfo>): boolean {
  for (let n = 1; n < path.length; n++) {
    const a = paths.get(JSON.stringify(path.slice(0, n)));
    if (a && !(a.kinds.size === 1 && a.kinds.has('object'))) return true;
  }
  return false;
}

function jsonReport(name: string, info: PathInfo, locations: readonly (SampleLocation | undefined)[] | undefined): ColumnInference {
  const k = info.kinds;
  // Only a number column reads a NULL spelling as NULL; jsonb keeps a string as a JSON string.
  const plain = (type: ColumnType, values: number): ColumnInference =>
    report(name, { texts: new Array<string>(values), rows: [], nulls: type === 'jsonb' ? new Map() : info.strings.nulls }, { type, what: '', misses: [] }, locations);
  if (k.size === 0) return plain('text', 0);
  const strings = info.strings.texts.length;
  if (k.size === 2 && k.has('number') && k.has('string')) {
    // Numbers and strings: numeric when the strings are NULL spellings or a few misfits
    // the numeric encoder rejects ('not-a-number'; never '12', which it would load).
    const type: ColumnType = info.ints === info.numbers ? 'bigint' : 'numeric';
    const n = info.numbers + strings;
    const rejects = type === 'bigint' ? (s: string) => !bigintEncodes(s) : (s: string) => !numericEncodes(s);
    if (strings <= allowedOutliers(n) && info.strings.texts.every(rejects)) {
      const misses = info.strings.texts.map((_, i) => i);
      return report(name, { ...info.strings, texts: [...info.strings.texts, ...new Array<string>(info.numbers)] }, { type, what: type === 'bigint' ? 'integers' : 'numbers', misses }, locations);
    }
    return plain('jsonb', n);
  }
  if (k.size > 1 || k.has('object') || k.has('array') || k.has('deep')) return plain('jsonb', info.numbers + strings);
  if (k.has('boolean')) return plain('boolean', 0);
  if (k.has('number')) return plain(info.ints === info.numbers ? 'bigint' : 'numeric', info.numbers);
  return report(name, info.strings, decideTexts(info.strings.texts, JSON_STRING_LADDER, false), locations);
}

function walk(obj: Record<string, unknown>, prefix: string[], paths: Map<string, PathInfo>, row: number): void {
  for (const [k, v] of Object.entries(obj)) {
    const path = [...prefix, k];
    const key = JSON.stringify(path);
    let info = paths.get(key);
    if (!info) {
      info = { path, kinds: new Set(), ints: 0, numbers: 0, strings: newValues() };
      paths.set(key, info);
    }
    if (v === null || v === undefined) continue;
    if (Array.isArray(v)) info.kinds.add('array');
    else if (typeof v === 'object') {
      if (path.length >= MAX_FLATTEN_DEPTH) info.kinds.add('deep');
      else {
        info.kinds.add('object');
        walk(v as Record<string, unknown>, path, paths, row);
      }
    } else if (typeof v === 'number') {
      info.kinds.add('number');
      info.numbers++;
      if (Number.isSafeInteger(v)) info.ints++;
    } else if (typeof v === 'boolean') info.kinds.add('boolean');
    else if (typeof v === 'string') {
      info.kinds.add('string');
      addValue(info.strings, v, row);
    }
  }
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * The type of one column from its sampled values (after any transform): strings by the
 * same consensus as CSV fields (without date spellings: a spec column names its own
 * transform), JSON numbers and booleans by kind, objects, arrays and mixed kinds as jsonb.
 */
export function inferValueType(values: unknown[]): ColumnType {
  const kinds = new Set<string>();
  const texts = newValues();
  let ints = 0;
  let numbers = 0;
  values.forEach((v, i) => {
    if (v === null || v === undefined) return;
    if (typeof v === 'string') {
      kinds.add('string');
      addValue(texts, v, i);
    } else if (typeof v === 'number') {
      kinds.add('number');
      numbers++;
      if (Number.isSafeInteger(v)) ints++;
    } else if (typeof v === 'boolean') kinds.add('boolean');
    else kinds.add('json');
  });
  if (kinds.size === 0) return 'text';
  // Numbers and NULL spellings ("N/A"): a number column.
  if (kinds.size === 2 && kinds.has('number') && kinds.has('string') && texts.texts.length === 0) return ints === numbers ? 'bigint' : 'numeric';
  if (kinds.size > 1 || kinds.has('json')) return 'jsonb';
  if (kinds.has('boolean')) return 'boolean';
  if (kinds.has('number')) return ints === numbers ? 'bigint' : 'numeric';
  return decideTexts(texts.texts, ISO_LADDER, false).type;
}
