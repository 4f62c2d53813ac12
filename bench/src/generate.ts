/**
 * The inputs: a trips-like CSV and a nested chat-like JSONL of BENCH_BYTES each, from the
 * fast generators in libs/testing, the wide taxi CSV (taxi.ts) and the 2 KiB small file,
 * cached in the work directory under a name that holds size, seed and generator version
 * (with their totals beside them), so reruns skip generation. Also the pre-split parts for the N-stream baselines (`split -n l/N`, whole
 * lines), and the many-files case's directories (the same input as N files, each CSV file
 * with the header), cached the same way.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { writeChatJsonlSized, writeTripsCsvSized, type SizedOptions, type SizedTotals } from '@copyfleet/testing';
import type { Dataset } from './datasets.js';
import { writeTaxiCsvSized } from './taxi.js';

/** Each dataset's generator and its version: bump a version when its bytes change, so stale cached files are not reused. */
const GENERATORS: Record<Dataset['key'], { write: (path: string, opts: SizedOptions) => SizedTotals; version: number }> = {
  csv: { write: writeTripsCsvSized, version: 1 },
  small: { write: writeTripsCsvSized, version: 1 },
  jsonl: { write: writeChatJsonlSized, version: 1 },
  taxi: { write: writeTaxiCsvSized, version: 1 },
};

export interface Input {
  path: string;
  totals: SizedTotals;
  /** Seconds spent generating it now; 0 when it came from the cache. */
  generateSeconds: number;
}

export function ensureInput(ds: Dataset, dir: string, bytes: number, seed: number): Input {
  mkdirSync(dir, { recursive: true });
  const gen = GENERATORS[ds.key];
  // The small file is the trips generator's first rows: its own name only by size.
  const stem = `${ds.key === 'small' ? 'trips' : ds.name}-${bytes}b-seed${seed}-v${gen.version}`;
  const path = join(dir, `${stem}.${ds.format}`);
  const totalsPath = join(dir, `${stem}.totals.json`);
  if (existsSync(path) && existsSync(totalsPath)) {
    return { path, totals: JSON.parse(readFileSync(totalsPath, 'utf8')) as SizedTotals, generateSeconds: 0 };
  }
  const t0 = performance.now();
  const totals = gen.write(path, { bytes, seed });
  writeFileSync(totalsPath, `${JSON.stringify(totals)}\n`);
  return { path, totals, generateSeconds: (performance.now() - t0) / 1000 };
}

export interface SplitInput {
  parts: string[];
  /** Seconds spent splitting now; 0 when cached. */
  splitSeconds: number;
}

/** `file` cut into `n` files of whole lines (GNU split -n l/N), in `<file>.split<n>/`. */
export function ensureSplit(file: string, n: number): SplitInput {
  const dir = `${file}.split${n}`;
  const done = join(dir, 'DONE');
  const list = (): string[] =>
    readdirSync(dir)
      .filter((f) => f.startsWith('part-'))
      .sort()
      .map((f) => join(dir, f));
  if (existsSync(done)) return { parts: list(), splitSeconds: 0 };
  const tmp = `${dir}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const t0 = performance.now();
  execFileSync('split', ['-n', `l/${n}`, '-d', '-a', '3', file, join(tmp, 'part-')]);
  writeFileSync(join(tmp, 'DONE'), `${basename(file)} in ${n} parts\n`);
  renameSync(tmp, dir);
  return { parts: list(), splitSeconds: (performance.now() - t0) / 1000 };
}

export interface FilesInput {
  /** The directory: part-0000.<ext> … and a `_SUCCESS` marker (skipped by copyfleet, as by Spark). */
  dir: string;
  files: string[];
  /** Bytes of all files together (the CSV header is in every file). */
  bytes: number;
  /** Seconds spent writing them now; 0 when cached. */
  splitSeconds: number;
}

/** Digits of the part numbers: `part-0000` … (at least 4). */
export const partWidth = (count: number): number => Math.max(4, String(count - 1).length);

/** The first byte after the first LF at or after `pos - 1` (a line start at or after `pos`), or `size`. */
function lineStartFrom(fd: number, pos: number, size: number): number {
  const buf = Buffer.allocUnsafe(64 * 1024);
  for (let at = Math.max(0, pos - 1); at < size; at += buf.length) {
    const n = readSync(fd, buf, 0, buf.length, at);
    const lf = buf.subarray(0, n).indexOf(10);
    if (lf >= 0) return at + lf + 1;
  }
  return size;
}

/**
 * `file` as `count` files of whole lines and nearly equal size, in `<file>.files<count>/`;
 * a CSV's header line is repeated at the top of every file (each file is a CSV a user
 * would have). Written once, then reused.
 */
export function ensureFiles(file: string, kind: 'csv' | 'jsonl', count: number): FilesInput {
  const dir = `${file}.files${count}`;
  const done = join(dir, '_SUCCESS');
  const list = (): string[] =>
    readdirSync(dir)
      .filter((f) => f.startsWith('part-'))
      .sort()
      .map((f) => join(dir, f));
  const sized = (files: string[], splitSeconds: number): FilesInput => ({
    dir,
    files,
    bytes: files.reduce((n, f) => n + statSync(f).size, 0),
    splitSeconds,
  });
  if (existsSync(done)) return sized(list(), 0);
  const tmp = `${dir}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const t0 = performance.now();
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const dataStart = kind === 'csv' ? lineStartFrom(fd, 1, size) : 0;
    const header = Buffer.alloc(dataStart);
    readSync(fd, header, 0, dataStart, 0);
    const bounds = [dataStart];
    for (let k = 1; k < count; k++) bounds.push(lineStartFrom(fd, dataStart + Math.floor((k * (size - dataStart)) / count), size));
    bounds.push(size);
    const buf = Buffer.allocUnsafe(4 << 20);
    for (let k = 0; k < count; k++) {
      const [from, to] = [bounds[k]!, bounds[k + 1]!];
      if (to <= from) throw new Error(`${file}: too few lines for ${count} files (file ${k + 1} would be empty); use a smaller BENCH_FILES or a larger BENCH_BYTES`);
      const out = openSync(join(tmp, `part-${String(k).padStart(partWidth(count), '0')}.${kind}`), 'w');
      try {
        if (header.length) writeSync(out, header);
        for (let at = from; at < to; ) {
          const n = readSync(fd, buf, 0, Math.min(buf.length, to - at), at);
          writeSync(out, buf, 0, n);
          at += n;
        }
      } finally {
        closeSync(out);
      }
    }
  } finally {
    closeSync(fd);
  }
  writeFileSync(join(tmp, '_SUCCESS'), `${basename(file)} in ${count} files\n`);
  renameSync(tmp, dir);
  return sized(list(), (performance.now() - t0) / 1000);
}
