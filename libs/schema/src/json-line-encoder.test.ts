// The byte-level JSON Lines encoder must agree with the general path (JSON.parse +
// RowEncoder) on every line it accepts, and must never accept a line JSON.parse
// refuses: it is an optimisation, not a second dialect.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonLineEncoder } from './json-line-encoder.js';
import { RowEncoder } from './row-encoder.js';
import type { RowWriter } from './row-writer.js';
import { COLUMN_TYPES, type Column, type ColumnSource, type TableSpec } from './types.js';

class Collect implements RowWriter {
  parts: Buffer[] = [];
  rows: string[] = [];
  begin(): void {
    this.parts = [];
  }
  bytes(buf: Buffer, s: number, e: number): void {
    this.parts.push(Buffer.from(buf.subarray(s, e)));
  }
  text(s: string): void {
    this.parts.push(Buffer.from(s));
  }
  byte(b: number): void {
    this.parts.push(Buffer.from([b]));
  }
  commit(): void {
    this.rows.push(Buffer.concat(this.parts).toString('utf8'));
  }
  abort(): void {
    this.parts = [];
  }
}

const spec: TableSpec = {
  schema: 'public',
  table: 't',
  columns: [
    { name: 'id', type: 'bigint', source: { kind: 'path', path: ['id'] } },
    { name: 'msg', type: 'text', source: { kind: 'path', path: ['msg'] } },
    { name: 'at', type: 'timestamptz', source: { kind: 'path', path: ['at'] } },
    { name: 'day', type: 'date', source: { kind: 'path', path: ['day'] } },
    { name: 's_score', type: 'numeric', source: { kind: 'path', path: ['s', 'score'] } },
    { name: 's_ok', type: 'boolean', source: { kind: 'path', path: ['s', 'ok'] } },
    { name: 'tags', type: 'jsonb', source: { kind: 'path', path: ['tags'] } },
  ],
  partition: { column: 'at', interval: 'month' },
  key: null,
};

/** Decode one COPY text field (the inverse of COPY's text escaping). */
function unescape(field: string): string | null {
  if (field === '\\N') return null;
  return field.replace(/\\(.)/g, (_, c: string) => ({ n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', '\\': '\\' })[c] ?? c);
}

/** Compare two COPY rows as PostgreSQL would read them, per column type. */
function sameRow(a: string, b: string, table: TableSpec = spec): void {
  const fa = a.split('\t').map(unescape);
  const fb = b.split('\t').map(unescape);
  expect(fa.length).toBe(fb.length);
  table.columns.forEach((c, i) => {
    const x = fa[i] ?? null;
    const y = fb[i] ?? null;
    if (x === null || y === null) return expect(x).toBe(y);
    if (c.type === 'numeric') return expect(Number(x)).toBe(Number(y));
    if (c.type === 'jsonb') return expect(JSON.parse(x)).toEqual(JSON.parse(y));
    expect(x).toBe(y);
  });
}

const text = fc.string({ unit: fc.constantFrom('a', 'é', '😀', '"', '\\', '\n', '\t', '\r', '/', '\u0001', '\u2028', ' ', '\u0000') });
const stamp = fc.constantFrom('2024-02-29T10:00:00Z', '2024-01-31T23:30:00-01:00', '2023-12-31 23:59:59.123456+05:30', '2024-13-01T00:00:00Z', '2024-01-01', 'nope', '');
const record = fc.record(
  {
    // Integers past 2^53 are exact only on the fast path (JSON.parse rounds them): tested separately.
    id: fc.oneof(fc.integer(), fc.constant(null), fc.constant('12'), fc.constantFrom('N/A', 'NULL', ' - '), fc.double().filter((d) => !Number.isInteger(d) || Number.isSafeInteger(d))),
    msg: fc.oneof(text, fc.integer(), fc.constant(null), fc.boolean(), fc.constant({ a: 1 })),
    at: fc.oneof(stamp, fc.constant(null), fc.integer()),
    day: fc.oneof(fc.constantFrom('2024-02-29', '2023-02-29', '0000-01-01', '2024-1-1', ''), fc.constant(null)),
    s: fc.oneof(fc.record({ score: fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant('x')), ok: fc.oneof(fc.boolean(), fc.constant('yes')) }, { requiredKeys: [] }), fc.constant(7), fc.constant(null)),
    tags: fc.oneof(fc.array(text, { maxLength: 3 }), fc.constant(null), fc.constant('')),
    extra: fc.jsonValue({ maxDepth: 2 }),
  },
  { requiredKeys: [] },
);

describe('JsonLineEncoder', () => {
  it('agrees with JSON.parse + RowEncoder on every line it accepts', () => {
    const fast = new JsonLineEncoder(spec, 1);
    const slow = new RowEncoder(spec, 1);
    let accepted = 0;
    fc.assert(
      fc.property(record, fc.boolean(), (rec, pretty) => {
        const line = Buffer.from(JSON.stringify(rec, null, pretty ? 1 : 0).replace(/\n/g, ' '));
        const out = new Collect();
        const expected = slow.encodeJson(JSON.parse(line.toString()), 0);
        if (fast.encode(line, 0, line.length, out, 0, 1)) {
          accepted++;
          expect(expected, 'the fast path accepted a row the general path rejects').not.toBeNull();
          sameRow(out.rows[0]!, expected!.line);
          expect(fast.partKey).toBe(expected!.partKey);
        }
      }),
      { numRuns: 3000, seed: 3 },
    );
    expect(accepted).toBeGreaterThan(500);
  });

  it('finds the columns whatever the key order, next to keys that differ by one byte', () => {
    // The encoder predicts each key from the previous line's order: shuffled keys and
    // near misses (a prefix, a longer key, an escaped spelling) must not fool it.
    const fast = new JsonLineEncoder(spec, 1);
    const slow = new RowEncoder(spec, 1);
    let accepted = 0;
    const nearMiss = fc.record(
      // A prefix, a longer key, the last or first byte changed, an escaped quote: none is a column.
      { i: fc.integer(), idx: text, msgs: text, ie: fc.integer(), msh: text, ax: fc.integer(), dax: text, tagz: text, xd: fc.integer(), '"msg': fc.integer() },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(record, nearMiss, fc.nat(), (rec, near, seed) => {
        const entries = [...Object.entries(rec), ...Object.entries(near)];
        for (let i = entries.length - 1; i > 0; i--) {
          const j = (seed + i * 7919) % (i + 1);
          [entries[i], entries[j]] = [entries[j]!, entries[i]!];
        }
        const json = JSON.stringify(Object.fromEntries(entries));
        // Spell one key with an escape now and then: "\u0069d" is "id".
        const line = Buffer.from(seed % 5 === 0 ? json.replace('"id":', '"\\u0069d":') : json);
        const expected = slow.encodeJson(JSON.parse(line.toString()), 0);
        const out = new Collect();
        if (fast.encode(line, 0, line.length, out, 0, 1)) {
          accepted++;
          expect(expected).not.toBeNull();
          sameRow(out.rows[0]!, expected!.line);
        }
      }),
      { numRuns: 3000, seed: 5 },
    );
    expect(accepted).toBeGreaterThan(500);
  });

  it('never accepts a line JSON.parse refuses', () => {
    const fast = new JsonLineEncoder(spec, 1);
    fc.assert(
      fc.property(record, fc.nat(), fc.constantFrom('', '{', '}', '"', ',', ':', '\\', 'x', '1', '.', '-', 'e', '\u0001', ' '), (rec, at, insert) => {
        const good = JSON.stringify(rec);
        const cut = at % (good.length + 1);
        const text = good.slice(0, cut) + insert + good.slice(cut + (insert === '' ? 1 : 0));
        let valid = true;
        try {
          JSON.parse(text);
        } catch {
          valid = false;
        }
        const buf = Buffer.from(text);
        if (!valid) expect(fast.encode(buf, 0, buf.length, new Collect(), 0, 1)).toBe(false);
      }),
      { numRuns: 5000, seed: 4 },
    );
  });

  it('matches a key that JSON must escape only through the string scanner', () => {
    // The key a"b is spelled "a\"b" in JSON; its raw bytes between quotes are not a key.
    const quoted: TableSpec = { ...spec, columns: [{ name: 'x', type: 'bigint', source: { kind: 'path', path: ['a"b'] } }], partition: null };
    const fast = new JsonLineEncoder(quoted, 1);
    const out = new Collect();
    const good = Buffer.from('{"a\\"b": 7}');
    expect(fast.encode(good, 0, good.length, out, 0, 1)).toBe(true);
    expect(out.rows).toEqual(['7']);
    const invalid = Buffer.from('{"a"b": 7}');
    expect(fast.encode(invalid, 0, invalid.length, out, 0, 1)).toBe(false);
  });

  it('copies integers past 2^53 exactly', () => {
    const out = new Collect();
    const line = Buffer.from('{"id": 9223372036854775807, "tags": [1.50, {"k": "v"}]}');
    expect(new JsonLineEncoder(spec, 1).encode(line, 0, line.length, out, 0, 1)).toBe(true);
    expect(out.rows[0]!.split('\t')[0]).toBe('9223372036854775807');
    expect(out.rows[0]!.split('\t')[6]).toBe('[1.50, {"k": "v"}]');
  });

  it('the last of duplicate keys wins, as in JSON.parse', () => {
    const out = new Collect();
    const line = Buffer.from('{"msg": "first", "msg": "second"}');
    expect(new JsonLineEncoder(spec, 1).encode(line, 0, line.length, out, 0, 1)).toBe(true);
    expect(out.rows[0]!.split('\t')[1]).toBe('second');
  });

  it('hands lines nested deeper than it scans to the general path instead of overflowing the stack', () => {
    const out = new Collect();
    const line = Buffer.from(`{"id": 1, "tags": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
    expect(new JsonLineEncoder(spec, 1).encode(line, 0, line.length, out, 0, 1)).toBe(false);
    const shallow = Buffer.from(`{"id": 1, "tags": ${'['.repeat(200)}${']'.repeat(200)}}`);
    expect(new JsonLineEncoder(spec, 1).encode(shallow, 0, shallow.length, out, 0, 1)).toBe(true);
  });

  it('keeps a jsonb value with escapes or newlines as written: no rounding past 2^53, no lost trailing zeros', () => {
    const out = new Collect();
    const line = Buffer.from('{"tags": {"n": 12345678901234567890123, "x": 2.50,\n "s": "e\\u0301\\ttab"}}');
    expect(new JsonLineEncoder(spec, 1).encode(line, 0, line.length, out, 0, 1)).toBe(true);
    expect(unescape(out.rows[0]!.split('\t')[6]!)).toBe('{"n": 12345678901234567890123, "x": 2.50,\n "s": "e\\u0301\\ttab"}');
    // \u0000 cannot be stored in jsonb: the general path makes it a reject.
    const nul = Buffer.from('{"tags": ["a\\u0000"]}');
    expect(new JsonLineEncoder(spec, 1).encode(nul, 0, nul.length, out, 0, 1)).toBe(false);
  });
});

// The encoder must agree with the general path for any table, not one: specs are drawn
// (columns, paths, types, a record column, the partition) and so are the records.
describe('JsonLineEncoder on drawn specs', () => {
  const paths: string[][] = [['id'], ['msg'], ['at'], ['day'], ['s', 'score'], ['s', 'ok'], ['s'], ['tags'], ['extra'], ['missing']];
  const drawnSpec = fc
    .uniqueArray(fc.nat(paths.length - 1), { minLength: 1, maxLength: 6 })
    .chain((picked) =>
      fc.record({
        picked: fc.constant(picked),
        types: fc.array(fc.constantFrom(...COLUMN_TYPES), { minLength: picked.length, maxLength: picked.length }),
        whole: fc.boolean(),
        partitionAt: fc.nat(picked.length),
        interval: fc.constantFrom('day', 'month', 'year' as const),
      }),
    )
    .map(({ picked, types, whole, partitionAt, interval }): TableSpec => {
      const columns: Column[] = picked.map((k, i) => ({ name: `c${i}`, type: types[i]!, source: { kind: 'path', path: paths[k]! } }));
      if (whole) columns.push({ name: 'rec', type: 'jsonb', source: { kind: 'record' } });
      const p = columns[partitionAt];
      const partition = p && (p.type === 'date' || p.type === 'timestamp' || p.type === 'timestamptz') ? { column: p.name, interval } : null;
      return { schema: 'public', table: 't', columns, partition, key: null };
    });

  it('agrees with JSON.parse + RowEncoder on every line it accepts', () => {
    let accepted = 0;
    fc.assert(
      fc.property(drawnSpec, fc.array(record, { minLength: 1, maxLength: 8 }), (table, recs) => {
        const fast = new JsonLineEncoder(table, 1);
        const slow = new RowEncoder(table, 1);
        for (const rec of recs) {
          const line = Buffer.from(JSON.stringify(rec));
          const expected = slow.encodeJson(JSON.parse(line.toString()), 0);
          const out = new Collect();
          if (fast.encode(line, 0, line.length, out, 0, 1)) {
            accepted++;
            expect(expected, 'the fast path accepted a row the general path rejects').not.toBeNull();
            sameRow(out.rows[0]!, expected!.line, table);
            expect(fast.partKey).toBe(expected!.partKey);
          }
        }
      }),
      { numRuns: 1500, seed: 11 },
    );
    expect(accepted).toBeGreaterThan(1000);
  });

  it('supports exactly the sources it scans, and no spec with transforms, explode or NULL lists', () => {
    const sources: ColumnSource[] = [
      { kind: 'path', path: ['a'] },
      { kind: 'record' },
      { kind: 'key' },
      { kind: 'field', index: 0 },
      { kind: 'const', value: 1 },
      { kind: 'index' },
    ];
    const supported = sources.map((source) => JsonLineEncoder.supports({ ...spec, partition: null, columns: [{ name: 'x', type: 'text', source }] }));
    expect(supported).toEqual([true, true, true, false, false, false]);
    expect(JsonLineEncoder.supports({ ...spec, nullValues: ['x'] })).toBe(false);
    expect(JsonLineEncoder.supports({ ...spec, explode: { path: ['tags'] } })).toBe(false);
    expect(JsonLineEncoder.supports({ ...spec, columns: [{ ...spec.columns[0]!, transform: [{ kind: 'trim' }] }] })).toBe(false);
  });
});
