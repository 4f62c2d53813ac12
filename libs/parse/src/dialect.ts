/**
 * How a delimited text file is written. Bytes, not strings: the readers scan Buffers.
 */
export interface CsvDialect {
  /** Field separator byte. @defaultValue `,` (0x2c) */
  delimiter: number;
  /** Quote byte, or null for no quoting (TSV in PostgreSQL text style). @defaultValue `"` */
  quote: number | null;
  /** Escape byte inside quotes; equal to `quote` means RFC 4180 doubling (`""`). */
  escape: number | null;
  /** Text encoding of the file. */
  encoding: 'utf8' | 'latin1';
  /** What ends a record: LF (a CR before it is dropped: CRLF files) or a lone CR (old Mac). @defaultValue 'lf' */
  lineEnd?: 'lf' | 'cr';
  /** Spaces at the start of a field are not data (`a, b, "c"`: the `, ` delimiter). @defaultValue false */
  trimSpace?: boolean;
  /**
   * The file's field count (from the sample). Set, it turns on stray-quote recovery: a
   * quoted field that would swallow a line break costs that one record (see record-end.ts).
   */
  fields?: number;
}

export const CSV_DIALECT: CsvDialect = { delimiter: 0x2c, quote: 0x22, escape: 0x22, encoding: 'utf8' };
export const TSV_DIALECT: CsvDialect = { delimiter: 0x09, quote: 0x22, escape: 0x22, encoding: 'utf8' };

export const LF = 0x0a;
export const CR = 0x0d;
