/**
 * Open Library at any size: authors.jsonl (the authors dump as JSON Lines, 15% of the budget),
 * works.txt and editions.txt (the dump's tab-separated format: type, key, revision,
 * last_modified, JSON record; 50% and 35%). Messiness kept: `authors[].type` a string or an
 * object, optional fields that come and go, \u escapes, and works that appear again later
 * with a higher revision (the silver table keeps the latest).
 */
import { Budget, Output, put } from '../output.js';
import { Random } from '../random.js';
import type { Scenario } from '../scenario.js';

const NAMES = ['J\\u00f6rg von Garrel', 'H. Deutsch', 'Marie Curie', 'Jos\\u00e9 Saramago', 'Anne Smith', 'Li Wei', 'Fran\\u00e7oise Sagan', 'Olaf Berg'];
const TITLE_WORDS = ['Le', 'Contrat', 'r\\u00e9alisable', 'Combating', 'Surgical', 'Infection', 'History', 'of', 'the', 'World', 'Debates', 'Garden', 'Night', '\\u00c9tudes'];
const SUBJECTS = ['"History"', '"Fiction"', '"Medicine"', '"Law"', '"Poetry"'];

function ts(r: Random, year: number): string {
  const d = new Date(Date.UTC(year, 0, 1) + r.int(0, 364 * 86400) * 1000 + r.int(0, 999_999) / 1000);
  return d.toISOString().slice(0, 19) + '.' + String(r.int(0, 999_999)).padStart(6, '0');
}

export const books: Scenario = async ({ bytes, seed, dir }) => {
  const r = new Random(seed);
  const out = await Output.create(dir);
  const ab = new Budget(Math.floor(bytes * 0.15));
  const authors = out.open('authors.jsonl', ab);
  let nAuthors = 0;
  for (;;) {
    const id = `/authors/OL${7_000_000 + nAuthors}A`;
    const created = ts(r, r.int(2008, 2020));
    const birth = r.chance(0.265) ? `"birth_date": "${r.int(1850, 1990)}", ` : '';
    const line = `{"name": "${r.pick(NAMES)}", ${birth}"created": {"type": "/type/datetime", "value": "${created}"}, "last_modified": {"type": "/type/datetime", "value": "${created}"}, "latest_revision": 1, "key": "${id}", "type": {"key": "/type/author"}, "revision": 1}\n`;
    if (!put(authors, ab, line)) break;
    nAuthors++;
    if (authors.full) await authors.flush();
  }
  if (nAuthors === 0) throw new Error(`BYTES=${bytes} is too small: give at least 64KiB`);
  const wb = new Budget(Math.floor(bytes * 0.5));
  const works = out.open('works.txt', wb);
  let nWorks = 0, records = 0;
  const revisions: number[] = [];
  for (;;) {
    // 1 in 20 records is a later revision of an earlier work.
    const again = nWorks > 0 && r.chance(0.05);
    const n = again ? r.int(0, nWorks - 1) : nWorks;
    const rev = again ? revisions[n]! + 1 : r.int(1, 4);
    const key = `/works/OL${10_000_000 + n}W`;
    const createdYear = 2008 + (n % 13);
    const created = `${createdYear}-0${1 + (n % 9)}-1${n % 10}T01:57:19.964652`;
    const modified = ts(r, again ? 2021 : r.int(createdYear, 2020));
    let title = '';
    for (let w = r.int(1, 6); w > 0; w--) title += (title ? ' ' : '') + r.pick(TITLE_WORDS);
    let authorList = '';
    for (let a = r.chance(0.1) ? 2 : 1; a > 0; a--) {
      const ak = `/authors/OL${7_000_000 + r.int(0, nAuthors - 1)}A`;
      const type = r.chance(0.745) ? '{"key": "/type/author_role"}' : '"/type/author_role"';
      authorList += (authorList ? ', ' : '') + `{"type": ${type}, "author": {"key": "${ak}"}}`;
    }
    const subjects = r.chance(0.3) ? `, "subjects": [${SUBJECTS.slice(0, r.int(1, 4)).join(', ')}]` : '';
    const json = `{"title": "${title}", "created": {"type": "/type/datetime", "value": "${created}"}, "last_modified": {"type": "/type/datetime", "value": "${modified}"}, "latest_revision": ${rev}, "key": "${key}", "authors": [${authorList}]${subjects}, "type": {"key": "/type/work"}, "revision": ${rev}}`;
    if (!put(works, wb, `/type/work\t${key}\t${rev}\t${modified}\t${json}\n`)) break;
    records++;
    if (again) revisions[n] = rev; else { revisions.push(rev); nWorks++; }
    if (works.full) await works.flush();
  }
  const eb = new Budget(bytes - ab.used - wb.used);
  const editions = out.open('editions.txt', eb);
  let nEditions = 0;
  for (;;) {
    const key = `/books/OL${10_000_000 + nEditions}M`;
    const modified = ts(r, r.int(2009, 2020));
    const pages = r.chance(0.7) ? `, "number_of_pages": ${r.int(20, 900)}` : '';
    const json = `{"publishers": ["Bernan Press"], "physical_format": "Hardcover", "key": "${key}", "title": "${r.pick(TITLE_WORDS)} ${r.pick(TITLE_WORDS)}", "isbn_13": ["978${String(r.int(0, 999_999_999)).padStart(10, '0')}"]${pages}, "publish_date": "${r.int(1950, 2020)}", "last_modified": {"type": "/type/datetime", "value": "${modified}"}, "authors": [{"key": "/authors/OL${7_000_000 + r.int(0, nAuthors - 1)}A"}], "latest_revision": 1, "works": [{"key": "/works/OL${10_000_000 + r.int(0, nWorks - 1)}W"}], "type": {"key": "/type/edition"}, "revision": 1}`;
    if (!put(editions, eb, `/type/edition\t${key}\t1\t${modified}\t${json}\n`)) break;
    nEditions++;
    if (editions.full) await editions.flush();
  }
  const files = await out.close();
  return { files, totals: { authors: nAuthors, works: nWorks, workRecords: records, editions: nEditions } };
};
