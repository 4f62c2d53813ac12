// Inference: a column gets the most specific type every sampled value fits; JSON
// objects are flattened to parent_child columns unless a path disagrees in kind.
import { describe, expect, it } from 'vitest';
import { allowedOutliers, inferCsvColumns, inferCsvSchema, inferJsonColumns, inferJsonSchema, MAX_FLATTEN_DEPTH, MAX_OUTLIER_FRACTION, MAX_OUTLIERS } from './infer.js';
import { isNullSpelling, NULL_SPELLINGS } from './nulls.js';

/** The type inferred for one CSV column holding these values. */
const csvType = (...values: (string | null)[]) => inferCsvColumns(['c'], values.map((v) => [v]))[0]!.type;
const jsonTypes = (records: unknown[]) => Object.fromEntries(inferJsonColumns(records).map((c) => [c.name, c.type]));

describe('inferCsvColumns', () => {
  it('picks the most specific type all values fit', () => {
    expect(csvType('1', '-42', '9223372036854775807')).toBe('bigint');
    expect(csvType('1', '2.5', '1e3')).toBe('numeric');
    expect(csvType('9223372036854775808')).toBe('numeric'); // past the bigint range
    expect(csvType('true', 'F', 't')).toBe('boolean');
    expect(csvType('2024-01-31', '2024-02-29')).toBe('date');
    expect(csvType('2024-01-31 10:00', '2024-02-29T23:59:59.5')).toBe('timestamp');
    expect(csvType('2024-01-31 10:00Z', '2024-02-29 23:59:59+05:30')).toBe('timestamptz');
    expect(csvType('2024-01-31 10:00', '2024-02-29 23:59:59+05:30')).toBe('timestamptz');
    expect(csvType('hello', 'world')).toBe('text');
  });

  it('keeps codes with a leading zero as text', () => {
    expect(csvType('007', '123')).toBe('text');
    expect(csvType('01.5')).toBe('text');
    expect(csvType('0', '0.5', '10')).toBe('numeric');
  });

  it('falls back to text for mixed kinds and invalid dates', () => {
    expect(csvType('1', 'true')).toBe('text');
    expect(csvType('2024-01-01', 'x')).toBe('text');
    expect(csvType('2023-02-29')).toBe('text');
    expect(csvType('yes', 'no')).toBe('text'); // only true/false/t/f are inferred as boolean
  });

  it('ignores empty values, and an all-empty column is text', () => {
    expect(csvType('', null, ' 5 ', '6')).toBe('bigint');
    expect(csvType(null, '', '  ')).toBe('text');
    expect(inferCsvColumns(['a'], [])[0]!.type).toBe('text');
  });

  it('ignores rows of the wrong width', () => {
    const cols = inferCsvColumns(['a', 'b'], [['1', '2'], ['x'], ['3', '4', 'y']]);
    expect(cols.map((c) => c.type)).toEqual(['bigint', 'bigint']);
  });

  it('names columns from the header, made safe and unique, with field sources', () => {
    const cols = inferCsvColumns(['Id', 'id', '', 'Amount ($)'], [['1', '2', 'x', '3.5']]);
    expect(cols).toEqual([
      { name: 'id', type: 'bigint', source: { kind: 'field', index: 0 } },
      { name: 'id_2', type: 'bigint', source: { kind: 'field', index: 1 } },
      { name: 'col_3', type: 'text', source: { kind: 'field', index: 2 } },
      { name: 'amount', type: 'numeric', source: { kind: 'field', index: 3 } },
    ]);
  });

  it('names columns col_1… without a header, as wide as the widest row', () => {
    expect(inferCsvColumns(null, [['1'], ['2', 'b']]).map((c) => c.name)).toEqual(['col_1', 'col_2']);
  });
});

describe('inferJsonColumns', () => {
  it('types scalars: integers bigint, other numbers numeric, strings by content but never numeric', () => {
    expect(jsonTypes([{ i: 1, n: 1.5, b: true, s: '12', d: '2024-01-01', t: '2024-01-01T00:00:00Z', z: null }, { i: 2, n: 2, b: false, s: '13', d: '2024-01-02', t: '2024-01-01T01:00:00+01:00', z: null }])).toEqual({
      i: 'bigint',
      n: 'numeric',
      b: 'boolean',
      s: 'text',
      d: 'date',
      t: 'timestamptz',
      z: 'text',
    });
  });

  it('flattens nested objects to parent_child columns with path sources', () => {
    const cols = inferJsonColumns([{ id: 1, user: { name: 'a', address: { zip: 12345 } } }]);
    expect(cols).toEqual([
      { name: 'id', type: 'bigint', source: { kind: 'path', path: ['id'] } },
      { name: 'user_name', type: 'text', source: { kind: 'path', path: ['user', 'name'] } },
      { name: 'user_address_zip', type: 'bigint', source: { kind: 'path', path: ['user', 'address', 'zip'] } },
    ]);
  });

  it('makes arrays jsonb', () => {
    expect(jsonTypes([{ tags: ['a', 'b'] }, { tags: [] }])).toEqual({ tags: 'jsonb' });
  });

  it('makes a path that is an object in one record and a number in another one jsonb column, without child columns', () => {
    const cols = inferJsonColumns([{ id: 1, meta: { a: 1, b: { c: 2 } } }, { id: 2, meta: 7 }]);
    expect(cols.map((c) => [c.name, c.type, c.source])).toEqual([
      ['id', 'bigint', { kind: 'path', path: ['id'] }],
      ['meta', 'jsonb', { kind: 'path', path: ['meta'] }],
    ]);
  });

  it('makes mixed scalar kinds jsonb', () => {
    expect(jsonTypes([{ v: 1 }, { v: 'one' }])).toEqual({ v: 'jsonb' });
  });

  it('keeps flattened names unique', () => {
    expect(inferJsonColumns([{ a_b: 1, a: { b: 2 } }]).map((c) => c.name)).toEqual(['a_b', 'a_b_2']);
  });

  it('loads records that are not objects into a single value jsonb column', () => {
    const value = [{ name: 'value', type: 'jsonb', source: { kind: 'record' } }];
    expect(inferJsonColumns([1, 'x', [1, 2]])).toEqual(value);
    expect(inferJsonColumns([{ a: 1 }, 2, 3])).toEqual(value);
    expect(inferJsonColumns([])).toEqual(value);
  });

  it('flattens at most MAX_FLATTEN_DEPTH levels: a record nested 100,000 deep becomes one jsonb column', () => {
    const deep = JSON.parse(`${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`) as unknown;
    const cols = inferJsonColumns([{ id: 1 }, deep, { id: 2 }]);
    expect(cols.map((c) => c.type)).toEqual(['bigint', 'jsonb']);
    expect(cols[1]!.source).toEqual({ kind: 'path', path: Array(MAX_FLATTEN_DEPTH).fill('a') });
  });
});

// Consensus: a stray value does not widen a column; it becomes a reject with its reason.
describe('inferCsvSchema: types by consensus', () => {
  const column = (values: (string | null)[], locations?: { offset?: number; line?: number }[]) => inferCsvSchema(['amount'], values.map((v) => [v]), locations).report[0]!;
  const ints = (n: number) => Array.from({ length: n }, (_, i) => String(i + 1));

  it('tolerates one misfit in 1,000 values and none in 999 (the 0.1 % bound)', () => {
    expect(column([...ints(999), 'not-a-number']).type).toBe('bigint');
    expect(column([...ints(998), 'not-a-number']).type).toBe('text');
    expect(allowedOutliers(999)).toBe(0);
    expect(allowedOutliers(1000)).toBe(1);
  });

  it(`tolerates at most ${MAX_OUTLIERS} misfits however large the sample`, () => {
    const bad = (k: number) => Array.from({ length: k }, (_, i) => `bad${i}`);
    expect(column([...ints(20_000), ...bad(5)]).type).toBe('bigint');
    expect(column([...ints(20_000), ...bad(6)]).type).toBe('text');
    expect(MAX_OUTLIERS).toBe(5);
    expect(MAX_OUTLIER_FRACTION).toBe(0.001);
  });

  it('reports the misfits with examples and where they are, wherever they sit in the sample', () => {
    for (const at of [0, 1_500, 39_999]) {
      const values = ints(40_000).map((v, i) => (i === at ? 'not-a-number' : `${v}.25`));
      const locations = values.map((_, i) => ({ offset: i * 10, line: i + 2 }));
      const c = column(values, locations);
      expect(c.type).toBe('numeric');
      expect(c.values).toBe(40_000);
      expect(c.fit).toBeCloseTo(39_999 / 40_000, 10);
      expect(c.outliers).toEqual({ count: 1, examples: [{ value: 'not-a-number', row: at, offset: at * 10, line: at + 2 }] });
      expect(c.note).toBe(
        `amount: numeric; 1 of 40,000 sampled values is not a number, e.g. 'not-a-number' at line ${(at + 2).toLocaleString('en-US')} — it will be rejected; type it text in a spec to keep them`,
      );
    }
  });

  it('without locations the note names the sampled record', () => {
    const c = column([...ints(3_000), 'x1', 'x2', 'x3']);
    expect(c.outliers.count).toBe(3);
    expect(c.outliers.examples.map((e) => e.value)).toEqual(['x1', 'x2', 'x3']);
    expect(c.note).toContain("3 of 3,003 sampled values are not integers, e.g. 'x1' at sampled record 3,001 — they will be rejected");
  });

  it('keeps a timestamp column (and so its partitioning) past an impossible date', () => {
    const values = Array.from({ length: 2_000 }, (_, i) => `2023-0${(i % 9) + 1}-1${i % 10} 10:00:00`);
    values[1_000] = '2023-13-45 10:00:00';
    const c = column(values);
    expect(c.type).toBe('timestamp');
    expect(c.outliers.examples[0]!.value).toBe('2023-13-45 10:00:00');
  });

  it('never takes a misfit the loader would accept changed: codes with a leading zero keep the column text', () => {
    expect(column([...ints(5_000), '007']).type).toBe('text');
    expect(column([...ints(5_000), 'NaN']).type).toBe('numeric'); // NaN is a number PostgreSQL stores
  });

  it('picks the type with the fewest misfits (an integer column with one decimal is numeric)', () => {
    expect(column([...ints(5_000), '1.5']).type).toBe('numeric');
    const c = column([...ints(5_000), '1.5', 'abc']);
    expect(c.type).toBe('numeric');
    expect(c.outliers.count).toBe(1);
  });

  it('a column that nearly fits says so', () => {
    const c = column([...ints(5_000), ...Array.from({ length: 20 }, (_, i) => `x${i}`)]);
    expect(c.type).toBe('text');
    expect(c.note).toBe('amount: text; 20 of 5,020 sampled values are not integers, more than the 5 tolerated');
  });
});

describe('inferCsvSchema: NULL spellings', () => {
  const column = (values: string[]) => inferCsvSchema(['c'], values.map((v) => [v])).report[0]!;

  it('counts NULL spellings as NULL in columns that are not text, and says so', () => {
    const c = column(['1', 'N/A', '2', 'NULL', 'NA', ' null ', '-', '3']);
    expect(c.type).toBe('bigint');
    expect(c.values).toBe(3);
    expect(c.outliers.count).toBe(0);
    expect(c.nulls).toEqual([
      { spelling: 'N/A', count: 1 },
      { spelling: 'NULL', count: 1 },
      { spelling: 'NA', count: 1 },
      { spelling: 'null', count: 1 },
      { spelling: '-', count: 1 },
    ]);
    expect(c.note).toBe('c: 5 sampled values spelled N/A, NULL, NA, null, - load as NULL');
    expect(column(['2024-01-01', 'None']).type).toBe('date');
    expect(column(['true', '#N/A']).type).toBe('boolean');
  });

  it('in a text column they are text, and nothing is said', () => {
    const c = column(['NA', 'DE', 'N/A', 'FR']);
    expect(c.type).toBe('text');
    expect(c.nulls).toEqual([]);
    expect(c.note).toBeNull();
    expect(column(['N/A', 'NULL']).type).toBe('text'); // only spellings: nothing says it is a number
  });

  it('the list is the documented one (NaN is a number, not a NULL)', () => {
    expect([...NULL_SPELLINGS]).toEqual(['NULL', 'null', 'Null', 'N/A', 'n/a', 'NA', '#N/A', '#NA', 'None', 'none', 'nil', '-']);
    expect(isNullSpelling('NaN')).toBe(false);
    expect(isNullSpelling('  N/A ')).toBe(true);
  });
});

describe('inferCsvSchema: jsonb and dates in other spellings', () => {
  const column = (values: string[]) => inferCsvSchema(['c'], values.map((v) => [v])).report[0]!;

  it('a column of JSON objects or arrays is jsonb; one value that is not makes it text', () => {
    expect(column(['{"a": 1}', '[1, 2]', ' {"b": {"c": null}} ', '']).type).toBe('jsonb');
    expect(column(['{"a": 1}', '{not json}']).type).toBe('text');
    expect(column(['{"a": 1}', 'plain']).type).toBe('text');
    expect(column(['"a string"', '12']).type).toBe('text'); // JSON, but not objects or arrays
  });

  it('reads day-first, month-first and dotted dates when the sample tells them apart', () => {
    const a = column(['28/01/2018 00:00', '01/02/2018 13:45', '15/12/2019 23:59']);
    expect([a.type, a.transform]).toEqual(['timestamp', [{ kind: 'date_format', format: 'DD/MM/YYYY HH:mm' }]]);
    expect(a.note).toBe('c: timestamp, read as DD/MM/YYYY HH:mm');
    const b = column(['01/28/2018', '02/01/2018']);
    expect([b.type, b.transform]).toEqual(['date', [{ kind: 'date_format', format: 'MM/DD/YYYY' }]]);
    const c = column(['2018.01.28', '2019.12.31']);
    expect([c.type, c.transform]).toEqual(['date', [{ kind: 'date_format', format: 'YYYY.MM.DD' }]]);
    const d = column(['28.01.2018 08:15:00', '01.02.2018 00:00:00']);
    expect([d.type, d.transform]).toEqual(['timestamp', [{ kind: 'date_format', format: 'DD.MM.YYYY HH:mm:ss' }]]);
  });

  it('keeps ambiguous dates text with a note, and impossible ones refuse the format', () => {
    const c = column(['01/02/2018', '03/04/2018', '12/11/2018']);
    expect(c.type).toBe('text');
    expect(c.note).toBe('c: text; its values read as DD/MM/YYYY and as MM/DD/YYYY alike (no day above 12 in the sample) — give transform: [{ date_format: "DD/MM/YYYY" }] and a type in a spec');
    expect(column(['31/02/2018', '28/01/2018']).type).toBe('text'); // 31 February
    expect(inferCsvColumns(['c'], [['2018-01-28']])[0]!.transform).toBeUndefined(); // ISO needs no transform
  });
});

describe('inferJsonSchema: consensus on JSON values', () => {
  const col = (records: unknown[]) => inferJsonSchema(records).report[0]!;
  const nums = (n: number) => Array.from({ length: n }, (_, i) => ({ a: i }));

  it('numbers with NULL spellings are numbers; with a few strings that are not numbers too, the strings rejected', () => {
    expect(col([{ a: 1 }, { a: 'N/A' }, { a: 2.5 }]).type).toBe('numeric');
    const c = col([...nums(2_000), { a: 'not-a-number' }]);
    expect([c.type, c.outliers.count, c.outliers.examples[0]!.value]).toEqual(['bigint', 1, 'not-a-number']);
    expect(col([...nums(2_000), { a: '12' }]).type).toBe('jsonb'); // a string the encoder would load as a number
    expect(col([...nums(998), { a: 'x' }]).type).toBe('jsonb');
    expect(col([...nums(999), { a: 'x' }]).type).toBe('bigint');
  });

  it('JSON strings keep their other rules: numeric-looking strings stay text, dates are read', () => {
    expect(col([{ a: '12' }, { a: '13' }]).type).toBe('text');
    expect(col([{ a: '28/01/2018' }, { a: '01/02/2018' }]).transform).toEqual([{ kind: 'date_format', format: 'DD/MM/YYYY' }]);
  });
});

describe('inferCsvSchema on the real Open Library dump layout', () => {
  it('the last column, JSON on every line, is jsonb; the timestamps are timestamps', async () => {
    const { readFileSync } = await import('node:fs');
    const { CsvReader } = await import('@copyfleet/parse');
    const file = new URL('../../../../shared/data/real/openlibrary/editions-head-n1000.txt', import.meta.url);
    const rows: (string | null)[][] = [];
    // Tab-separated, no quoting (the dump's dialect; detecting it is the sniffer's job).
    const reader = new CsvReader({ delimiter: 0x09, quote: null, escape: null, encoding: 'utf8' }, { record: (f) => void rows.push(f), bad: () => undefined }, { startOffset: 0, maxRecordBytes: 1 << 24 });
    reader.push(readFileSync(file));
    reader.end();
    expect(rows.length).toBe(1000);
    const inf = inferCsvSchema(null, rows);
    expect(inf.columns.map((c) => c.type)).toEqual(['text', 'text', 'bigint', 'timestamp', 'jsonb']);
    expect(inf.report[4]!.note).toBe('col_5: jsonb: every sampled value is a JSON object or array');
  });
});
