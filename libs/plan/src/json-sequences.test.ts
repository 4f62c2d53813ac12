// JSON as exporters write it: objects one after another (pretty-printed, one per line
// each followed by a comma, separated by spaces), with or without a last comma, or an
// array with a trailing comma. Whatever the chunk size, reading every chunk yields each
// record exactly once, in order. And a broken document is reported where it breaks.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JsonSequenceReader } from '@copyfleet/parse';
import { LocalFileSource } from '@copyfleet/source';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { describeJsonSyntaxError, JsonChecker } from './json-syntax.js';
import { planChunks, type Plan } from './plan.js';

const dir = mkdtempSync(join(tmpdir(), 'cf-jsonseq-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
const REAL = fileURLToPath(new URL('../../../../shared/data/real/', import.meta.url));

function writeTemp(content: string, ext = '.json'): LocalFileSource {
  const path = join(dir, `f${fileNo++}${ext}`);
  writeFileSync(path, content);
  return new LocalFileSource(path);
}

async function readItems(source: LocalFileSource, plan: Plan, step: number): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const c of plan.chunks) {
    const reader = new JsonSequenceReader(
      { item: (b, s, e) => void out.push(JSON.parse(b.toString('utf8', s, e))), bad: (reason) => void out.push({ bad: reason }) },
      { startOffset: c.start, maxRecordBytes: 1 << 24, members: plan.json?.kind === 'object' },
    );
    for await (const buf of source.stream(c.start, c.end) as AsyncIterable<Buffer>) {
      for (let i = 0; i < buf.length; i += step) reader.push(buf.subarray(i, i + step));
    }
    reader.end();
  }
  return out;
}

const SHAPES = ['pretty', 'pretty-commas', 'lines-commas', 'spaces', 'array-trailing-comma'] as const;

function write(values: object[], shape: (typeof SHAPES)[number], lastComma: boolean): string {
  const tail = lastComma ? ',' : '';
  switch (shape) {
    case 'pretty':
      return `${values.map((v) => JSON.stringify(v, null, 2)).join('\n')}\n`;
    case 'pretty-commas':
      return `${values.map((v) => JSON.stringify(v, null, 4)).join(',\n')}${tail}\n`;
    case 'lines-commas':
      return values.map((v) => JSON.stringify(v)).join(',\n') + tail;
    case 'spaces':
      return values.map((v) => JSON.stringify(v)).join(' ');
    case 'array-trailing-comma':
      return `[\n${values.map((v) => JSON.stringify(v, null, 1)).join(',\n')}${tail}\n]\n`;
  }
}

describe('planChunks on JSON sequences', () => {
  it('splits a sequence of objects at any chunk size: every record exactly once, in order', async () => {
    // Objects with at least one member (an empty first object on its own line is JSON Lines);
    // the first member a scalar, an object or an array (the shapes a single document reads differently).
    const value = fc.jsonValue({ maxDepth: 2 });
    const record = fc.oneof(
      fc.dictionary(fc.string({ maxLength: 6 }), value, { minKeys: 1, maxKeys: 5 }),
      fc.tuple(fc.array(value, { maxLength: 3 }), value).map(([tags, x]) => ({ tags, x })),
      fc.tuple(fc.string({ unit: fc.constantFrom('a', ',', '}', ']', '"', '\\', '{', ' ') }), value).map(([s, v]) => ({ s, v })),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(record, { minLength: 2, maxLength: 25 }),
        fc.constantFrom(...SHAPES),
        fc.boolean(),
        fc.constantFrom(1, 2, 3, 7, 16, 64, 200, 4096),
        fc.constantFrom(1, 5, 333),
        async (values, shape, lastComma, chunkBytes, step) => {
          const source = writeTemp(write(values, shape, lastComma));
          const plan = await planChunks(source, { chunkBytes });
          expect(plan.format).toBe('json');
          expect(plan.json).toEqual({ kind: shape === 'array-trailing-comma' ? 'array' : 'sequence' });
          const items = await readItems(source, plan, step);
          expect(items).toEqual(values.map((v) => JSON.parse(JSON.stringify(v))));
        },
      ),
      { numRuns: 400, seed: 21 },
    );
  });

  it('chunk edges are record starts, so several chunks are planned for a long sequence', async () => {
    const values = Array.from({ length: 50 }, (_, i) => ({ id: i, name: `n${i}` }));
    const plan = await planChunks(writeTemp(write(values, 'lines-commas', true)), { chunkBytes: 100 });
    expect(plan.chunks.length).toBeGreaterThan(5);
  });

  it('the real weather export (one object per line, each followed by a comma)', async () => {
    const source = new LocalFileSource(join(REAL, 'tier-weather/weather.json'));
    for (const chunkBytes of [1, 50, 1 << 20]) {
      const plan = await planChunks(source, { chunkBytes });
      expect(plan.json).toEqual({ kind: 'sequence' });
      const items = (await readItems(source, plan, 64)) as Record<string, unknown>[];
      // One object followed by a comma: a sequence of one record, not an object whose members are records.
      expect(items).toHaveLength(1);
      expect(items[0]!['weather_data.city']).toBe('Zurich');
      expect(items[0]!['weather_data.currently_windspeed']).toBe(1.94);
    }
  });

  it('a single document keeps its old reading: keyed object, array under the first key', async () => {
    expect((await planChunks(writeTemp('{"a": {"x": 1}, "b": {"x": 2}}'), { chunkBytes: 4 })).json).toEqual({ kind: 'object' });
    expect((await planChunks(writeTemp('{"rows": [{"x": 1}], "n": 1}\n'), { chunkBytes: 4 })).json).toEqual({ kind: 'member-array', key: 'rows' });
    // Content after an array is still refused, not dropped.
    await expect(planChunks(writeTemp('[{"id":1}]\n[{"id":2}]\n'), { chunkBytes: 4 })).rejects.toThrow(/more after the JSON document/);
    await expect(planChunks(writeTemp('{\n"a": 1}\n{"b": 2}\n7\n'), { chunkBytes: 4 })).rejects.toThrow(/line 4, column 1 \(byte 19\): expected ',' or the next value after a value, found '7'/);
  });
});

describe('JSON syntax errors name the line, column and byte', () => {
  const check = (text: string): string | null => {
    const c = new JsonChecker(0);
    const buf = Buffer.from(text);
    for (let i = 0; i < buf.length; i += 3) c.push(buf.subarray(i, i + 3)); // state carries across buffers
    const e = c.end();
    return e ? describeJsonSyntaxError(e) : null;
  };

  it('accepts JSON and the sequences copyfleet loads', () => {
    for (const ok of ['{"a": [1, -2.5e3, true, false, null, "x\\u00e9\\n"]}', '[1, 2,]', '{"a": 1,}', '{"a": 1}\n{"b": 2},\n{"c": 3},', '[]', '"s"', ' 0 ']) {
      expect(check(ok), ok).toBeNull();
    }
  });

  it('says what was expected where', () => {
    expect(check('{\n  "a": 1\n  "b": 2\n}')).toBe("line 3, column 3 (byte 13): expected ',' or '}' after a member, found '\"'");
    expect(check('[1, 2')).toBe('line 1, column 6 (byte 5): the JSON document ends before its records do (truncated file?): an array is still open');
    expect(check('{"a" 1}')).toBe("line 1, column 6 (byte 5): expected ':' after the member name, found '1'");
    expect(check('{a: 1}')).toBe("line 1, column 2 (byte 1): expected a member name in double quotes, found 'a'");
    expect(check('[1, 01x]')).toBe('line 1, column 5 (byte 4): not a JSON value: 01x');
    expect(check('[{"id": 1}, {"na')).toBe('line 1, column 14 (byte 13): the JSON document ends before its records do (truncated file?): it ends inside the string that starts here ("na")');
    expect(check('[1]]')).toBe("line 1, column 4 (byte 3): expected a value, found ']'");
    expect(check('{"a": "x\\q"}')).toBe('line 1, column 10 (byte 9): invalid escape \\q in a string');
    expect(check('{"é": "tab\there"}')).toBe('line 1, column 11 (byte 11): a control character (U+0009) inside a string; write it as an escape');
  });

  it('a string that runs over its line is unterminated where it starts; a typographic quote is named', () => {
    expect(check('{\n "k": "abc\n}')).toBe('line 2, column 7 (byte 8): unterminated string (it starts with "abc")');
    expect(check('{"year": "RY18”,\n "n": 1}')).toBe(
      'line 1, column 10 (byte 9): unterminated string (it starts with "RY18”,"); it holds ”, a typographic quote, which does not end a JSON string',
    );
  });

  it('two typographic quotes that happen to balance the brackets are still caught (a string never holds a line feed)', async () => {
    const source = writeTemp('[\n {"a": "x”},\n {"b": "y”}\n]\n');
    await expect(planChunks(source, { chunkBytes: 1 << 20 })).rejects.toThrow(/line 2, column 8 \(byte 9\): unterminated string \(it starts with "x”},"\)/);
  });

  it('the real consumption export with a typographic quote fails at its line and column, not "ends before its records do"', async () => {
    const source = new LocalFileSource(join(REAL, 'nike-weekly-sales/consumption.csv'));
    const err = await planChunks(source, { chunkBytes: 1 << 20 }).then(
      () => null,
      (e: Error) => e.message,
    );
    expect(err).toMatch(/: line 8, column 11 \(byte \d+\): unterminated string \(it starts with "RY18”,"\); it holds ”, a typographic quote/);
    expect(err).not.toMatch(/ends before its records do/);
  });
});
