/**
 * Range partitions by day, ISO week, month or year. A partition is named by its key
 * (`2024_03`, `2024_w09`, …) and covers [from, to) in UTC; every loading session
 * runs with TimeZone=UTC so bounds of timestamptz partitions mean UTC midnights.
 */
import { fitIdentifier } from './ident.js';
import { parseTemporal, utcDate, utcMs } from './temporal.js';
import type { PartitionInterval } from './types.js';

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
