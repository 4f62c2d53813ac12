import type { PartitionInterval } from '@copyfleet/schema';

/** What the user asked to load (the flags of `copyfleet load`). */
export interface LoadRequest {
  /** Path of the input file. */
  file: string;
  /** Target table, `name` or `schema.name`. @defaultValue the file's base name */
  table?: string;
  /** Dedupe key columns: the newest record per key wins. */
  key?: string[];
  /** Range partition interval on the first date/timestamp column, or 'none'. @defaultValue month */
  partition?: PartitionInterval | 'none';
  /** A dataset spec (YAML): format options, columns, partitioning, dedupe, bronze, reports. */
  dataset?: string;
}
