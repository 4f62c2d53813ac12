export { CSV_DIALECT, TSV_DIALECT, LF, CR, type CsvDialect } from './dialect.js';
export { CsvReader, type CsvFields, type ReaderOptions } from './csv-reader.js';
export { JsonlReader, LineReader, type LineHandler } from './jsonl-reader.js';
export { MAX_RAW_KEPT, type RecordHandler } from './record-handler.js';
export { sniffFormat, hasBom, type FormatName, type Sniffed } from './sniff.js';
export { JsonSequenceReader, type ItemHandler, type SequenceOptions, type JsonContainer } from './json-sequence-reader.js';
export { isArrowFile, readArrowLayout, readArrowRows, type ArrowLayout, type ArrowColumnType, type RangeReader } from './arrow-file.js';
export { findRecordEnd, findRecordEndAt, freshScan, freshCache, recordRule, recovers, resetScan, shape, LOOKAHEAD, type RecordRule, type RecordScan, type ScanCache } from './record-end.js';
export { confirmDialect, detectDialect, detectLineEnd, scoreDialect, showByte, type Decision, type DialectGuess } from './detect.js';
