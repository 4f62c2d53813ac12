/**
 * `copyfleet rejects RUN`: a run's rejected records written back out in the form they
 * came in, to fix (a text replace, an editor) and load again into the same table.
 *
 *   CSV/TSV runs  → the original header line (when the run had one), then each rejected
 *                   record as a line of the file;
 *   JSONL/JSON    → one JSON record per line (JSON Lines).
 *
 * Records come, in file order, from a server-side cursor over copyfleet.rejects (a
 * batch of rows at a time: memory stays bounded however many rejects a run has). Each
 * record's text is read again from the run's source at its byte offset when the source
 * is still there, unchanged (same size:mtime or ETag): those are the file's own bytes,
 * whatever the reject row kept. Otherwise rejects.raw / raw_bytes is written. The two
 * differ where copyfleet.rejects does not hold the record as written: raw is cut at
 * 64 KiB, a CSV record refused by the row encoder keeps its fields re-joined, and a row
 * PostgreSQL refused keeps its COPY text; the result says how many came from where.
 */
import type { Writable } from 'node:stream';
import { filesWithRejects, getFile, getRun, inTransaction, withClient } from '@copyfleet/db';
import { fileLoadSpec, type FileSpec, type LoadSpec, type RunSpec } from '@copyfleet/loader';
import { findRecordEndAt, MAX_RAW_KEPT } from '@copyfleet/parse';
import { normalizeSourceUri, openSource, type Source } from '@copyfleet/source';
import type pg from 'pg';
import { LoadRequestError } from '@copyfleet/design';

export type RejectsFormat = 'csv' | 'jsonl';

export interface RejectsExportOptions {
  /** Checked against the run's input: CSV/TSV runs export csv, JSON runs jsonl. */
  format?: RejectsFormat;
  out: Writable;
  /** Side file: one CSV row per exported record (its position, line, byte offset, reason). */
  reasons?: Writable;
  /** The file of a multi-file run whose rejects to export (file_no); needed when several files have rejects. */
  file?: number;
  /** Rows fetched from the cursor at a time. */
  batch?: number;
}

export interface RejectsExportResult {
  format: RejectsFormat;
  records: number;
  /** Records read again from the source file. */
  fromSource: number;
  /** Records written from copyfleet.rejects (source gone, changed, or a JSON document). */
  fromTable: number;
  /** Of those, records whose raw text was cut at 64 KiB: incomplete in the export. */
  truncated: number;
  /** Why the source was not used, when it was not. */
  sourceNote: string | null;
}

interface RejectRow {
  byte_offset: string;
  line_no: string | null;
  reason: string;
  raw: string | null;
  raw_bytes: Buffer | null;
}

const LF = 0x0a;
const CR = 0x0d;

export async function exportRejects(pool: pg.Pool, runId: string, opts: RejectsExportOptions): Promise<RejectsExportResult> {
  if (!/^\d+$/.test(runId)) throw new LoadRequestError(`${runId} is not a run id (a number, as \`copyfleet load\` prints it)`);
  const run = await getRun(pool, runId);
  if (!run) throw new LoadRequestError(`run ${runId} does not exist`);
  // Records go back out in their file's own form: one file at a time.
  const withRejects = await filesWithRejects(pool, runId);
  let fileNo = opts.file;
  if (fileNo === undefined) {
    if (withRejects.length > 1) {
      const list = withRejects.slice(0, 10).map((f) => `${f.file_no}: ${f.uri} (${f.rejects})`).join(', ');
      throw new LoadRequestError(`run ${runId} has rejects in ${withRejects.length} files: export one at a time with --file N (${list}${withRejects.length > 10 ? ', …' : ''})`);
    }
    fileNo = withRejects[0]?.file_no ?? 0;
  }
  const file = withRejects.find((f) => f.file_no === fileNo) ?? (await getFile(pool, runId, fileNo));
  if (!file) throw new LoadRequestError(`run ${runId} has no file ${fileNo}`);
  const spec: Partial<LoadSpec> = file.spec ? fileLoadSpec(run.spec as RunSpec, file.spec as FileSpec) : {};
  const delimited = spec.format === 'csv';
  const format: RejectsFormat = delimited ? 'csv' : 'jsonl';
  if (opts.format && opts.format !== format) {
    throw new LoadRequestError(`run ${runId} loaded ${delimited ? 'delimited text' : 'JSON'}: its rejects export as --format ${format}`);
  }
  const encoding: BufferEncoding = spec.dialect?.encoding === 'latin1' ? 'latin1' : 'utf8';
  const { source, note } = await sameSource(file.uri, file.version, spec);
  const result: RejectsExportResult = { format, records: 0, fromSource: 0, fromTable: 0, truncated: 0, sourceNote: note };

  if (delimited && spec.header && spec.dialect) await write(opts.out, Buffer.from(`${csvLine(spec.header, spec.dialect)}\n`, encoding));
  if (opts.reasons) await write(opts.reasons, 'record,line_no,byte_offset,reason\n');

  await withClient(pool, (client) =>
    inTransaction(
      client,
      async () => {
        // Ordered as in the file: chunks are consecutive byte ranges (uses the (run_id, chunk_no) index).
        await client.query(
          `DECLARE cf_rejects NO SCROLL CURSOR FOR
             SELECT byte_offset, line_no, reason, raw, raw_bytes FROM copyfleet.rejects
              WHERE run_id = ${Number(runId)} AND file_no = ${Number(fileNo)} ORDER BY chunk_no, byte_offset, chunk_line`,
        );
        let last = -1;
        for (;;) {
          const { rows } = await client.query<RejectRow>(`FETCH ${opts.batch ?? 500} FROM cf_rejects`);
          if (rows.length === 0) break;
          for (const r of rows) {
            const offset = Number(r.byte_offset);
            if (offset === last) continue; // one record, several refused rows (explode)
            last = offset;
            result.records++;
            if (source && (await copyRecord(source, offset, spec, opts.out))) result.fromSource++;
            else {
              const raw = r.raw_bytes ?? Buffer.from(r.raw ?? '', encoding);
              if (raw.length >= MAX_RAW_KEPT) result.truncated++;
              await write(opts.out, tableRecord(raw, spec));
              result.fromTable++;
            }
            await write(opts.out, '\n');
            if (opts.reasons) await write(opts.reasons, `${csvLine([String(result.records), r.line_no ?? '', String(offset), r.reason], CSV)}\n`);
          }
        }
      },
      'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
    ),
  );
  return result;
}

const CSV = { delimiter: 0x2c, quote: 0x22 };

/** The run's source, if it is still the version the run loaded and its records are lines. */
async function sameSource(uri: string, version: string, spec: Partial<LoadSpec>): Promise<{ source: Source | null; note: string | null }> {
  if (spec.format !== 'csv' && spec.format !== 'jsonl') return { source: null, note: null };
  // A compressed input was loaded from its decompressed copy: the offsets are into that.
  const path = spec.staged?.path ?? uri;
  const expected = spec.staged?.version ?? version;
  try {
    const source = await openSource(normalizeSourceUri(path));
    const { version: now } = await source.stat();
    if (now === expected) return { source, note: null };
    return { source: null, note: `${path} changed since the run (size or modification time)` };
  } catch (err) {
    return { source: null, note: (err as Error).message };
  }
}

/**
 * Copy the record starting at `offset` from the source to `out`, without its line end:
 * up to the first LF outside quotes (CSV: quote parity, as the planner cuts chunks) or
 * the first LF (JSON Lines). Streams in pieces, so a 100 MB record is never held whole.
 * False if the bytes there are not a record (nothing written).
 */
async function copyRecord(source: Source, offset: number, spec: Partial<LoadSpec>, out: Writable): Promise<boolean> {
  if (spec.format === 'csv' && spec.dialect) {
    // CSV: the reader's own record-end rule (escapes, stray quotes, CR-only files), libs/parse.
    let end = await findRecordEndAt((p, n) => source.read(p, n), offset, spec.dialect);
    if (end <= offset) return false;
    if (spec.dialect.lineEnd !== 'cr' && (await source.read(end - 1, 1))[0] === CR) end--; // CRLF: the CR is the line end's
    for (let pos = offset; pos < end; pos += 4 * 1024 * 1024) await write(out, await source.read(pos, Math.min(4 * 1024 * 1024, end - pos)));
    return true;
  }
  // JSON Lines: up to the first LF.
  let heldCr = false; // a CR that ended the last piece: data, or the start of CRLF
  let pos = offset;
  for (let want = 16 * 1024; ; want = Math.min(want * 4, 4 * 1024 * 1024)) {
    const buf = await source.read(pos, want);
    if (buf.length === 0) return pos > offset; // the last record, without a line end
    const end = buf.indexOf(LF);
    let body = buf.subarray(0, end < 0 ? buf.length : end);
    if (heldCr && end !== 0) await write(out, Buffer.from([CR]));
    heldCr = body.length > 0 && body[body.length - 1] === CR;
    if (heldCr) body = body.subarray(0, -1);
    if (body.length > 0) await write(out, body);
    if (end >= 0) return true;
    pos += buf.length;
  }
}

/** A record from copyfleet.rejects, made one line where the export needs one. */
function tableRecord(raw: Buffer, spec: Partial<LoadSpec>): Buffer {
  if (spec.format === 'csv') return raw;
  // JSON Lines: a record of a JSON document may span lines; newlines outside strings are
  // whitespace and JSON strings cannot hold raw ones, so spaces keep the same value.
  const oneLine = Buffer.from(raw);
  for (let i = 0; i < oneLine.length; i++) if (oneLine[i] === LF || oneLine[i] === CR) oneLine[i] = 0x20;
  // Objects keyed by id keep `"key": value`: as a line, {"key": value}.
  return spec.json?.kind === 'object' ? Buffer.concat([Buffer.from('{'), oneLine, Buffer.from('}')]) : oneLine;
}

/** Fields as one line of delimited text, quoted where needed (never when the dialect has no quote). */
function csvLine(fields: string[], dialect: { delimiter: number; quote: number | null }): string {
  const d = String.fromCharCode(dialect.delimiter);
  if (dialect.quote === null) return fields.join(d);
  const q = String.fromCharCode(dialect.quote);
  return fields.map((f) => (f.includes(d) || f.includes(q) || /[\r\n]/.test(f) || f === '' ? `${q}${f.split(q).join(q + q)}${q}` : f)).join(d);
}

/** Write with backpressure. */
function write(out: Writable, data: Buffer | string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    out.once('error', onError);
    const ok = out.write(data, (err) => {
      if (err) reject(err);
    });
    const done = (): void => {
      out.off('error', onError);
      resolve();
    };
    if (ok) done();
    else out.once('drain', done);
  });
}
