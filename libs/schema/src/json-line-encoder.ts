/**
 * The fast path for JSON Lines: one validating pass over a line's bytes that picks out
 * only the values the table needs and writes them as COPY text, without JSON.parse and
 * without building objects or (mostly) strings. A string without escapes is copied
 * byte for byte — JSON forbids raw control characters in strings and a backslash only
 * starts an escape, so such a string needs no COPY escaping; numbers are copied as
 * written (exact, even past 2^53).
 *
 * The scanner validates the whole line (RFC 8259 grammar; UTF-8 is checked by the
 * reader), so it accepts a line only if JSON.parse would. When a line is not plain —
 * syntax errors, values of an unexpected kind, escapes where a typed value is expected
 * — `encode` returns false and the caller takes the general path (JSON.parse and
 * RowEncoder), which gives the same result or the reject with its reason. Duplicate
 * keys: the last one wins, as in JSON.parse.
 */
import { encoderFor, escapeCopyText, type Encoder } from './encode.js';
import { isInt64Text } from './encode.js';
import { isNullSpelling } from './nulls.js';
import { rowPartitionKey } from './partition.js';
import { scanIso } from './scan-iso.js';
import type { RowWriter } from './row-writer.js';
import { hasLineage, isRangePartition, type ColumnSource, type ColumnType, type PartitionInterval, type PartitionSpec, type TableSpec } from './types.js';

/**
 * Nesting the recursive scanner follows; a deeper line takes the general path (JSON.parse
 * does not recurse), so a record nested 100,000 levels deep cannot overflow the stack.
 */
const MAX_DEPTH = 256;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const TAB = 0x09;

const enum Kind {
  None = 0,
  String,
  Number,
  True,
  False,
  Null,
  Object,
  Array,
}

interface PathNode {
  children: Map<string, PathNode>;
  /** The children's keys as UTF-8 bytes, to match keys in the input without decoding them. */
  keys: { bytes: Buffer; node: PathNode; plain: boolean }[];
  /** Column fed by the value at this path, or -1. */
  column: number;
  /**
   * Index in `keys` to try first for the next member: records of one file nearly always
   * list their keys in the same order, so after matching keys[i] the next is keys[i+1].
   */
  next: number;
}

/**
 * Whether the scanner can fill a column from this source. Exhaustive on purpose: a new
 * kind of source does not compile until it is decided here (a forgotten one would give
 * wrong rows, not an error).
 */
function scansSource(src: ColumnSource): boolean {
  switch (src.kind) {
    case 'path':
    case 'record':
    case 'key':
      return true;
    case 'field':
    case 'const':
    case 'index':
      return false;
    default: {
      const never: never = src;
      return never;
    }
  }
}

const newNode = (): PathNode => ({ children: new Map(), keys: [], column: -1, next: 0 });

export class JsonLineEncoder {
  /** Whether this encoder can handle the spec at all (no explode, transforms or computed columns). */
  static supports(spec: TableSpec): boolean {
    return !spec.explode && !spec.nullValues?.length && spec.columns.every((c) => !c.transform?.length && scansSource(c.source));
  }

  private readonly root: PathNode = newNode();
  private readonly types: ColumnType[];
  private readonly encoders: Encoder[];
  private readonly n: number;
  private readonly partIndex: number;
  private readonly partition: PartitionSpec | null;
  /** Interval of a RANGE partition column, for the byte-level timestamp check. */
  private readonly interval: PartitionInterval | null;
  private readonly lineage: string | null;
  /** Column fed by the record's member name (objects keyed by id), or -1. */
  private readonly keyColumn: number;
  // Per-line captures, reused.
  private readonly kind: Uint8Array;
  private readonly vStart: Int32Array;
  private readonly vEnd: Int32Array;
  private readonly escaped: Uint8Array;
  private readonly isInt: Uint8Array;
  // Scanner state.
  private buf: Buffer = Buffer.alloc(0);
  private p = 0;
  private end = 0;
  private lastEscaped = false;
  private lastInt = false;
  /** Objects and arrays open around this.p; deeper than MAX_DEPTH goes to the general path. */
  private depth = 0;

  constructor(spec: TableSpec, runId: number | string) {
    this.n = spec.columns.length;
    this.types = spec.columns.map((c) => c.type);
    this.encoders = this.types.map(encoderFor);
    spec.columns.forEach((c, i) => {
      if (c.source.kind === 'record') this.root.column = i;
      else if (c.source.kind === 'path') {
        let node = this.root;
        for (const key of c.source.path) {
          let next = node.children.get(key);
          if (!next) {
            node.children.set(key, (next = newNode()));
            const bytes = Buffer.from(key, 'utf8');
            // A key whose bytes need no escaping in JSON can be matched against the input raw.
            node.keys.push({ bytes, node: next, plain: bytes.every((b) => STRING_STOP[b] === 0) });
          }
          node = next;
        }
        node.column = i;
      }
    });
    this.keyColumn = spec.columns.findIndex((c) => c.source.kind === 'key');
    this.partIndex = spec.partition ? spec.columns.findIndex((c) => c.name === spec.partition!.column) : -1;
    this.partition = spec.partition;
    this.interval = isRangePartition(spec.partition) ? spec.partition.interval : null;
    this.lineage = hasLineage(spec) ? `\t${runId}\t` : null;
    this.kind = new Uint8Array(this.n);
    this.vStart = new Int32Array(this.n);
    this.vEnd = new Int32Array(this.n);
    this.escaped = new Uint8Array(this.n);
    this.isInt = new Uint8Array(this.n);
  }

  /** The partition key of the last row encoded (null: DEFAULT partition). */
  partKey: string | null = null;

  /**
   * Encode the JSON value in buf[start, end) as one COPY row into `out`.
   * Returns false (writing nothing) when the line needs the general path.
   */
  encode(buf: Buffer, start: number, end: number, out: RowWriter, offset: number, line: number, keyStart = -1, keyEnd = -1): boolean {
    this.buf = buf;
    this.p = start;
    this.end = end;
    this.kind.fill(Kind.None);
    this.depth = 0;
    if (this.keyColumn >= 0 && keyStart >= 0) {
      // The member name, a JSON string already delimited by the reader.
      this.p = keyStart;
      this.end = keyEnd;
      if (!this.value(null, this.keyColumn) || this.p !== keyEnd) return false;
      this.p = start;
      this.end = end;
    }
    this.ws();
    if (!this.value(this.root, this.root.column)) return false;
    this.ws();
    if (this.p !== end) return false;

    // Escaping can at most double a value; lineage and separators add a little.
    out.begin(2 * (end - start) + 2 * this.n + 48);
    this.partKey = null;
    for (let i = 0; i < this.n; i++) {
      if (i > 0) out.byte(TAB);
      if (!this.column(i, out)) {
        out.abort();
        return false;
      }
    }
    if (this.lineage !== null) out.text(this.lineage + offset);
    out.commit(offset, line);
    return true;
  }

  /** Write column i's captured value. False: not expressible here (general path). */
  private column(i: number, out: RowWriter): boolean {
    const k = this.kind[i] as Kind;
    const s = this.vStart[i]!;
    const e = this.vEnd[i]!;
    const buf = this.buf;
    if (k === Kind.None || k === Kind.Null) {
      out.text('\\N');
      return true;
    }
    const type = this.types[i]!;
    // A LIST partition column needs its value as a key: the general path computes it.
    if (i === this.partIndex && this.interval === null && this.partition?.by === 'list') return this.general(i, out);
    // An empty string in a non-text column is NULL, as in RowEncoder.
    if (k === Kind.String && e - s === 2 && type !== 'text') {
      out.text('\\N');
      return true;
    }
    switch (type) {
      case 'text':
        if (k === Kind.String) return this.escaped[i] ? copyJsonEscapes(buf, s + 1, e - 1, out) : (out.bytes(buf, s + 1, e - 1), true);
        if (k === Kind.Number || k === Kind.True || k === Kind.False) return out.bytes(buf, s, e), true;
        break;
      case 'bigint':
        if (k === Kind.Number && this.isInt[i] && (e - s < 18 || isInt64Text(buf.toString('latin1', s, e)))) return out.bytes(buf, s, e), true;
        break;
      case 'numeric':
      case 'double precision':
        if (k === Kind.Number) return out.bytes(buf, s, e), true;
        break;
      case 'boolean':
        if (k === Kind.True || k === Kind.False) return out.text(k === Kind.True ? 't' : 'f'), true;
        break;
      case 'jsonb':
        if (!hasCopySpecial(buf, s, e)) return out.bytes(buf, s, e), true;
        // Escapes or whitespace: still the JSON text itself, COPY-escaped. Decoding it
        // (the general path) would round numbers past 2^53 and drop trailing zeros (2.50);
        // only \u0000, which jsonb refuses, goes there to become a reject.
        if (buf.subarray(s, e).indexOf('\\u0000') < 0) return copyEscaped(buf, s, e, out), true;
        break;
      case 'date':
      case 'timestamp':
      case 'timestamptz':
        if (k === Kind.String && !this.escaped[i]) {
          const key = scanIso(buf, s + 1, e - 1, type, i === this.partIndex ? this.interval : null);
          if (key !== undefined) {
            if (i === this.partIndex) this.partKey = this.interval !== null ? key : rowPartitionKey(this.partition!, buf.toString('latin1', s + 1, e - 1));
            return out.bytes(buf, s + 1, e - 1), true;
          }
          const token = this.encoders[i]!(buf.toString('latin1', s + 1, e - 1));
          if (token === undefined) return false;
          if (i === this.partIndex) this.partKey = rowPartitionKey(this.partition!, token);
          return out.text(token), true;
        }
        break;
    }
    return this.general(i, out);
  }

  /** Decode one value and use the general encoder for its type. */
  private general(i: number, out: RowWriter): boolean {
    const type = this.types[i]!;
    const v: unknown = JSON.parse(this.buf.toString('utf8', this.vStart[i]!, this.vEnd[i]!));
    if (v === '' && type !== 'text') return out.text('\\N'), true;
    const token = type === 'text' && typeof v === 'string' ? escapeCopyText(v) : this.encoders[i]!(v);
    if (token === undefined) {
      // As in RowEncoder: a NULL spelling the type cannot read is NULL outside text.
      if (type !== 'text' && typeof v === 'string' && isNullSpelling(v)) return out.text('\\N'), true;
      return false;
    }
    if (i === this.partIndex) this.partKey = rowPartitionKey(this.partition!, token);
    out.text(token);
    return true;
  }

  // ---- the scanner: each method advances this.p past one construct, false on a syntax error

  private ws(): void {
    const buf = this.buf;
    let p = this.p;
    if (p < this.end && buf[p]! > 0x20) return; // the common case: no whitespace
    while (p < this.end) {
      const c = buf[p]!;
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      p++;
    }
    this.p = p;
  }

  /** One value; captured for `column` (>= 0); descended into with `node` when an object. */
  private value(node: PathNode | null, column: number): boolean {
    if (this.p >= this.end) return false;
    const start = this.p;
    const c = this.buf[start]!;
    let kind: Kind;
    if (c === QUOTE) {
      if (!this.string()) return false;
      kind = Kind.String;
    } else if (c === 0x7b) {
      if (!this.object(node !== null && node.children.size > 0 ? node : null)) return false;
      kind = Kind.Object;
    } else if (c === 0x5b) {
      if (!this.array()) return false;
      kind = Kind.Array;
    } else if (c === 0x74) {
      if (!this.literal('true')) return false;
      kind = Kind.True;
    } else if (c === 0x66) {
      if (!this.literal('false')) return false;
      kind = Kind.False;
    } else if (c === 0x6e) {
      if (!this.literal('null')) return false;
      kind = Kind.Null;
    } else {
      if (!this.number()) return false;
      kind = Kind.Number;
    }
    if (column >= 0) {
      this.kind[column] = kind;
      this.vStart[column] = start;
      this.vEnd[column] = this.p;
      this.escaped[column] = kind === Kind.String && this.lastEscaped ? 1 : 0;
      this.isInt[column] = kind === Kind.Number && this.lastInt ? 1 : 0;
    }
    return true;
  }

  private object(node: PathNode | null): boolean {
    const buf = this.buf;
    if (++this.depth > MAX_DEPTH) return false;
    this.p++; // {
    this.ws();
    if (buf[this.p] === 0x7d) {
      this.p++;
      this.depth--;
      return true;
    }
    for (;;) {
      if (buf[this.p] !== QUOTE) return false;
      const ks = this.p + 1;
      let child: PathNode | undefined;
      const predicted = node?.keys[node.next];
      const pe = predicted ? ks + predicted.bytes.length : -1;
      if (predicted?.plain && pe < this.end && buf[pe] === QUOTE && sameBytes(predicted.bytes, buf, ks, pe)) {
        // The key the previous record had here: its bytes are a valid plain string.
        this.p = pe + 1;
        child = predicted.node;
        predictAfter(node!, node!.next);
      } else {
        if (!this.string()) return false;
        const ke = this.p - 1;
        if (node !== null) {
          child = this.lastEscaped
            ? node.children.get(JSON.parse(buf.toString('utf8', ks - 1, ke + 1)) as string)
            : matchKey(node, buf, ks, ke);
        }
      }
      this.ws();
      if (buf[this.p] !== 0x3a) return false;
      this.p++;
      this.ws();
      // A scalar or array where an object was expected leaves its columns NULL, as in RowEncoder.
      if (!this.value(child ?? null, child ? child.column : -1)) return false;
      const next = this.separator(0x7d);
      if (next !== 'more') return next === 'end';
    }
  }

  private array(): boolean {
    const buf = this.buf;
    if (++this.depth > MAX_DEPTH) return false;
    this.p++; // [
    this.ws();
    if (buf[this.p] === 0x5d) {
      this.p++;
      this.depth--;
      return true;
    }
    for (;;) {
      if (!this.value(null, -1)) return false;
      const next = this.separator(0x5d);
      if (next !== 'more') return next === 'end';
    }
  }

  /** After a member or element: a comma means another follows; else the container must close here. */
  private separator(close: number): 'more' | 'end' | 'bad' {
    this.ws();
    const c = this.buf[this.p++];
    if (c === 0x2c) {
      this.ws();
      return 'more';
    }
    this.depth--;
    return c === close ? 'end' : 'bad';
  }

  /** A string starting at this.p (a quote). Sets lastEscaped. */
  private string(): boolean {
    const buf = this.buf;
    const end = this.end;
    let p = this.p + 1;
    let escaped = false;
    while (p < end) {
      // Plain bytes (most of them) cost one table lookup each.
      while (p < end && STRING_STOP[buf[p]!] === 0) p++;
      if (p >= end) break;
      const c = buf[p]!;
      if (c === QUOTE) {
        this.p = p + 1;
        this.lastEscaped = escaped;
        this.lastInt = false;
        return true;
      }
      if (c === BACKSLASH) {
        escaped = true;
        const x = buf[p + 1];
        if (x === 0x75) {
          for (let k = 2; k < 6; k++) if (!isHex(buf[p + k])) return false;
          p += 6;
        } else if (x === QUOTE || x === BACKSLASH || x === 0x2f || x === 0x62 || x === 0x66 || x === 0x6e || x === 0x72 || x === 0x74) {
          p += 2;
        } else return false;
      } else return false; // a control character
    }
    return false;
  }

  private number(): boolean {
    const buf = this.buf;
    let p = this.p;
    let int = true;
    if (buf[p] === 0x2d) p++;
    if (buf[p] === 0x30) p++;
    else if (isDigit19(buf[p])) while (isDigit(buf[p])) p++;
    else return false;
    if (buf[p] === 0x2e) {
      int = false;
      p++;
      if (!isDigit(buf[p])) return false;
      while (isDigit(buf[p])) p++;
    }
    if (buf[p] === 0x65 || buf[p] === 0x45) {
      int = false;
      p++;
      if (buf[p] === 0x2b || buf[p] === 0x2d) p++;
      if (!isDigit(buf[p])) return false;
      while (isDigit(buf[p])) p++;
    }
    if (p > this.end) return false;
    this.p = p;
    this.lastInt = int;
    this.lastEscaped = false;
    return true;
  }

  private literal(word: string): boolean {
    const p = this.p;
    if (p + word.length > this.end) return false;
    for (let k = 1; k < word.length; k++) if (this.buf[p + k] !== word.charCodeAt(k)) return false;
    this.p = p + word.length;
    this.lastEscaped = false;
    this.lastInt = false;
    return true;
  }
}

/**
 * Rewrite the content of a JSON string with escapes as COPY text, on bytes: \" and \/
 * become the character, \\ \n \r \t \b \f become COPY's escapes, \uXXXX becomes
 * UTF-8 (or a COPY escape below 0x20). False for \u0000 and lone surrogates, which
 * the general path turns into a reject.
 */
function copyJsonEscapes(buf: Buffer, s: number, e: number, out: RowWriter): boolean {
  let run = s;
  for (let i = s; i < e; i++) {
    if (buf[i] !== BACKSLASH) continue;
    if (i > run) out.bytes(buf, run, i);
    const x = buf[i + 1]!;
    if (x === 0x75) {
      let cp = parseInt(buf.toString('latin1', i + 2, i + 6), 16);
      i += 5;
      if (cp >= 0xd800 && cp <= 0xdbff) {
        if (buf[i + 1] !== BACKSLASH || buf[i + 2] !== 0x75) return false;
        const lo = parseInt(buf.toString('latin1', i + 3, i + 7), 16);
        if (!(lo >= 0xdc00 && lo <= 0xdfff)) return false;
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        i += 6;
      } else if (cp >= 0xdc00 && cp <= 0xdfff) return false;
      if (cp === 0) return false;
      if (cp < 0x20 || cp === 0x5c) out.text(escapeCopyText(String.fromCharCode(cp))!);
      else out.text(String.fromCodePoint(cp));
    } else {
      i += 1;
      switch (x) {
        case 0x6e: out.text('\\n'); break;
        case 0x72: out.text('\\r'); break;
        case 0x74: out.text('\\t'); break;
        case 0x62: out.text('\\b'); break;
        case 0x66: out.text('\\f'); break;
        case BACKSLASH: out.text('\\\\'); break;
        default: out.byte(x); // \" and \/
      }
    }
    run = i + 1;
  }
  if (e > run) out.bytes(buf, run, e);
  return true;
}

/** The child whose key is buf[ks, ke), trying the predicted key first. */
function matchKey(node: PathNode, buf: Buffer, ks: number, ke: number): PathNode | undefined {
  const keys = node.keys;
  const n = keys.length;
  for (let j = 0, k = node.next; j < n; j++, k = k + 1 === n ? 0 : k + 1) {
    if (sameBytes(keys[k]!.bytes, buf, ks, ke)) {
      predictAfter(node, k);
      return keys[k]!.node;
    }
  }
  return undefined;
}

/** keys[k] matched: expect the key after it next. */
function predictAfter(node: PathNode, k: number): void {
  node.next = k + 1 === node.keys.length ? 0 : k + 1;
}

function sameBytes(b: Buffer, buf: Buffer, s: number, e: number): boolean {
  if (b.length !== e - s) return false;
  for (let i = 0; i < b.length; i++) if (b[i] !== buf[s + i]) return false;
  return true;
}

/** Bytes that end a plain run inside a JSON string: the quote, a backslash, control characters. */
const STRING_STOP = new Uint8Array(256);
for (let c = 0; c < 0x20; c++) STRING_STOP[c] = 1;
STRING_STOP[QUOTE] = 1;
STRING_STOP[BACKSLASH] = 1;

const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;
const isDigit19 = (c: number | undefined): boolean => c !== undefined && c >= 0x31 && c <= 0x39;
const isHex = (c: number | undefined): boolean =>
  c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66));

/** buf[s, e) as COPY text: backslash, tab, LF and CR escaped, everything else as is. */
function copyEscaped(buf: Buffer, s: number, e: number, out: RowWriter): void {
  let run = s;
  for (let i = s; i < e; i++) {
    const c = buf[i]!;
    if (c !== BACKSLASH && c !== 0x0a && c !== 0x0d && c !== TAB) continue;
    if (i > run) out.bytes(buf, run, i);
    out.text(c === BACKSLASH ? '\\\\' : c === 0x0a ? '\\n' : c === 0x0d ? '\\r' : '\\t');
    run = i + 1;
  }
  if (e > run) out.bytes(buf, run, e);
}

/** Bytes COPY text would misread: backslash, tab, LF, CR (JSON whitespace or escapes). */
function hasCopySpecial(buf: Buffer, s: number, e: number): boolean {
  for (let i = s; i < e; i++) {
    const c = buf[i]!;
    if (c === BACKSLASH || c === 0x0a || c === 0x0d || c === TAB) return true;
  }
  return false;
}
