// CsvReader: PostgreSQL CSV semantics over Buffers pushed in arbitrary pieces. The
// property tests build files from known records (good, invalid UTF-8, over-long) and
// check that any way of cutting the bytes into push() calls gives exactly the records,
// rejects, offsets and line numbers the file was built from.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvReader, type CsvFields } from './csv-reader.js';
import { CSV_DIALECT, type CsvDialect } from './dialect.js';

interface Rec { fields: CsvFields; offset: number; line: number }
interface Bad { reason: string; offset: number; line: number; raw: string }

function read(input: Buffer | string, opts: { pieces?: number[]; dialect?: CsvDialect; max?: number; start?: number } = {}) {
  const buf = typeof input === 'string' ? Buffer.from(input) : input;
  const records: Rec[] = [];
  const bad: Bad[] = [];
  const reader = new CsvReader(
    opts.dialect ?? CSV_DIALECT,
    {
      record: (fields, offset, line) => void records.push({ fields, offset, line }),
      bad: (reason, offset, line, raw) => void bad.push({ reason, offset, line, raw: raw.toString('latin1') }),
    },
    { startOffset: opts.start ?? 0, maxRecordBytes: opts.max ?? 1 << 20 },
  );
  // Cut at the given sizes (cycled), or push everything at once.
  const sizes = opts.pieces ?? [buf.length];
  for (let i = 0, k = 0; i < buf.length; k++) {
    const n = Math.max(1, sizes[k % sizes.length]!);
    reader.push(buf.subarray(i, i + n));
    i += n;
  }
  reader.end();
  return { records, bad, lines: reader.lines };
}

const fields = (input: string, opts?: Parameters<typeof read>[1]) => read(input, opts).records.map((r) => r.fields);

// ---- Generators: records with the bytes a writer would produce for them ----

const ESC_DIALECT: CsvDialect = { ...CSV_DIALECT, escape: 0x5c };
const unit = fc.constantFrom('a', 'b', ' ', ',', '"', '\\', '\n', '\r', 'é', '日', '😀');
const field = fc.option(fc.string({ unit, maxLength: 6 }), { nil: null });

function encodeField(v: string | null, forceQuote: boolean, escaped: boolean): string {
  if (v === null) return '';
  if (!forceQuote && v !== '' && !/[,"\r\n]/.test(v)) return v;
  return `"${escaped ? v.replace(/[\\"]/g, (c) => `\\${c}`) : v.replace(/"/g, '""')}"`;
}

const genRecord = fc.record({
  fields: fc.array(fc.tuple(field, fc.boolean()), { minLength: 1, maxLength: 4 }),
  eol: fc.constantFrom('\n', '\r\n'),
  badByteAt: fc.option(fc.nat(), { nil: null }), // insert 0xFF here: invalid UTF-8
});

interface Expected { records: Rec[]; bad: { reason: RegExp; offset: number; line: number }[]; lines: number }

function buildFile(recs: fc.RecordValue<typeof genRecord>[], trailingEol: boolean, escaped: boolean, max: number, start: number) {
  const parts: Buffer[] = [];
  const exp: Expected = { records: [], bad: [], lines: 0 };
  let offset = start;
  let line = 1;
  recs.forEach((r, idx) => {
    let fs = r.fields.map(([v]) => v);
    if (fs.length === 1 && fs[0] === null) fs = ['']; // a lone empty field would be a blank line
    const content = Buffer.from(r.fields.map(([, q], i) => encodeField(fs[i]!, q, escaped)).join(','));
    let bytes = content;
    if (r.badByteAt !== null) {
      let at = r.badByteAt % (content.length + 1);
      if (content[at - 1] === 0x5c) at = 0; // not between an escape byte and what it escapes
      bytes = Buffer.concat([content.subarray(0, at), Buffer.from([0xff]), content.subarray(at)]);
    }
    const eol = idx < recs.length - 1 || trailingEol ? r.eol : '';
    bytes = Buffer.concat([bytes, Buffer.from(eol)]);
    if (bytes.length > max) exp.bad.push({ reason: /longer than/, offset, line });
    else if (r.badByteAt !== null) exp.bad.push({ reason: /UTF-8/, offset, line });
    else exp.records.push({ fields: fs, offset, line });
    const lfs = bytes.filter((b) => b === 0x0a).length;
    line += lfs;
    exp.lines += lfs;
    offset += bytes.length;
    parts.push(bytes);
  });
  return { bytes: Buffer.concat(parts), exp };
}

function check(got: ReturnType<typeof read>, exp: Expected): void {
  expect(got.records).toEqual(exp.records);
  expect(got.bad.map(({ offset, line }) => ({ offset, line }))).toEqual(exp.bad.map(({ offset, line }) => ({ offset, line })));
  got.bad.forEach((b, i) => expect(b.reason).toMatch(exp.bad[i]!.reason));
  expect(got.lines).toBe(exp.lines);
}

describe('CsvReader: any split of the input into push() calls gives the same result', () => {
  for (const [name, dialect, escaped] of [['doubled quotes', CSV_DIALECT, false], ['backslash escape', ESC_DIALECT, true]] as const) {
    it(`matches the records the file was built from (${name})`, () => {
      fc.assert(
        fc.property(
          fc.array(genRecord, { minLength: 1, maxLength: 8 }),
          fc.boolean(),
          fc.oneof(fc.constant(1 << 20), fc.integer({ min: 4, max: 60 })),
          fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 8 }),
          (recs, trailingEol, max, pieces) => {
            const { bytes, exp } = buildFile(recs, trailingEol, escaped, max, 1000);
            check(read(bytes, { dialect, max, start: 1000 }), exp);
            check(read(bytes, { dialect, max, start: 1000, pieces }), exp);
          },
        ),
        { numRuns: 400 },
      );
    });
  }
});

describe('CsvReader', () => {
  it('gives PostgreSQL semantics: empty unquoted field is null, quoted empty is the empty string', () => {
    expect(fields('a,,""\n,\n')).toEqual([['a', null, ''], [null, null]]);
  });

  it('un-doubles quotes and keeps delimiters and newlines inside quotes', () => {
    expect(fields('"x ""y"", z","l1\nl2"\n')).toEqual([['x "y", z', 'l1\nl2']]);
  });

  it('reads quotes that do not wrap a whole field as PostgreSQL does', () => {
    // A quote opens quoting anywhere in a field; text after the closing quote is kept.
    expect(fields('a"b,c"d,e\n"ab"c,"",x"y"\n"a",,"b"\n')).toEqual([['ab,cd', 'e'], ['abc', '', 'xy'], ['a', null, 'b']]);
  });

  it('rejects only the record with invalid UTF-8, with its offset and line', () => {
    const input = Buffer.concat([Buffer.from('a,b\nc,'), Buffer.from([0xc3, 0x28]), Buffer.from(',d\ne,f\n')]);
    for (const pieces of [undefined, [1], [5, 3]]) {
      const got = read(input, { start: 100, pieces });
      expect(got.records.map((r) => [r.fields, r.offset, r.line])).toEqual([[['a', 'b'], 100, 1], [['e', 'f'], 111, 3]]);
      expect(got.bad).toHaveLength(1);
      expect(got.bad[0]).toMatchObject({ offset: 104, line: 2 });
      expect(got.bad[0]!.reason).toMatch(/UTF-8/);
    }
  });

  it('rejects invalid UTF-8 inside a quoted field too', () => {
    const input = Buffer.concat([Buffer.from('"x\n'), Buffer.from([0xff]), Buffer.from('",1\nok,2\n')]);
    const got = read(input);
    expect(got.bad.map((b) => [b.offset, b.line])).toEqual([[0, 1]]);
    expect(got.records.map((r) => [r.fields, r.line])).toEqual([[['ok', '2'], 3]]);
  });

  it('passes a NUL byte through unchanged (the encoder refuses it, not the reader)', () => {
    expect(fields('a\u0000b,"c\u0000"\n')).toEqual([['a\u0000b', 'c\u0000']]);
  });

  it('rejects an unterminated quoted field at end of input as one bad record', () => {
    const got = read('ok,1\n"open,2\nmore\n');
    expect(got.records.map((r) => r.fields)).toEqual([['ok', '1']]);
    expect(got.bad).toEqual([{ reason: 'unterminated quoted field at end of input', offset: 5, line: 2, raw: '"open,2\nmore\n' }]);
  });

  it('rejects a record longer than maxRecordBytes and parses the ones after it', () => {
    const long = `${'x'.repeat(50)},${'y'.repeat(50)}`;
    const input = `a,1\n${long}\nb,2\n"q\nq",3\n`;
    for (const pieces of [undefined, [1], [7], [3, 11, 2]]) {
      const got = read(input, { max: 32, start: 10, pieces });
      expect(got.bad.map((b) => ({ offset: b.offset, line: b.line }))).toEqual([{ offset: 14, line: 2 }]);
      expect(got.bad[0]!.reason).toMatch(/longer than 32 bytes/);
      expect(got.records.map((r) => [r.fields, r.offset, r.line])).toEqual([
        [['a', '1'], 10, 1],
        [['b', '2'], 116, 3],
        [['q\nq', '3'], 120, 4],
      ]);
      expect(got.lines).toBe(5);
    }
  });

  it('keeps line numbers right after an over-long record with quoted newlines', () => {
    const input = `"${'z\n'.repeat(20)}",1\nnext,2\n`;
    for (const pieces of [undefined, [4]]) {
      const got = read(input, { max: 16, pieces });
      expect(got.bad.map((b) => b.line)).toEqual([1]);
      expect(got.records).toEqual([{ fields: ['next', '2'], offset: 45, line: 22 }]);
    }
  });

  it('decodes latin1 files byte for byte', () => {
    const got = read(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x2c, 0x22, 0xe9, 0x22, 0x0a]), { dialect: { ...CSV_DIALECT, encoding: 'latin1' } });
    expect(got.bad).toEqual([]);
    expect(got.records.map((r) => r.fields)).toEqual([['café', 'é']]);
  });

  it('honours an escape byte distinct from the quote', () => {
    const dialect = ESC_DIALECT;
    expect(fields('"a\\"b","c\\\\d",e\\f\n"x""y"\n', { dialect })).toEqual([['a"b', 'c\\d', 'e\\f'], ['xy']]);
    // An escaped quote split across pushes does not close the field, in a kept or a skipped record.
    expect(fields('"a\\",b",c\n', { dialect, pieces: [3, 100] })).toEqual([['a",b', 'c']]);
    const got = read('"xxxxxxxx\\"\n,y"\nnext\n', { dialect, max: 8, pieces: [10, 100] });
    expect(got.bad.map((b) => [b.offset, b.line])).toEqual([[0, 1]]);
    expect(got.records).toEqual([{ fields: ['next'], offset: 16, line: 3 }]);
  });

  it('splits on the dialect delimiter and knows no quoting when quote is null', () => {
    expect(fields('a\t"b\tc\n', { dialect: { ...CSV_DIALECT, delimiter: 0x09, quote: null, escape: null } })).toEqual([['a', '"b', 'c']]);
  });

  it('skips blank lines but counts them in line numbers', () => {
    const got = read('\na,1\n\r\n\nb,2\n\n');
    expect(got.records.map((r) => [r.fields, r.line])).toEqual([[['a', '1'], 2], [['b', '2'], 5]]);
    expect(got.lines).toBe(6);
  });

  it('drops the CR of CRLF and reads a last record without a newline', () => {
    expect(fields('a,b\r\nc,"d"\r\ne,f')).toEqual([['a', 'b'], ['c', 'd'], ['e', 'f']]);
  });

  it('counts physical lines, quoted newlines included', () => {
    const got = read('h1,h2\n"multi\nline\nvalue",x\ny,z\n', { pieces: [2] });
    expect(got.records.map((r) => r.line)).toEqual([1, 2, 5]);
    expect(got.lines).toBe(5);
  });
});
