/**
 * What the splitter spends per file of a many-files run, step by step, without PostgreSQL
 * or Redis: the same library calls start-run.ts makes for each file (open and stat, plan
 * its chunks, count the header's line feeds, sample records and encode them to find the
 * partitions to pre-create), timed over the files of a directory; and the sample again
 * with its head cut to 64 KiB, to show what a smaller per-file sample would cost.
 * Usage: node bench/dist/plan-cost.js DIR [FILES]  (the first FILES files; all by default)
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '@copyfleet/config';
import { buildTableSpec, planLoad } from '@copyfleet/design';
import { countLineFeeds, sampleRecords, type Plan, type Sample } from '@copyfleet/plan';
import { RowEncoder, type TableSpec } from '@copyfleet/schema';
import { openSource } from '@copyfleet/source';

const [dir, limit] = process.argv.slice(2);
if (!dir) {
  process.stderr.write('usage: plan-cost.js DIR [FILES]\n');
  process.exit(2);
}
const files = readdirSync(dir)
  .filter((f) => f.startsWith('part-'))
  .sort()
  .slice(0, limit ? Number(limit) : undefined)
  .map((f) => join(dir, f));
// CHUNK and the rest as copyfleet would read them (from the environment and .env).
const config = loadConfig();

/** The partition keys precreatePartitions (libs/run/src/partitions.ts) derives from a sample. */
function partitionKeys(table: TableSpec, plan: Plan, sample: Sample): number {
  if (table.partition === null) return 0;
  const encoder = new RowEncoder(table, 0);
  const seen = new Set<string>();
  const records = plan.format === 'csv' ? sample.csv : sample.json;
  for (const rec of records) {
    const rows = plan.format === 'csv' ? [encoder.encodeCsv(rec as never, 0)] : (encoder.encodeJsonRows(rec, 0) ?? []);
    for (const row of rows) if (row?.partKey) seen.add(row.partKey);
  }
  return seen.size;
}

const steps = ['open + stat', 'plan chunks', 'header line feeds', 'sample (1 MiB head)', 'partition keys of the sample', 'sample (64 KiB head)', 'partition keys of it'] as const;
const ms = new Map<string, number>(steps.map((s) => [s, 0]));
let records = 0;
let smallRecords = 0;
let table: TableSpec | null = null;
const timed = async <T>(step: (typeof steps)[number], f: () => Promise<T> | T): Promise<T> => {
  const t0 = performance.now();
  const r = await f();
  ms.set(step, ms.get(step)! + performance.now() - t0);
  return r;
};
const t0 = performance.now();
for (const file of files) {
  const source = await timed('open + stat', async () => {
    const s = await openSource(file);
    await s.stat();
    return s;
  });
  const plan = await timed('plan chunks', () => planLoad(source, config, null));
  await timed('header line feeds', () => countLineFeeds(source, 0, plan.dataStart));
  const sample = await timed('sample (1 MiB head)', () => sampleRecords(source, plan));
  table ??= buildTableSpec({ inputs: [file] }, { schema: 'public', table: 'plan_cost' }, plan, sample);
  records += plan.format === 'csv' ? sample.csv.length : sample.json.length;
  await timed('partition keys of the sample', () => partitionKeys(table!, plan, sample));
  const head = { ...plan, chunks: plan.chunks.map((c, i) => (i === 0 ? { ...c, end: Math.min(c.end, c.start + 64 * 1024) } : c)) };
  const small = await timed('sample (64 KiB head)', () => sampleRecords(source, head));
  smallRecords += plan.format === 'csv' ? small.csv.length : small.json.length;
  await timed('partition keys of it', () => partitionKeys(table!, plan, small));
}
const total = performance.now() - t0;
const per = (x: number): string => `${(x / files.length).toFixed(2)} ms/file`;
process.stdout.write(`${files.length} files of ${dir}: ${total.toFixed(0)} ms in all, ${per(total)}\n`);
for (const [step, t] of ms) process.stdout.write(`  ${step.padEnd(30)} ${per(t)}\n`);
process.stdout.write(`  records sampled: ${(records / files.length).toFixed(0)} per file with the 1 MiB head, ${(smallRecords / files.length).toFixed(0)} with 64 KiB\n`);
