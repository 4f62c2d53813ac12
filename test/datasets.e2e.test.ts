// Datasets of several tables (issue #10, item 5), through the real CLI, PostgreSQL and Redis:
// the Nike weekly-sales extract (sales, calendar, product and store CSVs from the shared
// samples) as one spec with four sources, loaded in one run into four tables, and a report
// that joins them checked against figures computed here from the raw files; the same
// dataset again (nothing new), then with a new sales file (only that one); and specs that
// must stop before anything is recorded.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, runCli, startCli, uniqueName } from '@copyfleet/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { closeQueues, queuesFor, waitFor } from './chaos/harness.js';
import { e2e, one, runIdOf } from './helpers.js';

const t = e2e();
afterAll(() => t.close());

const NIKE = join(REPO_ROOT, '..', 'shared', 'data', 'real', 'nike-weekly-sales');

/** A CSV without quotes (checked) as header + rows of fields. */
function readCsv(path: string): { header: string[]; rows: string[][] } {
  const text = readFileSync(path, 'utf8');
  expect(text.includes('"'), `${path} has quotes: this reader does not handle them`).toBe(false);
  const [head, ...lines] = text.split(/\r?\n/).filter((l) => l !== '');
  return { header: head!.split(','), rows: lines.map((l) => l.split(',')) };
}

/** Records as objects keyed by the header's lower-case names. */
const records = (path: string): Record<string, string>[] => {
  const { header, rows } = readCsv(path);
  return rows.map((r) => Object.fromEntries(header.map((h, i) => [h.toLowerCase(), r[i]!])));
};

/** Decimal text ("300.24", "12", "-0.5") as a whole number of hundredths, without floating point. */
function cents(v: string): number {
  const m = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(v.trim());
  if (!m) throw new Error(`not a 2-decimal number: ${v}`);
  return (m[1] ? -1 : 1) * (Number(m[2]) * 100 + Number((m[3] ?? '').padEnd(2, '0')));
}

/** The weekly report computed in TypeScript from the raw files: key → net sales (cents) and units. */
function expectedWeekly(salesFiles: string[], dir: string): Map<string, { cents: number; units: number }> {
  const byKey = <T extends Record<string, string>>(rows: T[], key: string): Map<string, T> => new Map(rows.map((r) => [r[key]!, r]));
  const calendar = byKey(records(join(dir, 'calendar.csv')), 'datekey');
  const store = byKey(records(join(dir, 'store.csv')), 'storeid');
  const product = byKey(records(join(dir, 'product.csv')), 'productid');
  const out = new Map<string, { cents: number; units: number }>();
  for (const s of salesFiles.flatMap(records)) {
    const c = calendar.get(s.dateid!);
    const st = store.get(s.storeid!);
    const p = product.get(s.productid!);
    if (!c || !st || !p) continue; // an inner join drops sales without a match
    const key = [c.datecalendaryear, c.weeknumberofseason, st.channel, p.division, p.gender, p.category].join(',');
    const acc = out.get(key) ?? { cents: 0, units: 0 };
    acc.cents += cents(s.netsales!);
    acc.units += Number(s.salesunits);
    out.set(key, acc);
  }
  return out;
}

/** reports/<run>/weekly_sales.csv as the same map. */
function reportedWeekly(runId: string): Map<string, { cents: number; units: number }> {
  const { header, rows } = readCsv(join(t.env.REPORTS_DIR!, runId, 'weekly_sales.csv'));
  expect(header).toEqual(['year', 'week', 'channel', 'division', 'gender', 'category', 'net_sales', 'units']);
  return new Map(rows.map((r) => [r.slice(0, 6).join(','), { cents: cents(r[6]!), units: Number(r[7]) }]));
}

/** A four-source spec over `dir`'s copies of the Nike files; tables named uniquely for this test. */
function writeSpec(path: string, tables: Record<string, string>, reportSql?: string): void {
  const src = (name: string, p: string): string => `  - name: ${name}\n    path: ${p}\n    source: { format: csv }\n    table: { name: ${tables[name]}, partition: none }\n`;
  writeFileSync(
    path,
    'sources:\n' +
      src('sales', 'sales/') +
      src('calendar', 'calendar.csv') +
      src('product', 'product.csv') +
      src('store', 'store.csv') +
      'reports:\n' +
      '  - name: weekly_sales\n' +
      '    formats: [csv]\n' +
      `    sql: >-\n      ${
        reportSql ??
        'SELECT c.datecalendaryear AS year, c.weeknumberofseason AS week, st.channel, p.division, p.gender, p.category, ' +
          'sum(s.netsales) AS net_sales, sum(s.salesunits) AS units ' +
          'FROM {{sales}} s JOIN {{calendar}} c ON c.datekey = s.dateid JOIN {{store}} st ON st.storeid = s.storeid ' +
          'JOIN {{product}} p ON p.productid = s.productid GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6'
      }\n`,
  );
}

/** A sales CSV of `n` records (~1 700 one-KiB chunks for 45 000); returns the sum of its units. */
function writeBigSales(path: string, n: number): number {
  const lines = ['saleId,netSales,salesUnits,storeId,dateId,productId'];
  let units = 0;
  for (let i = 1; i <= n; i++) {
    lines.push(`${i},${(i % 997) + 0.25},${i % 7},409,${4965 + (i % 30)},00567228914507`);
    units += i % 7;
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
  return units;
}

/**
 * `copyfleet load ARGS` with its planning paused after each 1 000 chunk jobs it queues (a
 * failpoint), SIGKILLed in the first pause; returns the run (into `target`) it left behind.
 */
async function killSplitterAtFirstBatch(args: string[], target: string): Promise<string> {
  const queues = queuesFor(t.env);
  try {
    const first = startCli(args, { ...t.env, COPYFLEET_FAILPOINTS: 'after-enqueue-batch=3000' });
    const runId = await waitFor('the run', async () => (await t.pool.query<{ id: string | null }>('SELECT max(run_id)::text AS id FROM copyfleet.runs WHERE target_table = $1', [target])).rows[0]?.id);
    await waitFor('the first batch of 1000 chunk jobs', async () => ((await queues.chunkJobStates(runId)).size >= 1000 ? true : null), 120_000, 20);
    first.child.kill('SIGKILL'); // `copyfleet load` plans: the splitter is the command itself
    expect((await first.done).signal).toBe('SIGKILL');
    return runId;
  } finally {
    await closeQueues(queues);
  }
}

const load = (spec: string, extra: string[] = []) => runCli(['load', '--dataset', spec, '--workers', '2', ...extra], t.env);

async function count(table: string): Promise<number> {
  return (await one<{ n: number }>(t.pool, `SELECT count(*)::int AS n FROM "${table}"`)).n;
}

describe('datasets of several tables', () => {
  // The data in its own folder (not the spec's): --data says where the paths start.
  const data = join(t.dir, 'nike');
  const specDir = join(t.dir, 'specs');
  mkdirSync(join(data, 'sales'), { recursive: true });
  mkdirSync(specDir, { recursive: true });
  for (const f of ['calendar.csv', 'product.csv', 'store.csv']) copyFileSync(join(NIKE, f), join(data, f));
  // Sales arrive in two parts (alternate records): the first now, the second for the incremental load.
  const sales = readCsv(join(NIKE, 'sales.csv'));
  const part = (rows: string[][]): string => [sales.header, ...rows].map((r) => r.join(',')).join('\n') + '\n';
  const [part1, part2] = [join(data, 'sales', 'part-1.csv'), join(data, 'sales', 'part-2.csv')];
  const [rows1, rows2] = [sales.rows.filter((_, i) => i % 2 === 0), sales.rows.filter((_, i) => i % 2 === 1)];
  writeFileSync(part1, part(rows1));

  const tables = Object.fromEntries(['sales', 'calendar', 'product', 'store'].map((s) => [s, uniqueName(`nike_${s}`)]));
  const spec = join(specDir, 'nike.yaml');
  writeSpec(spec, tables);

  it('loads four sources into four tables in one run; the joined report equals the figures computed from the raw files', async () => {
    const res = await load(spec, ['--data', data]);
    expect(res.code, `${res.stdout}\n${res.stderr}`).toBe(0);
    const runId = runIdOf(res.stdout);
    expect(await one(t.pool, 'SELECT count(*)::int AS n FROM copyfleet.runs WHERE target_table = $1', [Object.values(tables).map((n) => `public.${n}`).join(', ')])).toEqual({ n: 1 });

    // Each file with its source's table, each table with exactly its file's records.
    const { rows: files } = await t.pool.query('SELECT source_name, target_table, status, rows_loaded::int AS rows FROM copyfleet.files WHERE run_id = $1 ORDER BY file_no', [runId]);
    expect(files).toEqual([
      { source_name: 'sales', target_table: `public.${tables.sales}`, status: 'done', rows: rows1.length },
      { source_name: 'calendar', target_table: `public.${tables.calendar}`, status: 'done', rows: readCsv(join(NIKE, 'calendar.csv')).rows.length },
      { source_name: 'product', target_table: `public.${tables.product}`, status: 'done', rows: readCsv(join(NIKE, 'product.csv')).rows.length },
      { source_name: 'store', target_table: `public.${tables.store}`, status: 'done', rows: readCsv(join(NIKE, 'store.csv')).rows.length },
    ]);
    for (const f of files) expect(await count(f.target_table.slice('public.'.length)), f.source_name).toBe(f.rows);
    // Leading zeros of product ids survive: the join on them finds every product.
    const ids = records(join(NIKE, 'product.csv')).map((p) => p.productid!).sort();
    expect(ids[0]).toMatch(/^00/);
    expect(await one(t.pool, `SELECT min(productid) AS id FROM "${tables.product}"`)).toEqual({ id: ids[0] });

    const expected = expectedWeekly([part1], data);
    expect(expected.size).toBeGreaterThan(2);
    expect(reportedWeekly(runId)).toEqual(expected);
    const filesCsv = readFileSync(join(t.env.REPORTS_DIR!, runId, 'files.csv'), 'utf8').trim().split('\n');
    expect(filesCsv[0]).toMatch(/^source,table,file_no,uri,/);
    expect(filesCsv).toHaveLength(5);
  });

  it('the same dataset again loads nothing; with a new sales file, only that file, and the report covers both', async () => {
    const again = await load(spec, ['--data', data]);
    expect(again.code, `${again.stdout}\n${again.stderr}`).toBe(0);
    expect(again.stdout + again.stderr).toMatch(/nothing new to load: sales, calendar, product, store: 4 file\(s\) already loaded, nothing new/);
    const nothing = runIdOf(again.stdout);
    expect(await one(t.pool, 'SELECT chunks_total, rows_loaded::int AS n FROM copyfleet.runs WHERE run_id = $1', [nothing])).toEqual({ chunks_total: 0, n: 0 });
    expect(await count(tables.sales!)).toBe(rows1.length);

    writeFileSync(part2, part(rows2));
    const more = await load(spec, ['--data', data]);
    expect(more.code, `${more.stdout}\n${more.stderr}`).toBe(0);
    expect(more.stderr).toMatch(/started: .*nike\.yaml → .* \(sales: 1 new file\(s\), 1 already loaded; calendar, product, store: 3 file\(s\) already loaded, nothing new\)/);
    const runId = runIdOf(more.stdout);
    const { rows: files } = await t.pool.query('SELECT source_name, uri, rows_loaded::int AS rows FROM copyfleet.files WHERE run_id = $1', [runId]);
    expect(files).toEqual([{ source_name: 'sales', uri: part2, rows: rows2.length }]);
    expect(await count(tables.sales!)).toBe(sales.rows.length);
    expect(await count(tables.calendar!)).toBe(readCsv(join(NIKE, 'calendar.csv')).rows.length);
    // The reports run over every table of the dataset, those with nothing new included.
    expect(reportedWeekly(runId)).toEqual(expectedWeekly([part1, part2], data));
    expect(reportedWeekly(runId)).toEqual(expectedWeekly([join(NIKE, 'sales.csv')], NIKE));

    // --reload loads every file of every source again: without dedupe keys that appends, and the summary says so.
    const rows = await Promise.all(Object.values(tables).map(count));
    const reload = await load(spec, ['--data', data, '--reload']);
    expect(reload.code, `${reload.stdout}\n${reload.stderr}`).toBe(0);
    const total = rows.reduce((a, b) => a + b, 0);
    expect(reload.stdout).toMatch(new RegExp(`appended: the tables without a dedupe key \\(calendar, product, sales, store\\) had ${total} rows before`));
    expect(await Promise.all(Object.values(tables).map(count))).toEqual(rows.map((n) => 2 * n));
  });

  it('a dataset run queued without workers resumes as the same run; a file of it with rejects exports them as its source read it', async () => {
    // Two sources from their own folder: sales, and a calendar with a record whose datekey is not a number.
    const dir = join(t.dir, 'resume');
    mkdirSync(join(dir, 'sales'), { recursive: true });
    copyFileSync(join(NIKE, 'sales.csv'), join(dir, 'sales', 'all.csv'));
    const calendar = readFileSync(join(NIKE, 'calendar.csv'), 'utf8');
    writeFileSync(join(dir, 'calendar.csv'), `${calendar.trimEnd()}\nnot-a-key,9,2018,9\n`);
    const names = { sales: uniqueName('r_sales'), calendar: uniqueName('r_calendar') };
    const spec = join(dir, 'two.yaml');
    writeFileSync(
      spec,
      `sources:\n  - name: sales\n    path: sales/\n    table: { name: ${names.sales}, partition: none }\n` +
        `  - name: calendar\n    path: calendar.csv\n    table: { name: ${names.calendar}, partition: none }\n` +
        '    columns:\n      - { name: datekey, column: datekey, type: bigint }\n      - { name: year, column: datecalendaryear, type: bigint }\n' +
        '      - { name: week, column: weeknumberofseason, type: bigint }\n' +
        'reports:\n  - name: per_week\n    formats: [csv]\n' +
        '    sql: SELECT c.week, sum(s.salesunits) AS units FROM {{sales}} s JOIN {{calendar}} c ON c.datekey = s.dateid GROUP BY 1 ORDER BY 1\n',
    );
    // Only the splitter: the run is planned and queued, and waits for workers.
    const split = await runCli(['split', '--dataset', spec], t.env);
    expect(split.code, split.stderr).toBe(0);
    const queued = JSON.parse(split.stdout.trim().split('\n').at(-1)!) as { runId: string; files: number };
    expect(queued.files).toBe(2);
    expect(await one(t.pool, 'SELECT status FROM copyfleet.runs WHERE run_id = $1', [queued.runId])).toEqual({ status: 'running' });

    const res = await load(spec);
    expect(res.code, `${res.stdout}\n${res.stderr}`).toBe(0);
    expect(res.stderr).toMatch(new RegExp(`run ${queued.runId} resumed`));
    expect(runIdOf(res.stdout)).toBe(queued.runId);
    const calendarRows = calendar.trim().split('\n').length - 1;
    expect(await count(names.calendar)).toBe(calendarRows);
    expect(await count(names.sales)).toBe(sales.rows.length);
    const { rows: files } = await t.pool.query('SELECT file_no, source_name, rows_loaded::int AS loaded, rows_rejected::int AS rejected FROM copyfleet.files WHERE run_id = $1 ORDER BY file_no', [queued.runId]);
    expect(files).toEqual([
      { file_no: 0, source_name: 'sales', loaded: sales.rows.length, rejected: 0 },
      { file_no: 1, source_name: 'calendar', loaded: calendarRows, rejected: 1 },
    ]);
    // Units per week of the season, from the raw files.
    const week = new Map(records(join(NIKE, 'calendar.csv')).map((c) => [c.datekey!, c.weeknumberofseason!]));
    const units = new Map<string, number>();
    for (const r of records(join(NIKE, 'sales.csv'))) if (week.has(r.dateid!)) units.set(week.get(r.dateid!)!, (units.get(week.get(r.dateid!)!) ?? 0) + Number(r.salesunits));
    const reported = readCsv(join(t.env.REPORTS_DIR!, queued.runId, 'per_week.csv')).rows.map(([w, u]) => [w, Number(u)]);
    expect(reported).toEqual([...units].sort((a, b) => Number(a[0]) - Number(b[0])));

    // The rejected record goes back out as the calendar file had it, under its header.
    const out = join(dir, 'rejects.csv');
    const rej = await runCli(['rejects', queued.runId, '--out', out], t.env);
    expect(rej.code, rej.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe('datekey,datecalendarday,datecalendaryear,weeknumberofseason\nnot-a-key,9,2018,9\n');
  });

  it('the splitter killed while planning a dataset: the same command plans the rest of its sources in the same run, exact', async () => {
    // A sales source of ~1 700 one-KiB chunks: the splitter pauses after queueing 1 000 (a failpoint) and is killed there,
    // before the calendar source is planned.
    const dir = join(t.dir, 'killed');
    mkdirSync(dir, { recursive: true });
    const n = 45_000;
    const units = writeBigSales(join(dir, 'sales.csv'), n);
    // A calendar whose first label opens a quote it never closes: read as written only with `quote: null`.
    const cal = readCsv(join(NIKE, 'calendar.csv'));
    writeFileSync(join(dir, 'calendar.csv'), [[...cal.header, 'label'], ...cal.rows.map((r, i) => [...r, i === 0 ? '"first' : `day ${i}`])].map((r) => r.join(',')).join('\n') + '\n');
    const names = { sales: uniqueName('k_sales'), calendar: uniqueName('k_calendar') };
    const spec = join(dir, 'killed.yaml');
    writeFileSync(
      spec,
      `sources:\n  - name: sales\n    path: sales.csv\n    table: { name: ${names.sales}, partition: none }\n` +
        // A reading option the resumed splitter must keep, as the first one would have read the file.
        `  - name: calendar\n    path: calendar.csv\n    source: { format: csv, quote: null }\n    table: { name: ${names.calendar}, partition: none }\n`,
    );
    const args = ['load', '--dataset', spec, '--workers', '2', '--chunk', '1KiB'];
    const target = `public.${names.sales}, public.${names.calendar}`;
    {
      const runId = await killSplitterAtFirstBatch(args, target);
      const { rows: before } = await t.pool.query('SELECT source_name, status FROM copyfleet.files WHERE run_id = $1 ORDER BY file_no', [runId]);
      expect(before).toEqual([{ source_name: 'sales', status: 'loading' }, { source_name: 'calendar', status: 'listed' }]);
      expect(await one(t.pool, 'SELECT status FROM copyfleet.runs WHERE run_id = $1', [runId])).toEqual({ status: 'planning' });

      const again = await runCli(args, t.env);
      expect(again.code, `${again.stdout}\n${again.stderr}`).toBe(0);
      expect(again.stderr).toMatch(new RegExp(`run ${runId} resumed`));
      expect(runIdOf(again.stdout)).toBe(runId);
      expect(await one(t.pool, 'SELECT count(*)::int AS n FROM copyfleet.runs WHERE target_table = $1', [target])).toEqual({ n: 1 });
      expect(await one(t.pool, `SELECT count(*)::int AS n, sum(salesunits)::int AS units FROM "${names.sales}"`)).toEqual({ n, units });
      expect(await one(t.pool, `SELECT count(*)::int AS n, count(DISTINCT datekey)::int AS keys FROM "${names.calendar}"`)).toEqual({ n: 365, keys: 365 });
      expect(await one(t.pool, `SELECT label FROM "${names.calendar}" WHERE datekey = 4965`)).toEqual({ label: '"first' });
      const { rows: files } = await t.pool.query('SELECT source_name, status, rows_loaded::int AS rows FROM copyfleet.files WHERE run_id = $1 ORDER BY file_no', [runId]);
      expect(files).toEqual([{ source_name: 'sales', status: 'done', rows: n }, { source_name: 'calendar', status: 'done', rows: 365 }]);
    }
  });

  it('the same for a single-table spec over a directory: files planned after the kill are read with the spec\'s options', async () => {
    const dir = join(t.dir, 'killed-one');
    mkdirSync(dir, { recursive: true });
    const n = 45_000;
    const units = writeBigSales(join(dir, 'a-big.csv'), n);
    // The second file's first product id opens a quote it never closes: read as written only with `quote: null`.
    writeFileSync(join(dir, 'b-small.csv'), 'saleId,netSales,salesUnits,storeId,dateId,productId\n1,1.00,3,409,4965,"0056\n2,2.00,4,409,4966,0057\n');
    const table = uniqueName('k_one');
    const spec = join(dir, '..', 'killed-one.yaml');
    writeFileSync(spec, `source: { format: csv, quote: null }\ntable: { name: ${table}, partition: none }\n`);
    const args = ['load', `${dir}/`, '--dataset', spec, '--workers', '2', '--chunk', '1KiB'];
    const runId = await killSplitterAtFirstBatch(args, `public.${table}`);
    expect(await one(t.pool, 'SELECT status FROM copyfleet.runs WHERE run_id = $1', [runId])).toEqual({ status: 'planning' });
    const again = await runCli(args, t.env);
    expect(again.code, `${again.stdout}\n${again.stderr}`).toBe(0);
    expect(runIdOf(again.stdout)).toBe(runId);
    expect(await one(t.pool, `SELECT count(*)::int AS n, sum(salesunits)::int AS units FROM "${table}"`)).toEqual({ n: n + 2, units: units + 7 });
    expect(await one(t.pool, `SELECT productid FROM "${table}" WHERE dateid = 4965 AND netsales = 1.00 AND salesunits = 3`)).toEqual({ productid: '"0056' });
  });

  it('a report naming an unknown source, or a source path that names nothing, stops with where and why before anything is recorded', async () => {
    const before = await one<{ n: number }>(t.pool, 'SELECT count(*)::int AS n FROM copyfleet.runs');
    const fresh = Object.fromEntries(Object.keys(tables).map((s) => [s, uniqueName(`never_${s}`)]));

    const typo = join(specDir, 'typo.yaml');
    writeSpec(typo, fresh, 'SELECT count(*) FROM {{sales}} s JOIN {{calender}} c ON c.datekey = s.dateid');
    const bad = await load(typo, ['--data', data]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/typo\.yaml:\d+:\d+: reports\.0\.sql: \{\{calender\}\} is not a source of the dataset; its sources are sales, calendar, product, store/);

    const missing = join(specDir, 'missing.yaml');
    writeSpec(missing, fresh);
    writeFileSync(missing, readFileSync(missing, 'utf8').replace('path: store.csv', 'path: stores.csv'));
    const gone = await load(missing, ['--data', data]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/missing\.yaml:15:11: sources\.3\.path: source "store" names nothing to load: .*stores\.csv: no such file or directory\. .*relative paths start at the data directory/);
    expect(gone.stderr).not.toMatch(/current directory/);

    // Inputs beside a spec with sources: are refused (the spec names its files).
    const both = await runCli(['load', join(data, 'store.csv'), '--dataset', typo.replace('typo', 'nike')], t.env);
    expect(both.code).toBe(1);
    expect(both.stderr).toMatch(/has sources: it names its own files\. Drop the inputs/);

    expect(await one(t.pool, 'SELECT count(*)::int AS n FROM copyfleet.runs')).toEqual(before);
    const { rows } = await t.pool.query('SELECT table_name FROM information_schema.tables WHERE table_name = ANY($1::text[])', [Object.values(fresh)]);
    expect(rows).toEqual([]);
  });
});
