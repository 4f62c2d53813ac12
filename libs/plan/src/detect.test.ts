// Dialect, preamble and header detection, as a round trip: random tables written in
// random dialects (delimiter , ; \t | space and ", "; quote " or '; escape doubled or
// backslash; LF, CRLF or CR; header or not; preamble of titles, blank lines and #
// comments) are planned with no hints and read back chunk by chunk, at random chunk
// sizes, into exactly the table that was written — names included. Plus the stray-quote
// property: any number of stray quotes cost exactly their own records at any chunk size.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CsvReader, type CsvFields } from '@copyfleet/parse';
import { LocalFileSource } from '@copyfleet/source';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { planChunks, type Plan } from './plan.js';

const dir = mkdtempSync(join(tmpdir(), 'cf-detect-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;

async function readAll(source: LocalFileSource, plan: Plan): Promise<{ records: CsvFields[]; bad: { reason: string; offset: number }[] }> {
  const records: CsvFields[] = [];
  const bad: { reason: string; offset: number }[] = [];
  for (const c of plan.chunks) {
    const reader = new CsvReader(
      plan.dialect,
      { record: (f) => void records.push(f), bad: (reason, offset) => void bad.push({ reason, offset }) },
      { startOffset: c.start, maxRecordBytes: 1 << 24 },
    );
    for await (const buf of source.stream(c.start, c.end) as AsyncIterable<Buffer>) {
      for (let i = 0; i < buf.length; i += 333) reader.push(buf.subarray(i, i + 333));
    }
    reader.end();
  }
  return { records, bad };
}

interface Written {
  delimiter: string;
  trimSpace: boolean;
  quote: string;
  backslash: boolean;
  eol: string;
}

const dialectArb = fc.record({
  delimiter: fc.constantFrom(',', ';', '\t', '|', ' ', ', '),
  quote: fc.constantFrom('"', "'"),
  backslash: fc.boolean(),
  eol: fc.constantFrom('\n', '\r\n', '\r'),
});

// Text cells: letters and spaces, sometimes the dialect's own delimiter, quote or a line break.
const textArb = fc.array(fc.constantFrom('a', 'b', 'x', 'é', ' ', '%D', '%Q', '%N', 'z'), { minLength: 1, maxLength: 8 });
const cellArb = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: -999, max: 99999 }).map(String) },
  { weight: 3, arbitrary: textArb },
  { weight: 1, arbitrary: fc.constant(null) },
);

function materialise(parts: string[] | string | null, w: Written): string | null {
  if (parts === null || typeof parts === 'string') return parts;
  const text = parts
    .map((p) => (p === '%D' ? w.delimiter.trim() || ' ' : p === '%Q' ? w.quote : p === '%N' ? w.eol : p))
    .join('')
    .trim();
  return text === '' ? 'q' : text;
}

function encode(v: string | null, w: Written): string {
  if (v === null) return '';
  const d = w.delimiter.trim() || ' ';
  const needs = v.includes(d) || v.includes(w.quote) || /[\r\n"']/.test(v) || v.startsWith(' ');
  if (!needs) return v;
  const q = w.quote;
  const body = w.backslash ? v.replaceAll(q, `\\${q}`) : v.replaceAll(q, q + q);
  return `${q}${body}${q}`;
}

describe('dialect detection round trip', () => {
  it('random tables in random dialects are detected and read back exactly', async () => {
    await fc.assert(
      fc.asyncProperty(
        dialectArb,
        fc.integer({ min: 2, max: 6 }),
        fc.integer({ min: 4, max: 40 }),
        fc.array(cellArb, { minLength: 6 * 40, maxLength: 6 * 40 }),
        fc.boolean(),
        fc.array(fc.constantFrom('TITLE', '', '# comment', 'Exported 2024'), { maxLength: 3 }),
        fc.constantFrom(7, 64, 300, 1 << 20),
        async (d, width, height, cells, header, preamble, chunkBytes) => {
          const w: Written = { ...d, trimSpace: d.delimiter === ', ' };
          // Column 1 is an id (typed, so a header is told from data); the rest are random.
          const table = Array.from({ length: height }, (_, r) => [String(r + 1), ...Array.from({ length: width - 1 }, (_, c) => materialise(cells[r * 5 + c] ?? null, w))]);
          const names = ['id', ...Array.from({ length: width - 1 }, (_, c) => `name${c}`)];
          const pre = preamble.map((l) => (w.delimiter === ' ' ? l.replace(/ /g, '_') : l));
          const lines = [...pre, ...(header ? [names.join(w.delimiter)] : []), ...table.map((row) => row.map((v) => encode(v, w)).join(w.delimiter))];
          const path = join(dir, `t${fileNo++}.txt`);
          writeFileSync(path, lines.join(w.eol) + w.eol);
          const source = new LocalFileSource(path);
          const plan = await planChunks(source, { chunkBytes });
          const why = plan.decisions.map((x) => `${x.what}: ${x.choice} (${x.reason})`).join('\n');
          expect(plan.header, why).toEqual(header ? names : null);
          const { records, bad } = await readAll(source, plan);
          expect(bad, why).toEqual([]);
          expect(records, why).toEqual(table);
        },
      ),
      { numRuns: 250, seed: 11 },
    );
  }, 60_000);

  it('stray quotes cost exactly their own records at any chunk size', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 20, max: 120 }),
        fc.uniqueArray(fc.nat(119), { maxLength: 6 }),
        fc.uniqueArray(fc.nat(119), { maxLength: 6 }),
        fc.constantFrom(5, 33, 100, 4096),
        fc.boolean(),
        async (n, strayRows, multiRows, chunkBytes, backslash) => {
          const stray = new Set(strayRows.filter((r) => r < n));
          const multi = new Set(multiRows.filter((r) => r < n && !stray.has(r)));
          const lines = ['id,code,price,name'];
          const want: CsvFields[] = [];
          for (let i = 0; i < n; i++) {
            if (stray.has(i)) lines.push(`${i},"C-${i},1.50,"boots"`);
            else if (multi.has(i)) {
              lines.push(`${i},C-${i},2.00,"a ${backslash ? '\\"' : '""'}b\nc, d"`);
              want.push([String(i), `C-${i}`, '2.00', 'a "b\nc, d']);
            } else {
              lines.push(`${i},C-${i},3.00,item ${i}`);
              want.push([String(i), `C-${i}`, '3.00', `item ${i}`]);
            }
          }
          const path = join(dir, `s${fileNo++}.csv`);
          writeFileSync(path, `${lines.join('\n')}\n`);
          const source = new LocalFileSource(path);
          const plan = await planChunks(source, { chunkBytes });
          const { records, bad } = await readAll(source, plan);
          expect(records).toEqual(want);
          expect(bad.length).toBe(stray.size);
          expect(records.length + bad.length).toBe(n);
        },
      ),
      { numRuns: 200, seed: 5 },
    );
  }, 60_000);
});
