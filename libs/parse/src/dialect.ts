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
}

export const CSV_DIALECT: CsvDialect = { delimiter: 0x2c, quote: 0x22, escape: 0x22, encoding: 'utf8' };
export const TSV_DIALECT: CsvDialect = { delimiter: 0x09, quote: 0x22, escape: 0x22, encoding: 'utf8' };

export const LF = 0x0a;
export const CR = 0x0d;
