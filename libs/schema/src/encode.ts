/**
 * Turns record values into PostgreSQL COPY text tokens, checking them against the
 * column type on the way. A value that does not fit returns `undefined` and the
 * encoder's `reason` says why; the loader turns that into a reject row. Checking
 * here (cheap, in JS) keeps almost every bad value out of COPY, where one bad row
 * would fail the whole batch; the rest are isolated by bisecting (libs/db copy).
 */
import { parseTemporal } from './temporal.js';
import type { ColumnType } from './types.js';

export const NULL_TOKEN = '\\N';

export type Encoder = (value: unknown) => string | undefined;

const INT_RE = /^[+-]?\d{1,19}$/;
const NUM_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d{1,4})?$/;
const SPECIAL_RE = /[\\\n\r\t]/;
/** `\u0000` in JSON.stringify output that is an escape, not an escaped backslash + "u0000". */
const JSON_NUL_RE = /(?:^|[^\\])(?:\\\\)*\\u0000/;
const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/** Escape text for COPY's text format. */
export function escapeCopyText(s: string): string | undefined {
  if (s.includes('\u0000')) return undefined;
  if (!SPECIAL_RE.test(s)) return s;
  return s.replace(/[\\\n\r\t]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t'));
}

/**
 * The usual numbers, checked without a regex: 1 for an optionally signed run of digits,
 * 2 for the same with one '.', 0 for anything else (the regexes decide those).
 */
function simpleNumber(s: string): 0 | 1 | 2 {
  const n = s.length;
  const c0 = s.charCodeAt(0);
  let digits = 0;
  let dot = false;
  for (let i = c0 === 43 || c0 === 45 ? 1 : 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (c === 46 && !dot) dot = true;
    else return 0;
  }
  return digits === 0 ? 0 : dot ? 2 : 1;
}

export function isInt64Text(s: string): boolean {
  // Up to 18 digits always fit in 64 bits.
  if (s.length <= 18 && simpleNumber(s) === 1) return true;
  if (!INT_RE.test(s)) return false;
  const v = BigInt(s);
  return v <= INT64_MAX && v >= INT64_MIN;
}

export function isNumericText(s: string): boolean {
  return simpleNumber(s) !== 0 || NUM_RE.test(s);
}

const BOOL_TRUE = new Set(['t', 'true', 'y', 'yes', 'on', '1']);
const BOOL_FALSE = new Set(['f', 'false', 'n', 'no', 'off', '0']);

/** Why the last encode of each type failed (static strings: no per-row allocation). */
export const REASONS: Record<ColumnType, string> = {
  bigint: 'not an integer in the bigint range',
  numeric: 'not a number',
  'double precision': 'not a number',
  boolean: 'not a boolean (true/false, t/f, yes/no, 1/0)',
  date: 'not a valid date (YYYY-MM-DD)',
  timestamp: 'not a valid timestamp (YYYY-MM-DD[ hh:mm[:ss[.fff]]])',
  timestamptz: 'not a valid timestamp with time zone',
  text: 'text contains a NUL character',
  jsonb: 'JSON contains a NUL character (\\u0000), which PostgreSQL cannot store',
};

function scalarText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : undefined;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return undefined;
}

const encoders: Record<ColumnType, Encoder> = {
  bigint(v) {
    if (typeof v === 'number') return Number.isSafeInteger(v) ? String(v) : undefined;
    const s = scalarText(v);
    if (s === undefined) return undefined;
    const t = s.trim();
    return isInt64Text(t) ? t : undefined;
  },
  numeric(v) {
    const s = scalarText(v);
    if (s === undefined || typeof v === 'boolean') return undefined;
    const t = s.trim();
    return isNumericText(t) || /^(NaN|[+-]?Infinity)$/.test(t) ? t : undefined;
  },
  'double precision'(v) {
    return encoders.numeric(v);
  },
  boolean(v) {
    if (typeof v === 'boolean') return v ? 't' : 'f';
    const s = scalarText(v);
    if (s === undefined) return undefined;
    const t = s.trim().toLowerCase();
    return BOOL_TRUE.has(t) ? 't' : BOOL_FALSE.has(t) ? 'f' : undefined;
  },
  date(v) {
    if (typeof v !== 'string') return undefined;
    const t = parseTemporal(v.trim());
    return t !== null && !t.hasTime ? v.trim() : undefined;
  },
  timestamp(v) {
    if (typeof v !== 'string') return undefined;
    const s = v.trim();
    const t = parseTemporal(s);
    if (t === null) return undefined;
    // A zone on a naive column would be silently dropped by PostgreSQL: refuse it.
    return t.offset === null ? s : undefined;
  },
  timestamptz(v) {
    if (typeof v !== 'string') return undefined;
    const s = v.trim();
    return parseTemporal(s) !== null ? s : undefined;
  },
  text(v) {
    if (typeof v === 'string') return escapeCopyText(v);
    if (v !== null && typeof v === 'object') return escapeCopyText(JSON.stringify(v));
    const s = scalarText(v);
    return s === undefined ? undefined : escapeCopyText(s);
  },
  jsonb(v) {
    const s = JSON.stringify(v);
    if (s === undefined || JSON_NUL_RE.test(s)) return undefined;
    return escapeCopyText(s);
  },
};

export function encoderFor(type: ColumnType): Encoder {
  return encoders[type];
}

/**
 * A jsonb column read from a CSV field: the field is JSON text (PostgreSQL parses it the
 * same way on the pass-through path), so it is checked, not re-encoded as a JSON string.
 * The text goes to COPY as written: numbers past 2^53 stay exact.
 */
export const jsonTextEncoder: Encoder = (v) => {
  if (typeof v !== 'string') return encoders.jsonb(v);
  try {
    JSON.parse(v);
  } catch {
    return undefined;
  }
  return JSON_NUL_RE.test(v) ? undefined : escapeCopyText(v);
};

export const JSON_TEXT_REASON = 'not valid JSON (or JSON with \\u0000, which PostgreSQL cannot store)';
