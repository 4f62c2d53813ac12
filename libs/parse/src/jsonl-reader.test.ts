// JsonlReader: one JSON value per line, whatever the push() boundaries; bad lines
// (invalid JSON, invalid UTF-8, too long) become rejects with offset and line.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonlReader } from './jsonl-reader.js';

function read(input: Buffer | string, opts: { pieces?: number[]; max?: number; start?: number } = {}) {
  const buf = typeof input === 'string' ? Buffer.from(input) : input;
  const records: { value: unknown; offset: number; line: number }[] = [];
  const bad: { reason: string; offset: number; line: number }[] = [];
  const reader = new JsonlReader(
    { record: (value, offset, line) => void records.push({ value, offset, line }), bad: (reason, offset, line) => void bad.push({ reason, offset, line }) },
    { startOffset: opts.start ?? 0, maxRecordBytes: opts.max ?? 1 << 20 },
  );
  const sizes = opts.pieces ?? [buf.length];
  for (let i = 0, k = 0; i < buf.length; k++) {
    const n = Math.max(1, sizes[k % sizes.length]!);
    reader.push(buf.subarray(i, i + n));
    i += n;
  }
  reader.end();
  return { records, bad, lines: reader.lines };
}

describe('JsonlReader', () => {
  it('reads one value per line with absolute offsets and 1-based lines', () => {
    const got = read('{"a":1}\n[2]\n"s"\n', { start: 50 });
    expect(got.records).toEqual([
      { value: { a: 1 }, offset: 50, line: 1 },
      { value: [2], offset: 58, line: 2 },
      { value: 's', offset: 62, line: 3 },
    ]);
    expect(got.lines).toBe(3);
  });

  it('rejects a line that is not JSON and keeps its neighbours', () => {
    const got = read('{"a":1}\n{"a":\n{"a":3}\n');
    expect(got.records.map((r) => [r.value, r.line])).toEqual([[{ a: 1 }, 1], [{ a: 3 }, 3]]);
    expect(got.bad).toHaveLength(1);
    expect(got.bad[0]).toMatchObject({ offset: 8, line: 2 });
    expect(got.bad[0]!.reason).toMatch(/^invalid JSON/);
  });

  it('rejects a line with invalid UTF-8', () => {
    const got = read(Buffer.concat([Buffer.from('1\n"'), Buffer.from([0xff]), Buffer.from('"\n2\n')]));
    expect(got.bad.map((b) => [b.reason, b.offset, b.line])).toEqual([['invalid UTF-8 byte sequence', 2, 2]]);
    expect(got.records.map((r) => r.value)).toEqual([1, 2]);
  });

  it('accepts CRLF line endings', () => {
    expect(read('{"a":1}\r\n{"b":"x"}\r\n').records.map((r) => r.value)).toEqual([{ a: 1 }, { b: 'x' }]);
  });

  it('skips blank and whitespace-only lines but counts them', () => {
    const got = read('\n1\n  \t\r\n\n2\n');
    expect(got.records.map((r) => [r.value, r.line])).toEqual([[1, 2], [2, 5]]);
    expect(got.bad).toEqual([]);
    expect(got.lines).toBe(5);
  });

  it('reads a last line without a newline', () => {
    expect(read('1\n{"z":true}').records.map((r) => r.value)).toEqual([1, { z: true }]);
  });

  it('rejects an over-long line and reads the next one, in one push or across many', () => {
    const long = JSON.stringify({ pad: 'x'.repeat(100) });
    const input = `{"a":1}\n${long}\n{"b":2}\n${long}`;
    for (const pieces of [undefined, [1], [5], [40, 3], [200]]) {
      const got = read(input, { max: 32, start: 7, pieces });
      expect(got.bad.map((b) => ({ offset: b.offset, line: b.line }))).toEqual([
        { offset: 15, line: 2 },
        { offset: 15 + long.length + 9, line: 4 },
      ]);
      for (const b of got.bad) expect(b.reason).toMatch(/longer than 32 bytes/);
      expect(got.records).toEqual([
        { value: { a: 1 }, offset: 7, line: 1 },
        { value: { b: 2 }, offset: 15 + long.length + 1, line: 3 },
      ]);
    }
  });

  it('applies the length limit to a CRLF line the same way however it is split', () => {
    const input = `"${'x'.repeat(30)}"\r\n1\n`; // 32 bytes + CR: over a 32-byte limit
    for (const pieces of [undefined, [1]]) {
      const got = read(input, { max: 32, pieces });
      expect(got.bad.map((b) => [b.offset, b.line])).toEqual([[0, 1]]);
      expect(got.records).toEqual([{ value: 1, offset: 34, line: 2 }]);
    }
  });

  it('gives the same result for any split of the input into push() calls', () => {
    const line = fc.oneof(
      fc.jsonValue().map((v) => JSON.stringify(v) ?? 'null'),
      fc.constantFrom('', '  ', '{bad', '"é日😀"', '{"long":"' + 'y'.repeat(40) + '"}'),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 8 }), fc.constantFrom('\n', '\r\n'), fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 6 }), (lines, eol, pieces) => {
        const input = lines.join(eol) + eol;
        expect(read(input, { max: 48, pieces })).toEqual(read(input, { max: 48 }));
      }),
      { numRuns: 300 },
    );
  });
});
