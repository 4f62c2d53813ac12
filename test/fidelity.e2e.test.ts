// Data fidelity: every value that goes in comes back out of PostgreSQL exactly. For each
// input format — CSV (streamed to COPY, and parsed in Node), TSV through a dataset spec,
// JSON Lines and a pretty-printed JSON document — a generated file covers unicode (emoji,
// ZWJ sequences, combining marks, RTL, U+2028, a BOM inside a value), quotes, backslashes
// (and a literal \N), tabs, LF, CRLF and lone CR inside values, empty string vs NULL,
// bigint edges, numeric with 60 digits, doubles from 5e-324 to 1.7976931348623157e308,
// -0, NaN and ±Infinity, timestamps with and without zones, leap days and booleans. A
// dataset spec fixes the column types. Every value is read back as PostgreSQL's text
// output and compared with the expected canonical text (timestamptz in UTC).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, uniqueName } from '@copyfleet/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { e2e, one, runIdOf } from './helpers.js';

const t = e2e();
afterAll(() => t.close());

/** A value as written in delimited text (null: an unquoted empty field), in JSON, and as PostgreSQL prints it. */
interface V {
  text: string | null;
  json: string;
  pg: string | null;
}

/** A value that reads and prints the same everywhere; JSON is its string literal. */
const s = (text: string | null): V => ({ text, json: text === null ? 'null' : JSON.stringify(text), pg: text });
/** A number: JSON is the literal itself; PostgreSQL may print it differently. */
const n = (text: string, pg = text): V => ({ text, json: text, pg });
/** A string PostgreSQL reads into another canonical form (dates, times). */
const c = (text: string, pg: string): V => ({ text, json: JSON.stringify(text), pg });
const NULL: V = { text: null, json: 'null', pg: null };

const COLUMNS = {
  txt: [
    s('plain ascii'),
    s('emoji 😀, family 👩‍👩‍👧‍👦, flag 🇳🇴'),
    s('combining e\u0301 vs \u00e9; Hangul 한국어; RTL עברית'),
    s('quotes "double" and \'single\''),
    s('back\\slash, \\\\ two, \\N and \\t as text'),
    s('tab\there'),
    s('line\nbreak, crlf\r\nend, lone cr\rx'),
    s(''),
    NULL,
    s('  leading and trailing spaces  '),
    s('comma, semicolon; pipe |'),
    s('NULL'),
    s('\u2028 line separator, \u00a0 nbsp, zero width \u200b, BOM \ufeff inside'),
    s('ends with a backslash \\'),
    s('"'),
    // JSON escapes, decoded: \u00e9, a surrogate pair, \/.
    { text: 'escaped é 😀 / slash', json: '"escaped \\u00e9 \\ud83d\\ude00 \\/ slash"', pg: 'escaped é 😀 / slash' },
  ],
  big: [n('9223372036854775807'), n('-9223372036854775808'), n('0'), n('-1'), n('42'), NULL],
  num: [
    n('123456789012345678901234567890.123456789012345678901234567890'),
    n('-0.000000000000000000000000000001'),
    n('1.50'),
    n('0'),
    n('1e-5', '0.00001'),
    NULL,
    n('-12.3E+2', '-1230'),
  ],
  dbl: [
    n('1e-300'),
    n('1.7976931348623157e308', '1.7976931348623157e+308'),
    n('5e-324'),
    n('-0'),
    n('0.1'),
    n('2.2250738585072014e-308'),
    { text: 'NaN', json: '"NaN"', pg: 'NaN' },
    { text: '-Infinity', json: '"-Infinity"', pg: '-Infinity' },
    NULL,
    n('123456789.125'),
  ],
  flag: [{ text: 'true', json: 'true', pg: 'true' }, { text: 'false', json: 'false', pg: 'false' }, NULL],
  day: [c('2024-02-29', '2024-02-29'), c('2000-02-29', '2000-02-29'), c('0001-01-01', '0001-01-01'), c('9999-12-31', '9999-12-31'), NULL],
  ts: [
    c('2024-02-29 23:59:59.999999', '2024-02-29 23:59:59.999999'),
    c('2024-02-29T00:00:00', '2024-02-29 00:00:00'),
    c('1970-01-01 00:00:00', '1970-01-01 00:00:00'),
    c('2038-01-19T03:14:08.5', '2038-01-19 03:14:08.5'),
    NULL,
  ],
  // Read back in UTC; a value without a zone is UTC (copyfleet's sessions run with TimeZone=UTC).
  tstz: [
    c('2024-02-29T23:59:59.999999+05:30', '2024-02-29 18:29:59.999999'),
    c('2024-02-29 12:00:00Z', '2024-02-29 12:00:00'),
    c('2024-03-01T01:30:00-08:00', '2024-03-01 09:30:00'),
    c('2024-02-28 23:00:00-02:00', '2024-02-29 01:00:00'),
    c('2024-02-29 10:00:00', '2024-02-29 10:00:00'),
    NULL,
  ],
} as const;

/** JSON formats only: a jsonb column (its expected text is PostgreSQL's own rendering of the literal). */
const DOCS = [
  '{"k": "v", "n": 12345678901234567890123, "a": [1, 2.50, true, null], "u": "😀 e\\u0301"}',
  '[]',
  '{}',
  '"just a string"',
  '{"nested": {"deep": {"er": [{"x": "tab\\tnewline\\n back\\\\slash"}]}}}',
  'null',
];

type Col = keyof typeof COLUMNS;
const NAMES = Object.keys(COLUMNS) as Col[];
const TYPES: Record<Col, string> = { txt: 'text', big: 'bigint', num: 'numeric', dbl: 'double precision', flag: 'boolean', day: 'date', ts: 'timestamp', tstz: 'timestamptz' };
/** Enough rows for many 64 KiB chunks, so records with quoted newlines and CRs straddle chunk edges. */
const ROWS = 3000;
const value = (col: Col, id: number): V => COLUMNS[col][id % COLUMNS[col].length]!;

function quoted(v: V): string {
  return v.text === null ? '' : `"${v.text.replace(/"/g, '""')}"`;
}

function delimited(delimiter: string): string {
  const lines = [['id', ...NAMES].join(delimiter)];
  for (let id = 1; id <= ROWS; id++) lines.push([String(id), ...NAMES.map((c) => quoted(value(c, id)))].join(delimiter));
  return `${lines.join('\r\n')}\r\n`; // CRLF line ends, as spreadsheets write them
}

function jsonRecord(id: number, pretty: boolean): string {
  const members = [`"id": ${id}`, ...NAMES.map((c) => `"${c}": ${value(c, id).json}`), `"doc": ${DOCS[id % DOCS.length]}`];
  return pretty ? `{\n    ${members.join(',\n    ')}\n  }` : `{${members.join(',')}}`;
}

function spec(format: 'csv' | 'tsv' | 'jsonl' | 'json'): string {
  const json = format === 'jsonl' || format === 'json';
  const src = (c: string): string => (json ? `path: ${c}` : `column: ${c}`);
  const cols = [
    `  - { name: id, ${src('id')}, type: bigint }`,
    ...NAMES.map((c) => `  - { name: ${c}, ${src(c)}, type: ${TYPES[c]} }`),
    ...(json ? ['  - { name: doc, path: doc, type: jsonb }'] : []),
  ];
  const source = json ? `{ format: ${format} }` : `{ format: ${format}, header: true }`;
  return `source: ${source}\ntable: { partition: none }\ncolumns:\n${cols.join('\n')}\n`;
}

interface Fmt {
  name: string;
  file: string;
  body: () => string;
  spec: 'csv' | 'tsv' | 'jsonl' | 'json';
  extra?: string[];
}

const FORMATS: Fmt[] = [
  { name: 'CSV (streamed to COPY unparsed)', file: 'values.csv', body: () => delimited(','), spec: 'csv' },
  // A dedupe key adds lineage columns, so the chunk is parsed and encoded in Node.
  { name: 'CSV (parsed and encoded in Node)', file: 'values-node.csv', body: () => delimited(','), spec: 'csv', extra: ['--key', 'id'] },
  { name: 'TSV through a dataset spec', file: 'values.tsv', body: () => delimited('\t'), spec: 'tsv' },
  {
    name: 'JSON Lines',
    file: 'values.jsonl',
    body: () => `${Array.from({ length: ROWS }, (_, i) => jsonRecord(i + 1, false)).join('\n')}\n`,
    spec: 'jsonl',
  },
  {
    name: 'JSON document (an array, pretty-printed)',
    file: 'values.json',
    body: () => `[\n  ${Array.from({ length: ROWS }, (_, i) => jsonRecord(i + 1, true)).join(',\n  ')}\n]\n`,
    spec: 'json',
  },
];

describe.concurrent('every value comes back exactly', () => {
  for (const f of FORMATS) {
    it(f.name, async () => {
      const file = join(t.dir, f.file);
      writeFileSync(file, f.body());
      const specFile = join(t.dir, `${f.file}.yaml`);
      writeFileSync(specFile, spec(f.spec));
      const table = uniqueName('fidelity');
      // Its own queue: the formats load concurrently, each with its own workers.
      const env = { ...t.env, QUEUE_PREFIX: uniqueName('cffid') };
      const res = await runCli(['load', file, '--dataset', specFile, '--table', table, '--workers', '2', '--chunk', '64KiB', ...(f.extra ?? [])], env);
      expect(res.code, `${res.stdout}\n${res.stderr}`).toBe(0);
      expect(res.stderr).not.toMatch(/exited \(/);
      const run = await one(t.pool, 'SELECT rows_loaded::int AS loaded, rows_rejected::int AS rejected, chunks_total FROM copyfleet.runs WHERE run_id = $1', [runIdOf(res.stdout)]);
      expect(run).toMatchObject({ loaded: ROWS, rejected: 0 });
      expect(run.chunks_total).toBeGreaterThan(3);

      const json = f.spec === 'jsonl' || f.spec === 'json';
      const select = ['id::int AS id', ...NAMES.map((c) => (c === 'tstz' ? `(tstz AT TIME ZONE 'UTC')::text AS tstz` : `${c}::text AS ${c}`)), ...(json ? ['doc::text AS doc'] : [])];
      const { rows } = await t.pool.query(`SELECT ${select.join(', ')} FROM ${table} ORDER BY id`);
      const docs = json ? await canonicalJsonb() : [];
      const expected = Array.from({ length: ROWS }, (_, i) => {
        const id = i + 1;
        return {
          id,
          ...Object.fromEntries(NAMES.map((c) => [c, value(c, id).pg])),
          ...(json ? { doc: docs[id % DOCS.length] } : {}),
        };
      });
      expect(rows).toHaveLength(ROWS);
      // Per row, so a failure names the row and the column instead of diffing 3000 rows.
      for (let i = 0; i < ROWS; i++) expect(rows[i], `row id ${i + 1}`).toEqual(expected[i]);
    });
  }
});

/** PostgreSQL's text of each DOCS literal as jsonb (key order, spacing), NULL for JSON null. */
async function canonicalJsonb(): Promise<(string | null)[]> {
  const { rows } = await t.pool.query<{ v: string | null }>(
    `SELECT CASE WHEN d = 'null' THEN NULL ELSE d::jsonb::text END AS v FROM unnest($1::text[]) WITH ORDINALITY AS x(d, i) ORDER BY i`,
    [DOCS],
  );
  return rows.map((r) => r.v);
}
