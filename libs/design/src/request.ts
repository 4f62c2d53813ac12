import type { PartitionInterval } from '@copyfleet/schema';

/** What the user asked to load (the flags of `copyfleet load`). */
export interface LoadRequest {
  /** What to load: files, directories, globs, s3:// objects or prefixes (libs/source listInputs). */
  inputs: string[];
  /** Load files again that an earlier run already loaded into the table. @defaultValue false: only new and changed files */
  reload?: boolean;
  /** Target table, `name` or `schema.name`. @defaultValue the first input's base name */
  table?: string;
  /** Dedupe key columns: the newest record per key wins. */
  key?: string[];
  /** Range partition interval on the first date/timestamp column, or 'none'. @defaultValue month */
  partition?: PartitionInterval | 'none';
  /** A dataset spec (YAML): format options, columns, partitioning, dedupe, bronze, reports. */
  dataset?: string;
}
