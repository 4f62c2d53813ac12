/**
 * Where a delimited file's data starts: preamble lines (titles, blank lines, `#`
 * comments — anything before the first run of records with the file's field count N),
 * the header row(s), and the first data record. Decided on the head, parsed by the real
 * reader (so offsets and line numbers are the ones the workers will see). Rules, in
 * order (docs/sniffing.md):
 *
 *  1. d = the first record with N fields followed, within the next three records that
 *     parse, by another one with N fields (or by none) — what comes before it is
 *     preamble, unless rule 3.
 *  2. Record d is a header when, of the columns below that have a type other than text,
 *     more than half have a cell in it that does not fit (a name in a bigint column),
 *     or, when every column is text, when its cells are
 *     all filled and distinct. The record after it is a second header row when its cells
 *     do not fit the types below it either (names split over two rows): the names of the
 *     two rows are joined with a space.
 *  3. When record d is data, the record just before it is a header with one name too few
 *     (a name is generated) or one too many (an empty trailing name is dropped) when its
 *     cells do not fit the types below.
 *  4. Otherwise there is no header: columns are col_1 … col_N.
 */
import { CsvReader, CR, LF, type CsvDialect, type CsvFields, type Decision } from '@copyfleet/parse';
import { inferValueType } from '@copyfleet/schema';

export class LayoutError extends Error {
  override readonly name = 'LayoutError';
}

export interface CsvLayout {
  header: string[] | null;
  dataStart: number;
  /** Line number (1-based) of the first data record. */
  firstDataLine: number;
  preamble: { lines: number; first: string } | null;
  decisions: Decision[];
}

interface Item {
  offset: number;
  line: number;
  fields: CsvFields | null;
  reason?: string;
  raw?: Buffer;
}

const MAX_ITEMS = 400;
const TYPE_ROWS = 200;
/** Two header rows are told from data only with this many data rows below them to type. */
const MIN_ROWS_TWO_ROW_HEADER = 5;

/**
 * @param head the file's first bytes; `whole` when it is the whole file.
 * @param headerOpt a dataset spec's `header`, or undefined to detect.
 */
export function detectLayout(head: Buffer, whole: boolean, bomBytes: number, dialect: CsvDialect, fields: number, headerOpt: boolean | undefined): CsvLayout {
  const term = dialect.lineEnd === 'cr' ? CR : LF;
  const { items, cut, complete } = headItems(head, whole, bomBytes, dialect, MAX_ITEMS);
  const lineAt = (offset: number): number => {
    let n = 1;
    for (let i = head.indexOf(term); i >= 0 && i < offset; i = head.indexOf(term, i + 1)) n++;
    return n;
  };
  const hasN = (k: number): boolean => items[k]?.fields?.length === fields;
  const decisions: Decision[] = [];

  // 1. The first run of records with N fields.
  // (Records that do not parse — a stray quote, bad UTF-8 — are skipped in that look-ahead.)
  let d = -1;
  for (let k = 0; k < items.length && d < 0; k++) {
    if (!hasN(k)) continue;
    const next: boolean[] = [];
    for (let j = k + 1; j < items.length && next.length < 3; j++) if (items[j]!.fields !== null) next.push(hasN(j));
    if (next.length === 0 || next.some(Boolean)) d = k;
  }
  if (d < 0) d = Math.max(0, items.findIndex((_, k) => hasN(k)));
  const head0 = items[0];
  if (headerOpt !== false && head0 && head0.fields === null && d === 0) {
    throw new LayoutError(`line ${head0.line}: the header does not parse: ${head0.reason}: ${showLine(head0.raw ?? Buffer.alloc(0))}`);
  }

  const below = (from: number): CsvFields[] => {
    const rows: CsvFields[] = [];
    for (let k = from; k < items.length && rows.length < TYPE_ROWS; k++) if (hasN(k)) rows.push(items[k]!.fields!);
    return rows;
  };
  let headerAt = -1;
  let headerRows = 1;
  let header: string[] | null = null;
  let why = '';

  if (items.length > 0 && headerOpt !== false) {
    const first = items[d];
    let typed = first?.fields && hasN(d) ? headerVerdict(first.fields, below(d + 1)) : null;
    // Names split over two rows: both rows fail the types of the rows below the second.
    let twoRows = false;
    if (headerOpt === undefined && typed && !typed.header && items[d + 1]?.fields && hasN(d + 1)) {
      const rest = below(d + 2);
      const second = headerVerdict(items[d + 1]!.fields!, rest, true);
      const firstRow = headerVerdict(first!.fields!, rest, true);
      if (rest.length >= MIN_ROWS_TWO_ROW_HEADER && second.header && firstRow.header) {
        typed = firstRow;
        twoRows = true;
      }
    }
    if (headerOpt === true || typed?.header) {
      const prev = items[d - 1];
      const prevFix = headerOpt === true && prev?.fields ? fixWidth(prev.fields, fields) : null;
      if (prevFix && !typed?.header) {
        headerAt = d - 1;
        header = prevFix.names;
        why = `given by the dataset spec; ${prevFix.note}`;
      } else {
        headerAt = d;
        header = first!.fields!.map((f) => f ?? '');
        why = headerOpt === true ? 'given by the dataset spec' : typed!.reason;
        // A second header row: its cells do not fit the types below it either.
        const next = items[d + 1];
        if (headerOpt === undefined && next?.fields && hasN(d + 1)) {
          const rest = below(d + 2);
          const second = headerVerdict(next.fields, rest, true);
          if (twoRows || (rest.length >= MIN_ROWS_TWO_ROW_HEADER && second.header)) {
            header = header.map((h, i) => [h, next.fields![i] ?? ''].filter((s) => s.trim() !== '').join(' '));
            headerRows = 2;
            why += `; line ${next.line} is a second header row (${second.reason}): names joined`;
          }
        }
      }
    } else if (d > 0 && items[d - 1]) {
      // 3. A header with one name too few or too many, just before the data.
      const prev = items[d - 1]!;
      if (prev.fields === null) {
        if (d - 1 === 0) {
          throw new LayoutError(`line ${prev.line}: the header does not parse: ${prev.reason}: ${showLine(prev.raw ?? Buffer.alloc(0))}`);
        }
      } else {
        const fix = fixWidth(prev.fields, fields);
        if (fix) {
          const v = headerVerdict(fix.names, below(d));
          if (v.header) {
            headerAt = d - 1;
            header = fix.names;
            why = `${v.reason}; ${fix.note}`;
          }
        }
      }
    }
    if (headerAt < 0 && headerOpt === undefined) why = typed?.reason ?? 'the first records do not have a consistent field count';
  }

  const start = headerAt >= 0 ? headerAt : d;
  const dataItem = headerAt >= 0 ? headerAt + headerRows : d;
  const dataStart = items[dataItem]?.offset ?? (complete ? cut : head.length);
  const firstDataLine = items[dataItem]?.line ?? lineAt(dataStart);
  const startLine = items[start]?.line ?? firstDataLine;

  let preamble: CsvLayout['preamble'] = null;
  if (startLine > 1 && items.length > 0) {
    const firstText = firstNonBlankLine(head, bomBytes, items[start]?.offset ?? dataStart, term);
    preamble = { lines: startLine - 1, first: firstText };
    decisions.push({
      what: 'preamble',
      choice: `skip ${startLine - 1} line(s)`,
      reason: `the lines before line ${startLine} do not have the file's ${fields} fields (the first: ${JSON.stringify(firstText)})`,
    });
  }
  if (header) decisions.push({ what: 'header', choice: headerRows === 2 ? `lines ${startLine}-${startLine + 1}` : `line ${startLine}`, reason: why });
  else decisions.push({ what: 'header', choice: 'none', reason: `${why || 'given by the dataset spec'}; columns are named col_1…col_${Math.max(1, fields)}` });
  return { header, dataStart, firstDataLine, preamble, decisions };
}

/**
 * A later file of a run whose first line is the run's header, exactly (the names, the field
 * count): the layout without detection — no preamble, one header line, the data after it.
 * Null when the first line is anything else (the file is detected on its own).
 */
export function knownHeader(head: Buffer, whole: boolean, bomBytes: number, dialect: CsvDialect, names: string[]): CsvLayout | null {
  const { items: records } = headItems(head, whole, bomBytes, dialect, 1);
  const [first, second] = records;
  const cells = first?.fields;
  if (!first || first.offset !== bomBytes || !cells || cells.length !== names.length || cells.some((c, i) => (c ?? '') !== names[i])) return null;
  if (!second && !whole) return null; // a header longer than the head: let detection say so
  return {
    header: names,
    dataStart: second?.offset ?? head.length,
    firstDataLine: second?.line ?? first.line + 1,
    preamble: null,
    decisions: [{ what: 'header', choice: 'line 1', reason: "the run's first file's header, name for name" }],
  };
}

/**
 * The records at the head, fed line by line so that parsing stops once there are more than
 * `limit`; `cut` is the end of the last whole line, `complete` whether everything up to it was
 * read (and, for a whole file, its last record ended).
 */
function headItems(head: Buffer, whole: boolean, bomBytes: number, dialect: CsvDialect, limit: number): { items: Item[]; cut: number; complete: boolean } {
  const term = dialect.lineEnd === 'cr' ? CR : LF;
  const items: Item[] = [];
  const reader = new CsvReader(
    dialect,
    {
      record: (f, offset, line) => void items.push({ offset, line, fields: f }),
      bad: (reason, offset, line, raw) => void items.push({ offset, line, fields: null, reason, raw }),
    },
    { startOffset: bomBytes, maxRecordBytes: 16 * 1024 * 1024 },
  );
  const cut = whole ? head.length : head.lastIndexOf(term) + 1;
  for (let pos = bomBytes; pos < cut; ) {
    let stop = head.indexOf(term, pos);
    stop = stop < 0 || stop >= cut ? cut : stop + 1;
    reader.push(head.subarray(pos, stop));
    pos = stop;
    if (items.length > limit) return { items, cut, complete: false };
  }
  if (whole) reader.end();
  return { items, cut, complete: true };
}

/** Header names padded or trimmed to N, or null when the width is off by more than that. */
function fixWidth(cells: CsvFields, n: number): { names: string[]; note: string } | null {
  const names = cells.map((c) => c ?? '');
  // A line of one cell (a title) is never a header with names missing.
  if (names.length === n - 1 && n >= 3) return { names: [...names, ''], note: `it has ${n - 1} names for ${n} fields: the last column gets a generated name (col_${n})` };
  if (names.length === n + 1 && names.at(-1)!.trim() === '') return { names: names.slice(0, n), note: `its empty last name (a trailing delimiter) is dropped` };
  return null;
}

/**
 * Is a row a header over the rows below it? `strict`: only by types (a second header
 * row must be told apart from data that is all text).
 */
export function headerVerdict(cells: CsvFields, rows: CsvFields[], strict = false): { header: boolean; reason: string } {
  if (rows.length === 0) return { header: !strict, reason: 'nothing below it to compare with: taken as a header' };
  const width = cells.length;
  let typed = 0;
  const misfits: string[] = [];
  for (let i = 0; i < width; i++) {
    const values = rows.map((r) => r[i]).filter((v): v is string => v != null);
    const type = inferValueType(values);
    const cell = cells[i];
    if (type === 'text' || cell == null || cell.trim() === '') continue; // an empty name tells nothing
    typed++;
    if (inferValueType([...values, cell]) !== type) {
      misfits.push(`${JSON.stringify(cell)} does not fit column ${i + 1} (${type})`);
    }
  }
  // More than half of the typed columns disagree: one odd value in a data row is not a header.
  if (typed > 0 && misfits.length * 2 > typed) return { header: true, reason: `${misfits.length} of its ${typed} cells over typed columns do not fit the column below: ${misfits.slice(0, 2).join(', ')}` };
  if (typed > 0) return { header: false, reason: `its cells fit the types of the columns below them${misfits.length ? ` (all but ${misfits.length} of ${typed})` : ''}` };
  if (strict) return { header: false, reason: 'every column is text' };
  const filled = cells.every((c) => c != null && c.trim() !== '');
  const distinct = new Set(cells).size === cells.length;
  if (filled && distinct) return { header: true, reason: 'every column is text and its cells are all filled and distinct (the usual case: a header)' };
  return { header: false, reason: `every column is text and its cells ${!filled ? 'have an empty one' : 'repeat'}: not names` };
}

function firstNonBlankLine(head: Buffer, from: number, to: number, term: number): string {
  for (let pos = from; pos < to; ) {
    let e = head.indexOf(term, pos);
    if (e < 0 || e > to) e = to;
    const text = head.toString('utf8', pos, e).replace(/\r$/, '');
    if (text.trim() !== '') return text.length > 80 ? `${text.slice(0, 80)}…` : text;
    pos = e + 1;
  }
  return '';
}

function showLine(raw: Buffer): string {
  const text = raw.toString('utf8').split(/\r?\n|\r/)[0] ?? '';
  return JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}…` : text);
}
