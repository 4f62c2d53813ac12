/**
 * SQL identifiers. Names from headers and files are never trusted: they are turned
 * into plain snake_case names (so users can type them unquoted) and are still
 * always double-quoted when written into SQL.
 */
import { createHash } from 'node:crypto';

const MAX_IDENT_BYTES = 63; // PostgreSQL's NAMEDATALEN - 1

/** Quote an identifier for SQL: wrap in double quotes, double any inside. */
export function quoteIdent(name: string): string {
  if (name.includes('\u0000')) throw new Error('identifier contains a NUL character');
  return `"${name.replace(/"/g, '""')}"`;
}

/** `schema.table`, both parts quoted. */
export function qualified(schema: string, table: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(table)}`;
}

/**
 * A header or file name made into a safe, readable identifier: lower case,
 * runs of anything but [a-z0-9_] become one underscore, no leading digit,
 * at most 63 bytes (a hash suffix keeps long names distinct).
 */
export function toIdentifier(raw: string, fallback: string): string {
  let s = raw
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (s === '') s = fallback;
  if (/^[0-9]/.test(s)) s = `_${s}`;
  return fitIdentifier(s);
}

/** Shorten to 63 bytes, keeping names that differ only past the limit distinct. */
export function fitIdentifier(s: string): string {
  if (Buffer.byteLength(s) <= MAX_IDENT_BYTES) return s;
  const hash = createHash('sha1').update(s).digest('hex').slice(0, 8);
  let head = s;
  while (Buffer.byteLength(head) > MAX_IDENT_BYTES - 9) head = head.slice(0, -1);
  return `${head}_${hash}`;
}

/** Make names unique by suffixing _2, _3, … in order of appearance. */
export function uniqueNames(names: string[]): string[] {
  const seen = new Set<string>();
  return names.map((n) => {
    let name = n;
    for (let k = 2; seen.has(name); k++) name = fitIdentifier(`${n}_${k}`);
    seen.add(name);
    return name;
  });
}

/** Default table name for a file: its base name without extensions. */
export function tableNameFor(fileName: string): string {
  const base = fileName.replace(/\.(gz|zst)$/i, '').replace(/\.[^.]*$/, '');
  return toIdentifier(base, 'data');
}
