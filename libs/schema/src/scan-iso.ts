/**
 * The common shapes of ISO 8601 dates and timestamps, checked on bytes without a
 * regex or a string: `YYYY-MM-DD`, and `YYYY-MM-DD[T ]hh:mm:ss[.f…][Z|±hh:mm]`. Returns
 * the partition key for `interval` ('' when no key is wanted), or undefined when the
 * value is not one of these shapes or fits neither the calendar nor the column type —
 * the caller then takes the general path (parseTemporal), which decides.
 */
import { partitionKey } from './partition.js';
import { daysInMonth } from './temporal.js';
import type { ColumnType, PartitionInterval } from './types.js';

const d2 = (b: Buffer, i: number): number => {
  const x = b[i]! - 0x30;
  const y = b[i + 1]! - 0x30;
  return x >= 0 && x <= 9 && y >= 0 && y <= 9 ? x * 10 + y : -1;
};

export function scanIso(buf: Buffer, s: number, e: number, type: ColumnType, interval: PartitionInterval | null): string | undefined {
  const len = e - s;
  if (len < 10 || buf[s + 4] !== 0x2d || buf[s + 7] !== 0x2d) return undefined;
  const hi = d2(buf, s);
  const lo = d2(buf, s + 2);
  const m = d2(buf, s + 5);
  const d = d2(buf, s + 8);
  if (hi < 0 || lo < 0 || m < 1 || m > 12 || d < 1) return undefined;
  const y = hi * 100 + lo;
  if (y === 0 || d > daysInMonth(y, m)) return undefined;
  let zoned = false;
  let offset = 0;
  if (len === 10) {
    if (type !== 'date' && type !== 'timestamp' && type !== 'timestamptz') return undefined;
  } else {
    if (type === 'date') return undefined;
    const sep = buf[s + 10];
    if ((sep !== 0x54 && sep !== 0x20) || len < 19 || buf[s + 13] !== 0x3a || buf[s + 16] !== 0x3a) return undefined;
    const hh = d2(buf, s + 11);
    const mi = d2(buf, s + 14);
    const ss = d2(buf, s + 17);
    if (hh < 0 || hh > 23 || mi < 0 || mi > 59 || ss < 0 || ss > 59) return undefined;
    let p = s + 19;
    if (buf[p] === 0x2e) {
      p++;
      const f = p;
      while (p < e && buf[p]! >= 0x30 && buf[p]! <= 0x39) p++;
      if (p === f || p - f > 9) return undefined;
    }
    if (p < e) {
      if (buf[p] === 0x5a && p + 1 === e) zoned = true;
      else if ((buf[p] === 0x2b || buf[p] === 0x2d) && p + 6 === e && buf[p + 3] === 0x3a) {
        const oh = d2(buf, p + 1);
        const om = d2(buf, p + 4);
        if (oh < 0 || oh > 15 || om < 0 || om > 59) return undefined;
        zoned = true;
        offset = oh * 60 + om;
      } else return undefined;
    }
    if (zoned && type === 'timestamp') return undefined; // a zone on a naive column: general path refuses it
  }
  if (interval === null) return '';
  // Only a non-zero offset can move the UTC date; let the general key function handle that.
  if (offset !== 0) return partitionKey(buf.toString('latin1', s, e), interval) ?? undefined;
  const yy = String(y).padStart(4, '0');
  const mm = m < 10 ? `0${m}` : String(m);
  switch (interval) {
    case 'year':
      return yy;
    case 'month':
      return `${yy}_${mm}`;
    case 'day':
      return `${yy}_${mm}_${d < 10 ? `0${d}` : d}`;
    case 'week':
      return partitionKey(`${yy}-${mm}-${d < 10 ? `0${d}` : d}`, interval) ?? undefined;
  }
}
