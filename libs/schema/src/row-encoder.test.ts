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
