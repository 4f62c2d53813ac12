// COPY_FORMAT=binary loads exactly what text loads, against the real PostgreSQL: for every
// column type, the same COPY text tokens go into one table through text COPY and into
// another through the binary transcoder, and `SELECT v::text` must be identical, row by
// row (table tests of the edge cases, then seeded random values). Tokens PostgreSQL's text
// input would refuse, or that the transcoder does not read as PostgreSQL does, must make
// the transcoder give up (the chunk then goes as text), never write a different value.
import { copyBinary, copyWithIsolation, createPool, type RowBatch } from '@copyfleet/db';
import { CopyBinaryTranscoder, escapeCopyText, type ColumnType } from '@copyfleet/schema';
import { rng, testServices, uniqueName } from '@copyfleet/testing';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let pool: pg.Pool;
beforeAll(() => {
  pool = createPool(testServices().databaseUrl, { max: 2, applicationName: 'copyfleet-test' });
});
afterAll(async () => {
  await pool.end();
});

/** Rows `i \t token` as a RowBatch, text or transcoded to binary tuples. */
function batch(tokens: string[], type: ColumnType, binary: boolean): RowBatch {
  const t = new CopyBinaryTranscoder(['bigint', type]);
  const rows = tokens.map((tok, i) => {
    const text = Buffer.from(`${i}\t${tok}`);
    if (!binary) return Buffer.concat([text, Buffer.from('\n')]);
    const out = Buffer.alloc(t.maxBytes(text.length));
    const end = t.transcode(text, 0, text.length, out, 0);
    if (end < 0) throw new Error(`transcoder refused ${JSON.stringify(tok)}: ${t.reason}`);
    return out.subarray(0, end);
  });
  return { count: rows.length, buffers: (a, b) => rows.slice(a, b) };
}

/** `v::text` of each token loaded through text COPY and through binary COPY. */
async function both(type: ColumnType, tokens: string[]): Promise<{ text: (string | null)[]; binary: (string | null)[] }> {
  const client = await pool.connect();
  const [a, b] = [uniqueName('bt'), uniqueName('bb')];
  try {
    await client.query('BEGIN');
    for (const t of [a, b]) await client.query(`CREATE TEMP TABLE ${t} (i bigint, v ${type}) ON COMMIT DROP`);
    const text = await copyWithIsolation(client, `COPY ${a} (i, v) FROM STDIN`, batch(tokens, type, false));
    expect(text.refused).toEqual([]);
    expect(await copyBinary(client, `COPY ${b} (i, v) FROM STDIN (FORMAT binary)`, batch(tokens, type, true))).toBe(tokens.length);
    const read = async (t: string) => (await client.query(`SELECT v::text AS v FROM ${t} ORDER BY i`)).rows.map((r: { v: string | null }) => r.v);
    return { text: await read(a), binary: await read(b) };
  } finally {
    await client.query('ROLLBACK');
    client.release();
  }
}

/** Whether the transcoder gives up on the token (the chunk would go as text). */
function refused(type: ColumnType, token: string): boolean {
  const t = new CopyBinaryTranscoder([type]);
  const text = Buffer.from(token);
  return t.transcode(text, 0, text.length, Buffer.alloc(t.maxBytes(text.length)), 0) < 0;
}

/** Whether PostgreSQL's text input refuses the token. */
async function textRefuses(type: ColumnType, token: string): Promise<boolean> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`CREATE TEMP TABLE r (v ${type}) ON COMMIT DROP`);
    const out = await copyWithIsolation(client, 'COPY r (v) FROM STDIN', { count: 1, buffers: () => [Buffer.from(`${token}\n`)] });
    return out.refused.length === 1;
  } finally {
    await client.query('ROLLBACK');
    client.release();
  }
}

const CASES: Record<ColumnType, string[]> = {
  bigint: ['0', '-0', '+5', '007', '-007', '1', '-1', '2147483647', '2147483648', '-2147483649', '4294967296', '-4294967297', '123456789012345', '-999999999999999', '1234567890123456', '9007199254740993', '9223372036854775807', '-9223372036854775808', '\\N'],
  numeric: [
    '0', '-0', '0.00', '-0.00', '+0.0', '1', '-1', '1.50', '-1.50', '.5', '5.', '+7', '007.0100', '100', '10000', '100000000', '0.1', '0.0001', '0.00001', '-0.0001',
    '9999.9999', '10000.0001', '12345678901234567890.123456789012345678', '3.14159265358979323846264338327950288419716939937510',
    '1e5', '1E5', '1.5e3', '1.23456e2', '1e-3', '1.5e-3', '-1.5E+10', '123e-2', '1e0', '0e10', '0.000e-5', '1e1000', '-1e1000', '1e-1000', '9.99e999', '0.5e-995', '1e1001', '9e131071', '-1.5e-16382', `1.${'7'.repeat(11_990)}`,
    'NaN', 'Infinity', '-Infinity', '+Infinity', '\\N',
  ],
  'double precision': [
    '0', '-0', '0.0', '-0.0', '1', '-1', '1.5', '0.1', '0.2', '0.3', '.5', '5.', '+3.25', '1e22', '1e23', '1e308', '1.7976931348623157e308', '-1.7976931348623157E308',
    '2.2250738585072014e-308', '4.9e-324', '5e-324', '1e-310', '123456789012345', '1234567890123456', '1234567890123456789', '9007199254740993',
    '0.1234567890123456789', '-1.5e-7', '3.141592653589793', '2.718281828459045235360287', '0.000000000000000000000000001', '1e-22', '123.456e-5', 'NaN', 'Infinity', '-Infinity', '+Infinity', '\\N',
  ],
  boolean: ['t', 'f', '\\N'],
  date: ['2024-02-29', '2000-01-01', '1999-12-31', '2000-03-01', '0001-01-01', '9999-12-31', '1900-03-01', '1582-10-10', '0100-02-28', '2100-02-28', '1970-01-01', '1600-02-29', '\\N'],
  timestamp: [
    '2024-01-01 12:34:56', '2024-01-01T12:34:56', '2024-01-01 12:34', '2024-01-01', '2024-01-01 12:34:56.1', '2024-01-01 12:34:56.123456', '2024-01-01 12:34:56.1234567',
    '2024-01-01 12:34:56.9999995', '2024-01-01 12:34:56.9999994', '2024-01-01 12:34:56.0000005', '2024-01-01 12:34:56.0000015', '2024-01-01 12:34:56.1234565', '2024-01-01 12:34:56.123456789',
    '2024-12-31 23:59:59.9999999', '2024-12-31 24:00:00', '2024-12-31 24:00:00.0000001', '2024-12-31 23:59:60', '2024-06-30 12:00:60.5', '0001-01-01 00:00:00', '9999-12-31 23:59:59.999999',
    '1700-06-01 01:02:03.5', '2300-01-01 00:00:00.000001', '1715-01-01 00:00:00.000001', '2285-12-31 23:59:59.999999', '1999-12-31 23:59:59.999999', '\\N',
  ],
  timestamptz: [
    '2024-01-01T12:34:56Z', '2024-01-01T12:34:56z', '2024-01-01 12:34:56+02', '2024-01-01 12:34:56+0530', '2024-01-01 12:34:56-05:30', '2024-01-01 12:34:56 +02:00',
    '2024-01-01 12:34:56.5+15:59', '2024-01-01 12:34:56-15:59', '2024-01-01 12:34+01', '2024-01-01T00:00:00.9999999-01:00', '0001-01-01 00:00:00+15', '0001-01-01 00:00:00-15',
    '9999-12-31 23:59:59-15:00', '9999-12-31 23:59:59.999999+15:00', '2024-01-01 12:00:00', '2024-01-01', '2024-03-31 02:30:00Z', '2024-12-31 24:00:00Z', '\\N',
  ],
  text: ['', 'plain', 'héllo wörld', '日本語', '😀 emoji', 'tab\there', 'new\nline', 'cr\rlf\r\n', 'back\\slash', '\\N', '\\\\N', 'trailing\\', '\b\f\v', ' spaced ', 'x'.repeat(10_000)].map(
    (s) => (s === '\\N' ? s : escapeCopyText(s)!),
  ),
  jsonb: ['{}', '[]', 'null', '1.50', '1e400', '-0', '"é"', '"\\u00e9\\ud83d\\ude00"', '{"a": [1, 2.0, {"b": null}], "c": "tab\\tnew\\nline"}', '{"k":"back\\\\slash"}', ' { "spaced" : true } ', '123456789012345678901234567890', '\\N'].map(
    (s) => (s === '\\N' ? s : escapeCopyText(s)!),
  ),
};

describe('binary COPY loads what text COPY loads', () => {
  for (const [type, tokens] of Object.entries(CASES) as [ColumnType, string[]][]) {
    it(`${type}: edge cases`, async () => {
      const { text, binary } = await both(type, tokens);
      expect(binary).toEqual(text);
    });
  }

  const r = rng(15);
  const int = (n: number) => Math.floor(r() * n);
  const digits = (n: number) => Array.from({ length: n }, () => int(10)).join('');
  const sign = () => ['', '-', '+'][int(3)]!;
  const pad = (v: number, n: number) => String(v).padStart(n, '0');
  const RANDOM: [ColumnType, () => string][] = [
    ['bigint', () => sign() + digits(1 + int(18))],
    ['numeric', () => `${sign()}${digits(int(25))}${int(2) ? `.${digits(1 + int(20))}` : '1'}${int(3) === 0 ? `e${sign()}${int(40)}` : ''}`],
    ['double precision', () => (int(2) ? String((r() - 0.5) * 10 ** (int(40) - 20)) : `${sign()}${digits(1 + int(20))}.${digits(int(20))}${int(2) ? `e${sign()}${int(280)}` : ''}`)],
    ['date', () => `${pad(1 + int(9999), 4)}-${pad(1 + int(12), 2)}-${pad(1 + int(28), 2)}`],
    ['timestamp', () => `${pad(1 + int(9999), 4)}-${pad(1 + int(12), 2)}-${pad(1 + int(28), 2)}${['T', ' '][int(2)]}${pad(int(24), 2)}:${pad(int(60), 2)}:${pad(int(60), 2)}${int(2) ? `.${digits(1 + int(9))}` : ''}`],
    [
      'timestamptz',
      () =>
        `${pad(1 + int(9999), 4)}-${pad(1 + int(12), 2)}-${pad(1 + int(28), 2)}T${pad(int(24), 2)}:${pad(int(60), 2)}:${pad(int(60), 2)}${int(2) ? `.${digits(1 + int(9))}` : ''}` +
        ['Z', '', `${['+', '-'][int(2)]}${pad(int(16), 2)}:${pad(int(60), 2)}`, `${['+', '-'][int(2)]}${pad(int(16), 2)}`][int(4)],
    ],
    ['text', () => escapeCopyText(Array.from({ length: int(30) }, () => String.fromCodePoint([1 + int(127), 0x80 + int(0x700), 0x4e00 + int(500), 0x1f600 + int(50)][int(4)]!)).join(''))!],
  ];
  for (const [type, gen] of RANDOM) {
    it(`${type}: 2000 random values`, async () => {
      const tokens = Array.from({ length: 2000 }, gen);
      const { text, binary } = await both(type, tokens);
      expect(binary).toEqual(text);
    });
  }
});

describe('what the transcoder leaves to text', () => {
  // PostgreSQL's text input refuses these: binary must not load them (the chunk goes as text, where they become rejects).
  const REFUSED_BY_POSTGRES: [ColumnType, string][] = [
    ['double precision', '1e400'],
    ['double precision', '-1e400'],
    ['double precision', '1e-400'],
    ['numeric', '1e131072'],
    ['numeric', '1e-16384'],
    ['timestamp', '2024-01-01 24:00:00.5'],
    ['timestamp', '2024-01-01 24:00:01'],
    ['timestamptz', '2024-01-01 24:00:00.000001Z'],
  ];
  for (const [type, token] of REFUSED_BY_POSTGRES) {
    it(`${type} ${token}: PostgreSQL refuses it as text, the transcoder gives up`, async () => {
      expect(await textRefuses(type, token)).toBe(true);
      expect(refused(type, token)).toBe(true);
    });
  }

  it('gives up on spellings it does not read as PostgreSQL does, and on malformed tokens', () => {
    expect(refused('timestamp', '2024-01-01 12:00:00,5')).toBe(true);
    expect(refused('timestamptz', '2024-01-01 12:00:00\\t+02')).toBe(true);
    expect(refused('boolean', 'true')).toBe(true);
    expect(refused('bigint', '9223372036854775808')).toBe(true);
    expect(refused('bigint', '12a')).toBe(true);
    expect(refused('date', '2023-02-29')).toBe(true);
    expect(refused('text', 'octal\\101')).toBe(true);
    // numeric_recv takes at most 3000 base-10000 digits; text takes more.
    expect(refused('numeric', `1.${'7'.repeat(12_000)}`)).toBe(true);
  });
});
