/**
 * What a worker needs to load any chunk: the run's part (copyfleet.runs.spec, shared by
 * every file of the run) and the file's part (copyfleet.files.spec: how to read that one
 * file), read once per file by each worker and merged by `fileLoadSpec`.
 */
import type { CsvDialect, FormatName, JsonContainer } from '@copyfleet/parse';
import type { Column, TableSpec } from '@copyfleet/schema';

export interface ReportSpec {
  name: string;
  sql: string;
  formats?: ('csv' | 'json' | 'arrow')[];
  /** One JSON document per result row, named by `key` (reports/<run>/<report>/<key>.json and <report>.jsonl). */
  output?: 'table' | 'documents';
  key?: string;
}

/** Shared by every file of a run: the table and what happens after the load. */
export interface RunSpec {
  table: TableSpec;
  maxRecordBytes: number;
  /** The header of the file the table was designed from (CSV): other files' columns are matched to it by name. */
  header?: string[] | null;
  /** Append-only raw copy of every record: `schema.table` of the bronze table. */
  bronze?: { schema: string; table: string } | null;
  /** Time zone for timestamps without one (timestamptz columns); the session's TimeZone while loading. */
  timezone?: string | null;
  /** The dataset spec's reports; the default reports when absent. */
  reports?: ReportSpec[];
  /** Files already loaded into the table were loaded again (--reload): the run says what it appended. */
  reload?: boolean;
  /** The dataset spec the run was started with (single-source form, no reports), so that files a resumed splitter plans are read as the first would have. */
  readWith?: unknown;
}

/** How to read one file of a run. */
export interface FileSpec {
  format: FormatName;
  dialect: CsvDialect;
  /** Line number (1-based) on which the file's first chunk starts: 1 plus the header's lines. */
  firstDataLine: number;
  /** JSON documents: where the records are (members of an object, or array items). */
  json?: JsonContainer;
  /** CSV header names of this file (for the bronze copy of CSV records, and the rejects export). */
  header?: string[] | null;
  /** A compressed input's decompressed copy, which the chunks' byte ranges refer to. */
  staged?: { path: string; version: string } | null;
  /**
   * Stray quotes the planner found: PostgreSQL's CSV COPY would let such a quote swallow the
   * lines after it (two of them can make a merged row of the right width), so these files
   * always take the parsing path, which reads each stray quote as the reader's rule says.
   */
  strayQuotes?: number;
  /** The table's columns with this file's field positions, when its header orders them differently. */
  columns?: Column[];
  /** A dataset's file: the source (`DatasetRunSpec.tables` key) whose table it loads. */
  source?: string;
}

/**
 * The run's part of a dataset load (a spec with `sources:`): one RunSpec per source, each
 * file loading with its source's (FileSpec.source); the reports run after every table.
 */
export interface DatasetRunSpec {
  dataset: {
    /** The dataset spec file, as given (resolved). */
    spec: string;
    /** Where the spec's relative paths start. */
    data: string;
  };
  /** By source name: the sources this run loads files of. */
  tables: Record<string, RunSpec & { format?: string }>;
  /** Every source's table (those with nothing new included): what `{{<source>}}` means in reports. */
  targets: Record<string, { schema: string; table: string }>;
  /** Each source's reading options (its part of the spec, single-source form), so that a resumed run reads as the first did. */
  sources: Record<string, unknown>;
  reports?: ReportSpec[];
  reload?: boolean;
}

export function isDatasetRun(spec: unknown): spec is DatasetRunSpec {
  return spec !== null && typeof spec === 'object' && 'tables' in spec;
}

/** The tables a run loads: one for a single-table run, one per source for a dataset (source null for the former). */
export function runTables(spec: RunSpec | DatasetRunSpec): { source: string | null; spec: RunSpec }[] {
  if (isDatasetRun(spec)) return Object.entries(spec.tables).map(([source, s]) => ({ source, spec: s }));
  return spec.table ? [{ source: null, spec }] : [];
}

/** The RunSpec a file of the run loads with: the run's, or its source's in a dataset. */
export function runSpecFor(spec: RunSpec | DatasetRunSpec, source: string | null | undefined): RunSpec {
  if (!isDatasetRun(spec)) return spec;
  const s = source ? spec.tables[source] : undefined;
  if (!s) throw new Error(`the dataset run has no source ${JSON.stringify(source)} (its sources: ${Object.keys(spec.tables).join(', ')})`);
  return s;
}

export type LoadSpec = RunSpec & FileSpec;

export function fileLoadSpec(spec: RunSpec | DatasetRunSpec, file: FileSpec): LoadSpec {
  const run = runSpecFor(spec, file.source);
  return { ...run, ...file, table: file.columns ? { ...run.table, columns: file.columns } : run.table };
}
