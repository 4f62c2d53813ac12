// Chunk planning: whatever the chunk size, reading every chunk of the plan yields each
// record of the file exactly once, in order — including quoted newlines that cross
// chunk edges, CRLF, records longer than a chunk, no trailing newline, empty and
// header-only files. The oracle is the list of records the file was generated from.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CsvReader, CSV_DIALECT, JsonlReader, JsonSequenceReader, type CsvFields } from '@copyfleet/parse';
import { LocalFileSource } from '@copyfleet/source';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { planChunks, type Plan } from './plan.js';

const dir = mkdtempSync(join(tmpdir(), 'cf-plan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;

function writeTemp(content: string | Buffer, ext: string): LocalFileSource {
  const path = join(dir, `f${fileNo++}${ext}`);
  writeFileSync(path, content);
  return new LocalFileSource(path);
}

/** Read all chunks of a plan; each chunk is read on its own, as a worker would. */
async function readChunks(source: LocalFileSource, plan: Plan): Promise<{ records: unknown[]; bad: string[] }> {
  const records: unknown[] = [];
  const bad: string[] = [];
  for (const c of plan.chunks) {
    const handler = { record: (v: unknown) => void records.push(v), bad: (reason: string) => void bad.push(reason) };
    const opts = { startOffset: c.start, maxRecordBytes: 1 << 24 };
    const reader = plan.format === 'csv' ? new CsvReader(plan.dialect, handler as never, opts) : new JsonlReader(handler, opts);
    // Odd read sizes so records also cross read-buffer edges, not only chunk edges.
    for await (const buf of source.stream(c.start, c.end) as AsyncIterable<Buffer>) {
      for (let i = 0; i < buf.length; i += 7777) reader.push(buf.subarray(i, i + 7777));
    }
    reader.end();
  }
  return { records, bad };
}

function expectContiguous(plan: Plan): void {
  let at = plan.dataStart;
  for (const c of plan.chunks) {
    expect(c.start).toBe(at);
    expect(c.end).toBeGreaterThan(c.start);
    at = c.end;
  }
  if (plan.chunks.length > 0) expect(at).toBe(plan.size);
}

// A CSV field: null (empty, unquoted) or text that may hold delimiters, quotes, CR and LF.
const field = fc.oneof(
  fc.constant(null),
  fc.constant(''),
  fc.string({ unit: fc.constantFrom('a', 'b', 'é', '😀', ',', '"', '\n', '\r\n', ' ', 'x'), maxLength: 12 }),
);

function encodeField(f: string | null): string {
  if (f === null) return '';
  if (f === '' || /[",\r\n]/.test(f)) return `"${f.replace(/"/g, '""')}"`;
  return f;
}

const CHUNK_SIZES = [1, 2, 3, 5, 8, 13, 50, 200, 4096, 1 << 20];

describe('planChunks on CSV', () => {
  it('every record exactly once for any chunk size (quoted newlines, CRLF, no final newline)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(field, { minLength: 3, maxLength: 3 }), { minLength: 0, maxLength: 40 }),
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom(...CHUNK_SIZES),
        async (rows, crlf, finalNewline, chunkBytes) => {
          // A record whose fields are all null is a blank line, which is not a record: make it one field.
          const data = rows.map((r) => (r.every((f) => f === null) ? ['x', null, null] : r));
          const eol = crlf ? '\r\n' : '\n';
          const body = data.map((r) => r.map(encodeField).join(',')).join(eol);
          const text = `a,b,c${eol}${body}${data.length > 0 && finalNewline ? eol : ''}`;
          const source = writeTemp(text, '.csv');
          const plan = await planChunks(source, { chunkBytes });
          expect(plan.header).toEqual(['a', 'b', 'c']);
          expectContiguous(plan);
          const { records, bad } = await readChunks(source, plan);
          expect(bad).toEqual([]);
          // A lone final CR before EOF without LF is data we cannot tell from a line end: compare normalised.
          expect(records).toEqual(data.map((r) => r.map((f) => (f === '' ? '' : f))));
        },
      ),
      { numRuns: 300, seed: 42 },
    );
  });

  it('a record longer than a chunk lands in one chunk', async () => {
    const long = `"${'x'.repeat(5000)}\n${'y'.repeat(5000)}"`;
    const source = writeTemp(`h1,h2\n1,a\n2,${long}\n3,c\n`, '.csv');
    const plan = await planChunks(source, { chunkBytes: 100 });
    expectContiguous(plan);
    const { records } = await readChunks(source, plan);
    expect(records.map((r) => (r as CsvFields)[0])).toEqual(['1', '2', '3']);
    expect(((records[1] as CsvFields)[1] ?? '').length).toBe(10001);
  });

  it('an empty file has no chunks', async () => {
    const plan = await planChunks(writeTemp('', '.csv'), { chunkBytes: 10 });
    expect(plan.chunks).toEqual([]);
  });

  it('a header-only file has a header and no chunks, with or without a final newline', async () => {
    for (const text of ['a,b\n', 'a,b', 'a,b\r\n']) {
      const plan = await planChunks(writeTemp(text, '.csv'), { chunkBytes: 1 });
      expect(plan.header).toEqual(['a', 'b']);
      expect(plan.chunks).toEqual([]);
    }
  });

  it('skips a UTF-8 BOM before the header', async () => {
    const source = writeTemp(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('id,name\n1,x\n')]), '.csv');
    const plan = await planChunks(source, { chunkBytes: 4 });
    expect(plan.header).toEqual(['id', 'name']);
    expect((await readChunks(source, plan)).records).toEqual([['1', 'x']]);
  });

  it('handles \\r\\r\\n endings without duplicating rows (duckdb#25164)', async () => {
    const source = writeTemp('a,b\r\r\n1,x\r\r\n2,y\r\r\n', '.csv');
    for (const chunkBytes of [1, 3, 6, 100]) {
      const plan = await planChunks(source, { chunkBytes });
      const { records } = await readChunks(source, plan);
      expect(records).toEqual([['1', 'x\r'], ['2', 'y\r']]);
    }
  });
});

describe('planChunks on JSONL', () => {
  it('every line exactly once for any chunk size', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 40 }),
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom(...CHUNK_SIZES),
        async (values, crlf, finalNewline, chunkBytes) => {
          const eol = crlf ? '\r\n' : '\n';
          const text = values.map((v) => JSON.stringify(v)).join(eol) + (values.length > 0 && finalNewline ? eol : '');
          const source = writeTemp(text, '.jsonl');
          const plan = await planChunks(source, { chunkBytes });
          expect(plan.format).toBe('jsonl');
          expectContiguous(plan);
          const { records, bad } = await readChunks(source, plan);
          expect(bad).toEqual([]);
          expect(records).toEqual(values.map((v) => JSON.parse(JSON.stringify(v))));
        },
      ),
      { numRuns: 300, seed: 7 },
    );
  });
});

it('CSV_DIALECT is RFC 4180', () => {
  expect(String.fromCharCode(CSV_DIALECT.delimiter, CSV_DIALECT.quote!)).toBe(',"');
});

describe('planChunks on JSON documents', () => {
  const readItems = async (source: LocalFileSource, plan: Plan): Promise<unknown[]> => {
    const out: unknown[] = [];
    for (const c of plan.chunks) {
      const reader = new JsonSequenceReader(
        {
          item: (b, s, e, _o, _l, ks, ke) => void out.push(ks >= 0 ? [JSON.parse(b.toString('utf8', ks, ke)), JSON.parse(b.toString('utf8', s, e))] : JSON.parse(b.toString('utf8', s, e))),
          bad: (reason) => void out.push({ bad: reason }),
        },
        { startOffset: c.start, maxRecordBytes: 1 << 24, members: plan.json?.kind === 'object' },
      );
      for await (const buf of source.stream(c.start, c.end) as AsyncIterable<Buffer>) {
        for (let i = 0; i < buf.length; i += 333) reader.push(buf.subarray(i, i + 333));
      }
      reader.end();
    }
    return out;
  };

  it('an array, an object keyed by id, or an array under the first key: every record exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 30 }),
        fc.constantFrom('array', 'object', 'member-array'),
        fc.constantFrom(0, 2),
        fc.constantFrom(...CHUNK_SIZES),
        async (values, shape, indent, chunkBytes) => {
          // Keyed records are objects (an array as the first value means "the records are this array").
          const keyed = Object.fromEntries(values.map((v, i) => [`t_${i}, "x"`, { v }]));
          const doc = shape === 'array' ? values : shape === 'object' ? keyed : { statuses: values, meta: { n: 1 } };
          const source = writeTemp(JSON.stringify(doc, null, indent), '.json');
          const plan = await planChunks(source, { chunkBytes });
          expect(plan.format).toBe('json');
          expect(plan.json?.kind).toBe(shape);
          const items = await readItems(source, plan);
          const normal = (v: unknown): unknown => JSON.parse(JSON.stringify(v));
          expect(items).toEqual(shape === 'object' ? Object.entries(keyed).map(([k, v]) => [k, normal(v)]) : values.map(normal));
        },
      ),
      { numRuns: 300, seed: 11 },
    );
  });
});

it('JSON records under a named key that is not the first member', async () => {
  const doc = { meta: { statuses: 'not this', n: [1, 2] }, note: 'x,y]', statuses: [{ id: 1 }, { id: 2 }, { id: 3 }], after: [9] };
  const source = writeTemp(JSON.stringify(doc, null, 2), '.json');
  const plan = await planChunks(source, { chunkBytes: 8, records: 'statuses' });
  expect(plan.json).toEqual({ kind: 'member-array', key: 'statuses' });
  const ids: unknown[] = [];
  for (const c of plan.chunks) {
    const r = new JsonSequenceReader({ item: (b, s, e) => void ids.push(JSON.parse(b.toString('utf8', s, e)).id), bad: () => undefined }, { startOffset: c.start, maxRecordBytes: 1000, members: false });
    r.push(await source.read(c.start, c.end - c.start));
    r.end();
  }
  expect(ids).toEqual([1, 2, 3]);
  await expect(planChunks(source, { chunkBytes: 8, records: 'missing' })).rejects.toThrow(/no array under the key "missing"/);
});

it('refuses content after a JSON document instead of dropping it', async () => {
  const source = writeTemp('[{"id":1}]\n[{"id":2}]\n', '.json');
  await expect(planChunks(source, { chunkBytes: 4 })).rejects.toThrow(/more after the JSON document \(at byte 11\)/);
  const ok = writeTemp('[{"id":1}]\n \n', '.json');
  expect((await planChunks(ok, { chunkBytes: 4 })).chunks).toHaveLength(1);
});

describe("a later file of a run: the first file's reading tried first", () => {
  const first = async (csv: string) => planChunks(writeTemp(csv, '.csv'), { chunkBytes: 1 << 20 });

  it('a first line that is the run header is taken as the header without detection, and the records are the same', async () => {
    const run = await first('id;name;city\n1;ann;Prague\n2;bob;Brno\n');
    const later = writeTemp('\uFEFFid;name;city\n3;"c;d";Plzen\n4;dan;Ostrava\n', '.csv');
    const plan = await planChunks(later, { chunkBytes: 1 << 20, preferDialect: run.dialect, preferHeader: run.header! });
    expect(plan.header).toEqual(['id', 'name', 'city']);
    expect(plan.decisions.find((d) => d.what === 'header')!.reason).toBe("the run's first file's header, name for name");
    expect(plan).toMatchObject({ dataStart: 3 + 'id;name;city\n'.length, firstDataLine: 2, preamble: null });
    expect((await readChunks(later, plan)).records).toEqual([['3', 'c;d', 'Plzen'], ['4', 'dan', 'Ostrava']]);
  });

  it('anything else on the first line is detected as for any file: a preamble, other names, no header', async () => {
    const run = await first('id,name,city\n1,ann,Prague\n2,bob,Brno\n');
    const prefer = { chunkBytes: 1 << 20, preferDialect: run.dialect, preferHeader: run.header! };
    const titled = await planChunks(writeTemp('Report of 2024\nid,name,city\n3,cy,Plzen\n4,dan,Brno\n', '.csv'), prefer);
    expect(titled).toMatchObject({ header: ['id', 'name', 'city'], preamble: { lines: 1 }, firstDataLine: 3 });
    const renamed = await planChunks(writeTemp('id,name,town\n3,cy,Plzen\n4,dan,Brno\n', '.csv'), prefer);
    expect(renamed.header).toEqual(['id', 'name', 'town']);
    expect(renamed.decisions.find((d) => d.what === 'header')!.reason).not.toMatch(/first file/);
  });
});
