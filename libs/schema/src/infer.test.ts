// Inference: a column gets the most specific type every sampled value fits; JSON
// objects are flattened to parent_child columns unless a path disagrees in kind.
import { describe, expect, it } from 'vitest';
import { inferCsvColumns, inferJsonColumns, MAX_FLATTEN_DEPTH } from './infer.js';

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
