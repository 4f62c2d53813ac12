// Report writers: turn a node-postgres query result (default type parsers) into
// <name>.csv (RFC 4180), <name>.json (array of row objects) and <name>.arrow
// (Arrow IPC file). CSV and JSON are streamed with backpressure; every file is
// written to <file>.tmp and renamed into place so readers never see partial output.
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface ResultField { name: string; dataTypeID: number }
export interface QueryResultLike { fields: ResultField[]; rows: Record<string, unknown>[] }
export type ReportFormat = 'csv' | 'json' | 'arrow';
/** What a written report file is: a table format, or the documents output's JSON Lines file and folder. */
export interface ReportFile { name: string; format: ReportFormat | 'jsonl' | 'documents'; path: string; rows: number }

/** PostgreSQL type OIDs with a dedicated mapping. */
export const PgType = {
  bool: 16, int8: 20, int2: 21, int4: 23, float4: 700, float8: 701,
  date: 1082, timestamp: 1114, timestamptz: 1184, numeric: 1700,
} as const;

const REPORT_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/i;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const TIME_OIDS: ReadonlySet<number> = new Set([PgType.date, PgType.timestamp, PgType.timestamptz]);

/** Throws unless `name` is usable as a bare file name (no paths, no dots). */
export function assertReportName(name: string): void {
  if (!REPORT_NAME.test(name)) {
    throw new Error(`invalid report name ${JSON.stringify(name)}: must match ${REPORT_NAME}`);
  }
}

/** Writes <name>.csv, <name>.json and <name>.arrow into outDir (created if missing). */
export const ALL_FORMATS: readonly ReportFormat[] = ['csv', 'json', 'arrow'];

export async function writeReport(name: string, outDir: string, result: QueryResultLike, formats: readonly ReportFormat[] = ALL_FORMATS): Promise<ReportFile[]> {
  assertReportName(name);
  // apache-arrow is loaded only when an Arrow file is written (it costs every process ~0.3 s to import).
  const arrow = formats.includes('arrow') ? await import('./arrow-table.js') : null;
  const table = arrow ? arrow.toArrowTable(result) : null; // built first: conversion errors leave no files behind
  await mkdir(outDir, { recursive: true });
  const path = (format: ReportFormat) => join(outDir, `${name}.${format}`);
  if (formats.includes('csv')) await writeCsv(path('csv'), result);
  if (formats.includes('json')) await writeJson(path('json'), result);
  if (arrow && table) await atomically(path('arrow'), (tmp) => writeFile(tmp, arrow.toIpcFile(table), { flush: true }));
  const rows = result.rows.length;
  return formats.map((format) => ({ name, format, path: path(format), rows }));
}

export async function writeCsv(path: string, { fields, rows }: QueryResultLike): Promise<void> {
  function* lines(): Generator<string> {
    yield fields.map((f) => csvCell(f.name)).join(',') + '\r\n';
    for (const row of rows) yield fields.map((f) => csvCell(toText(row[f.name], f.dataTypeID))).join(',') + '\r\n';
  }
  await writeStreamed(path, lines());
}

/** Row → JSON object text, assembled by hand so column order survives (JS objects hoist integer-like keys). */
export function jsonRowWriter(fields: ResultField[]): (row: Record<string, unknown>) => string {
  const keys = fields.map((f) => JSON.stringify(f.name) + ':');
  return (row) => '{' + fields.map((f, i) => keys[i] + stringify(toJsonValue(row[f.name], f.dataTypeID))).join(',') + '}';
}

export async function writeJson(path: string, { fields, rows }: QueryResultLike): Promise<void> {
  const rowJson = jsonRowWriter(fields);
  function* parts(): Generator<string> {
    yield '[';
    for (let i = 0; i < rows.length; i++) yield (i ? ',\n' : '\n') + rowJson(rows[i]!);
    yield rows.length ? '\n]\n' : ']\n';
  }
  await writeStreamed(path, parts());
}

/** Text form used for CSV cells and Arrow Utf8 columns. */
export function toText(v: unknown, oid: number): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (v instanceof Date) return formatDate(v, oid);
  if (typeof v === 'number' && TIME_OIDS.has(oid) && !Number.isFinite(v)) return v > 0 ? 'infinity' : '-infinity';
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (v instanceof Uint8Array) return '\\x' + Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
  return stringify(v);
}

function toJsonValue(v: unknown, oid: number): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return exactInteger(v);
  if (typeof v === 'string' && oid === PgType.int8 && /^-?\d+$/.test(v)) return exactInteger(BigInt(v));
  if (typeof v === 'string' && oid === PgType.numeric) return exactNumeric(v);
  if (typeof v === 'number' && !Number.isFinite(v)) return toText(v, oid); // JSON has no NaN/Infinity
  if (v instanceof Date || v instanceof Uint8Array) return toText(v, oid);
  return v;
}

function exactInteger(b: bigint): number | string {
  return b >= -MAX_SAFE && b <= MAX_SAFE ? Number(b) : b.toString();
}

/** A numeric becomes a JSON number only if that number's text denotes the same decimal value. */
function exactNumeric(s: string): number | string {
  const n = Number(s);
  const key = decimalKey(s);
  return Number.isFinite(n) && key !== null && decimalKey(String(n)) === key ? n : s;
}

/** Canonical "digits e exponent" form of a decimal literal, or null if it is not one. */
function decimalKey(s: string): string | null {
  const m = /^([+-]?)(?=\.?\d)(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i.exec(s.trim());
  if (!m) return null;
  const frac = m[3] ?? '';
  const digits = ((m[2] ?? '') + frac).replace(/^0+/, '');
  const significant = digits.replace(/0+$/, '');
  if (!significant) return '0';
  const exp = Number(m[4] ?? 0) - frac.length + (digits.length - significant.length);
  return `${m[1] === '-' ? '-' : ''}${significant}e${exp}`;
}

function csvCell(text: string | null): string {
  if (text === null) return '';
  if (text === '') return '""'; // keeps empty string distinct from NULL
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function formatDate(d: Date, oid: number): string {
  if (Number.isNaN(d.getTime())) return 'Invalid Date';
  return oid === PgType.date ? new Date(localDayMs(d)).toISOString().slice(0, -14) : d.toISOString();
}

/** Epoch ms of the UTC midnight with the same calendar day as `d` has in local time. */
export function localDayMs(d: Date): number {
  const utc = new Date(0);
  utc.setUTCFullYear(d.getFullYear(), d.getMonth(), d.getDate()); // unlike Date.UTC, keeps years 0-99
  return utc.getTime();
}

export function epochMs(v: unknown): number {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'number') return v;
  return typeof v === 'string' ? Date.parse(v) : NaN;
}

function stringify(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? exactInteger(x) : x)) ?? 'null';
}

/** Streams string parts (coalesced into ~64 KiB chunks) to `path` via a temp file + rename. */
export async function writeStreamed(path: string, parts: Iterable<string>): Promise<void> {
  function* chunks(): Generator<string> {
    let buf = '';
    for (const part of parts) {
      buf += part;
      if (buf.length >= 65536) { yield buf; buf = ''; }
    }
    if (buf) yield buf;
  }
  await atomically(path, (tmp) => pipeline(Readable.from(chunks()), createWriteStream(tmp, { flush: true })));
}

async function atomically(path: string, write: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = `${path}.tmp`;
  try {
    await write(tmp);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
