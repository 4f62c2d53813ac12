/**
 * Dates and timestamps in ISO 8601 / PostgreSQL style, parsed (the common spellings by
 * hand, the rest with a regex) and checked against the calendar (2023-13-45 and
 * 2023-02-29 are refused here, so they become rejects with a reason instead of failing
 * a COPY).
 */
export interface Temporal {
  y: number;
  m: number;
  d: number;
  hh: number;
  mi: number;
  ss: number;
  /** Offset from UTC in minutes, or null for a naive value. */
  offset: number | null;
  hasTime: boolean;
}

const RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d{1,9})?)?\s?(Z|z|[+-]\d{2}(?::?\d{2})?)?)?$/;

/**
 * The last value parsed: a row's partition column is parsed once to check it and once
 * more for its partition key, with the same string.
 */
let lastText = '';
let lastParsed: Temporal | null = null;

export function parseTemporal(s: string): Temporal | null {
  if (s === lastText) return lastParsed;
  let t: Temporal | null = null;
  if (s.length >= 10 && s.length <= 40) {
    const common = scanCommon(s);
    t = common !== undefined ? common : parseWithRegex(s);
  }
  lastText = s;
  lastParsed = t;
  return t;
}

const digit = (s: string, i: number): number => {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -100;
};
const two = (s: string, i: number): number => digit(s, i) * 10 + digit(s, i + 1);

/**
 * The common spellings without a regex: YYYY-MM-DD, optionally followed by [T ]hh:mm:ss
 * and Z. Undefined for anything else (fractions, offsets, hh:mm, odd whitespace), which
 * the regex decides; null only for the calendar checks the regex path makes too.
 */
function scanCommon(s: string): Temporal | null | undefined {
  const n = s.length;
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return undefined;
  const hi = two(s, 0);
  const lo = two(s, 2);
  const mo = two(s, 5);
  const d = two(s, 8);
  if (hi < 0 || lo < 0 || mo < 0 || d < 0) return undefined;
  const y = hi * 100 + lo;
  if (n === 10) return calendar(y, mo, d, 0, 0, 0, null, false);
  const sep = s.charCodeAt(10);
  if ((sep !== 84 && sep !== 32) || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return undefined;
  const hh = two(s, 11);
  const mi = two(s, 14);
  const ss = two(s, 17);
  if (hh < 0 || mi < 0 || ss < 0) return undefined;
  if (n === 19) return calendar(y, mo, d, hh, mi, ss, null, true);
  if (n === 20 && (s.charCodeAt(19) === 90 || s.charCodeAt(19) === 122)) return calendar(y, mo, d, hh, mi, ss, 0, true);
  return undefined;
}

function calendar(y: number, mo: number, d: number, hh: number, mi: number, ss: number, offset: number | null, hasTime: boolean): Temporal | null {
  // Year 0 does not exist in PostgreSQL's (proleptic Gregorian, AD/BC) calendar.
  if (y === 0 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return null;
  if (hh > 24 || mi > 59 || ss > 60 || (hh === 24 && (mi > 0 || ss > 0))) return null;
  return { y, m: mo, d, hh, mi, ss, offset, hasTime };
}

function parseWithRegex(s: string): Temporal | null {
  const m = RE.exec(s);
  if (m === null) return null;
  const y = +m[1]!;
  const mo = +m[2]!;
  const d = +m[3]!;
  const hasTime = m[4] !== undefined;
  const hh = hasTime ? +m[4]! : 0;
  const mi = hasTime ? +m[5]! : 0;
  const ss = m[6] !== undefined ? +m[6] : 0;
  let offset: number | null = null;
  const z = m[7];
  if (z !== undefined) {
    if (z === 'Z' || z === 'z') offset = 0;
    else {
      const digits = z.slice(1).replace(':', '');
      const oh = +digits.slice(0, 2);
      const om = digits.length > 2 ? +digits.slice(2, 4) : 0;
      if (oh > 15 || om > 59) return null;
      offset = (z[0] === '-' ? -1 : 1) * (oh * 60 + om);
    }
  }
  return calendar(y, mo, d, hh, mi, ss, offset, hasTime);
}

export function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** Date.UTC without its mapping of years 0..99 to 1900..1999; fields may overflow. */
export function utcMs(y: number, m0: number, d: number, hh = 0, mi = 0, ss = 0): number {
  const dt = new Date(0);
  dt.setUTCFullYear(y, m0, d);
  dt.setUTCHours(hh, mi, ss, 0);
  return dt.getTime();
}

/** The calendar date (in UTC when the value has an offset) as [y, m, d]. */
export function utcDate(t: Temporal): [number, number, number] {
  if (t.offset === null || t.offset === 0) {
    if (t.hh < 24) return [t.y, t.m, t.d];
  }
  const ms = utcMs(t.y, t.m - 1, t.d, t.hh, t.mi, Math.min(t.ss, 59)) - (t.offset ?? 0) * 60_000;
  const dt = new Date(ms);
  return [dt.getUTCFullYear(), dt.getUTCMonth() + 1, dt.getUTCDate()];
}
