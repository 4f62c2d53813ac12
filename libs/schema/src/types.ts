/** The target table as copyfleet understands it; stored with each run. */
export type ColumnType = 'bigint' | 'numeric' | 'double precision' | 'boolean' | 'date' | 'timestamp' | 'timestamptz' | 'text' | 'jsonb';

export const COLUMN_TYPES: readonly ColumnType[] = ['bigint', 'numeric', 'double precision', 'boolean', 'date', 'timestamp', 'timestamptz', 'text', 'jsonb'];

/** Where a column's value comes from in a record. */
export type ColumnSource =
  | { kind: 'field'; index: number }
  | { kind: 'path'; path: string[] }
  | { kind: 'record' }
  /** The member name of a record in a JSON object keyed by id. */
  | { kind: 'key' };

export interface Column {
  name: string;
  type: ColumnType;
  source: ColumnSource;
}

export type PartitionInterval = 'day' | 'week' | 'month' | 'year';

export interface PartitionSpec {
  /** Range-partitioned on this date/timestamp column. */
  column: string;
  interval: PartitionInterval;
}

export interface TableSpec {
  schema: string;
  table: string;
  columns: Column[];
  partition: PartitionSpec | null;
  /** Dedupe key: the newest record per key wins in the compactor. */
  key: string[] | null;
}

/** Columns copyfleet adds when a dedupe key needs to know which record is newest. */
export const LINEAGE_COLUMNS = [
  { name: '_cf_run_id', type: 'bigint' },
  { name: '_cf_offset', type: 'bigint' },
] as const;

export function hasLineage(spec: TableSpec): boolean {
  return spec.key !== null && spec.key.length > 0;
}
