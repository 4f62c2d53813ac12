// End to end through the real CLI, no dataset spec: files in the dialects and layouts
// people export (issue 11) load into the table a data engineer expects. Values are
// checked, not only counts, and loaded + rejected = records for every run.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, uniqueName } from '@copyfleet/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { e2e, one, runIdOf } from './helpers.js';

const t = e2e();
afterAll(() => t.close());
const FIXTURES = join(import.meta.dirname, 'fixtures', 'sniff');
const REAL = join(import.meta.dirname, '..', '..', 'shared', 'data', 'real');

async function load(file: string, chunk = '64KiB', workers = '1') {
  const table = uniqueName('sniff');
  const res = await runCli(['load', file, '--table', table, '--workers', workers, '--chunk', chunk, '--partition', 'none'], t.env);
  if (res.code !== 0) throw new Error(`load failed (${res.code}):\n${res.stdout}\n${res.stderr}`);
  const runId = runIdOf(res.stdout);
  const run = await one<{ loaded: number; rejected: number }>(t.pool, 'SELECT rows_loaded::int AS loaded, rows_rejected::int AS rejected FROM copyfleet.runs WHERE run_id = $1', [runId]);
  const rejects = await t.pool.query<{ line_no: number; reason: string }>('SELECT line_no::int, reason FROM copyfleet.rejects WHERE run_id = $1 ORDER BY line_no', [runId]);
  return { table, runId, ...run, rejects: rejects.rows };
}

async function rows(table: string, orderBy = '1'): Promise<unknown[][]> {
  const r = await t.pool.query({ text: `SELECT * FROM ${table} ORDER BY ${orderBy}`, rowMode: 'array' });
  return r.rows as unknown[][];
}

async function columns(table: string): Promise<string[]> {
  const r = await t.pool.query<{ column_name: string }>(
    "SELECT column_name FROM information_schema.columns WHERE table_name = $1 AND table_schema = 'public' ORDER BY ordinal_position",
    [table],
  );
  return r.rows.map((c) => c.column_name);
}

describe('dialects people export load with no spec', () => {
  it('backslash-escaped quotes (MySQL/Hive style) load with the right values', async () => {
    const values = Array.from({ length: 3000 }, (_, i) => (i % 3 === 0 ? `say "hi" #${i}` : i % 3 === 1 ? `back\\slash, ${i}` : `plain ${i}`));
    const esc = (v: string) => `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
    const file = join(t.dir, 'backslash.csv');
    writeFileSync(file, `id,quote,n\n${values.map((v, i) => `${i},${esc(v)},${i * 2}`).join('\n')}\n`);
    const r = await load(file, '16KiB', '2');
    expect(r).toMatchObject({ loaded: 3000, rejected: 0 });
    const got = await rows(r.table);
    expect(got).toEqual(values.map((v, i) => [String(i), v, String(i * 2)]));
  });

  it('the Amazon review dump (backslash escapes) parses into its records: loaded + rejected = records', async () => {
    // The file read with escape \ (Python: csv.reader(f, escapechar='\\', doublequote=False)) gives 7,543 records
    // after the header, every one with 10 fields.
    const r = await load(join(REAL, 'packt-databricks', 'Reviews.csv'), '256KiB', '2');
    expect(r.loaded + r.rejected).toBe(7543);
    const blu = await one<{ profilename: string }>(t.pool, `SELECT profilename FROM ${r.table} WHERE id::text = '250115'`);
    expect(blu.profilename).toBe('"Blu-estLight ""MyEnglishIsGood"""');
  });

  it('a headerless TSV whose last column is JSON (Open Library dump) loads all 1000 rows', async () => {
    const r = await load(join(REAL, 'openlibrary', 'editions-head-n1000.txt'));
    expect(r).toMatchObject({ loaded: 1000, rejected: 0 });
    expect(await columns(r.table)).toEqual(['col_1', 'col_2', 'col_3', 'col_4', 'col_5']);
    const first = await one<{ col_1: string; col_2: string; col_5: unknown }>(t.pool, `SELECT col_1, col_2, col_5::text AS col_5 FROM ${r.table} WHERE col_2 = '/books/OL10000135M'`);
    expect(first.col_1).toBe('/type/edition');
    expect(JSON.parse(first.col_5 as string)).toMatchObject({ key: '/books/OL10000135M', publishers: ['Bernan Press'] });
  });

  it('title lines before the header of an ERP export are skipped, and the lines of rejects stay exact', async () => {
    const r = await load(join(FIXTURES, 'erp-title-lines.csv'));
    expect(r).toMatchObject({ loaded: 4, rejected: 0 });
    expect(await columns(r.table)).toEqual(['order_id', 'customer', 'amount', 'ordered_at']);
    expect((await rows(r.table)).map((row) => row.slice(0, 3).map(String))).toEqual([
      ['1001', 'Müller GmbH', '250,50'],
      ['1002', 'Smith & Co', '99,00'],
      ['1003', 'Dupont SA', '1200,00'],
      ['1004', 'Rossi Srl', '15,75'],
    ]);
    // A bad record after a preamble is reported on its own line.
    const file = join(t.dir, 'erp-bad.csv');
    writeFileSync(file, 'Report: stock\nPrinted 2024-03-01\n\nsku;qty\nA;1\nB;2\nC;3;extra\nD;4\nE;5\n');
    const bad = await load(file);
    expect(bad.loaded + bad.rejected).toBe(5);
    expect(bad.rejects.map((x) => x.line_no)).toEqual([7]);
  });

  for (const chunk of ['1KiB', '7KiB', '64KiB']) {
    it(`a stray quote costs its own record only (chunk ${chunk})`, async () => {
      const lines: string[] = ['id,sku,price,name'];
      const strayAt = new Set([5, 777, 1500, 2999]);
      const midField = new Set([40, 1200]);
      const expected: unknown[][] = [];
      for (let i = 1; i <= 3000; i++) {
        if (strayAt.has(i)) lines.push(`${i},"RI-${i},$25.14,"Men's boots"`);
        else if (midField.has(i)) {
          lines.push(`${i},RI-${i},$9.99,5" screen`);
          expected.push([String(i), `RI-${i}`, '$9.99', '5" screen']);
        } else if (i % 10 === 0) {
          lines.push(`${i},RI-${i},$1.00,"two\nlines, ${i}"`);
          expected.push([String(i), `RI-${i}`, '$1.00', `two\nlines, ${i}`]);
        } else {
          lines.push(`${i},RI-${i},$1.00,item ${i}`);
          expected.push([String(i), `RI-${i}`, '$1.00', `item ${i}`]);
        }
      }
      const file = join(t.dir, `stray-${chunk}.csv`);
      writeFileSync(file, `${lines.join('\n')}\n`);
      const r = await load(file, chunk, '2');
      expect(r.loaded + r.rejected).toBe(3000);
      expect(r.rejected).toBe(strayAt.size);
      // Line numbers in the file: the header is line 1; records with a quoted newline take two lines.
      const twoLines = (id: number) => id % 10 === 0 && !strayAt.has(id) && !midField.has(id);
      const lineOf = (id: number) => 1 + id + Array.from({ length: id - 1 }, (_, k) => k + 1).filter(twoLines).length;
      expect(r.rejects.map((x) => x.line_no)).toEqual([...strayAt].map(lineOf));
      expect(r.rejects[0]!.reason).toMatch(/unbalanced quote/);
      expect(await rows(r.table, 'id::int')).toEqual(expected);
    });
  }

  it('a header with one name more (trailing delimiter) or fewer than the data loads every row', async () => {
    const more = await load(join(FIXTURES, 'header-one-more.csv'));
    expect(more).toMatchObject({ loaded: 3, rejected: 0 });
    expect(await columns(more.table)).toEqual(['id', 'name', 'score']);
    const fewer = await load(join(FIXTURES, 'header-one-fewer.csv'));
    expect(fewer).toMatchObject({ loaded: 3, rejected: 0 });
    expect(await columns(fewer.table)).toEqual(['id', 'name', 'col_3']);
    expect((await rows(fewer.table)).map((row) => row.map(String))).toEqual([
      ['1', 'ann', '10'],
      ['2', 'bob', '20'],
      ['3', 'cy', '30'],
    ]);
  });

  it('space-delimited, single-quoted, two-row header, CR-only and backslash-escaped fixtures', async () => {
    const cases: [string, string[], string[][]][] = [
      ['space-delimited.txt', ['id', 'name', 'score'], [['1', 'ann', '10'], ['2', 'bob', '20'], ['3', 'cy', '30'], ['4', 'dee', '40']]],
      ['single-quote.csv', ['id', 'name', 'note'], [['1', 'Smith, John', 'likes "tea"'], ['2', 'Doe, Jane', 'ok'], ['3', 'Roe, Richard', 'n/a']]],
      ['two-row-header.csv', ['order_id', 'order_date', 'customer_name', 'amount_eur'], [['1', '2024-01-05', 'ann', '10.5'], ['2', '2024-01-06', 'bob', '20.25'], ['3', '2024-01-07', 'cy', '30'], ['4', '2024-01-08', 'dee', '1'], ['5', '2024-01-09', 'eve', '2'], ['6', '2024-01-10', 'fay', '3']]],
      ['cr-only.csv', ['id', 'name', 'score'], [['1', 'ann', '10'], ['2', 'bob\rjr', '20'], ['3', 'cy', '30']]],
      ['backslash-escape.csv', ['id', 'quote', 'n'], [['1', 'say "hi"', '10'], ['2', 'back\\slash', '20'], ['3', 'a, "b", c', '30']]],
    ];
    await expectLoads(cases);
  });

  // Fails until the worker's pass-through COPY is refused for a dialect that trims spaces
  // (libs/schema canPassThrough: PostgreSQL's CSV COPY keeps the space: ' ann'). The
  // parsing path loads it right (libs/parse csv-reader.test / sniff.test). Remove .fails then.
  it('", "-delimited files lose the space after the comma', async () => {
    await expectLoads([['comma-space.csv', ['id', 'name', 'city'], [['1', 'ann', 'Paris, FR'], ['2', 'bob', 'Rome'], ['3', 'cy', 'Oslo, NO']]]]);
  });
});

async function expectLoads(cases: [string, string[], string[][]][]): Promise<void> {
  for (const [name, cols, want] of cases) {
    const r = await load(join(FIXTURES, name));
    expect({ name, loaded: r.loaded, rejected: r.rejected }).toEqual({ name, loaded: want.length, rejected: 0 });
    expect({ name, cols: await columns(r.table) }).toEqual({ name, cols });
    const got = (await rows(r.table)).map((row) => row.map((v) => (v instanceof Date ? v.toISOString().slice(0, 10) : String(v))));
    expect({ name, got }).toEqual({ name, got: want });
  }
}
