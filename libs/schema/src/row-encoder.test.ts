// RowEncoder: one record in, one tab-separated COPY line out, or null with a reason
// that names the column; the partition key comes from the partition column.
import { describe, expect, it } from 'vitest';
import { RowEncoder } from './row-encoder.js';
import type { Column, TableSpec } from './types.js';

const field = (name: string, type: Column['type'], index: number): Column => ({ name, type, source: { kind: 'field', index } });
const path = (name: string, type: Column['type'], ...p: string[]): Column => ({ name, type, source: { kind: 'path', path: p } });

function spec(columns: Column[], extra: Partial<TableSpec> = {}): TableSpec {
  return { schema: 'public', table: 't', columns, partition: null, key: null, ...extra };
}

const csvSpec = spec([field('id', 'bigint', 0), field('name', 'text', 1), field('at', 'timestamptz', 2)]);

describe('RowEncoder', () => {
  it('encodes a CSV record as a tab-separated COPY line', () => {
    const enc = new RowEncoder(csvSpec, 1);
    expect(enc.encodeCsv(['7', 'a\tb', '2024-01-01T00:00:00Z'], 0)).toEqual({ line: '7\ta\\tb\t2024-01-01T00:00:00Z', partKey: null });
  });

  it('refuses a record with the wrong number of fields', () => {
    const enc = new RowEncoder(csvSpec, 1);
    expect(enc.encodeCsv(['7', 'x'], 0)).toBeNull();
    expect(enc.reason).toBe('expected 3 fields, found 2');
    expect(enc.encodeCsv(['7', 'x', null, 'extra'], 0)).toBeNull();
    expect(enc.reason).toBe('expected 3 fields, found 4');
  });

  it('writes NULL for null and for empty strings in non-text columns, but keeps empty text', () => {
    const enc = new RowEncoder(csvSpec, 1);
    expect(enc.encodeCsv([null, null, null], 0)?.line).toBe('\\N\t\\N\t\\N');
    expect(enc.encodeCsv(['', '', ''], 0)?.line).toBe('\\N\t\t\\N');
  });

  it('writes NULL for JSON paths that are missing or null', () => {
    const enc = new RowEncoder(spec([path('a', 'bigint', 'a'), path('b_c', 'text', 'b', 'c'), path('d', 'jsonb', 'd')]), 1);
    expect(enc.encodeJson({ a: null, b: 5 }, 0)?.line).toBe('\\N\t\\N\t\\N');
    expect(enc.encodeJson({ a: 1, b: { c: 'x' }, d: { e: [1] } }, 0)?.line).toBe('1\tx\t{"e":[1]}');
    expect(enc.encodeJson([1, 2], 0)?.line).toBe('\\N\t\\N\t\\N');
  });

  it('encodes a whole non-object record into a value column', () => {
    const enc = new RowEncoder(spec([{ name: 'value', type: 'jsonb', source: { kind: 'record' } }]), 1);
    expect(enc.encodeJson(['a', 1], 0)?.line).toBe('["a",1]');
  });

  it('refuses a value that does not fit its column, naming the column and the value', () => {
    const enc = new RowEncoder(csvSpec, 1);
    expect(enc.encodeCsv(['12x', 'ok', null], 0)).toBeNull();
    expect(enc.reason).toMatch(/^column id: not an integer in the bigint range \(got "12x"\)$/);
    expect(enc.encodeCsv(['1', 'nul\u0000', null], 0)).toBeNull();
    expect(enc.reason).toMatch(/^column name: /);
    expect(enc.encodeCsv(['1', 'x', `${'9'.repeat(100)}`], 0)).toBeNull();
    expect(enc.reason).toMatch(/^column at: .*\.\.\.\)$/); // long values are shortened
  });

  it('takes the partition key from the partition column', () => {
    const enc = new RowEncoder({ ...csvSpec, partition: { column: 'at', interval: 'month' } }, 1);
    expect(enc.encodeCsv(['1', 'x', '2024-03-31T23:30:00-02:00'], 0)?.partKey).toBe('2024_04');
    expect(enc.encodeCsv(['1', 'x', ' 2024-01-15T00:00:00Z '], 0)?.partKey).toBe('2024_01');
    expect(enc.encodeCsv(['1', 'x', null], 0)).toEqual({ line: '1\tx\t\\N', partKey: null });
  });

  it('appends run id and offset when the table has a dedupe key', () => {
    const withKey = new RowEncoder({ ...csvSpec, key: ['id'] }, 42);
    expect(withKey.encodeCsv(['1', 'x', null], 1234)?.line).toBe('1\tx\t\\N\t42\t1234');
    const noKey = new RowEncoder({ ...csvSpec, key: [] }, 42);
    expect(noKey.encodeCsv(['1', 'x', null], 1234)?.line).toBe('1\tx\t\\N');
  });
});

describe('RowEncoder with dataset-spec columns', () => {
  const base = { schema: 'public', table: 't', partition: null, key: null } as const;

  it('explodes an array into one row per element, with index, key, record fields and constants', () => {
    const enc = new RowEncoder(
      {
        ...base,
        explode: { path: ['content'] },
        columns: [
          { name: 'conv', type: 'text', source: { kind: 'key' } },
          { name: 'turn', type: 'bigint', source: { kind: 'index' } },
          { name: 'msg', type: 'text', source: { kind: 'path', path: ['m'] } },
          { name: 'url', type: 'text', source: { kind: 'path', path: ['url'] }, scope: 'record' },
          { name: 'src', type: 'text', source: { kind: 'const', value: 'tc' } },
        ],
      },
      1,
    );
    const rows = enc.encodeJsonRows({ url: 'u', content: [{ m: 'a' }, { m: 'b\tc' }] }, 0, 't_1');
    expect(rows?.map((r) => r.line)).toEqual(['t_1\t0\ta\tu\ttc', 't_1\t1\tb\\tc\tu\ttc']);
    expect(enc.encodeJsonRows({ url: 'u' }, 0)).toEqual([]);
    expect(enc.encodeJsonRows({ content: 'x' }, 0)).toBeNull();
    expect(enc.reason).toMatch(/content is not an array/);
    expect(enc.encodeJsonRows({ content: [{ m: 'ok' }, { m: 'x\u0000' }] }, 0)).toBeNull();
    expect(enc.reason).toMatch(/^content\[1\]: column msg/);
  });

  it('applies transforms and null markers, and names a failed transform', () => {
    const enc = new RowEncoder(
      {
        ...base,
        nullValues: ['NA'],
        columns: [
          { name: 'lon', type: 'double precision', source: { kind: 'field', index: 0 }, transform: [{ kind: 'wkt_point', axis: 'x' }] },
          { name: 'day', type: 'date', source: { kind: 'field', index: 1 }, transform: [{ kind: 'trim' }, { kind: 'date_format', format: 'DD/MM/YYYY' }] },
          { name: 'n', type: 'bigint', source: { kind: 'field', index: 2 } },
        ],
      },
      1,
    );
    expect(enc.encodeCsv(['POINT (14.5 -50.25)', ' 29/02/2024 ', 'NA'], 0)?.line).toBe('14.5\t2024-02-29\t\\N');
    expect(enc.encodeCsv(['LINESTRING (1 2)', '01/01/2024', '1'], 0)).toBeNull();
    expect(enc.reason).toMatch(/column lon: wkt_point x does not apply to "LINESTRING \(1 2\)"/);
    expect(enc.encodeCsv(['POINT (1 2)', '30/02/2024', '1'], 0)).toBeNull();
    expect(enc.reason).toMatch(/column day: not a valid date/);
  });

  it('rejects a value nested too deeply to serialise, naming the column', () => {
    const enc = new RowEncoder(spec([path('id', 'bigint', 'id'), path('tags', 'jsonb', 'tags'), path('t', 'text', 't'), path('n', 'bigint', 'n')]), 1);
    const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`) as unknown;
    expect(enc.encodeJson({ id: 1, tags: deep }, 0)).toBeNull();
    expect(enc.reason).toMatch(/^column tags: value nested too deeply to store/);
    expect(enc.encodeJson({ id: 1, t: deep }, 0)).toBeNull();
    expect(enc.reason).toMatch(/^column t: value nested too deeply to store/);
    expect(enc.encodeJson({ id: 1, n: deep }, 0)).toBeNull();
    expect(enc.reason).toBe('column n: not an integer in the bigint range (got (a value nested too deeply to show))');
  });
});

describe('RowEncoder: NULL spellings, JSON text, date spellings', () => {
  const wide = spec([
    field('n', 'numeric', 0),
    field('b', 'boolean', 1),
    field('d', 'date', 2),
    field('t', 'text', 3),
    { name: 'ts', type: 'timestamp', source: { kind: 'field', index: 4 }, transform: [{ kind: 'date_format', format: 'DD/MM/YYYY HH:mm' }] },
  ], { partition: { column: 'd', interval: 'month' } });

  it('loads NULL spellings as NULL in every column that is not text, and keeps them as text in text columns', () => {
    const enc = new RowEncoder(wide, 1);
    expect(enc.encodeCsv(['N/A', 'NULL', 'NA', 'N/A', ' None '], 0)).toEqual({ line: '\\N\t\\N\t\\N\tN/A\t\\N', partKey: null });
    expect(enc.encodeCsv(['-', 'none', 'null', 'NULL', '#N/A'], 0)?.line).toBe('\\N\t\\N\t\\N\tNULL\t\\N');
    expect(enc.encodeCsv(['1.5', 'true', '2024-02-01', 'x', '28/01/2018 00:00'], 0)).toEqual({ line: '1.5\tt\t2024-02-01\tx\t2018-01-28 00:00:00', partKey: '2024_02' });
  });

  it('still rejects a value that is neither the type nor a NULL spelling, naming the column', () => {
    const enc = new RowEncoder(wide, 1);
    expect(enc.encodeCsv(['not-a-number', 't', '', '', ''], 0)).toBeNull();
    expect(enc.reason).toBe('column n: not a number (got "not-a-number")');
    expect(enc.encodeCsv(['', 't', '2023-13-45', '', ''], 0)).toBeNull();
    expect(enc.reason).toBe('column d: not a valid date (YYYY-MM-DD) (got "2023-13-45")');
    expect(enc.encodeCsv(['', 't', '', '', '2018-01-28'], 0)).toBeNull();
    expect(enc.reason).toBe('column ts: date_format "DD/MM/YYYY HH:mm" does not apply to "2018-01-28"');
  });

  it('a jsonb column of a CSV file holds the field as JSON text, checked, never re-quoted', () => {
    const enc = new RowEncoder(spec([field('id', 'bigint', 0), field('j', 'jsonb', 1)]), 1);
    expect(enc.encodeCsv(['1', '{"a": [1, 12345678901234567890], "b": "x\\ty"}'], 0)?.line).toBe('1\t{"a": [1, 12345678901234567890], "b": "x\\\\ty"}');
    expect(enc.encodeCsv(['2', 'null'], 0)?.line).toBe('2\tnull'); // JSON null is JSON
    expect(enc.encodeCsv(['3', 'N/A'], 0)?.line).toBe('3\t\\N');
    expect(enc.encodeCsv(['4', '{"a": '], 0)).toBeNull();
    expect(enc.reason).toBe('column j: not valid JSON (or JSON with \\u0000, which PostgreSQL cannot store) (got "{\\"a\\": ")');
    expect(enc.encodeCsv(['5', '{"a": "\\u0000"}'], 0)).toBeNull();
  });

  it('the same spellings in JSON records: NULL in number columns, text in text columns', () => {
    const enc = new RowEncoder(spec([path('a', 'numeric', 'a'), path('s', 'text', 's')]), 1);
    expect(enc.encodeJson({ a: 'N/A', s: 'N/A' }, 0)?.line).toBe('\\N\tN/A');
    expect(enc.encodeJson({ a: 'oops', s: '' }, 0)).toBeNull();
  });
});
