/**
 * What the splitter spends per file of a many-files run, step by step, without PostgreSQL
 * or Redis: the same library calls start-run.ts makes for each file (open and stat, plan
 * its chunks, count the header's line feeds, sample records and encode them to find the
 * partitions to pre-create), timed over the files of a directory. HEAD cuts the sample's
 * head window (the splitter's is 1 MiB) to show what a smaller per-file sample would cost.
 * Usage: node bench/dist/plan-cost.js DIR [FILES [HEAD]]  (the first FILES files, all by
 * default or with 0; HEAD e.g. 64KiB)
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, parseSize } from '@copyfleet/config';
import { buildTableSpec, planLoad } from '@copyfleet/design';
import { countLineFeeds, sampleRecords, type Plan, type Sample } from '@copyfleet/plan';
import { RowEncoder, type TableSpec } from '@copyfleet/schema';
import { openSource } from '@copyfleet/source';

const [dir, limit, headArg] = process.argv.slice(2);
if (!dir) {
  process.stderr.write('usage: plan-cost.js DIR [FILES [HEAD]]\n');
  process.exit(2);
}
const head = headArg ? parseSize(headArg) : null;
const files = readdirSync(dir)
  .filter((f) => f.startsWith('part-'))
  .sort()
  .slice(0, Number(limit) > 0 ? Number(limit) : undefined)
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

const steps = ['open + stat', 'plan chunks', 'header line feeds', 'sample', 'partition keys of the sample'] as const;
const ms = new Map<string, number>(steps.map((s) => [s, 0]));
let records = 0;
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
  // A shorter first chunk makes a shorter head window (sampleRecords reads min(chunk end, start + 1 MiB)).
  const sampled = head === null ? plan : { ...plan, chunks: plan.chunks.map((c, i) => (i === 0 ? { ...c, end: Math.min(c.end, c.start + head) } : c)) };
  const sample = await timed('sample', () => sampleRecords(source, sampled));
  table ??= buildTableSpec({ inputs: [file] }, { schema: 'public', table: 'plan_cost' }, plan, sample);
  records += plan.format === 'csv' ? sample.csv.length : sample.json.length;
  await timed('partition keys of the sample', () => partitionKeys(table!, plan, sample));
}
const total = performance.now() - t0;
const per = (x: number): string => `${(x / files.length).toFixed(2)} ms/file`;
process.stdout.write(`${files.length} files of ${dir}, sample head ${head === null ? 'as the splitter (1 MiB)' : `${head} bytes`}: ${total.toFixed(0)} ms in all, ${per(total)}\n`);
for (const [step, t] of ms) process.stdout.write(`  ${step.padEnd(30)} ${per(t)}\n`);
process.stdout.write(`  records sampled: ${(records / files.length).toFixed(0)} per file\n`);
