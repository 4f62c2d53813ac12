// Weekly sales (examples/nike-sales): the four CSVs loaded as the spec says (product ids keep
// their leading zeros, store fields trimmed), and the weekly_sales documents equal per-key weekly
// sums computed here in TypeScript straight from the CSV files: same keys, every calendar week
// present, weeks without sales 0, consumption.csv's field order. Then the same on generated data,
// where loaded + rejected = the generator's record counts and the totals match its manifest.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { generateExample } from '@copyfleet/generate';
import { REPO_ROOT } from '@copyfleet/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { e2e, one } from '../helpers.js';
import { csvRows, loadExample } from './sources.js';

const t = e2e();
afterAll(() => t.close());
const REAL = join(REPO_ROOT, '..', 'shared', 'data', 'real', 'nike-weekly-sales');

interface Doc {
  uniqueKey: string; division: string; gender: string; category: string; channel: string; year: string;
  dataRows: { rowId: string; dataRow: Record<string, number> }[];
}

/** The report computed from the raw files: cents and units per key and week, all calendar weeks filled. */
function expectedDocs(dir: string): Map<string, { doc: Omit<Doc, 'dataRows'>; cents: Map<string, number>; units: Map<string, number> }> {
  const weeksOfYear = new Map<string, Set<number>>();
  const dateOf = new Map<string, { year: string; week: number }>();
  for (const [key, , year, week] of csvRows(join(dir, 'calendar.csv'))) {
    dateOf.set(key!, { year: year!, week: Number(week) });
    if (!weeksOfYear.has(year!)) weeksOfYear.set(year!, new Set());
    weeksOfYear.get(year!)!.add(Number(week));
  }
  const products = new Map(csvRows(join(dir, 'product.csv')).map(([id, ...rest]) => [id!, rest.map((s) => s.trim())]));
  const stores = new Map(csvRows(join(dir, 'store.csv')).map(([id, channel]) => [Number(id), channel!.trim().toUpperCase()]));
  const out = new Map<string, { doc: Omit<Doc, 'dataRows'>; cents: Map<string, number>; units: Map<string, number> }>();
  for (const [, net, units, store, date, product] of csvRows(join(dir, 'sales.csv'))) {
    const [division, gender, category] = products.get(product!)!;
    const channel = stores.get(Number(store))!;
    const { year, week } = dateOf.get(date!)!;
    const ry = `RY${year!.slice(2)}`;
    const uniqueKey = `${ry}_${channel}_${division}_${gender}_${category}`;
    let e = out.get(uniqueKey);
    if (!e) {
      e = { doc: { uniqueKey, division: division!, gender: gender!, category: category!, channel, year: ry }, cents: new Map(), units: new Map() };
      for (const w of [...weeksOfYear.get(year!)!].sort((a, b) => a - b)) { e.cents.set(`W${w}`, 0); e.units.set(`W${w}`, 0); }
      out.set(uniqueKey, e);
    }
    const [whole, frac = ''] = net!.split('.');
    const cents = Number(whole) * 100 + Math.sign(Number(net)) * Number(frac.padEnd(2, '0'));
    e.cents.set(`W${week}`, e.cents.get(`W${week}`)! + cents);
    e.units.set(`W${week}`, e.units.get(`W${week}`)! + Number(units));
  }
  return out;
}

function checkDocuments(out: string, dir: string): Doc[] {
  const lines = readFileSync(join(out, 'weekly_sales.jsonl'), 'utf8').trim().split('\n');
  const docs = lines.map((l) => JSON.parse(l) as Doc);
  const expected = expectedDocs(dir);
  expect(docs.map((d) => d.uniqueKey).sort()).toEqual([...expected.keys()].sort());
  for (const d of docs) {
    const e = expected.get(d.uniqueKey)!;
    expect(Object.keys(d)).toEqual(['uniqueKey', 'division', 'gender', 'category', 'channel', 'year', 'dataRows']);
    expect({ ...d, dataRows: undefined }).toEqual({ ...e.doc, dataRows: undefined });
    expect(d.dataRows.map((r) => r.rowId)).toEqual(['Net Sales', 'Units']);
    expect(Object.keys(d.dataRows[0]!.dataRow)).toEqual([...e.cents.keys()]); // every week, in order
    expect(Object.fromEntries(Object.entries(d.dataRows[0]!.dataRow).map(([w, v]) => [w, Math.round(v * 100)]))).toEqual(Object.fromEntries(e.cents));
    expect(d.dataRows[1]!.dataRow).toEqual(Object.fromEntries(e.units));
  }
  // One file per key, the same document as its JSON Lines line.
  const files = readdirSync(join(out, 'weekly_sales')).sort();
  expect(files).toEqual(docs.map((d) => `${d.uniqueKey}.json`).sort());
  const first = JSON.parse(readFileSync(join(out, 'weekly_sales', `${docs[0]!.uniqueKey}.json`), 'utf8')) as Doc;
  expect(first).toEqual(docs[0]);
  return docs;
}

describe('nike-sales', () => {
  it('the real sample: four tables, leading zeros kept, stores trimmed, documents equal the sums from the CSVs', async () => {
    const run = await loadExample(t, 'nike-sales', 'dataset.yaml', REAL);
    expect(run.stdout).toMatch(/4 file\(s\): 4 loaded/);
    expect(run.counts).toEqual({ sales: { loaded: 70, rejected: 0 }, calendar: { loaded: 365, rejected: 0 }, product: { loaded: 20, rejected: 0 }, store: { loaded: 20, rejected: 0 } });
    const p = await one(t.pool, `SELECT count(*) FILTER (WHERE product_id LIKE '00%')::int AS zeros FROM "${run.tables.product}"`);
    expect(p.zeros).toBe(20);
    const s = await one(t.pool, `SELECT count(*) FILTER (WHERE country <> btrim(country) OR channel <> btrim(channel))::int AS padded FROM "${run.tables.store}"`);
    expect(s.padded).toBe(0);
    const out = run.reports;
    const docs = checkDocuments(out, REAL);
    expect(docs.length).toBeGreaterThan(0);
    expect(docs[0]!.uniqueKey).toMatch(/^RY18_(DIGITAL|STORE)_[A-Z]+_[A-Z]+_[A-Z]+$/);
    // consumption.csv lists the same fields in the same order (it is invalid JSON, so read as text).
    const shape = readFileSync(join(REAL, 'consumption.csv'), 'utf8');
    const at = ['"uniqueKey"', '"division"', '"gender"', '"category"', '"channel"', '"year"', '"dataRows"', '"rowId"', '"dataRow"'].map((k) => shape.indexOf(k));
    expect(at.every((x, i) => x >= 0 && (i === 0 || x > at[i - 1]!))).toBe(true);
    const unmatched = JSON.parse(readFileSync(join(out, 'unmatched_sales.json'), 'utf8')) as Record<string, number>[];
    expect(unmatched).toEqual([{ no_store: 0, no_product: 0, no_date: 0, sales: 70 }]);
  });

  it('generated data loads whole (loaded + rejected = records) and gives the manifest totals', async () => {
    const dir = join(t.dir, 'gen-sales');
    const m = await generateExample('nike-sales', { bytes: 3 << 20, seed: 11, dir });
    const run = await loadExample(t, 'nike-sales', 'dataset.yaml', dir);
    for (const f of m.files) {
      const l = run.counts[f.path.replace(/\.csv$/, '')]!;
      expect(l.loaded + l.rejected, f.path).toBe(f.records);
      expect(l.rejected, f.path).toBe(0);
    }
    const out = run.reports;
    const docs = checkDocuments(out, dir);
    const cents = docs.reduce((s, d) => s + Object.values(d.dataRows[0]!.dataRow).reduce((a, v) => a + Math.round(v * 100), 0), 0);
    const units = docs.reduce((s, d) => s + Object.values(d.dataRows[1]!.dataRow).reduce((a, v) => a + v, 0), 0);
    expect({ cents, units }).toEqual({ cents: m.totals.netSalesCents, units: m.totals.units });
    expect(Object.keys(docs[0]!.dataRows[0]!.dataRow)).toHaveLength(52);
  });
});
