/**
 * The benchmark's settings, from the environment (`make bench BENCH_BYTES=2MiB` …); an
 * empty variable counts as unset. Services come from DATABASE_URL / REDIS_URL or the
 * repo's .env, as for every other copyfleet command.
 */
import { cpus } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { parseSize } from '@copyfleet/config';
import { REPO_ROOT, testServices } from '@copyfleet/testing';

export interface BenchConfig {
  repoRoot: string;
  /** Size of each generated input (CSV and JSONL). */
  bytes: number;
  seed: number;
  /** Parallel streams for the N-stream baselines and copyfleet's WORKERS: the number of cores by default. */
  streams: number;
  /** Generated inputs (cached by size and seed), split parts, logs, copyfleet reports. */
  workDir: string;
  /** Where <timestamp>.json and latest.json go. */
  resultsDir: string;
  /** The Markdown report (BENCHMARKS.md). */
  markdownPath: string;
  /** Tables are `<prefix>_cf_trips`, `<prefix>_copy_chat`, …; also the copyfleet queue prefix. */
  tablePrefix: string;
  /** Only these system ids (or id prefixes such as `csv/`); null = all. */
  systems: string[] | null;
  /** Run each system this many times, in alternating rounds; the tables show the medians (and the fastest). */
  repeat: number;
  /** The small file (issue 15, target 2): its two systems run this many times, alternating (BENCH_SMALL_REPEAT, default 7). */
  smallRepeat: number;
  /** Before each load, wait up to this many seconds for the machine to be idle (0 = do not wait). */
  quietWaitSeconds: number;
  /**
   * The many-files case: the same input written as this many files each (BENCH_FILES=1000,10).
   * By default 1,000 files of ~1 MiB and 10 of ~100 MiB per GiB of BENCH_BYTES, at least 4
   * and 2 (a 2 MiB smoke: 4 and 2 files); BENCH_FILES=0 leaves the case out.
   */
  fileCounts: number[];
  /** Keep the loaded tables at the end (they are dropped by default). */
  keepTables: boolean;
  databaseUrl: string;
  redisUrl: string;
}

const env = (name: string): string | undefined => {
  const v = process.env[name]?.trim();
  return v ? v : undefined;
};

function positiveInt(name: string, fallback: number): number {
  const raw = env(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name}=${raw}: write a positive integer`);
  return n;
}

function path(name: string, fallback: string): string {
  const p = env(name) ?? fallback;
  return isAbsolute(p) ? p : join(REPO_ROOT, p);
}

/** BENCH_FILES, or the 1,000 and 10 files per GiB, scaled to BENCH_BYTES. */
function fileCounts(bytes: number): number[] {
  const raw = env('BENCH_FILES');
  if (raw === undefined) {
    const perGiB = bytes / 1024 ** 3;
    return [Math.max(4, Math.round(1000 * perGiB)), Math.max(2, Math.round(10 * perGiB))];
  }
  if (raw === '0') return [];
  const counts = raw.split(',').map((s) => Number(s.trim()));
  if (!counts.every((n) => Number.isInteger(n) && n >= 2 && n <= 100_000)) throw new Error(`BENCH_FILES=${raw}: write file counts from 2 to 100000, e.g. 1000,10 (or 0: no many-files case)`);
  return [...new Set(counts)];
}

/** The small file's size: the 2 KiB (a whole number of the trips generator's rows, at least this long). */
export const SMALL_BYTES = 2048;

export function benchConfig(): BenchConfig {
  const { databaseUrl, redisUrl } = testServices();
  const bytes = parseSize(env('BENCH_BYTES') ?? '1GiB');
  if (bytes < 1) throw new Error('BENCH_BYTES must be at least 1 byte');
  const prefix = env('BENCH_TABLE_PREFIX') ?? 'bench';
  if (!/^[a-z_][a-z0-9_]{0,40}$/.test(prefix)) throw new Error(`BENCH_TABLE_PREFIX=${prefix}: use lower-case letters, digits and _`);
  return {
    repoRoot: REPO_ROOT,
    bytes,
    seed: positiveInt('BENCH_SEED', 42),
    streams: positiveInt('BENCH_STREAMS', cpus().length),
    workDir: path('BENCH_WORK', 'bench/scratch'),
    resultsDir: path('BENCH_RESULTS', 'bench/results'),
    markdownPath: path('BENCH_MARKDOWN', 'BENCHMARKS.md'),
    tablePrefix: prefix,
    systems: env('BENCH_SYSTEMS')?.split(',').map((s) => s.trim()).filter(Boolean) ?? null,
    repeat: positiveInt('BENCH_REPEAT', 1),
    smallRepeat: positiveInt('BENCH_SMALL_REPEAT', 7),
    quietWaitSeconds: env('BENCH_QUIET_WAIT') === '0' ? 0 : positiveInt('BENCH_QUIET_WAIT', 600),
    fileCounts: fileCounts(bytes),
    keepTables: env('BENCH_KEEP_TABLES') === '1',
    databaseUrl,
    redisUrl,
  };
}
