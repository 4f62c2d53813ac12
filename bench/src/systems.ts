/**
 * The systems compared, each one command line (or N run at once, then maybe one after
 * them) a user would type, and the one way they are all run: drop every benchmark table,
 * create the target table if the system needs it made beforehand, wait for the rest of the
 * machine to be idle (BENCH_QUIET_WAIT), warm the input in the page cache, CHECKPOINT, then
 * measure the command, then check row count and sums.
 *
 *   CSV    copyfleet load (as it runs by default, with COPY_FORMAT=binary, and on its parse
 *          path: text and binary) · psql \copy (1 stream) · psql \copy (N streams over N
 *          pre-split files) · the same N streams, then ANALYZE
 *   TAXI   copyfleet load · psql \copy (N streams) · the same, then ANALYZE
 *   SMALL  copyfleet load · psql \copy (1 stream), of a 2 KiB file
 *   JSONL  copyfleet load (default, COPY_FORMAT=binary) · COPY into an UNLOGGED jsonb staging
 *          table + INSERT … SELECT (1 and N) · DuckDB read_json → CSV → psql \copy (1 and N)
 *          · Node readline + JSON.parse + COPY (1 and N) · the JSON.parse floor (no database)
 */
import { createReadStream, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { BenchConfig } from './config.js';
import type { Dataset, DatasetKey, Format } from './datasets.js';
import { quoteIdent, type Db, type FileTimings, type RunTimings, type TableShape } from './db.js';
import type { FilesInput, Input, SplitInput } from './generate.js';
import type { FloorReport } from './json-parse-floor.js';
import { measure, waitForQuiet, type Measurement } from './measure.js';
import { sh, shAll, shMeta, shq } from './shell.js';

/** The figures of a load that each repetition has and the medians are taken of. */
interface Figures {
  wallSeconds: number;
  clientCpuSeconds: number;
  postgresCpuSeconds: number;
  otherCpuSeconds: number;
  /** copyfleet: its worker processes' CPU (null when none was seen). */
  workerCpuSeconds: number | null;
  largestPeakRssBytes: number;
}

/** What one repetition measured. */
export interface Round extends Figures {
  copyfleet?: SystemResult['copyfleet'];
  floor?: FloorReport;
}

export interface SystemResult extends Measurement {
  /** e.g. "csv/psql-copy-n": the dataset's key, then the system. */
  id: string;
  /** The dataset's key (csv, jsonl, taxi, small), not its file format; older results hold the format (csv or jsonl), which was the same then. */
  format: DatasetKey;
  /** Human name for the tables. */
  system: string;
  streams: number;
  /** Exactly what ran (from the repo root, DATABASE_URL in the environment); N lines when N ran at once. */
  commands: string[];
  table: string;
  /** The SQL script the commands run, when they run one (the staging baseline). */
  sql?: string;
  rows: number;
  bytes: number;
  mbPerSecond: number;
  rowsPerSecond: number;
  /** The many-files case: how many files the input is (null: the single file). */
  files?: number;
  /** copyfleet only: the run's own timings from copyfleet.runs / copyfleet.chunks (and copyfleet.files). */
  copyfleet?: RunTimings & {
    ingestMbPerSecond: number;
    ingestRowsPerSecond: number;
    /** runs.started_at - the command's start: process start-up, connecting, listing the inputs. */
    startupSeconds: number;
    /** PostgreSQL's CPU seconds from the command's start to the last chunk's commit (the ingest, without ANALYZE and the reports). */
    ingestPostgresCpuSeconds: number;
    /** The worker processes' CPU seconds before the first chunk was claimed: their start-up (polled, so about). */
    workerStartupCpuSeconds: number;
    /** The command's end - runs.finished_at: the CLI noticing the run is done, shutting its processes down. */
    shutdownSeconds: number;
    files?: FileTimings;
  };
  /** copyfleet: CPU seconds of its worker processes (the cpuSecondsByRole of worker-k); null when there were none. */
  workerCpuSeconds?: number | null;
  /** The JSON.parse floor: what the script measured of itself. */
  floor?: FloorReport;
  /** Wall seconds of every repetition (BENCH_REPEAT); the figures above are the fastest one's. */
  wallSecondsAll: number[];
  /** The median of wallSecondsAll. */
  wallSecondsMedian: number;
  /** The medians of the repetitions (what the ratios and the targets use); absent in older results. */
  medians?: Medians;
  /** Every repetition's figures and, for copyfleet, its run's timings, in round order. */
  rounds: Round[];
  /** Seconds spent waiting for an idle machine before the load, and the busy cores then (BENCH_QUIET_WAIT). */
  quiet: { waitedSeconds: number; busyCores: number } | null;
}

/** The median over a system's repetitions of each figure (each figure's own median: they may come from different rounds). */
export interface Medians extends Figures {
  /** copyfleet only. */
  ingestSeconds?: number;
  ingestPostgresCpuSeconds?: number;
  workerStartupCpuSeconds?: number;
  /** The JSON.parse floor only. */
  floor?: FloorReport;
}

export interface Bench {
  cfg: BenchConfig;
  db: Db;
  /** The PostgreSQL server's postmaster: its processes are the ones whose CPU counts. */
  postmasterPid: number;
  /** Environment for every command: DATABASE_URL and REDIS_URL set. */
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
}

/** One system, ready to run. */
export interface Spec {
  id: string;
  system: string;
  streams: number;
  /** The table the rows go to; null for the JSON.parse floor, which loads nothing (`check` verifies it). */
  table: string | null;
  commands: string[];
  /** Run one after another once every command is done, inside the measurement (the ANALYZE after N \copy streams). */
  then?: string[];
  /** Files the commands read (warmed into the page cache before the run). */
  reads: string[];
  /** Bytes the commands read, when not the input file's (the many-files CSVs repeat the header). */
  bytes?: number;
  /** The many-files case: the number of files. */
  files?: number;
  /** Create the target table (not measured). */
  prepare?: () => Promise<void>;
  sql?: string;
  /**
   * What a run's output tells beyond the common measurements (copyfleet: its run's timings);
   * `span`: the command's start and end, epoch ms, and PostgreSQL's CPU seconds from the start to a moment.
   */
  inspect?: (stdouts: string[], span: RunSpan, m: Measurement) => Promise<Partial<SystemResult>>;
}

export interface RunSpan {
  startMs: number;
  endMs: number;
  postgresCpuAt: (ms: number) => number;
  /** CPU seconds the processes of a role had used by epoch `ms` (their last 200 ms poll before it). */
  roleCpuAt: (role: string, ms: number) => number;
}

/** The copyfleet variants' id suffixes (copyfleetVariants). */
const VARIANT_SUFFIXES = ['-binary', '-parse', '-parse-binary'];

export const tables = (
  cfg: BenchConfig,
  ds: Dataset,
): { copyfleet: string; copyfleetVariant: (suffix: string) => string; copyfleetFiles: (n: number) => string; copy: string; stage: (i: number) => string } => ({
  copyfleet: `${cfg.tablePrefix}_cf_${ds.name}`,
  // Its own table too: copyfleet designs a load into a table it loaded before from that run's
  // spec (libs/run start-run.ts, latestSpecFor), which would drop the parse path's NULL marker.
  copyfleetVariant: (suffix) => `${cfg.tablePrefix}_cf_${ds.name}${suffix.replaceAll('-', '_')}`,
  // Its own table: copyfleet's ledger knows each table's files.
  copyfleetFiles: (n) => `${cfg.tablePrefix}_cf${n}_${ds.name}`,
  copy: `${cfg.tablePrefix}_copy_${ds.name}`,
  stage: (i) => `${cfg.tablePrefix}_stage_${ds.name}_${i}`,
});

/** Every table the benchmark may have left, for the drop before each load. */
function allTables(b: Bench, datasets: Dataset[]): string[] {
  return datasets.flatMap((ds) => {
    const t = tables(b.cfg, ds);
    return [
      t.copyfleet,
      ...VARIANT_SUFFIXES.map(t.copyfleetVariant),
      ...b.cfg.fileCounts.map(t.copyfleetFiles),
      t.copy,
      ...Array.from({ length: b.cfg.streams }, (_, i) => t.stage(i + 1)),
    ];
  });
}

/** A path as the commands spell it: relative to the repo root when inside it. */
export function rel(b: Bench, p: string): string {
  const r = relative(b.cfg.repoRoot, p);
  return r.startsWith('..') ? p : r;
}

async function warm(files: string[]): Promise<void> {
  for (const f of files) for await (const _ of createReadStream(f, { highWaterMark: 1 << 22 }));
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const largestPeak = (m: Measurement): number => Math.max(0, ...Object.values(m.peakRssBytes));

/** copyfleet's worker processes' CPU seconds (roles worker-1 …), or null when the run had none. */
export function workerCpuSeconds(byRole: Record<string, number>): number | null {
  const workers = Object.entries(byRole).filter(([role]) => /^worker-\d+$/.test(role));
  return workers.length ? workers.reduce((n, [, cpu]) => n + cpu, 0) : null;
}

/** One repetition's figures, for the medians. */
export const roundOf = (r: SystemResult): Round => ({
  wallSeconds: r.wallSeconds,
  clientCpuSeconds: r.clientCpuSeconds,
  postgresCpuSeconds: r.postgresCpuSeconds,
  otherCpuSeconds: r.otherCpuSeconds,
  workerCpuSeconds: r.workerCpuSeconds ?? null,
  largestPeakRssBytes: largestPeak(r),
  ...(r.copyfleet ? { copyfleet: r.copyfleet } : {}),
  ...(r.floor ? { floor: r.floor } : {}),
});

/** Each figure's median over the rounds. */
export function mediansOf(rounds: Round[]): Medians {
  const med = (f: (r: Round) => number | null | undefined): number | null => {
    const xs = rounds.map(f).filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
    return xs.length ? median(xs) : null;
  };
  const ingest = med((r) => r.copyfleet?.ingestSeconds);
  const ingestPg = med((r) => r.copyfleet?.ingestPostgresCpuSeconds);
  const startup = med((r) => r.copyfleet?.workerStartupCpuSeconds);
  const floors = rounds.map((r) => r.floor).filter((f): f is FloorReport => f !== undefined);
  return {
    wallSeconds: med((r) => r.wallSeconds)!,
    clientCpuSeconds: med((r) => r.clientCpuSeconds)!,
    postgresCpuSeconds: med((r) => r.postgresCpuSeconds)!,
    otherCpuSeconds: med((r) => r.otherCpuSeconds)!,
    workerCpuSeconds: med((r) => r.workerCpuSeconds),
    largestPeakRssBytes: med((r) => r.largestPeakRssBytes)!,
    ...(ingest !== null ? { ingestSeconds: ingest } : {}),
    ...(ingestPg !== null ? { ingestPostgresCpuSeconds: ingestPg } : {}),
    ...(startup !== null ? { workerStartupCpuSeconds: startup } : {}),
    ...(floors.length
      ? { floor: { ...floors[0]!, readlineParseCpuSeconds: median(floors.map((f) => f.readlineParseCpuSeconds)), splitParseCpuSeconds: median(floors.map((f) => f.splitParseCpuSeconds)) } }
      : {}),
  };
}

/**
 * The fastest of a system's repetitions, carrying every repetition's figures and their
 * medians (what the ratios use). The repetitions are interleaved with the other systems'
 * (main.ts runs rounds), so a slow spell of the machine does not fall on one system only.
 */
export function fastest(runs: SystemResult[]): SystemResult {
  const best = runs.reduce((a, r) => (r.wallSeconds < a.wallSeconds ? r : a));
  const all = runs.map((r) => r.wallSeconds);
  const rounds = runs.map(roundOf);
  return { ...best, wallSecondsAll: all, wallSecondsMedian: median(all), medians: mediansOf(rounds), rounds };
}

/** One load by one system, from a clean state: no benchmark table, a quiet machine, a warm page cache, a fresh checkpoint. */
export async function runOnce(b: Bench, ds: Dataset, all: Dataset[], input: Input, spec: Spec, rep: number, repeat: number): Promise<SystemResult> {
  const name = repeat > 1 ? `${spec.id} (${rep}/${repeat})` : spec.id;
  await b.db.dropTables(allTables(b, all));
  await spec.prepare?.();
  const quiet = b.cfg.quietWaitSeconds > 0 ? await waitForQuiet(b.cfg.quietWaitSeconds, 0.3, (l) => b.log(`${name}: ${l}`)) : null;
  await warm(spec.reads);
  await b.db.checkpoint();
  b.log(`${name}: ${spec.system} …`);
  const logFile = join(b.cfg.workDir, 'logs', `${spec.id.replaceAll('/', '-')}.log`);
  const startMs = Date.now();
  const opts = { cwd: b.cfg.repoRoot, env: b.env, log: logFile };
  const { result: stdouts, m, postgresCpuAt, roleCpuAt } = await measure(b.postmasterPid, async () => {
    const out = await shAll(spec.commands, opts);
    for (const cmd of spec.then ?? []) out.push(await sh(cmd, opts));
    return out;
  });
  const endMs = Date.now();
  const inspected = await spec.inspect?.(stdouts, { startMs, endMs, postgresCpuAt, roleCpuAt }, m);
  const rows = spec.table === null ? (inspected?.rows ?? NaN) : await b.db.verify(spec.table, ds, input.totals);
  const bytes = spec.bytes ?? input.totals.bytes;
  const r: SystemResult = {
    id: spec.id,
    format: ds.key,
    system: spec.system,
    streams: spec.streams,
    commands: [...spec.commands, ...(spec.then ?? [])],
    table: spec.table ?? '',
    ...(spec.sql ? { sql: spec.sql } : {}),
    rows,
    bytes,
    mbPerSecond: bytes / 1e6 / m.wallSeconds,
    rowsPerSecond: rows / m.wallSeconds,
    ...(spec.files ? { files: spec.files } : {}),
    ...m,
    wallSecondsAll: [],
    wallSecondsMedian: m.wallSeconds,
    rounds: [],
    quiet,
    ...inspected,
  };
  b.log(`${name}: ${rows} rows in ${m.wallSeconds.toFixed(1)} s (${r.mbPerSecond.toFixed(1)} MB/s)`);
  return r;
}

/** A variant of copyfleet's command: COPY_FORMAT in its environment, or a dataset spec that forces the parse path. */
export interface CopyfleetVariant {
  /** Appended to the id: `csv/copyfleet-binary`. */
  suffix: string;
  /** Appended to the system's name. */
  label: string;
  copyFormat?: 'binary' | 'text';
  /** A dataset spec file (--dataset). */
  dataset?: string;
}

/**
 * copyfleet as a user runs it (`make load WORKERS=n` without make: an input of one job, the
 * 2 KiB file, loads inside the command as it does for them): WORKERS = streams, default CHUNK,
 * on the input file or (the many-files case) on the directory of its files. Its queue
 * prefix and reports directory are the benchmark's own. The inputs are touched before each
 * run: copyfleet knows a run by its files' paths, sizes and mtimes, so an unfinished earlier
 * run into the same table is never resumed; every run is a fresh one. `--reload`, because
 * the ledger remembers the files an earlier round loaded into the (since dropped) table:
 * without it a touched file counts as changed and is refused.
 */
export function copyfleetSpec(b: Bench, ds: Dataset, input: Input, many?: FilesInput, variant?: CopyfleetVariant): Spec {
  const t = tables(b.cfg, ds);
  const table = many ? t.copyfleetFiles(many.files.length) : variant ? t.copyfleetVariant(variant.suffix) : t.copyfleet;
  const reports = join(b.cfg.workDir, 'reports');
  const what = many ? `${rel(b, many.dir)}/` : rel(b, input.path);
  const reads = many ? many.files : [input.path];
  const cmd =
    `${variant?.copyFormat ? `COPY_FORMAT=${variant.copyFormat} ` : ''}QUEUE_PREFIX=${b.cfg.tablePrefix} REPORTS_DIR=${shq(rel(b, reports))} WORKERS=${b.cfg.streams} ` +
    `node apps/cli/dist/bundle/copyfleet.js load ${shq(what)} --table ${table} --reload` +
    (variant?.dataset ? ` --dataset ${shq(rel(b, variant.dataset))}` : '');
  return {
    id: many ? `${ds.key}/files-${many.files.length}/copyfleet` : `${ds.key}/copyfleet${variant?.suffix ?? ''}`,
    system: (many ? 'copyfleet load DIR/' : 'copyfleet load') + (variant ? `, ${variant.label}` : ''),
    streams: b.cfg.streams,
    table,
    commands: [cmd],
    reads,
    ...(many ? { bytes: many.bytes, files: many.files.length } : {}),
    prepare: async () => {
      const now = new Date();
      for (const f of reads) utimesSync(f, now, now);
    },
    inspect: async (stdouts, span, m) => {
      const summary = /copyfleet: run (\d+) done: .*/.exec(stdouts[0] ?? '');
      if (!summary) throw new Error(`copyfleet printed no "run N done" summary:\n${stdouts[0]}`);
      b.log(`  ${summary[0]}`);
      const runTimings = await b.db.runTimings(summary[1]!, b.cfg.streams);
      if (runTimings.status !== 'done' || runTimings.rowsRejected !== 0 || runTimings.rowsLoaded !== input.totals.rows) {
        throw new Error(
          `copyfleet run ${runTimings.runId}: status ${runTimings.status}, ${runTimings.rowsLoaded} rows loaded, ${runTimings.rowsRejected} rejected (want ${input.totals.rows}, 0)`,
        );
      }
      // The parse-path variant measures nothing if a chunk went past the parser.
      if (variant?.dataset && runTimings.unparsedChunks > 0) {
        throw new Error(`copyfleet run ${runTimings.runId}: ${runTimings.unparsedChunks} chunk(s) streamed unparsed; ${rel(b, variant.dataset)} no longer forces the parse path`);
      }
      const files = many ? await b.db.fileTimings(runTimings.runId) : undefined;
      if (files && files.filesDone !== many!.files.length) {
        throw new Error(`copyfleet run ${runTimings.runId}: ${files.filesDone} of ${files.files} file(s) done (want all ${many!.files.length})`);
      }
      const bytes = many?.bytes ?? input.totals.bytes;
      return {
        workerCpuSeconds: workerCpuSeconds(m.cpuSecondsByRole),
        copyfleet: {
          ...runTimings,
          ingestMbPerSecond: bytes / 1e6 / runTimings.ingestSeconds,
          ingestRowsPerSecond: runTimings.rowsLoaded / runTimings.ingestSeconds,
          startupSeconds: (runTimings.startedAtMs - span.startMs) / 1000,
          ingestPostgresCpuSeconds: span.postgresCpuAt(runTimings.startedAtMs + 1000 * runTimings.ingestSeconds),
          workerStartupCpuSeconds: span.roleCpuAt('worker', runTimings.startedAtMs + 1000 * runTimings.firstChunkSeconds),
          shutdownSeconds: (span.endMs - runTimings.finishedAtMs) / 1000,
          ...(files ? { files } : {}),
        },
      };
    },
  };
}

/**
 * The dataset spec that puts a CSV on copyfleet's parse path: a NULL marker besides the
 * empty field ("NA", which no generated field holds) is one that PostgreSQL's COPY cannot
 * read as written, so the workers parse, type and encode every row themselves — the rows
 * COPY_FORMAT=binary applies to. Columns, types and partitions stay inferred.
 */
export function parsePathSpec(b: Bench): string {
  const dir = join(b.cfg.workDir, 'specs');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'csv-parse-path.yaml');
  writeFileSync(file, '# make bench: forces the parse path (a NULL marker COPY cannot read); everything else is inferred.\nsource:\n  nulls: ["NA"]\n');
  return file;
}

/**
 * The copyfleet variants of a dataset (issue 15, target 3): COPY_FORMAT=binary for the
 * JSONL and the trips CSV, and the CSV's parse path in text and in binary.
 */
export function copyfleetVariants(b: Bench, ds: Dataset, input: Input): Spec[] {
  if (ds.key !== 'csv' && ds.key !== 'jsonl') return [];
  const variants: CopyfleetVariant[] = [{ suffix: '-binary', label: 'COPY_FORMAT=binary', copyFormat: 'binary' }];
  if (ds.key === 'csv') {
    const dataset = parsePathSpec(b);
    variants.push(
      { suffix: '-parse', label: 'parse path (--dataset with a NULL marker)', dataset },
      { suffix: '-parse-binary', label: 'parse path, COPY_FORMAT=binary', copyFormat: 'binary', dataset },
    );
  }
  return variants.map((v) => copyfleetSpec(b, ds, input, undefined, v));
}

/** The table copyfleet just made, which the baselines' table copies; call it before the next run drops it. */
export async function copyfleetShape(b: Bench, ds: Dataset): Promise<TableShape> {
  const shape = await b.db.shape(tables(b.cfg, ds).copyfleet);
  const names = shape.columns.map((c) => c.name).join(',');
  if (names !== ds.columns.join(',')) throw new Error(`copyfleet made columns ${names}; the benchmark expects ${ds.columns.join(',')}`);
  return shape;
}

export const psql = 'psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -q';

/**
 * psql \copy of a CSV: one stream over the file, N at once over the pre-split parts (the
 * header is in part 1), and the same N streams followed by ANALYZE of the table — what a
 * user scripting it by hand runs so that the table is usable, the same work as copyfleet's
 * whole command (issue 15, target 1). The small file gets the one stream only, the taxi
 * CSV the N streams only.
 */
export function csvBaselines(b: Bench, ds: Dataset, input: Input, split: SplitInput, shape: TableShape): Spec[] {
  const table = tables(b.cfg, ds).copy;
  const prepare = (): Promise<void> => b.db.createLike(table, shape);
  const copy = (file: string, header: boolean): string =>
    `${psql} -c ${shMeta(`\\copy ${table} from '${rel(b, file)}' with (format csv${header ? ', header true' : ''})`)}`;
  const streams = split.parts.map((p, i) => copy(p, i === 0));
  const one: Spec = { id: `${ds.key}/psql-copy-1`, system: 'psql \\copy', streams: 1, table, commands: [copy(input.path, true)], reads: [input.path], prepare };
  if (ds.key === 'small') return [one];
  const n: Spec[] = [
    { id: `${ds.key}/psql-copy-n`, system: 'psql \\copy, pre-split', streams: split.parts.length, table, commands: streams, reads: split.parts, prepare },
    {
      id: `${ds.key}/psql-copy-n-analyze`,
      system: 'psql \\copy, pre-split + ANALYZE',
      streams: split.parts.length,
      table,
      commands: streams,
      then: [`${psql} -c ${shMeta(`ANALYZE ${table}`)}`],
      reads: split.parts,
      prepare,
    },
  ];
  return ds.key === 'taxi' ? n : [one, ...n];
}

/** SQL that turns the staging table's jsonb into the target's typed columns. */
export function stagingInsert(ds: Dataset, shape: TableShape, target: string, stage: string): string {
  const types = new Map(shape.columns.map((c) => [c.name, c.type]));
  const exprs = ds.fields!.map((f) => {
    const type = types.get(f.column)!;
    const head = f.path.slice(0, -1).map((k) => `->'${k}'`).join('');
    const last = f.path.at(-1)!;
    if (type === 'jsonb') return `doc${head}->'${last}'`;
    const text = `doc${head}->>'${last}'`;
    return type === 'text' ? text : `(${text})::${type}`;
  });
  return `INSERT INTO ${quoteIdent(target)} (${ds.columns.map(quoteIdent).join(', ')})\n  SELECT ${exprs.join(',\n         ')}\n  FROM ${quoteIdent(stage)};`;
}

/** DuckDB read_json over a file or a glob → CSV on stdout → psql \\copy into `table`. */
export function duckCommand(b: Bench, ds: Dataset, table: string, fileOrGlob: string, threads: string): string {
  return (
    `node bench/dist/duckdb-export.js ${shq(fileOrGlob)}${threads ? ` ${threads}` : ''} | ` +
    `${psql} -c ${shMeta(`\\copy ${table} (${ds.columns.join(', ')}) from pstdin with (format csv)`)}`
  );
}

/** The \\copy options that pass each JSON line through to a jsonb column untouched. */
export const JSONB_LINES = "format csv, quote e'\\x01', delimiter e'\\x02'";

/**
 * The JSONL alternatives, each with 1 stream over the file and N at once over the parts:
 * (a) COPY the lines into an UNLOGGED jsonb staging table, then INSERT … SELECT with ->>
 *     and casts (CSV format with quote and delimiter bytes that JSON text cannot hold, so
 *     COPY passes each line through untouched);
 * (b) DuckDB read_json → CSV on stdout → psql \copy;
 * (c) Node readline + JSON.parse + pg-copy-streams.
 */
export function jsonlBaselines(b: Bench, ds: Dataset, input: Input, split: SplitInput, shape: TableShape, duckdb: boolean): Spec[] {
  const t = tables(b.cfg, ds);
  const table = t.copy;
  const prepare = (): Promise<void> => b.db.createLike(table, shape);
  const sqlDir = join(b.cfg.workDir, 'sql');
  mkdirSync(sqlDir, { recursive: true });
  const n = split.parts.length;

  const stagingSql = (file: string, stage: string): string =>
    [
      `CREATE UNLOGGED TABLE ${quoteIdent(stage)} (doc jsonb);`,
      `\\copy ${stage} (doc) from '${rel(b, file)}' with (${JSONB_LINES})`,
      stagingInsert(ds, shape, table, stage),
      `DROP TABLE ${quoteIdent(stage)};`,
      '',
    ].join('\n');
  const staging = (file: string, i: number, streams: number): string => {
    const script = join(sqlDir, `jsonl-staging-${streams}-${i}.sql`);
    writeFileSync(script, stagingSql(file, t.stage(i)));
    return `${psql} -f ${shq(rel(b, script))}`;
  };
  const duck = (file: string, threads: string): string => duckCommand(b, ds, table, rel(b, file), threads);
  const node = (file: string): string => `node bench/dist/node-jsonl-copy.js ${shq(rel(b, file))} ${table}`;
  // N DuckDB processes share the cores.
  const duckThreads = String(Math.max(1, Math.floor(b.cfg.streams / n)));

  const specs: Spec[] = [
    { id: 'jsonl/staging-1', system: 'COPY → jsonb staging + INSERT … SELECT', streams: 1, table, commands: [staging(input.path, 1, 1)], reads: [input.path], prepare, sql: stagingSql(input.path, t.stage(1)) },
    {
      id: 'jsonl/staging-n',
      system: 'COPY → jsonb staging + INSERT … SELECT, pre-split',
      streams: n,
      table,
      commands: split.parts.map((p, i) => staging(p, i + 1, n)),
      reads: split.parts,
      prepare,
    },
  ];
  if (duckdb) {
    specs.push(
      { id: 'jsonl/duckdb-1', system: 'DuckDB read_json → CSV → psql \\copy', streams: 1, table, commands: [duck(input.path, '')], reads: [input.path], prepare },
      {
        id: 'jsonl/duckdb-n',
        system: 'DuckDB read_json → CSV → psql \\copy, pre-split',
        streams: n,
        table,
        commands: split.parts.map((p) => duck(p, duckThreads)),
        reads: split.parts,
        prepare,
      },
    );
  }
  specs.push(
    { id: 'jsonl/node-1', system: 'Node readline + JSON.parse + COPY', streams: 1, table, commands: [node(input.path)], reads: [input.path], prepare },
    {
      id: 'jsonl/node-n',
      system: 'Node readline + JSON.parse + COPY, pre-split',
      streams: n,
      table,
      commands: split.parts.map(node),
      reads: split.parts,
      prepare,
    },
    jsonParseFloor(b, input),
  );
  return specs;
}

/** The JSON.parse floor (json-parse-floor.ts): one process, no table; its printed sums are checked instead. */
function jsonParseFloor(b: Bench, input: Input): Spec {
  return {
    id: 'jsonl/json-parse-floor',
    system: 'JSON.parse floor: Node readline + JSON.parse, then Buffer split + JSON.parse (no database)',
    streams: 1,
    table: null,
    commands: [`node bench/dist/json-parse-floor.js ${shq(rel(b, input.path))}`],
    reads: [input.path],
    inspect: async (stdouts) => {
      const floor = JSON.parse(stdouts[0]!.trim().split('\n').at(-1)!) as FloorReport;
      const want = input.totals;
      if (floor.rows !== want.rows || floor.intSum !== want.intSum || floor.decimalSumMilli !== want.decimalSumMilli) {
        throw new Error(`the JSON.parse floor read ${JSON.stringify(floor)}; the generator wrote ${JSON.stringify(want)}`);
      }
      return { rows: floor.rows, floor };
    },
  };
}

export async function dropAll(b: Bench, all: Dataset[]): Promise<void> {
  await b.db.dropTables(allTables(b, all));
}
