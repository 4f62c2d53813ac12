/**
 * Benchmark-sized inputs, fast: the same shapes as generate.ts (a trips-like CSV and a
 * nested chat-like JSONL), sized in bytes instead of rows, at a few hundred MB/s. Rows are
 * written byte by byte into a large Buffer from pre-encoded pieces (field values, JSON-escaped
 * texts, dates) and digit arithmetic, so no string, Date, toFixed or padStart is made per
 * row; the Buffer goes to disk with synchronous writes when full. The output depends only on
 * (bytes, seed, options): the file ends with the first row that makes it at least `bytes` long.
 */
import { closeSync, openSync, renameSync, writeSync } from 'node:fs';
import { rng } from './random.js';
import type { Totals } from './generate.js';

export interface SizedOptions {
  /** Target size: rows are written until the file is at least this long. */
  bytes: number;
  seed?: number;
}

export interface SizedCsvOptions extends SizedOptions {
  /** Every n-th row gets a note with an embedded newline (and quotes). 0 = never (default). */
  quotedNewlineEvery?: number;
}

export interface SizedTotals extends Totals {
  /** Bytes written, header included. */
  bytes: number;
}

const BUFFER_BYTES = 8 << 20;
/** No generated row is longer (the longest is about 250 bytes). */
const MAX_ROW_BYTES = 1024;
const DAY_S = 86_400;
const YEAR_DAYS = 365;

/** Appends bytes to a Buffer; the caller makes sure a row fits (MAX_ROW_BYTES). */
class ByteWriter {
  readonly buf = Buffer.allocUnsafe(BUFFER_BYTES);
  pos = 0;

  bytes(b: Uint8Array): void {
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < b.length; i++) buf[p++] = b[i]!;
    this.pos = p;
  }

  byte(c: number): void {
    this.buf[this.pos++] = c;
  }

  /** A non-negative integer below 2^31 in decimal. */
  uint(n: number): void {
    let len = 1;
    for (let t = n; t >= 10; t = (t / 10) | 0) len++;
    this.pad(n, len);
  }

  /** A non-negative integer below 2^31, zero-padded to `width` digits. */
  pad(n: number, width: number): void {
    const buf = this.buf;
    let p = this.pos + width;
    this.pos = p;
    for (let i = 0; i < width; i++) {
      const q = (n / 10) | 0;
      buf[--p] = 48 + n - q * 10;
      n = q;
    }
  }

  /** 0-99 as two digits. */
  d2(n: number): void {
    const buf = this.buf;
    const p = this.pos;
    buf[p] = DIGITS2[2 * n]!;
    buf[p + 1] = DIGITS2[2 * n + 1]!;
    this.pos = p + 2;
  }

  /** 0-999999 as six digits. */
  d6(n: number): void {
    const hi = (n / 1000) | 0;
    const lo = n - hi * 1000;
    const buf = this.buf;
    const p = this.pos;
    buf[p] = DIGITS3[3 * hi]!;
    buf[p + 1] = DIGITS3[3 * hi + 1]!;
    buf[p + 2] = DIGITS3[3 * hi + 2]!;
    buf[p + 3] = DIGITS3[3 * lo]!;
    buf[p + 4] = DIGITS3[3 * lo + 1]!;
    buf[p + 5] = DIGITS3[3 * lo + 2]!;
    this.pos = p + 6;
  }

  /** HH:MM:SS of a second of the day. */
  time(s: number): void {
    this.d2((s / 3600) | 0);
    this.byte(COLON);
    this.d2(((s / 60) | 0) % 60);
    this.byte(COLON);
    this.d2(s % 60);
  }
}

const enc = (s: string): Buffer => Buffer.from(s);
const COLON = 0x3a;
const COMMA = 0x2c;
const DOT = 0x2e;
const SPACE = 0x20;
const NL = 0x0a;
/** '00'…'99' and '000'…'999', packed. */
const DIGITS2 = enc(Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0')).join(''));
const DIGITS3 = enc(Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0')).join(''));
/** 'YYYY-MM-DD' of 2023-01-01 and the days after it (a little past the year, for conversations that end in 2024). */
const DAYS = Array.from({ length: YEAR_DAYS + 2 }, (_, d) => enc(new Date(Date.UTC(2023, 0, 1 + d)).toISOString().slice(0, 10)));

// ---------------------------------------------------------------- trips.csv

const TRIPS_HEADER = enc('region,origin_coord,destination_coord,datetime,datasource,passengers,fare,note\n');
const REGIONS = ['Prague', 'Turin', 'Hamburg', 'Zürich', 'São Paulo'].map((s) => enc(`${s},`));
const SOURCES = ['funny_car', 'baba_car', 'cheap_mobile', 'pt_search_app', 'bad_diesel_vehicles'].map((s) => enc(`${s},`));
/** The constant text around the four coordinates: "POINT (14.dddddd 50.dddddd)","POINT (7.dddddd 45.dddddd)", */
const COORD_TEXT = ['"POINT (14.', ' 50.', ')","POINT (7.', ' 45.', ')",'].map(enc);
const NOTE_PLAIN = enc('plain');
const NOTE_NEWLINE = enc('"line one\nline ""two"", with comma"');

/** region,"POINT (x y)","POINT (x y)",YYYY-MM-DD HH:MM:SS,datasource,passengers,fare,note */
function tripsRows(opts: SizedCsvOptions): RowSource {
  const r = rng(opts.seed ?? 1);
  const every = opts.quotedNewlineEvery ?? 0;
  let i = 0;
  const src: RowSource = {
    header: TRIPS_HEADER,
    int: 0,
    decimalMilli: 0,
    write(w) {
      w.bytes(REGIONS[(r() * REGIONS.length) | 0]!);
      for (let k = 0; k < 4; k++) {
        w.bytes(COORD_TEXT[k]!);
        w.d6((r() * 1_000_000) | 0);
      }
      w.bytes(COORD_TEXT[4]!);
      const sec = (r() * YEAR_DAYS * DAY_S) | 0;
      w.bytes(DAYS[(sec / DAY_S) | 0]!);
      w.byte(SPACE);
      w.time(sec % DAY_S);
      w.byte(COMMA);
      w.bytes(SOURCES[(r() * SOURCES.length) | 0]!);
      const passengers = 1 + ((r() * 6) | 0);
      w.uint(passengers);
      w.byte(COMMA);
      const cents = (r() * 100_000) | 0;
      w.uint((cents / 100) | 0);
      w.byte(DOT);
      w.d2(cents % 100);
      w.byte(COMMA);
      if (every > 0 && i % every === 0) w.bytes(NOTE_NEWLINE);
      else if (r() < 0.5) w.bytes(NOTE_PLAIN);
      w.byte(NL);
      i++;
      src.int = passengers;
      src.decimalMilli = cents * 10;
    },
  };
  return src;
}

// ---------------------------------------------------------------- chat.jsonl

const TEXTS = ['hello 👋', 'Das ist "gut"', 'tab\there', 'back\\slash', 'new\nline', 'ünïcödé ✓', "it's fine"].map((t) => enc(JSON.stringify(t)));
/** Scores -1.000 … 0.999 as JSON numbers, indexed by milli + 1000. */
const SCORES = Array.from({ length: 2000 }, (_, i) => enc(String((i - 1000) / 1000)));
const CHAT = {
  id: enc('{"conversation_id":"t_'),
  turn: enc('","turn":'),
  agent: [enc(',"agent":"agent_1","message":'), enc(',"agent":"agent_2","message":')],
  sentAt: enc(',"sent_at":"'),
  label: [enc('.000Z","sentiment":{"label":"Negative","score":'), enc('.000Z","sentiment":{"label":"Positive","score":')],
  knowledge: [enc('},"knowledge":["FS1"]}\n'), enc('},"knowledge":["FS1","FS2"]}\n')],
};

/** {"conversation_id","turn","agent","message","sent_at","sentiment":{"label","score"},"knowledge":[...]} */
function chatRows(opts: SizedOptions): RowSource {
  const r = rng(opts.seed ?? 2);
  let i = 0;
  let start = 0;
  const src: RowSource = {
    header: Buffer.alloc(0),
    int: 0,
    decimalMilli: 0,
    write(w) {
      const turn = i % 20;
      // A conversation starts at a random second of 2023; its turns follow 37 s apart.
      if (turn === 0) start = (r() * YEAR_DAYS * DAY_S) | 0;
      const sent = start + turn * 37;
      const milli = ((r() * 2000) | 0) - 1000;
      w.bytes(CHAT.id);
      w.uint((i / 20) | 0);
      w.bytes(CHAT.turn);
      w.uint(turn);
      w.bytes(CHAT.agent[turn % 2]!);
      w.bytes(TEXTS[(r() * TEXTS.length) | 0]!);
      w.bytes(CHAT.sentAt);
      w.bytes(DAYS[(sent / DAY_S) | 0]!);
      w.byte(0x54); // T
      w.time(sent % DAY_S);
      w.bytes(CHAT.label[milli < 0 ? 0 : 1]!);
      w.bytes(SCORES[milli + 1000]!);
      w.bytes(CHAT.knowledge[i % 2]!);
      i++;
      src.int = turn;
      src.decimalMilli = milli;
    },
  };
  return src;
}

// ---------------------------------------------------------------- writing

/** Writes one row per `write`; afterwards `int` / `decimalMilli` hold that row's values for the totals. */
interface RowSource {
  header: Uint8Array;
  write(w: ByteWriter): void;
  int: number;
  decimalMilli: number;
}

/** Rows from `src` until the file holds at least `bytes`; written to `path.tmp` and renamed, so a file at `path` is complete. */
function writeSized(path: string, bytes: number, src: RowSource): SizedTotals {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  const totals: SizedTotals = { rows: 0, intSum: 0, decimalSumMilli: 0, bytes: 0 };
  const w = new ByteWriter();
  w.bytes(src.header);
  try {
    while (totals.bytes + w.pos < bytes || totals.rows === 0) {
      if (w.pos + MAX_ROW_BYTES > BUFFER_BYTES) {
        totals.bytes += writeAll(fd, w.buf.subarray(0, w.pos));
        w.pos = 0;
      }
      src.write(w);
      totals.rows++;
      totals.intSum += src.int;
      totals.decimalSumMilli += src.decimalMilli;
    }
    totals.bytes += writeAll(fd, w.buf.subarray(0, w.pos));
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  return totals;
}

function writeAll(fd: number, buf: Buffer): number {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off);
  return buf.length;
}

/** trips.csv of at least `bytes`: region,origin_coord,destination_coord,datetime,datasource,passengers,fare,note. */
export function writeTripsCsvSized(path: string, opts: SizedCsvOptions): SizedTotals {
  return writeSized(path, opts.bytes, tripsRows(opts));
}

/** chat.jsonl of at least `bytes`: {conversation_id, turn, agent, message, sent_at, sentiment:{label, score}, knowledge:[...]}. */
export function writeChatJsonlSized(path: string, opts: SizedOptions): SizedTotals {
  return writeSized(path, opts.bytes, chatRows(opts));
}
