/**
 * Dialect detection from a sample of records across the file (the head and windows at
 * evenly spaced offsets), in the spirit of DuckDB's sniffer and CleverCSV's consistency
 * measure, with copyfleet's own scoring (docs/sniffing.md):
 *
 *   candidates = delimiter × quote × escape, line end decided first from the bytes;
 *   a candidate's score = the sampled records that parse *cleanly* under it (quotes only
 *   around whole fields, nothing after a closing quote, every quote closed) with its
 *   dominant field count N ≥ 2, less the sampled records that do not;
 *   winner = highest score; ties by the fixed preference order below. Under space, a
 *   record with `, ` `; ` `| ` in it is not clean (the space is padding).
 *
 * "Clean" is what tells the escapes apart: `"say \"hi\""` parses into the same number of
 * fields with a doubled-quote escape, but leaves text after a closing quote.
 */
import { type CsvDialect, CR, LF } from './dialect.js';
import { findRecordEnd, freshScan, shape, type RecordRule } from './record-end.js';

/** Preference order on ties: earlier wins. */
export const DELIMITERS = [0x2c, 0x09, 0x3b, 0x7c, 0x20]; // , \t ; | space
const QUOTES: (number | null)[] = [0x22, null, 0x27]; // " none ': ' only where it parses better than none
const BACKSLASH = 0x5c;
/** Other delimiters, tried when they are on most of the first lines the same number of times (not $ % # & …: values use them). */
const OTHER_DELIMITERS = [0x3a, 0x7e, 0x5e, 0x01, 0x1e, 0x1f]; // : ~ ^ SOH RS US
const MAX_RECORDS_PER_BUFFER = 1000;
/** Bytes of the head, and of each window, scored (cut at a line end): detection reads ~40 candidates × these. */
const MAX_HEAD_SCORED = 128 * 1024;
const MAX_WINDOW_SCORED = 32 * 1024;
/** Delimiters whose quoted candidates get the second (recovery) pass: the best first-pass ones. */
const SECOND_PASS = 3;
const PADDED = [', ', '; ', '| '].map((p) => Buffer.from(p));

export interface Decision {
  what: string;
  choice: string;
  reason: string;
}

export interface DialectGuess {
  dialect: CsvDialect;
  /** The dominant field count under the winner (1 when no candidate found two or more). */
  fields: number;
  /** Sampled records that gave `fields` fields cleanly, of all sampled records. */
  consistent: number;
  records: number;
  /** Low confidence: the run's message and `infer` say so. */
  lowConfidence: string | null;
  decisions: Decision[];
}

interface Candidate {
  dialect: CsvDialect;
  rank: number;
}

interface Score {
  fields: number;
  consistent: number;
  records: number;
}

/** A byte as a reader sees it in a message: `,` `\t` `space`. */
export function showByte(b: number | null): string {
  if (b === null) return 'none';
  if (b === 0x09) return '\\t';
  if (b === 0x20) return 'space';
  return String.fromCharCode(b);
}

export function detectLineEnd(head: Buffer): { lineEnd: 'lf' | 'cr'; decision: Decision } {
  let lf = 0;
  let cr = 0;
  for (let i = head.indexOf(LF); i >= 0; i = head.indexOf(LF, i + 1)) lf++;
  for (let i = head.indexOf(CR); i >= 0; i = head.indexOf(CR, i + 1)) if (head[i + 1] !== LF) cr++;
  if (cr > lf) return { lineEnd: 'cr', decision: { what: 'line end', choice: 'CR', reason: `${cr} lone CR and ${lf} LF in the first ${head.length} bytes (old Mac line ends)` } };
  let crlf = 0;
  for (let i = head.indexOf('\r\n'); i >= 0; i = head.indexOf('\r\n', i + 2)) crlf++;
  const choice = crlf > 0 && crlf === lf ? 'CRLF' : 'LF';
  return { lineEnd: 'lf', decision: { what: 'line end', choice, reason: `${lf} LF (${crlf} of them after a CR) in the first ${head.length} bytes` } };
}

/**
 * Score one dialect on the sample buffers (each starts at a record start and ends at a
 * line end, or at the end of the file). Two passes: the first finds the dominant field
 * count N; the second cuts records by the reader's own rule with N known, so a stray
 * quote costs its one record here as it will when loading.
 */
export function scoreDialect(sample: Buffer[], dialect: CsvDialect, passes: 1 | 2 = 2): Score {
  const rule: RecordRule = {
    delimiter: dialect.delimiter,
    quote: dialect.quote ?? -1,
    escape: dialect.escape ?? dialect.quote ?? -1,
    terminator: dialect.lineEnd === 'cr' ? CR : LF,
    fields: 0,
    trimSpace: dialect.trimSpace ?? false,
  };
  // A field that starts with the other quote (or with either, under none) looks quoted.
  const aliens = QUOTES.filter((q): q is number => q !== null && q !== dialect.quote);
  const first = tally(sample, rule, aliens);
  if (passes === 1 || first.fields < 2 || rule.quote < 0) return first;
  return tally(sample, { ...rule, fields: first.fields }, aliens);
}

function tally(sample: Buffer[], rule: RecordRule, aliens: number[]): Score {
  const counts = new Map<number, number>();
  let records = 0;
  for (const buf of sample) {
    let pos = 0;
    for (let n = 0; n < MAX_RECORDS_PER_BUFFER && pos < buf.length; n++) {
      const start = pos;
      const end = findRecordEnd(buf, pos, freshScan(pos), rule, true);
      const sh = shape(buf, pos, end, rule, true, aliens[0] ?? -1, aliens[1] ?? -1);
      const blank = end === pos || (end === pos + 1 && buf[pos] === CR);
      pos = end + 1;
      if (blank) continue;
      records++;
      // Under space, a cell that ends in another delimiter (`1, 2`) says the space is padding.
      const padded = rule.delimiter === 0x20 && PADDED.some((p) => buf.subarray(start, end).includes(p));
      if (sh.clean && !padded) counts.set(sh.fields, (counts.get(sh.fields) ?? 0) + 1);
    }
  }
  let fields = 1;
  let consistent = 0;
  for (const [f, c] of counts) if (c > consistent || (c === consistent && f > fields)) [fields, consistent] = [f, c];
  return { fields, consistent, records };
}

function candidates(sample: Buffer[], lineEnd: 'lf' | 'cr', fileName: string): Candidate[] {
  const delims = [...DELIMITERS];
  if (fileName.toLowerCase().endsWith('.tsv') || fileName.toLowerCase().endsWith('.tab')) delims.unshift(0x09);
  delims.push(...otherDelimiters(sample[0] ?? Buffer.alloc(0), lineEnd === 'cr' ? CR : LF));
  const out: Candidate[] = [];
  const seen = new Set<string>();
  // A candidate that reads the sample exactly as an earlier-ranked one is not tried: without
  // a backslash, ' or ", " in the sample, the backslash escape, ' and ", " change nothing.
  const has = (bytes: string) => sample.some((b) => b.includes(bytes));
  const backslash = has('\\');
  const apostrophe = has("'");
  const commaSpace = has(', ');
  let rank = 0;
  for (const delimiter of delims) {
    for (const trimSpace of delimiter === 0x2c && commaSpace ? [false, true] : [false]) {
      for (const quote of QUOTES.filter((q) => q !== 0x27 || apostrophe)) {
        for (const escape of quote === null ? [null] : backslash ? [quote, BACKSLASH] : [quote]) {
          const key = `${delimiter}/${trimSpace}/${quote}/${escape}`;
          if (seen.has(key)) continue;
          seen.add(key);
          out.push({ dialect: { delimiter, quote, escape, encoding: 'utf8', lineEnd, ...(trimSpace ? { trimSpace } : {}) }, rank: rank++ });
        }
      }
    }
  }
  return out;
}

/** Punctuation bytes on most of the first lines, the same number of times on each: delimiters worth trying. */
function otherDelimiters(head: Buffer, term: number): number[] {
  const lines: Buffer[] = [];
  for (let pos = 0; lines.length < 50 && pos < head.length; ) {
    let e = head.indexOf(term, pos);
    if (e < 0) e = head.length;
    if (e > pos) lines.push(head.subarray(pos, e));
    pos = e + 1;
  }
  if (lines.length < 2) return [];
  const found: number[] = [];
  for (const b of OTHER_DELIMITERS) {
    const per = lines.map((l) => {
      let n = 0;
      for (let i = l.indexOf(b); i >= 0; i = l.indexOf(b, i + 1)) n++;
      return n;
    });
    const modeCount = per.filter((n) => n > 0 && n === per[per.length - 1]).length;
    if (modeCount >= lines.length * 0.8) found.push(b);
  }
  return found.slice(0, 3);
}

/** Every comma outside quotes is followed by a space, in the clean records of the head. */
function commaSpaceEverywhere(head: Buffer, lineEnd: 'lf' | 'cr'): boolean {
  let commas = 0;
  let spaced = 0;
  let inQ = false;
  const term = lineEnd === 'cr' ? CR : LF;
  for (let i = 0; i < head.length; i++) {
    const c = head[i];
    if (c === 0x22) inQ = !inQ;
    else if (c === term) inQ = false;
    else if (c === 0x2c && !inQ) {
      commas++;
      if (head[i + 1] === 0x20) spaced++;
    }
  }
  return commas > 0 && spaced === commas;
}

const describe = (d: CsvDialect): string =>
  `delimiter ${d.trimSpace ? "', ' (space trimmed)" : `'${showByte(d.delimiter)}'`}, quote ${d.quote === null ? 'none' : `'${showByte(d.quote)}'`}` +
  (d.quote === null ? '' : `, escape ${d.escape === d.quote ? 'doubled quote' : `'${showByte(d.escape)}'`}`);

/** The sample buffers cut to what is scored: the head to `headMax`, each window to MAX_WINDOW_SCORED, at line ends. */
function scoredSample(whole: Buffer[], term: number, headMax = MAX_HEAD_SCORED): Buffer[] {
  return whole.map((b, k) => {
    const max = k === 0 ? headMax : MAX_WINDOW_SCORED;
    return b.length <= max ? b : b.subarray(0, b.lastIndexOf(term, max) + 1);
  });
}

/**
 * A later file of a run: the dialect of the run's first file, taken when it reads every
 * sampled record cleanly into the same number of fields (as DuckDB reads a glob with the
 * first file's dialect); null when anything is less, and the file is detected on its own.
 * The head is scored as far as a window is (32 KiB): with the windows, ~1,000 records.
 */
export function confirmDialect(whole: Buffer[], prefer: CsvDialect): DialectGuess | null {
  const le = detectLineEnd(whole[0] ?? Buffer.alloc(0));
  if (!prefer.fields || prefer.fields < 2 || (prefer.lineEnd ?? 'lf') !== le.lineEnd) return null;
  const s = scoreDialect(scoredSample(whole, le.lineEnd === 'cr' ? CR : LF, MAX_WINDOW_SCORED), prefer);
  if (s.fields !== prefer.fields || s.records === 0 || s.consistent !== s.records) return null;
  const decisions = [le.decision, { what: 'dialect', choice: describe(prefer), reason: `the run's first file's; all ${s.records} sampled records give ${s.fields} fields` }];
  return { dialect: prefer, fields: s.fields, consistent: s.consistent, records: s.records, lowConfidence: null, decisions };
}

/**
 * The dialect of delimited text from sample buffers (the first is the head; each starts
 * at a record start). `given`: parts a dataset spec fixed, which win.
 */
export function detectDialect(whole: Buffer[], fileName: string, given?: CsvDialect): DialectGuess {
  const head = whole[0] ?? Buffer.alloc(0);
  const le = detectLineEnd(head);
  const sample = scoredSample(whole, le.lineEnd === 'cr' ? CR : LF);
  const decisions: Decision[] = [];
  if (given) {
    const dialect = { ...given, lineEnd: given.lineEnd ?? le.lineEnd };
    const s = scoreDialect(sample, dialect);
    decisions.push({ what: 'dialect', choice: describe(dialect), reason: `given by the dataset spec; ${s.consistent} of ${s.records} sampled records give ${s.fields} fields` });
    return { dialect, fields: s.fields, consistent: s.consistent, records: s.records, lowConfidence: null, decisions };
  }
  decisions.push(le.decision);
  const trimPreferred = commaSpaceEverywhere(head, le.lineEnd);
  const rate = (c: Candidate, passes: 1 | 2) => {
    const s = scoreDialect(sample, c.dialect, passes);
    // Records with N fields, less the others: a quote that merges lines or leaves stray fields loses.
    const score = s.fields >= 2 ? 2 * s.consistent - s.records : -1e9;
    // Ties: the fixed order, except that ', ' goes before ',' when every comma has a space after it.
    const tieRank = c.dialect.trimSpace && trimPreferred ? c.rank - 1000 : c.rank;
    return { c, s, key: score * 1e6 - tieRank };
  };
  const firstPass = candidates(sample, le.lineEnd, fileName).map((c) => rate(c, 1));
  firstPass.sort((x, y) => y.key - x.key);
  // The leaders again with the reader's stray-quote recovery (a stray quote can sink a right dialect's first pass).
  const leaders = [...new Set(firstPass.filter((x) => x.s.fields >= 2).map((x) => x.c.dialect.delimiter))].slice(0, SECOND_PASS);
  const quoted = firstPass.filter((x) => x.c.dialect.quote !== null && leaders.includes(x.c.dialect.delimiter)).map((x) => rate(x.c, 2));
  const scored = [...quoted, ...firstPass.filter((x) => !quoted.some((q) => q.c === x.c))];
  scored.sort((x, y) => y.key - x.key);
  const best = scored[0]!;
  const second = scored.find((x) => x.c.dialect.delimiter !== best!.c.dialect.delimiter && x.s.fields >= 2) ?? null;
  const win = best!;
  const dialect = win.c.dialect;
  const single = win.s.fields < 2 || win.s.consistent === 0;
  if (single) {
    // No candidate splits the records: one column, the default dialect.
    const d: CsvDialect = { delimiter: fileName.toLowerCase().endsWith('.tsv') ? 0x09 : 0x2c, quote: 0x22, escape: 0x22, encoding: 'utf8', lineEnd: le.lineEnd };
    decisions.push({ what: 'dialect', choice: describe(d), reason: 'no candidate delimiter splits the sampled records into two or more fields consistently: one column' });
    return { dialect: d, fields: 1, consistent: win.s.records, records: win.s.records, lowConfidence: null, decisions };
  }
  const { fields, consistent, records } = win.s;
  decisions.push({
    what: 'delimiter',
    choice: dialect.trimSpace ? ', ' : showByte(dialect.delimiter),
    reason:
      `${consistent}/${records} sampled records give ${fields} fields` +
      (second ? `; the next best, '${showByte(second.c.dialect.delimiter)}', ${second.s.consistent} with ${second.s.fields} fields` : ''),
  });
  decisions.push({
    what: 'quote',
    choice: dialect.quote === null ? 'none' : showByte(dialect.quote),
    reason: dialect.quote === null ? 'quote bytes appear inside fields, not around them: they are data' : 'the fixed preference among quotes that parse the sample as cleanly',
  });
  if (dialect.quote !== null) {
    decisions.push({
      what: 'escape',
      choice: dialect.escape === dialect.quote ? 'doubled quote' : showByte(dialect.escape),
      reason: dialect.escape === dialect.quote ? 'RFC 4180; no backslash-escaped quote parses more records cleanly' : `${showByte(dialect.escape)}${showByte(dialect.quote)} inside quoted fields (with a doubled-quote escape those records leave text after a closing quote)`,
    });
  }
  let lowConfidence: string | null = null;
  if (records - consistent > Math.max(3, records * 0.1)) lowConfidence = `only ${consistent} of ${records} sampled records give ${fields} fields under the chosen dialect`;
  else if (second && second.s.fields >= 2 && second.s.consistent >= consistent * 0.98 && second.s.fields !== fields) {
    lowConfidence = `delimiter '${showByte(second.c.dialect.delimiter)}' parses almost as many records (${second.s.consistent}) into ${second.s.fields} fields`;
  }
  if (lowConfidence) decisions.push({ what: 'confidence', choice: 'low', reason: `${lowConfidence}: check the columns, or give delimiter/quote in a dataset spec` });
  return { dialect, fields, consistent, records, lowConfidence, decisions };
}
