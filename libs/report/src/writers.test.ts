// Tests for the report writers: read the CSV / JSON / Arrow files back and check values and types,
// plus one end-to-end run through a real PostgreSQL (DATABASE_URL from env or the repo root .env).
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type, tableFromIPC, type Table } from 'apache-arrow';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runReports, writeReport, type QueryResultLike, type ReportClient } from './index.js';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'report-test-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

const read = (name: string) => readFile(join(dir, name), 'utf8');
const readArrow = async (name: string): Promise<Table> => tableFromIPC(await readFile(join(dir, name)));
const typeOf = (t: Table) => Object.fromEntries(t.schema.fields.map((f) => [f.name, String(f.type)]));
const column = (t: Table, name: string) => [...t.getChild(name)!];

const sample: QueryResultLike = {
  fields: [
    { name: 'id', dataTypeID: 20 }, { name: 'n', dataTypeID: 23 }, { name: 'price', dataTypeID: 1700 },
    { name: 'ok', dataTypeID: 16 }, { name: 'day', dataTypeID: 1082 }, { name: 'at', dataTypeID: 1184 },
    { name: 'note', dataTypeID: 25 }, { name: 'meta', dataTypeID: 3802 },
  ],
  rows: [
    { id: '9007199254740993', n: 7, price: '1.50', ok: true, day: new Date(2024, 1, 29),
      at: new Date('2024-03-01T12:34:56.789Z'), note: 'a,b "q"\nc', meta: { k: [1, 'x'] } },
    { id: '-42', n: null, price: '12345678901234567890.123', ok: false, day: null, at: null, note: '', meta: null },
    { id: null, n: -1, price: null, ok: null, day: new Date(1999, 11, 31), at: new Date(0), note: null, meta: [] },
  ],
};

describe('writeReport', () => {
  it('writes three files atomically and reports them', async () => {
    const files = await writeReport('sales_2024', dir, sample);
    expect(files).toEqual(['csv', 'json', 'arrow'].map((format) => (
      { name: 'sales_2024', format, path: join(dir, `sales_2024.${format}`), rows: 3 })));
    expect((await readdir(dir)).sort()).toEqual(['sales_2024.arrow', 'sales_2024.csv', 'sales_2024.json']);
  });

  it('CSV: RFC 4180 quoting, NULL as empty, empty string quoted, ISO dates', async () => {
    await writeReport('r', dir, sample);
    expect(await read('r.csv')).toBe(
      'id,n,price,ok,day,at,note,meta\r\n' +
      '9007199254740993,7,1.50,true,2024-02-29,2024-03-01T12:34:56.789Z,"a,b ""q""\nc","{""k"":[1,""x""]}"\r\n' +
      '-42,,12345678901234567890.123,false,,,"",\r\n' +
      ',-1,,,1999-12-31,1970-01-01T00:00:00.000Z,,[]\r\n');
  });

  it('CSV: quotes header names and CR', async () => {
    await writeReport('r', dir, { fields: [{ name: 'a,b', dataTypeID: 25 }], rows: [{ 'a,b': 'x\ry' }] });
    expect(await read('r.csv')).toBe('"a,b"\r\n"x\ry"\r\n');
  });

  it('JSON: exact int8 and numeric, nulls, dates, column order', async () => {
    await writeReport('r', dir, sample);
    const text = await read('r.json');
    expect(JSON.parse(text)).toEqual([
      { id: '9007199254740993', n: 7, price: 1.5, ok: true, day: '2024-02-29', at: '2024-03-01T12:34:56.789Z',
        note: 'a,b "q"\nc', meta: { k: [1, 'x'] } },
      { id: -42, n: null, price: '12345678901234567890.123', ok: false, day: null, at: null, note: '', meta: null },
      { id: null, n: -1, price: null, ok: null, day: '1999-12-31', at: '1970-01-01T00:00:00.000Z', note: null, meta: [] },
    ]);
    expect(text).toContain('"id":"9007199254740993"'); // beyond 2^53: string, not a rounded number
  });

  it('JSON: numeric is a number only when exact; int8 at the safe-integer edge', async () => {
    const values = ['0.1', '-0', '100', '1e-7', '0.30000000000000004', '0.3000000000000000444', 'NaN', 'Infinity'];
    await writeReport('r', dir, {
      fields: [{ name: 'v', dataTypeID: 1700 }, { name: 'i', dataTypeID: 20 }],
      rows: values.map((v, k) => ({ v, i: k % 2 ? '9007199254740991' : '-9007199254740992' })),
    });
    const parsed = JSON.parse(await read('r.json')) as { v: unknown; i: unknown }[];
    expect(parsed.map((r) => r.v)).toEqual([0.1, 0, 100, 1e-7, 0.30000000000000004, '0.3000000000000000444', 'NaN', 'Infinity']);
    expect(parsed.slice(0, 2).map((r) => r.i)).toEqual(['-9007199254740992', 9007199254740991]);
  });

  it('JSON and CSV: empty result', async () => {
    await writeReport('r', dir, { fields: [{ name: 'a', dataTypeID: 23 }], rows: [] });
    expect(JSON.parse(await read('r.json'))).toEqual([]);
    expect(await read('r.csv')).toBe('a\r\n');
    expect((await readArrow('r.arrow')).numRows).toBe(0);
  });

  it('Arrow: column types by OID and values, NULLs as nulls', async () => {
    await writeReport('r', dir, {
      fields: [...sample.fields, { name: 's', dataTypeID: 21 }, { name: 'f', dataTypeID: 701 }, { name: 'ts', dataTypeID: 1114 }],
      rows: sample.rows.map((r, i) => ({ ...r, s: i, f: i / 4, ts: new Date(Date.UTC(2020, 0, 1 + i)) })),
    });
    const t = await readArrow('r.arrow');
    expect(typeOf(t)).toEqual({
      id: 'Int64', n: 'Int32', price: 'Float64', ok: 'Bool', day: 'Date32<DAY>', at: 'Timestamp<MILLISECOND, UTC>',
      note: 'Utf8', meta: 'Utf8', s: 'Int32', f: 'Float64', ts: 'Timestamp<MILLISECOND, UTC>',
    });
    expect(t.schema.fields.map((f) => f.typeId)).toEqual([
      Type.Int, Type.Int, Type.Float, Type.Bool, Type.Date, Type.Timestamp, Type.Utf8, Type.Utf8, Type.Int, Type.Float, Type.Timestamp]);
    expect(t.schema.fields.every((f) => f.nullable)).toBe(true);
    expect(column(t, 'id')).toEqual([9007199254740993n, -42n, null]);
    expect(column(t, 'n')).toEqual([7, null, -1]);
    expect(column(t, 'price')).toEqual([1.5, 12345678901234567890.123, null]);
    expect(column(t, 'ok')).toEqual([true, false, null]);
    expect(column(t, 'day')).toEqual([Date.UTC(2024, 1, 29), null, Date.UTC(1999, 11, 31)]);
    expect(column(t, 'at')).toEqual([Date.parse('2024-03-01T12:34:56.789Z'), null, 0]);
    expect(column(t, 'note')).toEqual(['a,b "q"\nc', '', null]);
    expect(column(t, 'meta')).toEqual(['{"k":[1,"x"]}', null, '[]']);
    expect(column(t, 'ts')).toEqual([Date.UTC(2020, 0, 1), Date.UTC(2020, 0, 2), Date.UTC(2020, 0, 3)]);
  });

  it('streams many rows', async () => {
    const rows = Array.from({ length: 50_000 }, (_, i) => ({ i, s: `row ${i}, "x"` }));
    await writeReport('big', dir, { fields: [{ name: 'i', dataTypeID: 23 }, { name: 's', dataTypeID: 25 }], rows });
    const csv = (await read('big.csv')).split('\r\n');
    expect(csv.length).toBe(50_002);
    expect(csv[50_000]).toBe('49999,"row 49999, ""x"""');
    const json = JSON.parse(await read('big.json')) as unknown[];
    expect(json[49_999]).toEqual({ i: 49_999, s: 'row 49999, "x"' });
    expect((await readArrow('big.arrow')).numRows).toBe(50_000);
  });

  it('fails without leaving files behind when a value cannot be converted', async () => {
    await expect(writeReport('r', dir, { fields: [{ name: 'a', dataTypeID: 20 }], rows: [{ a: 'x1' }] }))
      .rejects.toThrow(/column "a": cannot convert "x1" to int8/);
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('runReports', () => {
  const fake = (calls: unknown[][]): ReportClient => ({
    query: async (sql, params) => {
      calls.push([sql, params]);
      return { fields: [{ name: 'x', dataTypeID: 23 }], rows: [{ x: 1 }, { x: 2 }] };
    },
  });

  it('runs each query and writes into a created directory', async () => {
    const calls: unknown[][] = [];
    const out = join(dir, 'nested', 'out');
    const files = await runReports(fake(calls), [{ name: 'a', sql: 'select 1' }, { name: 'b-2', sql: 'select $1', params: [5] }], out);
    expect(calls).toEqual([['select 1', undefined], ['select $1', [5]]]);
    expect(files.map((f) => `${f.name}.${f.format}:${f.rows}`)).toEqual(
      ['a.csv:2', 'a.json:2', 'a.arrow:2', 'b-2.csv:2', 'b-2.json:2', 'b-2.arrow:2']);
    expect((await readdir(out)).length).toBe(6);
  });

  it.each(['', '../x', 'a/b', 'a.b', '_a', '-a', 'a b', 'x'.repeat(64)])('rejects unsafe name %j before querying', async (name) => {
    const calls: unknown[][] = [];
    await expect(runReports(fake(calls), [{ name: 'ok', sql: 's' }, { name, sql: 's' }], dir)).rejects.toThrow(/invalid report name/);
    expect(calls).toEqual([]);
  });

  it('rejects duplicate names', async () => {
    await expect(runReports(fake([]), [{ name: 'a', sql: 's' }, { name: 'A', sql: 's' }], dir)).rejects.toThrow(/duplicate/);
  });
});

async function databaseUrl(): Promise<string> {
  if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
  const env = await readFile(new URL('../../../.env', import.meta.url), 'utf8').catch(() => '');
  const m = /^\s*(?:export\s+)?DATABASE_URL\s*=\s*(.*?)\s*$/m.exec(env);
  const url = m?.[1]?.replace(/^(['"])(.*)\1$/, '$2');
  if (!url) throw new Error('DATABASE_URL is not set in the environment or in the repo root .env');
  return url;
}

describe('with PostgreSQL', () => {
  it('writes a real pg result in all three formats', async () => {
    const client = new pg.Client({ connectionString: await databaseUrl() });
    await client.connect();
    try {
      const before = Date.now();
      const files = await runReports(client, [{
        name: 'pg_check',
        sql: `select 1::int8 as a, 'x'::text as b, now() as c, null::numeric as d, '2024-02-29'::date as e,
                     $1::int8 as f, '2.50'::numeric as g`,
        params: ['9007199254740993'],
      }], dir);
      expect(files.map((f) => f.format)).toEqual(['csv', 'json', 'arrow']);

      const t = await readArrow('pg_check.arrow');
      expect(typeOf(t)).toEqual({
        a: 'Int64', b: 'Utf8', c: 'Timestamp<MILLISECOND, UTC>', d: 'Float64', e: 'Date32<DAY>', f: 'Int64', g: 'Float64' });
      const row = t.get(0)!.toJSON();
      const c = row.c as number;
      expect(c).toBeGreaterThanOrEqual(before - 60_000); // server clock may differ a little
      expect(c).toBeLessThanOrEqual(Date.now() + 60_000);
      expect(row).toEqual({ a: 1n, b: 'x', c, d: null, e: Date.UTC(2024, 1, 29), f: 9007199254740993n, g: 2.5 });

      const iso = new Date(c).toISOString();
      expect(JSON.parse(await read('pg_check.json'))).toEqual(
        [{ a: 1, b: 'x', c: iso, d: null, e: '2024-02-29', f: '9007199254740993', g: 2.5 }]);
      expect(await read('pg_check.csv')).toBe(`a,b,c,d,e,f,g\r\n1,x,${iso},,2024-02-29,9007199254740993,2.50\r\n`);
    } finally {
      await client.end();
    }
  });
});

// Compile-time check: node-postgres clients satisfy the structural client type.
export const acceptsPgClients: ((c: pg.Client) => ReportClient) & ((c: pg.PoolClient) => ReportClient) = (c: pg.Client | pg.PoolClient) => c;
