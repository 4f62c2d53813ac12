/**
 * The systems compared, each one command line (or N run at once) a user would type, and
 * the one way they are all run: drop every benchmark table, create the target table if
 * the system needs it made beforehand, wait for the rest of the machine to be idle
 * (BENCH_QUIET_WAIT), warm the input in the page cache, CHECKPOINT, then measure the
 * command, then check row count and sums.
 *
 *   CSV    copyfleet load · psql \copy (1 stream) · psql \copy (N streams over N pre-split files)
 *   JSONL  copyfleet load · COPY into an UNLOGGED jsonb staging table + INSERT … SELECT (1 and N)
 *          · DuckDB read_json → CSV → psql \copy (1 and N) · Node readline + JSON.parse + COPY (1 and N)
 */
import { createReadStream, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { BenchConfig } from './config.js';
import type { Dataset, Format } from './datasets.js';
import { quoteIdent, type Db, type FileTimings, type RunTimings, type TableShape } from './db.js';
import type { FilesInput, Input, SplitInput } from './generate.js';
import { measure, waitForQuiet, type Measurement } from './measure.js';
import { shAll, shMeta, shq } from './shell.js';

export interface SystemResult extends Measurement {
  /** e.g. "csv/psql-copy-n". */
  id: string;
  format: Format;
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
    /** The command's end - runs.finished_at: the CLI noticing the run is done, shutting its processes down. */
    shutdownSeconds: number;
    files?: FileTimings;
  };
  /** Wall seconds of every repetition (BENCH_REPEAT); the figures above are the fastest one's. */
  wallSecondsAll: number[];
  /** The median of wallSecondsAll. */
  wallSecondsMedian: number;
  /** Every repetition's wall seconds and, for copyfleet, its run's timings, in round order. */
  rounds: { wallSeconds: number; copyfleet?: SystemResult['copyfleet'] }[];
  /** Seconds spent waiting for an idle machine before the load, and the busy cores then (BENCH_QUIET_WAIT). */
  quiet: { waitedSeconds: number; busyCores: number } | null;
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
  table: string;
  commands: string[];
  /** Files the commands read (warmed into the page cache before the run). */
  reads: string[];
  /** Bytes the commands read, when not the input file's (the many-files CSVs repeat the header). */
  bytes?: number;
  /** The many-files case: the number of files. */
  files?: number;
  /** Create the target table (not measured). */
  prepare?: () => Promise<void>;
  sql?: string;
  /** What a run's output tells beyond the common measurements (copyfleet: its run's timings); `span`: the command's start and end, epoch ms. */
  inspect?: (stdouts: string[], span: { startMs: number; endMs: number }) => Promise<Partial<SystemResult>>;
}

export const tables = (cfg: BenchConfig, ds: Dataset): { copyfleet: string; copyfleetFiles: (n: number) => string; copy: string; stage: (i: number) => string } => ({
  copyfleet: `${cfg.tablePrefix}_cf_${ds.name}`,
  // Its own table: copyfleet's ledger knows each table's files.
  copyfleetFiles: (n) => `${cfg.tablePrefix}_cf${n}_${ds.name}`,
  copy: `${cfg.tablePrefix}_copy_${ds.name}`,
  stage: (i) => `${cfg.tablePrefix}_stage_${ds.name}_${i}`,
});

/** Every table the benchmark may have left, for the drop before each load. */
function allTables(b: Bench, datasets: Dataset[]): string[] {
  return datasets.flatMap((ds) => {
    const t = tables(b.cfg, ds);
    return [t.copyfleet, ...b.cfg.fileCounts.map(t.copyfleetFiles), t.copy, ...Array.from({ length: b.cfg.streams }, (_, i) => t.stage(i + 1))];
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

/**
 * The fastest of a system's repetitions, carrying every repetition's wall time, their
 * median and each one's copyfleet timings. The repetitions are interleaved with the other
 * systems' (main.ts runs rounds), so a slow spell of the machine does not fall on one system only.
 */
export function fastest(runs: SystemResult[]): SystemResult {
  const best = runs.reduce((a, r) => (r.wallSeconds < a.wallSeconds ? r : a));
  const all = runs.map((r) => r.wallSeconds);
  return {
    ...best,
    wallSecondsAll: all,
    wallSecondsMedian: median(all),
    rounds: runs.map((r) => ({ wallSeconds: r.wallSeconds, ...(r.copyfleet ? { copyfleet: r.copyfleet } : {}) })),
  };
}

/** One load by one system, from a clean state: no benchmark table, a quiet machine, a warm page cache, a fresh checkpoint. */
export async function runOnce(b: Bench, ds: Dataset, all: Dataset[], input: Input, spec: Spec, rep: number): Promise<SystemResult> {
  const name = b.cfg.repeat > 1 ? `${spec.id} (${rep}/${b.cfg.repeat})` : spec.id;
  await b.db.dropTables(allTables(b, all));
  await spec.prepare?.();
  const quiet = b.cfg.quietWaitSeconds > 0 ? await waitForQuiet(b.cfg.quietWaitSeconds, 0.3, (l) => b.log(`${name}: ${l}`)) : null;
  await warm(spec.reads);
  await b.db.checkpoint();
  b.log(`${name}: ${spec.system} …`);
  const logFile = join(b.cfg.workDir, 'logs', `${spec.id.replaceAll('/', '-')}.log`);
  const startMs = Date.now();
  const { result: stdouts, m } = await measure(b.postmasterPid, () => shAll(spec.commands, { cwd: b.cfg.repoRoot, env: b.env, log: logFile }));
  const endMs = Date.now();
  const rows = await b.db.verify(spec.table, ds, input.totals);
  const bytes = spec.bytes ?? input.totals.bytes;
  const r: SystemResult = {
    id: spec.id,
    format: ds.format,
    system: spec.system,
    streams: spec.streams,
    commands: spec.commands,
    table: spec.table,
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
    ...(await spec.inspect?.(stdouts, { startMs, endMs })),
  };
  b.log(`${name}: ${rows} rows in ${m.wallSeconds.toFixed(1)} s (${r.mbPerSecond.toFixed(1)} MB/s)`);
  return r;
}

/**
 * copyfleet as a user runs it (`make load` without make): WORKERS = streams, default CHUNK,
 * on the input file or (the many-files case) on the directory of its files. Its queue
 * prefix and reports directory are the benchmark's own. The inputs are touched before each
 * run: copyfleet knows a run by its files' paths, sizes and mtimes, so an unfinished earlier
 * run into the same table is never resumed; every run is a fresh one. `--reload`, because
 * the ledger remembers the files an earlier round loaded into the (since dropped) table:
 * without it a touched file counts as changed and is refused.
 */
export function copyfleetSpec(b: Bench, ds: Dataset, input: Input, many?: FilesInput): Spec {
  const t = tables(b.cfg, ds);
  const table = many ? t.copyfleetFiles(many.files.length) : t.copyfleet;
  const reports = join(b.cfg.workDir, 'reports');
  const what = many ? `${rel(b, many.dir)}/` : rel(b, input.path);
  const reads = many ? many.files : [input.path];
  const cmd =
    `QUEUE_PREFIX=${b.cfg.tablePrefix} REPORTS_DIR=${shq(rel(b, reports))} ` +
    `node apps/cli/dist/main.js load ${shq(what)} --table ${table} --workers ${b.cfg.streams} --reload`;
  return {
    id: many ? `${ds.format}/files-${many.files.length}/copyfleet` : `${ds.format}/copyfleet`,
    system: many ? 'copyfleet load DIR/' : 'copyfleet load',
    streams: b.cfg.streams,
    table,
    commands: [cmd],
    reads,
    ...(many ? { bytes: many.bytes, files: many.files.length } : {}),
    prepare: async () => {
      const now = new Date();
      for (const f of reads) utimesSync(f, now, now);
    },
    inspect: async (stdouts, span) => {
      const summary = /copyfleet: run (\d+) done: .*/.exec(stdouts[0] ?? '');
      if (!summary) throw new Error(`copyfleet printed no "run N done" summary:\n${stdouts[0]}`);
      b.log(`  ${summary[0]}`);
      const runTimings = await b.db.runTimings(summary[1]!, b.cfg.streams);
      if (runTimings.status !== 'done' || runTimings.rowsRejected !== 0 || runTimings.rowsLoaded !== input.totals.rows) {
        throw new Error(
          `copyfleet run ${runTimings.runId}: status ${runTimings.status}, ${runTimings.rowsLoaded} rows loaded, ${runTimings.rowsRejected} rejected (want ${input.totals.rows}, 0)`,
        );
      }
      const files = many ? await b.db.fileTimings(runTimings.runId) : undefined;
      if (files && files.filesDone !== many!.files.length) {
        throw new Error(`copyfleet run ${runTimings.runId}: ${files.filesDone} of ${files.files} file(s) done (want all ${many!.files.length})`);
      }
      const bytes = many?.bytes ?? input.totals.bytes;
      return {
        copyfleet: {
          ...runTimings,
          ingestMbPerSecond: bytes / 1e6 / runTimings.ingestSeconds,
          ingestRowsPerSecond: runTimings.rowsLoaded / runTimings.ingestSeconds,
          startupSeconds: (runTimings.startedAtMs - span.startMs) / 1000,
          shutdownSeconds: (span.endMs - runTimings.finishedAtMs) / 1000,
          ...(files ? { files } : {}),
        },
      };
    },
  };
}

/** The table copyfleet just made, which the baselines' table copies; call it before the next run drops it. */
export async function copyfleetShape(b: Bench, ds: Dataset): Promise<TableShape> {
  const shape = await b.db.shape(tables(b.cfg, ds).copyfleet);
  const names = shape.columns.map((c) => c.name).join(',');
  if (names !== ds.columns.join(',')) throw new Error(`copyfleet made columns ${names}; the benchmark expects ${ds.columns.join(',')}`);
  return shape;
}

export const psql = 'psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -q';

/** psql \copy of the CSV: one stream over the file, and N at once over the pre-split parts (the header is in part 1). */
export function csvBaselines(b: Bench, ds: Dataset, input: Input, split: SplitInput, shape: TableShape): Spec[] {
  const table = tables(b.cfg, ds).copy;
  const prepare = (): Promise<void> => b.db.createLike(table, shape);
  const copy = (file: string, header: boolean): string =>
    `${psql} -c ${shMeta(`\\copy ${table} from '${rel(b, file)}' with (format csv${header ? ', header true' : ''})`)}`;
  return [
    { id: 'csv/psql-copy-1', system: 'psql \\copy', streams: 1, table, commands: [copy(input.path, true)], reads: [input.path], prepare },
    {
      id: 'csv/psql-copy-n',
      system: 'psql \\copy, pre-split',
      streams: split.parts.length,
      table,
      commands: split.parts.map((p, i) => copy(p, i === 0)),
      reads: split.parts,
      prepare,
    },
  ];
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
  );
  return specs;
}

export async function dropAll(b: Bench, all: Dataset[]): Promise<void> {
  await b.db.dropTables(allTables(b, all));
}
