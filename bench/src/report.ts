/**
 * The results: bench/results/<timestamp>.json (+ latest.json) for machines, BENCHMARKS.md
 * for people. Ratios are their time / our time, so > 1 means copyfleet is faster.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';

const MODEL_FILE = 'bench/throughput-model.md';
const PATH_SETTINGS = new Set(['config_file', 'data_directory', 'hba_file', 'ident_file', 'unix_socket_directories', 'external_pid_file']);
import { join } from 'node:path';
import { filesOf, type FilesRatio } from './many-files.js';
import type { SystemResult } from './systems.js';

export interface Machine {
  nproc: number;
  cpuModel: string;
  memoryBytes: number;
  kernel: string;
  node: string;
  postgres: { version: string; settings: { name: string; setting: string; unit: string | null; source: string }[] };
  duckdb: string | null;
  /** 1-minute load average when the benchmark started. */
  loadAverage: number;
}

export interface InputInfo {
  format: string;
  file: string;
  bytes: number;
  rows: number;
  generateSeconds: number;
  splitSeconds: number;
  parts: number;
}

export interface Ratio {
  format: string;
  label: string;
  /** their wall seconds / our seconds: > 1 means copyfleet is faster. */
  value: number;
}

/** One of the many-files case's directories. */
export interface FilesInputInfo {
  format: string;
  files: number;
  dir: string;
  /** All its files together (each CSV file has the header). */
  bytes: number;
  splitSeconds: number;
}

export interface Results {
  date: string;
  command: string;
  commit: { hash: string; dirtyFiles: string[] };
  config: { bytes: number; seed: number; streams: number; repeat: number; quietWaitSeconds: number; fileCounts?: number[] };
  machine: Machine;
  inputs: InputInfo[];
  systems: SystemResult[];
  ratios: Ratio[];
  skipped: { id: string; reason: string }[];
  /** The many-files case (absent when it did not run). */
  manyFiles?: { inputs: FilesInputInfo[]; ratios: FilesRatio[] };
}

/** Not a many-files system: the single-file tables and ratios show these. */
export const singleFile = (s: SystemResult): boolean => filesOf(s.id) === null;

const streams = (s: SystemResult): string => `${s.streams} stream${s.streams > 1 ? 's' : ''}`;
const cpu = (s: SystemResult): number => s.clientCpuSeconds + s.postgresCpuSeconds;

export function ratios(all: SystemResult[]): Ratio[] {
  const systems = all.filter(singleFile);
  const out: Ratio[] = [];
  const byId = new Map(systems.map((s) => [s.id, s]));
  const cfCsv = byId.get('csv/copyfleet');
  if (cfCsv?.copyfleet) {
    for (const id of ['csv/psql-copy-n', 'csv/psql-copy-1']) {
      const other = byId.get(id);
      if (!other) continue;
      const name = `${other.system} (${streams(other)})`;
      out.push(
        { format: 'csv', label: `${name} / copyfleet ingest`, value: other.wallSeconds / cfCsv.copyfleet.ingestSeconds },
        { format: 'csv', label: `${name} / copyfleet whole command`, value: other.wallSeconds / cfCsv.wallSeconds },
        { format: 'csv', label: `${name} / copyfleet whole command, CPU seconds (client + PostgreSQL)`, value: cpu(other) / cpu(cfCsv) },
      );
    }
  }
  const cfJson = byId.get('jsonl/copyfleet');
  const alternatives = systems.filter((s) => s.format === 'jsonl' && s.id !== 'jsonl/copyfleet');
  if (cfJson?.copyfleet && alternatives.length) {
    const best = alternatives.reduce((a, b) => (b.wallSeconds < a.wallSeconds ? b : a));
    const name = `best alternative: ${best.system} (${streams(best)})`;
    out.push(
      { format: 'jsonl', label: `${name} / copyfleet ingest`, value: best.wallSeconds / cfJson.copyfleet.ingestSeconds },
      { format: 'jsonl', label: `${name} / copyfleet whole command`, value: best.wallSeconds / cfJson.wallSeconds },
      { format: 'jsonl', label: `${name} / copyfleet whole command, CPU seconds (client + PostgreSQL)`, value: cpu(best) / cpu(cfJson) },
    );
  }
  return out;
}

/** bench/results/<this name>: the run's date, safe in a file name. */
export const resultsName = (res: Results): string => `${res.date.replace(/[:]/g, '-').replace(/\.\d+Z$/, 'Z')}.json`;

export function writeResults(dir: string, res: Results): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, resultsName(res));
  writeFileSync(file, `${JSON.stringify(res, null, 2)}\n`);
  copyFileSync(file, join(dir, 'latest.json'));
  return file;
}

export const MiB = 1024 * 1024;
export const f1 = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : '—');
export const f2 = (n: number): string => (Number.isFinite(n) ? n.toFixed(2) : '—');
export const int = (n: number): string => Math.round(n).toLocaleString('en-US');
export const size = (n: number): string => (n >= 1024 ** 3 ? `${(n / 1024 ** 3).toFixed(2)} GiB` : `${(n / MiB).toFixed(1)} MiB`);

const METHOD = `\
## Method

\`make bench\` (bench/src/main.ts) generates two deterministic inputs of \`BENCH_BYTES\` each
(default 1 GiB, cached in bench/scratch by size and seed): a trips-like CSV (quoted WKT points, a
timestamp, numbers, text) and a nested chat-like JSONL (a nested object, an array, unicode, quotes
and escapes). It loads each with \`copyfleet load\` as a user runs it (WORKERS = cores, default
CHUNK), then with the alternatives a user would pick, into a table with the same columns, types and
monthly partitions as the one copyfleet created (pre-created for them): psql \`\\copy\` with one
stream and with N streams over the file pre-split by lines (N = cores); for the JSONL, COPY into an
UNLOGGED jsonb staging table plus INSERT … SELECT, DuckDB \`read_json\` piped as CSV into
\`\\copy\`, and a Node script (readline + JSON.parse + pg-copy-streams), each with 1 and N streams.
Loads run one after another; before each, every benchmark table is dropped, the target table (for
the alternatives) is created, the harness waits (up to \`BENCH_QUIET_WAIT\`, 600 s) until the rest
of the machine is idle (< 0.3 busy cores), the input is read once to warm the page cache, and
\`CHECKPOINT\` runs. After each, the row count and two column sums are checked against the
generator's totals: a system that loses or changes a row fails the benchmark. With
\`BENCH_REPEAT=k\` the systems run in k rounds (each system once per round, copyfleet first) and the fastest run of each is shown.

**wall s** is the whole command. copyfleet's **ingest s** is max(chunks.loaded_at) −
runs.started_at from its own tables (all rows are in the table); its whole command also includes
process start-up, compaction (ANALYZE), the reports and shutdown. CPU seconds come from /proc:
**client** is user+system time of the processes the command started (copyfleet's CLI, splitter,
workers, compactor and reporter; psql; node; DuckDB); **PostgreSQL** is that of the server's
processes, including backends that exited (the whole server: other clients of it count too);
**other** is what the rest of the machine used meanwhile — well above zero means something else
competed for the cores and the wall times are pessimistic. Peak RSS is VmHWM, polled every 200 ms.
Ratios are theirs / ours: above 1 means copyfleet is faster (or uses less CPU). Generation and
pre-splitting are not timed.`;

/** The single-file part of BENCHMARKS.md (the many-files case has its own section: many-files-report.ts). */
export function markdown(all: Results): string {
  const res = { ...all, systems: all.systems.filter(singleFile) };
  const m = res.machine;
  const lines: string[] = ['# Benchmarks', '', METHOD, ''];
  lines.push(`## Latest run: ${res.date.slice(0, 10)}`, '');
  lines.push(`- **Command:** \`${res.command}\``);
  lines.push(`- **Date:** ${res.date}`);
  lines.push(
    `- **Code:** commit \`${res.commit.hash}\`` +
      (res.commit.dirtyFiles.length
        ? ` plus uncommitted changes to ${res.commit.dirtyFiles.length} file(s) under libs/ and apps/ (the build that ran; the loader is being optimized concurrently)`
        : ''),
  );
  lines.push(
    `- **Machine:** ${m.nproc} cores (${m.cpuModel}), ${(m.memoryBytes / 1024 ** 3).toFixed(1)} GiB memory, Linux ${m.kernel}, ` +
      `Node ${m.node}, ${m.postgres.version.split(' on ')[0]}${m.duckdb ? `, DuckDB ${m.duckdb} (@duckdb/node-api)` : ''}; ` +
      `load average ${m.loadAverage.toFixed(2)} at the start`,
  );
  lines.push(
    `- **PostgreSQL settings not at their default** (pg_settings.source <> 'default'): ` +
      m.postgres.settings
        // Where the files live says nothing about speed, and is a path on one machine.
        .filter((s) => !PATH_SETTINGS.has(s.name))
        .map((s) => `${s.name}=${s.setting}${s.unit ? ` ${s.unit}` : ''} (${s.source})`)
        .join(', '),
  );
  lines.push('');

  for (const input of res.inputs) {
    const systems = res.systems.filter((s) => s.format === input.format);
    if (!systems.length) continue;
    lines.push(`### ${input.format.toUpperCase()}: ${size(input.bytes)}, ${int(input.rows)} rows (\`${input.file}\`)`, '');
    lines.push('| system | streams | wall s | ingest s | MB/s | rows/s | client CPU s | PostgreSQL CPU s | client + PostgreSQL CPU s | other CPU s | largest peak RSS MiB |');
    lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const s of systems) {
      const peak = Math.max(0, ...Object.values(s.peakRssBytes)) / MiB;
      const cf = s.copyfleet;
      const rate = cf ? `${f1(s.mbPerSecond)} (ingest ${f1(cf.ingestMbPerSecond)})` : f1(s.mbPerSecond);
      const rows = cf ? `${int(s.rowsPerSecond)} (ingest ${int(cf.ingestRowsPerSecond)})` : int(s.rowsPerSecond);
      lines.push(
        `| ${s.id === `${s.format}/copyfleet` ? `**${s.system}**` : s.system} | ${s.streams} | ${f1(s.wallSeconds)} | ${cf ? f1(cf.ingestSeconds) : '—'} | ${rate} | ${rows} | ` +
          `${f1(s.clientCpuSeconds)} | ${f1(s.postgresCpuSeconds)} | ${f1(cpu(s))} | ${f1(s.otherCpuSeconds)} | ${f1(peak)} |`,
      );
    }
    lines.push('');
  }

  // Loads during which the rest of the machine used more than a tenth of its cores.
  const contended = res.systems.filter((s) => s.otherCpuSeconds > 0.1 * s.wallSeconds * m.nproc);
  if (contended.length) {
    lines.push(
      `**Contention:** other processes used a noticeable share of the ${m.nproc} cores during ` +
        contended.map((s) => `${s.id} (${f1(s.otherCpuSeconds)} CPU-s in ${f1(s.wallSeconds)} s, ${Math.round((100 * s.otherCpuSeconds) / (s.wallSeconds * m.nproc))} %)`).join(', ') +
        '; their wall times are pessimistic, their CPU seconds less affected.',
      '',
    );
  }

  if (res.config.repeat > 1) {
    lines.push(`Each system ran ${res.config.repeat} times from the same state, in rounds (every system once per round, so that a slow spell of the machine falls on all of them); the tables show the fastest run. All wall times (s):`, '');
    for (const s of res.systems) lines.push(`- ${s.id}: ${s.wallSecondsAll.map(f1).join(', ')}`);
    lines.push('');
  }

  if (res.ratios.length) {
    lines.push('### Ratios (theirs / ours; > 1 means copyfleet is faster or cheaper)', '');
    lines.push('| input | ratio | value |', '|---|---|---:|');
    for (const r of res.ratios) lines.push(`| ${r.format.toUpperCase()} | ${r.label} | **${f2(r.value)}** |`);
    lines.push('');
  }

  lines.push('### Peak RSS per process (MiB)', '');
  lines.push('| system | processes |', '|---|---|');
  for (const s of res.systems) {
    const roles = Object.entries(s.peakRssBytes).map(([role, b]) => `${role} ${f1(b / MiB)}`);
    lines.push(`| ${s.id} | ${roles.join(', ') || '—'} |`);
  }
  lines.push('');

  const cfs = res.systems.filter((s) => s.copyfleet);
  if (cfs.length) {
    lines.push('### copyfleet runs', '');
    lines.push(
      '| input | run | chunks | plan s | ingest s | mean chunk s | workers outside a chunk % | run (incl. compaction, reports) s | whole command s |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    );
    for (const s of cfs) {
      const c = s.copyfleet!;
      lines.push(`| ${s.format.toUpperCase()} | ${c.runId} | ${c.chunks} | ${f1(c.planSeconds)} | ${f1(c.ingestSeconds)} | ${f2(c.chunkSeconds)} | ${f2(100 * c.betweenChunksShare)} | ${f1(c.runSeconds)} | ${f1(s.wallSeconds)} |`);
    }
    lines.push('');
  }

  if (res.skipped.length) {
    lines.push('### Not run', '');
    for (const s of res.skipped) lines.push(`- ${s.id}: ${s.reason}`);
    lines.push('');
  }

  lines.push('### Commands', '', 'From the repo root, with `DATABASE_URL` (and for copyfleet `REDIS_URL`) from `.env`. N lines under one system ran at the same time.', '');
  for (const s of res.systems) {
    lines.push(`- ${s.id} (${s.system}):`, '', '  ```sh', ...s.commands.map((c) => `  ${c}`), '  ```');
  }
  const staging = res.systems.find((s) => s.id === 'jsonl/staging-1');
  if (staging?.sql) {
    lines.push('', `The staging scripts (\`psql -f\`, written to bench/scratch/sql/) are, for one stream (N streams: one per part, each with its own staging table):`, '');
    lines.push('```sql', staging.sql.trimEnd(), '```');
  }
  lines.push('', `Machine-readable results: bench/results/ (this run: \`${resultsName(res)}\`, also \`latest.json\`).`, '');
  // The hand-written throughput model (bench/throughput-model.md) follows the measurements.
  if (existsSync(MODEL_FILE)) lines.push('', readFileSync(MODEL_FILE, 'utf8').trimEnd());
  return lines.join('\n');
}
