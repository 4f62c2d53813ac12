/**
 * Range partitions by day, ISO week, month or year. A partition is named by its key
 * (`2024_03`, `2024_w09`, …) and covers [from, to) in UTC; every loading session
 * runs with TimeZone=UTC so bounds of timestamptz partitions mean UTC midnights.
 */
import { fitIdentifier } from './ident.js';
import { parseTemporal, utcDate, utcMs } from './temporal.js';
import { isRangePartition, type PartitionInterval, type PartitionSpec } from './types.js';
import { createHash } from 'node:crypto';
import { toIdentifier } from './ident.js';

export interface PartitionBounds {
  key: string;
  /** Inclusive lower bound, `YYYY-MM-DD`. */
  from: string;
  /** Exclusive upper bound, `YYYY-MM-DD`. */
  to: string;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
const iso = (d: Date): string => `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;

/** The partition key of a date/timestamp text value, or null when it has none. */
export function partitionKey(value: string, interval: PartitionInterval): string | null {
  const t = parseTemporal(value);
  if (t === null) return null;
  const [y, m, d] = utcDate(t);
  switch (interval) {
    case 'year':
      return pad(y, 4);
    case 'month':
      return `${pad(y, 4)}_${pad(m)}`;
    case 'day':
      return `${pad(y, 4)}_${pad(m)}_${pad(d)}`;
    case 'week': {
      const monday = mondayOf(utcMs(y, m - 1, d));
      return `w${iso(monday).replace(/-/g, '_')}`;
    }
  }
}

export function partitionBounds(key: string, interval: PartitionInterval): PartitionBounds {
  const nums = key.replace(/^w/, '').split('_').map(Number);
  const [y = 0, m = 1, d = 1] = nums;
  let from: Date;
  let to: Date;
  switch (interval) {
    case 'year':
      from = new Date(utcMs(y, 0, 1));
      to = new Date(utcMs(y + 1, 0, 1));
      break;
    case 'month':
      from = new Date(utcMs(y, m - 1, 1));
      to = new Date(utcMs(y, m, 1));
      break;
    case 'day':
      from = new Date(utcMs(y, m - 1, d));
      to = new Date(utcMs(y, m - 1, d + 1));
      break;
    case 'week':
      from = new Date(utcMs(y, m - 1, d));
      to = new Date(utcMs(y, m - 1, d + 7));
      break;
  }
  return { key, from: iso(from), to: iso(to) };
}

export function partitionTableName(table: string, key: string): string {
  return fitIdentifier(`${table}_p${key}`);
}

export function defaultPartitionName(table: string): string {
  return fitIdentifier(`${table}_default`);
}

function mondayOf(ms: number): Date {
  const dt = new Date(ms);
  const dow = (dt.getUTCDay() + 6) % 7; // Monday = 0
  return new Date(ms - dow * 86_400_000);
}

/**
 * Every partition key from `min` to `max` inclusive (keys sort in time order), or null
 * when that would be more than `limit` partitions.
 */
export function partitionKeysBetween(min: string, max: string, interval: PartitionInterval, limit = 1000): string[] | null {
  const keys: string[] = [];
  for (let key = min; key <= max; ) {
    keys.push(key);
    if (keys.length > limit) return null;
    const next = partitionKey(partitionBounds(key, interval).to, interval);
    if (next === null || next <= key) break;
    key = next;
  }
  return keys;
}

/**
 * The partition a row belongs to, from its partition column's COPY text: the interval
 * for RANGE, the value itself for LIST, null for HASH (its partitions exist from the
 * start) and for a NULL time (DEFAULT).
 */
export function rowPartitionKey(p: PartitionSpec, token: string): string | null {
  if (isRangePartition(p)) return partitionKey(token, p.interval);
  if (p.by === 'list') return token;
  return null;
}

/** Name of a LIST partition: readable from the value, made unique by a hash of it. */
export function listPartitionName(table: string, value: string): string {
  const hash = createHash('sha1').update(value).digest('hex').slice(0, 8);
  return fitIdentifier(`${table}_p_${toIdentifier(value, 'v').slice(0, 24)}_${hash}`);
}

/** COPY text back to the value it encodes (for LIST bounds). */
export function unescapeCopyText(token: string): string {
  return token.replace(/\\(.)/g, (_, c: string) => ({ n: '\n', r: '\r', t: '\t', b: '\b', f: '\f' })[c] ?? c);
}
