/** The target table as copyfleet understands it; stored with each run. */
export type ColumnType = 'bigint' | 'numeric' | 'double precision' | 'boolean' | 'date' | 'timestamp' | 'timestamptz' | 'text' | 'jsonb';

export const COLUMN_TYPES: readonly ColumnType[] = ['bigint', 'numeric', 'double precision', 'boolean', 'date', 'timestamp', 'timestamptz', 'text', 'jsonb'];

/** Where a column's value comes from in a record. */
export type ColumnSource =
  | { kind: 'field'; index: number }
  | { kind: 'path'; path: string[] }
  | { kind: 'record' }
  /** The member name of a record in a JSON object keyed by id. */
  | { kind: 'key' }
  /** The same value in every row. */
  | { kind: 'const'; value: string | number | boolean | null }
  /** The position of the element in the exploded array (0-based). */
  | { kind: 'index' };

/** Built-in transforms applied to a value before it is typed (no arbitrary code). */
export type Transform =
  | { kind: 'trim' }
  /** `POINT (x y)` (WKT) → x or y as a number. */
  | { kind: 'wkt_point'; axis: 'x' | 'y' }
  /** A date/time written as `format` (tokens YYYY MM DD HH mm ss, anything else literal) → ISO 8601. */
  | { kind: 'date_format'; format: string };

export interface Column {
  name: string;
  type: ColumnType;
  source: ColumnSource;
  /** With `explode`, paths are relative to the array element unless this is 'record'. */
  scope?: 'element' | 'record';
  transform?: Transform[];
}

export type PartitionInterval = 'day' | 'week' | 'month' | 'year';

export type PartitionSpec =
  /** RANGE on a date/timestamp column, one partition per interval, created on demand. */
  | { by?: 'range'; column: string; interval: PartitionInterval }
  /** LIST on a column, one partition per distinct value, created on demand. */
  | { by: 'list'; column: string }
  /** HASH on a column into `modulus` partitions, created with the table. */
  | { by: 'hash'; column: string; modulus: number };

export type RangePartitionSpec = Extract<PartitionSpec, { interval: PartitionInterval }>;

export function isRangePartition(p: PartitionSpec | null): p is RangePartitionSpec {
  return p !== null && (p.by === undefined || p.by === 'range');
}

/** An array inside each record becomes one row per element. */
export interface ExplodeSpec {
  path: string[];
}

export interface TableSpec {
  schema: string;
  table: string;
  columns: Column[];
  partition: PartitionSpec | null;
  /** Dedupe key: the newest record per key wins in the compactor. */
  key: string[] | null;
  /** Which record is newest for the dedupe key: the greatest value of this column, then file order. */
  winnerBy?: string | null;
  explode?: ExplodeSpec | null;
  /** CSV: fields per record (when the table uses only some of them). */
  fieldCount?: number;
  /** Field values that mean NULL (besides an empty unquoted CSV field). */
  nullValues?: string[];
}

/** Columns copyfleet adds when a dedupe key needs to know which record is newest. */
export const LINEAGE_COLUMNS = [
  { name: '_cf_run_id', type: 'bigint' },
  { name: '_cf_offset', type: 'bigint' },
] as const;

export function hasLineage(spec: TableSpec): boolean {
  return spec.key !== null && spec.key.length > 0;
}
