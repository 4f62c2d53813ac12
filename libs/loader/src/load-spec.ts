/**
 * What a worker needs to load any chunk of a run: stored as copyfleet.runs.spec by
 * the splitter, read once per run by each worker.
 */
import type { CsvDialect, FormatName, JsonContainer } from '@copyfleet/parse';
import type { TableSpec } from '@copyfleet/schema';

export interface LoadSpec {
  format: FormatName;
  dialect: CsvDialect;
  table: TableSpec;
  /** Line number (1-based) on which the first chunk starts: 1 plus the header's lines. */
  firstDataLine: number;
  maxRecordBytes: number;
  /** JSON documents: where the records are (members of an object, or array items). */
  json?: JsonContainer;
  /** CSV header names (for the bronze copy of CSV records). */
  header?: string[] | null;
  /** Append-only raw copy of every record: `schema.table` of the bronze table. */
  bronze?: { schema: string; table: string } | null;
  /** Time zone for timestamps without one (timestamptz columns); the session's TimeZone while loading. */
  timezone?: string | null;
  /** A compressed input's decompressed copy, which the chunks' byte ranges refer to. */
  staged?: { path: string; version: string } | null;
  /** The dataset spec's reports; the default reports when absent. */
  reports?: { name: string; sql: string; formats?: ('csv' | 'json' | 'arrow')[] }[];
}
