/**
 * What a worker needs to load any chunk of a run: stored as copyfleet.runs.spec by
 * the splitter, read once per run by each worker.
 */
import type { CsvDialect, FormatName } from '@copyfleet/parse';
import type { TableSpec } from '@copyfleet/schema';

export interface LoadSpec {
  format: FormatName;
  dialect: CsvDialect;
  table: TableSpec;
  /** Line number (1-based) on which the first chunk starts: 1 plus the header's lines. */
  firstDataLine: number;
  maxRecordBytes: number;
}
