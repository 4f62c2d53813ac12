/**
 * Partitions made by the splitter before any chunk is loaded, so that CSV chunks
 * streamed unparsed to COPY find them: every key from the earliest to the latest time
 * value seen in the sample (the head of the file and the start of chunks), or just
 * the keys seen when that range is too wide. Rows outside go to DEFAULT, and the
 * compactor moves them into their own partitions at the end.
 */
import { PartitionCache } from '@copyfleet/db';
import type { LoadSpec } from '@copyfleet/loader';
import type { Sample } from '@copyfleet/plan';
import { isRangePartition, partitionKeysBetween, RowEncoder } from '@copyfleet/schema';
import type { Context } from './context.js';

export async function precreatePartitions(ctx: Context, spec: LoadSpec, sample: Sample, cache = new PartitionCache()): Promise<number> {
  const { table } = spec;
  if (table.partition === null || table.partition.by === 'hash') return 0;
  const encoder = new RowEncoder(table, 0);
  const seen = new Set<string>();
  const records = spec.format === 'csv' ? sample.csv : sample.json;
  for (const rec of records) {
    const rows = spec.format === 'csv' ? [encoder.encodeCsv(rec as never, 0)] : (encoder.encodeJsonRows(rec, 0) ?? []);
    for (const row of rows) if (row?.partKey) seen.add(row.partKey);
  }
  if (seen.size === 0) return 0;
  const sorted = [...seen].sort();
  // RANGE: every interval between the earliest and latest sampled; LIST: the sampled values.
  const keys = (isRangePartition(table.partition) && partitionKeysBetween(sorted[0]!, sorted.at(-1)!, table.partition.interval)) || sorted;
  return cache.ensure(ctx.pool, table, keys);
}
