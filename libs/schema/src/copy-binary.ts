/**
 * COPY text rows → PostgreSQL's binary COPY format, field by field on bytes.
 *
 * Every encoder (RowEncoder, JsonLineEncoder) writes COPY text; this transcoder reads
 * those tokens — exactly what the text COPY would hand to each type's input function —
 * and writes what the type's binary receive function reads back as the same value. So
 * binary loads the same rows as text by construction: the encoders' checks and rejects
 * are shared, and only the step PostgreSQL would do (text → value) moves into Node.
 *
 * The work PostgreSQL saves: no COPY text unescaping and no numeric/timestamp/float
 * parsing in the server's backend, which is the database's ceiling when the workers run
 * elsewhere (docs/copy-format.md has the numbers).
 *
 * What PostgreSQL's input function would refuse (a float out of range, `24:00:00.5`, a
 * numeric past its format's weight or scale) or a spelling this transcoder does not read as PostgreSQL does
 * (`,` fractions), or a numeric too long for numeric_recv returns -1: the caller loads that chunk as text instead, so PostgreSQL
 * judges it and the reject is the text path's, with its reason and line.
 *
 * Formats (PostgreSQL's *_send/*_recv; the header and trailer are libs/db copy.ts's): per row int16 field count, per field int32 length (-1 NULL)
 * then the bytes; trailer int16 -1. int8 and float8 big-endian; bool one byte; text the
 * UTF-8 bytes; jsonb version 1 then the JSON text; date int32 days since 2000-01-01;
 * timestamp[tz] int64 µs since 2000-01-01 00:00 UTC; numeric int16 ndigits, weight,
 * sign (0x0000 +, 0x4000 −, 0xC000 NaN, 0xD000 +Inf, 0xF000 −Inf), dscale, then the
 * base-10000 digits.
 */
import { daysInMonth } from './temporal.js';
import { hasLineage, LINEAGE_COLUMNS, type ColumnType, type TableSpec } from './types.js';

const TAB = 0x09;
const BACKSLASH = 0x5c;
const TWO32 = 4294967296;
/** date2j(2000, 1, 1): PostgreSQL's epoch as a Julian day. */
const POSTGRES_EPOCH_JDATE = 2451545;
/** Seconds whose µs still fit a double exactly (2^53 / 1e6, rounded down): about ±285 years around 2000. */
const SAFE_SECONDS = 9_007_199_254;
/**
 * numeric: PostgreSQL's limits (numeric.c). numeric_in refuses what make_result cannot store
 * (weight past int16, dscale past 0x3FFF); numeric_recv refuses more than 3000 base-10000
 * digits (NUMERIC_MAX_PRECISION + NUMERIC_MAX_RESULT_SCALE), which text reads. An exponent past
 * ours goes to text (PostgreSQL refuses nearly all of them).
 */
const NUMERIC_MAX_EXPONENT = 1_000_000;
const NUMERIC_MAX_RECV_DIGITS = 3000;
const NUMERIC_DSCALE_MAX = 0x3fff;
/** numeric's sign word. */
const SIGN = { pos: 0x0000, neg: 0x4000, nan: 0xc000, pinf: 0xd000, ninf: 0xf000 } as const;

/** The types of a COPY row's fields: the table's columns, then lineage columns when it has them. */
export function copyFieldTypes(spec: TableSpec): ColumnType[] {
  const types = spec.columns.map((c) => c.type);
  if (hasLineage(spec)) for (const c of LINEAGE_COLUMNS) types.push(c.type);
  return types;
}

/** Whether the binary form of every value is known in Node: a naive timestamptz needs the session zone, which only UTC makes known here. */
export function binaryFits(types: readonly ColumnType[], timezone: string | null | undefined): boolean {
  return !timezone || UTC_ZONES.has(timezone) || !types.includes('timestamptz');
}

const UTC_ZONES = new Set(['UTC', 'Etc/UTC', 'utc', 'GMT', 'Etc/GMT', 'UCT', 'Etc/UCT', 'Universal', 'Etc/Universal', 'Zulu', 'Etc/Zulu', 'Z']);

const FLOAT_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

export class CopyBinaryTranscoder {
  /** Why the last row could not be written in binary (the chunk then loads as text). */
  reason = '';
  private readonly types: ColumnType[];
  /** Base-10000 digits of the numeric being written (reused). */
  private digits = new Uint16Array(64);
  private dec = new Uint8Array(256);

  constructor(types: readonly ColumnType[]) {
    this.types = [...types];
  }

  /** Most bytes a text row of `textBytes` can take in binary. */
  maxBytes(textBytes: number): number {
    return 2 + this.types.length * 24 + 2 * textBytes;
  }

  /**
   * The COPY text row src[s, e) (no newline) as one binary tuple written at dst[at]; room for
   * maxBytes(e - s) is the caller's. Returns the end position, or -1 (with `reason`).
   */
  transcode(src: Buffer, s: number, e: number, dst: Buffer, at: number): number {
    const n = this.types.length;
    const types = this.types;
    w16(dst, at, n);
    let p = at + 2;
    let fs = s;
    for (let i = 0; i < n; i++) {
      const type = types[i]!;
      let fe: number;
      if ((type === 'text' || type === 'jsonb') && !(src[fs] === BACKSLASH && src[fs + 1] === 0x4e && (fs + 2 === e || src[fs + 2] === TAB))) {
        // Text is unescaped and copied in the same pass that finds its end.
        p = this.text(src, fs, e, dst, p, type === 'jsonb');
        fe = this.fieldEnd;
      } else {
        fe = fs;
        while (fe < e && src[fe] !== TAB) fe++;
        p = this.field(type, src, fs, fe, dst, p);
      }
      if (p < 0) return -1;
      if (fe === e && i < n - 1) return this.fail(`${i + 1} fields, expected ${n}`);
      fs = fe + 1;
    }
    if (fs <= e) return this.fail(`more than ${n} fields`);
    return p;
  }

  private fail(reason: string): -1 {
    this.reason = reason;
    return -1;
  }

  /** One field src[s, e) at dst[p] (its length word, then its bytes); the end position or -1. */
  private field(type: ColumnType, src: Buffer, s: number, e: number, dst: Buffer, p: number): number {
    if (e - s === 2 && src[s] === BACKSLASH && src[s + 1] === 0x4e) {
      w32(dst, p, -1);
      return p + 4;
    }
    switch (type) {
      case 'text':
      case 'jsonb':
        return this.fail('text is not a NULL here'); // transcode writes text fields itself
      case 'boolean':
        if (e - s === 1 && (src[s] === 0x74 || src[s] === 0x66)) {
          w32(dst, p, 1);
          dst[p + 4] = src[s] === 0x74 ? 1 : 0;
          return p + 5;
        }
        return this.fail(`boolean ${src.toString('latin1', s, e)}`);
      case 'bigint':
        return this.bigint(src, s, e, dst, p);
      case 'double precision':
        return this.float8(src, s, e, dst, p);
      case 'numeric':
        return this.numeric(src, s, e, dst, p);
      case 'date':
      case 'timestamp':
      case 'timestamptz':
        return this.temporal(type, src, s, e, dst, p);
    }
  }

  /** Where the last text field ended in the source (its tab, or the row's end). */
  private fieldEnd = 0;

  /**
   * text and jsonb from src[s] to the next tab or `e`: the bytes with COPY's escapes undone
   * (jsonb: version 1 first). Sets fieldEnd.
   */
  private text(src: Buffer, s: number, e: number, dst: Buffer, p: number, jsonb: boolean): number {
    const start = p + 4;
    let q = start;
    if (jsonb) dst[q++] = 1;
    let i = s;
    for (; i < e; i++) {
      const c = src[i]!;
      if (c === TAB) break;
      if (c !== BACKSLASH) {
        dst[q++] = c;
        continue;
      }
      const x = src[++i];
      const u = x === 0x6e ? 0x0a : x === 0x74 ? 0x09 : x === 0x72 ? 0x0d : x === BACKSLASH ? BACKSLASH : x === 0x62 ? 0x08 : x === 0x66 ? 0x0c : x === 0x76 ? 0x0b : -1;
      // The encoders write only these escapes; anything else is left to the text path.
      if (u < 0) return this.fail('an escape the transcoder does not read');
      dst[q++] = u;
    }
    this.fieldEnd = i;
    w32(dst, p, q - start);
    return q;
  }

  private bigint(src: Buffer, s: number, e: number, dst: Buffer, p: number): number {
    let i = s;
    const neg = src[i] === 0x2d;
    if (neg || src[i] === 0x2b) i++;
    if (i === e) return this.fail('bigint without digits');
    while (i < e - 1 && src[i] === 0x30) i++; // leading zeros (int8in reads them)
    if (e - i <= 15) {
      let v = 0;
      for (; i < e; i++) {
        const d = src[i]! - 0x30;
        if (d < 0 || d > 9) return this.fail('bigint with a non-digit');
        v = v * 10 + d;
      }
      w32(dst, p, 8);
      writeInt64(neg ? -v : v, dst, p + 4);
      return p + 12;
    }
    let v: bigint;
    try {
      v = BigInt(src.toString('latin1', s, e));
    } catch {
      return this.fail('bigint with a non-digit');
    }
    if (v > 9223372036854775807n || v < -9223372036854775808n) return this.fail('bigint out of range');
    w32(dst, p, 8);
    dst.writeBigInt64BE(v, p + 4);
    return p + 12;
  }

  /**
   * float8 as float8in reads it (strtod, correctly rounded, as parseFloat is): a plain decimal
   * of at most 15 digits is m / 10^k, exact; anything else goes through parseFloat. Values
   * float8in refuses — overflow to ±Inf, or a non-zero value that underflows to 0 — go to text.
   */
  private float8(src: Buffer, s: number, e: number, dst: Buffer, p: number): number {
    let i = s;
    const neg = src[i] === 0x2d;
    if (neg || src[i] === 0x2b) i++;
    let m = 0;
    let digits = 0;
    let frac = -1;
    let plain = i < e;
    for (; i < e; i++) {
      const c = src[i]!;
      if (c >= 0x30 && c <= 0x39) {
        if (m !== 0 || c !== 0x30) digits++;
        m = m * 10 + (c - 0x30);
        if (frac >= 0) frac++;
      } else if (c === 0x2e && frac < 0) frac = 0;
      else {
        plain = false;
        break;
      }
    }
    let v: number;
    if (plain && digits <= 15 && frac <= 22) {
      v = frac > 0 ? m / POW10[frac]! : m;
      if (neg) v = -v;
    } else {
      const t = src.toString('latin1', s, e);
      if (t === 'NaN') v = NaN;
      else if (t === 'Infinity' || t === '+Infinity') v = Infinity;
      else if (t === '-Infinity') v = -Infinity;
      else {
        if (!FLOAT_RE.test(t)) return this.fail('not a float');
        v = parseFloat(t);
        if (!Number.isFinite(v)) return this.fail('float out of range');
        // float8in refuses a non-zero value that underflows to zero (strtod's ERANGE).
        if (v === 0 && /[1-9]/.test(t.replace(/[eE].*$/, ''))) return this.fail('float out of range (underflow)');
      }
    }
    w32(dst, p, 8);
    dst.writeDoubleBE(v, p + 4);
    return p + 12;
  }

  /**
   * numeric as numeric_in reads it (set_var_from_str): dweight and dscale from the digits,
   * the exponent moving both, the digits grouped base 10000 around the decimal point;
   * zero groups at either end dropped (numeric_recv's make_result strips them anyway).
   */
  private numeric(src: Buffer, s: number, e: number, dst: Buffer, p: number): number {
    let i = s;
    let sign: number = SIGN.pos;
    if (src[i] === 0x2d) {
      sign = SIGN.neg;
      i++;
    } else if (src[i] === 0x2b) i++;
    const c0 = src[i];
    if (c0 === 0x4e || c0 === 0x49) {
      const t = src.toString('latin1', i, e);
      const special = t === 'NaN' && i === s ? SIGN.nan : t === 'Infinity' ? (sign === SIGN.neg ? SIGN.ninf : SIGN.pinf) : -1;
      if (special < 0) return this.fail('not a number');
      w32(dst, p, 8);
      w32(dst, p + 4, 0); // ndigits, weight
      w16(dst, p + 8, special);
      w16(dst, p + 10, 0);
      return p + 12;
    }
    // Decimal digits without the point: leading zeros skipped, `before` of them before the point.
    if (this.dec.length < e - s) this.dec = new Uint8Array(2 * (e - s));
    const dec = this.dec;
    let nd = 0;
    let before = 0;
    let point = false;
    let fracDigits = 0;
    let any = false;
    for (; i < e; i++) {
      const c = src[i]!;
      if (c >= 0x30 && c <= 0x39) {
        any = true;
        if (point) fracDigits++;
        if (nd === 0 && c === 0x30) {
          // A leading zero: before the point it counts for nothing; after, it moves the weight.
          if (point) before--;
          continue;
        }
        dec[nd++] = c - 0x30;
        if (!point) before++;
      } else if (c === 0x2e && !point) point = true;
      else break;
    }
    if (!any) return this.fail('not a number');
    let exponent = 0;
    if (i < e) {
      if (src[i] !== 0x65 && src[i] !== 0x45) return this.fail('not a number');
      i++;
      let eneg = false;
      if (src[i] === 0x2d || src[i] === 0x2b) eneg = src[i++] === 0x2d;
      if (i === e) return this.fail('not a number');
      for (; i < e; i++) {
        const d = src[i]! - 0x30;
        if (d < 0 || d > 9) return this.fail('not a number');
        exponent = exponent * 10 + d;
        if (exponent > NUMERIC_MAX_EXPONENT) return this.fail('numeric exponent out of range');
      }
      if (eneg) exponent = -exponent;
    }
    const dscale = Math.max(0, fracDigits - exponent);
    if (dscale > NUMERIC_DSCALE_MAX) return this.fail('numeric scale out of range');
    // Trailing zero digits carry no value (dscale keeps the scale).
    while (nd > 0 && dec[nd - 1] === 0) nd--;
    if (nd === 0) {
      w32(dst, p, 8);
      w32(dst, p + 4, 0);
      w16(dst, p + 8, SIGN.pos);
      w16(dst, p + 10, dscale);
      return p + 12;
    }
    // dweight: the power of ten of the first significant digit.
    const dweight = before - 1 + exponent;
    const weight = Math.floor(dweight / 4);
    if (weight > 32767 || weight < -32768) return this.fail('numeric out of range');
    // Digit k (0-based) of dec has power dweight - k; group g holds powers 4*(weight-g) + 3 .. 4*(weight-g).
    const offset = (weight + 1) * 4 - (dweight + 1); // zeros before dec[0] in the first group
    const groups = Math.ceil((nd + offset) / 4);
    if (groups > NUMERIC_MAX_RECV_DIGITS) return this.fail('numeric too long for binary');
    if (this.digits.length < groups) this.digits = new Uint16Array(2 * groups);
    const digits = this.digits;
    for (let g = 0; g < groups; g++) {
      let v = 0;
      for (let k = g * 4 - offset, j = 0; j < 4; j++, k++) v = v * 10 + (k >= 0 && k < nd ? dec[k]! : 0);
      digits[g] = v;
    }
    const len = 8 + 2 * groups;
    w32(dst, p, len);
    w16(dst, p + 4, groups);
    w16(dst, p + 6, weight);
    w16(dst, p + 8, sign);
    w16(dst, p + 10, dscale);
    let q = p + 12;
    for (let g = 0; g < groups; g++, q += 2) w16(dst, q, digits[g]!);
    return q;
  }

  /**
   * date, timestamp and timestamptz in the spellings parseTemporal accepts:
   * YYYY-MM-DD[(T| )hh:mm[:ss[.f…]]][ ][Z|±hh[[:]mm]], as PostgreSQL's datetime input reads
   * them: a fraction rounded to µs with rint(strtod(".f…") × 10^6); 24:00:00 is the next
   * day's midnight; :60 the next minute; an offset subtracted to give UTC.
   */
  private temporal(type: ColumnType, src: Buffer, s: number, e: number, dst: Buffer, p: number): number {
    const len = e - s;
    if (len < 10 || src[s + 4] !== 0x2d || src[s + 7] !== 0x2d) return this.fail('not a date');
    const hi = d2(src, s);
    const lo = d2(src, s + 2);
    const y = hi * 100 + lo;
    const m = d2(src, s + 5);
    const d = d2(src, s + 8);
    if (hi < 0 || lo < 0 || y === 0 || !(m >= 1 && m <= 12) || !(d >= 1 && d <= daysInMonth(y, m))) return this.fail('not a date');
    const days = date2j(y, m, d) - POSTGRES_EPOCH_JDATE;
    if (type === 'date') {
      if (len !== 10) return this.fail('a date with more');
      w32(dst, p, 4);
      w32(dst, p + 4, days);
      return p + 8;
    }
    let hh = 0;
    let mi = 0;
    let ss = 0;
    let us = 0;
    let offsetMin = 0;
    let i = s + 10;
    if (i < e) {
      if ((src[i] !== 0x54 && src[i] !== 0x20) || i + 6 > e || src[i + 3] !== 0x3a) return this.fail('not a timestamp');
      hh = d2(src, i + 1);
      mi = d2(src, i + 4);
      i += 6;
      if (src[i] === 0x3a) {
        ss = d2(src, i + 1);
        i += 3;
        if (src[i] === 0x2e) {
          const f = i;
          i++;
          while (i < e && src[i]! >= 0x30 && src[i]! <= 0x39) i++;
          const k = i - f - 1;
          if (k === 0 || k > 9) return this.fail('not a timestamp');
          if (k <= 6) {
            for (let j = f + 1; j < i; j++) us = us * 10 + (src[j]! - 0x30);
            us *= POW10[6 - k]!;
          } else us = rint(parseFloat(src.toString('latin1', f, i)) * 1e6);
        }
      }
      if (!(hh >= 0 && hh <= 24 && mi >= 0 && mi <= 59 && ss >= 0 && ss <= 60)) return this.fail('not a timestamp');
      if (hh === 24 && (mi > 0 || ss > 0 || us > 0)) return this.fail('time out of range');
      if (i < e && src[i] === 0x20) i++;
      if (i < e) {
        const z = src[i]!;
        if ((z === 0x5a || z === 0x7a) && i + 1 === e) offsetMin = 0;
        else if (z === 0x2b || z === 0x2d) {
          const oh = d2(src, i + 1);
          let om = 0;
          let j = i + 3;
          if (j < e && src[j] === 0x3a) j++;
          if (j < e) {
            om = d2(src, j);
            j += 2;
          }
          if (j !== e || !(oh >= 0 && oh <= 15) || !(om >= 0 && om <= 59)) return this.fail('not a time zone offset');
          offsetMin = (z === 0x2d ? -1 : 1) * (oh * 60 + om);
        } else return this.fail('not a timestamp');
        if (type === 'timestamp') return this.fail('a zone on a timestamp without time zone');
      }
    } else if (len !== 10) return this.fail('not a timestamp');
    const secs = days * 86400 + hh * 3600 + mi * 60 + ss - offsetMin * 60;
    w32(dst, p, 8);
    if (secs < SAFE_SECONDS && secs > -SAFE_SECONDS) writeInt64(secs * 1e6 + us, dst, p + 4);
    else dst.writeBigInt64BE(BigInt(secs) * 1_000_000n + BigInt(us), p + 4);
    return p + 12;
  }
}

/** A safe integer as int64 big-endian, without BigInt. */
function writeInt64(v: number, dst: Buffer, p: number): void {
  const hi = Math.floor(v / TWO32);
  w32(dst, p, hi);
  w32(dst, p + 4, v - hi * TWO32);
}

const d2 = (b: Buffer, i: number): number => {
  const x = b[i]! - 0x30;
  const y = b[i + 1]! - 0x30;
  return x >= 0 && x <= 9 && y >= 0 && y <= 9 ? x * 10 + y : -1;
};

/** PostgreSQL's date2j (datetime.c): the Julian day of a proleptic Gregorian date. */
export function date2j(year: number, month: number, day: number): number {
  if (month > 2) {
    month += 1;
    year += 4800;
  } else {
    month += 13;
    year += 4799;
  }
  const century = Math.floor(year / 100);
  let julian = year * 365 - 32167;
  julian += Math.floor(year / 4) - century + Math.floor(century / 4);
  julian += Math.floor((7834 * month) / 256) + day;
  return julian;
}

/** C's rint in the default rounding mode: to nearest, ties to even. */
function rint(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * 32 and 16 bits big-endian (two's complement for negatives), by hand: Buffer's write*BE
 * check their arguments on every call, which was most of a field's cost here. Typed-array
 * stores keep the low 8 bits.
 */
function w32(b: Buffer, p: number, v: number): void {
  b[p] = v >>> 24;
  b[p + 1] = v >>> 16;
  b[p + 2] = v >>> 8;
  b[p + 3] = v;
}

function w16(b: Buffer, p: number, v: number): void {
  b[p] = v >>> 8;
  b[p + 1] = v;
}
