// Encoders: a value either becomes a COPY text token PostgreSQL will accept for the
// column type, or undefined (a reject) — never a token that fails the whole COPY.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encoderFor, escapeCopyText, isInt64Text, isNumericText } from './encode.js';
import type { ColumnType } from './types.js';

/** Expect each value to encode to the given token, or to be refused (undefined). */
function expectEncodes(type: ColumnType, cases: [unknown, string | undefined][]): void {
  const enc = encoderFor(type);
  for (const [value, token] of cases) expect([value, enc(value)]).toEqual([value, token]);
}

describe('escapeCopyText', () => {
  it('escapes backslash, newline, carriage return and tab', () => {
    expect(escapeCopyText('a\\b\nc\rd\te')).toBe('a\\\\b\\nc\\rd\\te');
    expect(escapeCopyText('\\N')).toBe('\\\\N'); // a literal \N is not NULL
  });

  it('returns plain text unchanged', () => {
    expect(escapeCopyText('héllo, "world" 日本')).toBe('héllo, "world" 日本');
  });

  it('refuses a NUL character', () => {
    expect(escapeCopyText('a\u0000b')).toBeUndefined();
  });
});

describe('encoderFor', () => {
  it('bigint: accepts the int64 range and refuses what is outside or not an integer', () => {
    expectEncodes('bigint', [
      ['9223372036854775807', '9223372036854775807'],
      ['-9223372036854775808', '-9223372036854775808'],
      ['9223372036854775808', undefined],
      ['-9223372036854775809', undefined],
      [' 42 ', '42'],
      ['+7', '+7'],
      [42, '42'],
      [12345678901234567890n, undefined],
      [9007199254740993, undefined], // not a safe integer: the number already lost precision
      ['1.5', undefined],
      [1.5, undefined],
      ['1e3', undefined],
      ['', undefined],
      [true, undefined],
    ]);
  });

  it('numbers: the quick check for plain digits agrees with the full grammar', () => {
    // The grammar as regexes (and BigInt for the int64 range): isInt64Text and
    // isNumericText take a shortcut for plain digits that must give the same answers.
    const int64 = (s: string) => /^[+-]?\d{1,19}$/.test(s) && BigInt(s) <= 9223372036854775807n && BigInt(s) >= -9223372036854775808n;
    const numeric = (s: string) => /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d{1,4})?$/.test(s);
    const text = fc.string({ unit: fc.constantFrom('0', '1', '9', '9', '9', '.', '+', '-', 'e', ' ', '٣'), maxLength: 22 });
    fc.assert(
      fc.property(text, (s) => {
        expect([s, isInt64Text(s)]).toEqual([s, int64(s)]);
        expect([s, isNumericText(s)]).toEqual([s, numeric(s)]);
      }),
      { numRuns: 20000, seed: 11 },
    );
  });

  it('numeric: accepts decimal and exponent forms and the special values', () => {
    expectEncodes('numeric', [
      ['3.14', '3.14'],
      ['-0.5', '-0.5'],
      ['.5', '.5'],
      ['5.', '5.'],
      ['1e-7', '1e-7'],
      ['+2E10', '+2E10'],
      ['NaN', 'NaN'],
      ['-Infinity', '-Infinity'],
      [2.5, '2.5'],
      [Number.NaN, undefined],
      ['1,5', undefined],
      ['1.2.3', undefined],
      ['e5', undefined],
      ['0x10', undefined],
      [true, undefined],
    ]);
    expect(encoderFor('double precision')('1e300')).toBe('1e300');
  });

  it('boolean: accepts the PostgreSQL spellings in any case', () => {
    expectEncodes('boolean', [
      [true, 't'],
      [false, 'f'],
      ['TRUE', 't'],
      [' yes ', 't'],
      ['on', 't'],
      ['1', 't'],
      [1, 't'],
      ['F', 'f'],
      ['no', 'f'],
      ['off', 'f'],
      ['0', 'f'],
      ['2', undefined],
      ['maybe', undefined],
      [{}, undefined],
    ]);
  });

  it('date: accepts real calendar dates only', () => {
    expectEncodes('date', [
      ['2024-02-29', '2024-02-29'],
      [' 2000-02-29 ', '2000-02-29'],
      ['2023-02-29', undefined],
      ['1900-02-29', undefined],
      ['2023-13-45', undefined],
      ['2023-04-31', undefined],
      ['0000-01-01', undefined],
      ['2024-01-01 10:00', undefined],
      ['2024-1-1', undefined],
      [20240101, undefined],
    ]);
  });

  it('timestamp: accepts naive values and refuses any time zone', () => {
    expectEncodes('timestamp', [
      ['2024-03-01 12:34:56', '2024-03-01 12:34:56'],
      ['2024-03-01T12:34:56.123456', '2024-03-01T12:34:56.123456'],
      ['2024-03-01', '2024-03-01'],
      ['2024-03-01T12:34:56Z', undefined],
      ['2024-03-01 12:34:56+02:00', undefined],
      ['2024-03-01 25:00', undefined],
    ]);
  });

  it('timestamptz: accepts UTC offsets and naive values', () => {
    expectEncodes('timestamptz', [
      ['2024-03-01T12:34:56Z', '2024-03-01T12:34:56Z'],
      ['2024-03-01 12:34:56+05:30', '2024-03-01 12:34:56+05:30'],
      ['2024-03-01 12:34:56-0800', '2024-03-01 12:34:56-0800'],
      ['2024-03-01 12:34:56 +02', '2024-03-01 12:34:56 +02'],
      ['2024-03-01 12:34:56', '2024-03-01 12:34:56'],
      ['2024-03-01 12:34:56+16:00', undefined],
      ['not a time', undefined],
    ]);
  });

  it('text: escapes strings, writes scalars as text and objects as JSON', () => {
    expectEncodes('text', [
      ['a\tb', 'a\\tb'],
      ['', ''],
      [12.5, '12.5'],
      [false, 'false'],
      [10n, '10'],
      [{ a: [1, 'x\ny'] }, '{"a":[1,"x\\\\ny"]}'],
      ['nul\u0000', undefined],
      [Number.POSITIVE_INFINITY, undefined],
    ]);
  });

  it('jsonb: writes JSON escaped for COPY and refuses a NUL character', () => {
    expectEncodes('jsonb', [
      [{ a: 'b\\c' }, '{"a":"b\\\\\\\\c"}'],
      [[1, null, true], '[1,null,true]'],
      ['plain', '"plain"'],
      [{ a: 'x\u0000y' }, undefined],
      [{ ['k\u0000']: 1 }, undefined],
      ['\\\u0000', undefined], // a backslash, then a NUL
    ]);
  });

  it('jsonb: accepts a literal backslash followed by u0000 (an escaped backslash, not a NUL)', () => {
    const token = encoderFor('jsonb')({ path: 'C:\\u0000' });
    expect(token).toBe('{"path":"C:\\\\\\\\u0000"}');
  });
});
