// Open Library dumps (examples/openlibrary/dumps.yaml): authors JSONL, works and editions in the
// dump's TSV-with-a-JSON-column format. Works per author per year and the authors-and-titles rows
// equal counts over the raw works lines made here; on generated data, where works come again with
// higher revisions, bronze keeps every record and silver one per key (the latest revision), and a
// reload changes nothing in silver.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateExample } from '@copyfleet/generate';
import { REPO_ROOT } from '@copyfleet/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { e2e, one } from '../helpers.js';
import { loadExample, readJson } from './sources.js';

const t = e2e();
afterAll(() => t.close());
const REAL = join(REPO_ROOT, '..', 'shared', 'data', 'real', 'openlibrary');

interface Work { key: string; revision: number; created?: { value: string }; title?: string; authors?: { author?: { key: string } }[] }

/** The latest revision of each work, from the TSV's fifth column. */
function latestWorks(path: string): Map<string, Work> {
  const works = new Map<string, Work>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line) continue;
    const w = JSON.parse(line.split('\t')[4]!) as Work;
    const prev = works.get(w.key);
    if (!prev || w.revision >= prev.revision) works.set(w.key, w);
  }
  return works;
}

function perAuthorYear(works: Map<string, Work>): Map<string, number> {
  const out = new Map<string, number>();
  for (const w of works.values()) {
    for (const a of w.authors ?? []) {
      if (!a.author?.key) continue;
      const k = `${a.author.key}|${w.created ? Number(w.created.value.slice(0, 4)) : null}`;
      out.set(k, (out.get(k) ?? 0) + 1);
    }
  }
  return out;
}

describe('openlibrary dumps', () => {
  it('the real samples: works per author per year and authors-and-titles equal counts over the raw works', async () => {
    const files = { 'authors.jsonl': 'authors-tail-n1000.json', 'works.txt': 'works-head-n1000.txt', 'editions.txt': 'editions-head-n1000.txt' };
    const run = await loadExample(t, 'openlibrary', 'dumps.yaml', REAL, { files: Object.fromEntries(Object.entries(files).map(([k, f]) => [k, join(REAL, f)])) });
    expect(run.counts).toEqual({ authors: { loaded: 1000, rejected: 0 }, works: { loaded: 1000, rejected: 0 }, editions: { loaded: 1000, rejected: 0 } });
    const out = run.reports;
    const works = latestWorks(join(REAL, 'works-head-n1000.txt'));
    const e = perAuthorYear(works);
    const got = readJson<{ author_key: string; year: number | null; works: number }[]>(out, 'works_per_author_year.json');
    expect(new Map(got.map((r) => [`${r.author_key}|${r.year}`, r.works]))).toEqual(e);
    const titles = readJson<{ author_key: string; work_key: string; title: string | null }[]>(out, 'authors_titles.json');
    expect(titles).toHaveLength([...e.values()].reduce((a, b) => a + b, 0));
    expect(titles.find((r) => r.work_key === '/works/OL10000106W')?.title).toBe('Le Contrat réalisable'); // \u escape decoded
    expect(readJson(out, 'bronze_vs_silver.json')).toEqual([{ bronze_records: 1000, silver_works: 1000 }]);
  });

  it('generated dumps: bronze keeps every record, silver the latest revision per key, a reload changes nothing', async () => {
    const dir = join(t.dir, 'gen-books');
    const m = await generateExample('openlibrary', { bytes: 2 << 20, seed: 3, dir });
    const run = await loadExample(t, 'openlibrary', 'dumps.yaml', dir);
    for (const f of m.files) {
      const l = run.counts[f.path.replace(/\.(jsonl|txt)$/, '')]!;
      expect(l.loaded + l.rejected, f.path).toBe(f.records);
      expect(l.rejected, f.path).toBe(0);
    }
    const works = latestWorks(join(dir, 'works.txt'));
    expect(works.size).toBe(m.totals.works);
    expect(m.totals.workRecords).toBeGreaterThan(works.size); // some works come again
    const out = run.reports;
    expect(readJson(out, 'bronze_vs_silver.json')).toEqual([{ bronze_records: m.totals.workRecords, silver_works: m.totals.works }]);
    const got = readJson<{ author_key: string; year: number; works: number }[]>(out, 'works_per_author_year.json');
    expect(new Map(got.map((r) => [`${r.author_key}|${r.year}`, r.works]))).toEqual(perAuthorYear(works));
    const revs = await t.pool.query<{ k: string; r: number }>(`SELECT work_key AS k, revision::int AS r FROM "${run.tables.works}"`);
    expect(new Map(revs.rows.map((x) => [x.k, x.r]))).toEqual(new Map([...works].map(([k, w]) => [k, w.revision])));
    // Loaded again (--reload: every file once more): silver is unchanged, bronze has every record twice.
    const again = await loadExample(t, 'openlibrary', 'dumps.yaml', dir, { again: run, extra: ['--reload'] });
    expect((await one(t.pool, `SELECT count(*)::int AS n FROM "${run.tables.works}"`)).n).toBe(m.totals.works);
    expect(readJson(again.reports, 'bronze_vs_silver.json')).toEqual([{ bronze_records: 2 * m.totals.workRecords, silver_works: m.totals.works }]);
  });
});
