/**
 * Where encoders write rows of COPY text piece by piece, so bytes from the source can
 * be copied straight through without becoming JS strings. `begin(maxBytes)` reserves
 * room for the whole row; `commit` ends it, `abort` drops it.
 */
export interface RowWriter {
  begin(maxBytes: number): void;
  bytes(buf: Buffer, start: number, end: number): void;
  text(s: string): void;
  byte(b: number): void;
  commit(offset: number, line: number): void;
  abort(): void;
}
