/**
 * The results: bench/results/<timestamp>.json (+ latest.json) for machines, BENCHMARKS.md
 * for people. Ratios are their time / our time, so > 1 means copyfleet is faster; the
 * targets table (targets.ts) says the direction of each of its ratios.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { filesOf, type FilesRatio } from './many-files.js';
import type { SystemResult } from './systems.js';
import { mediansFor, postgresPerGiB, type Target } from './targets.js';

const MODEL_FILE = 'bench/throughput-model.md';
const PATH_SETTINGS = new Set(['config_file', 'data_directory', 'hba_file', 'ident_file', 'unix_socket_directories', 'external_pid_file']);

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
  /** The dataset's key (csv, jsonl, taxi, small): older results hold the format, which was the key then. */
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
  config: { bytes: number; seed: number; streams: number; repeat: number; smallRepeat?: number; quietWaitSeconds: number; fileCounts?: number[] };
  machine: Machine;
  inputs: InputInfo[];
  systems: SystemResult[];
  ratios: Ratio[];
  /** Issue 15's targets (absent in older results). */
  targets?: Target[];
  skipped: { id: string; reason: string }[];
  /** The many-files case (absent when it did not run). */
  manyFiles?: { inputs: FilesInputInfo[]; ratios: FilesRatio[] };
}

/** Not a many-files system: the single-file tables and ratios show these. */
export const singleFile = (s: SystemResult): boolean => filesOf(s.id) === null;

const streams = (s: SystemResult): string => `${s.streams} stream${s.streams > 1 ? 's' : ''}`;
const med = mediansFor;
const cpu = (s: SystemResult): number => med(s).clientCpuSeconds + med(s).postgresCpuSeconds;
/** Neither a copyfleet mode nor the JSON.parse floor: what a user would run instead. */
const alternative = (s: SystemResult): boolean => !/\/copyfleet(-|$)/.test(s.id) && !s.id.endsWith('/json-parse-floor');

/** Theirs / ours of the medians: the \copy systems against copyfleet on each CSV, the best alternative on the JSONL. */
export function ratios(all: SystemResult[]): Ratio[] {
  const systems = all.filter(singleFile);
  const out: Ratio[] = [];
  const byId = new Map(systems.map((s) => [s.id, s]));
  const against = (format: string, cf: SystemResult, other: SystemResult, name: string): void => {
    out.push(
      { format, label: `${name} / copyfleet ingest`, value: med(other).wallSeconds / med(cf).ingestSeconds! },
      { format, label: `${name} / copyfleet whole command`, value: med(other).wallSeconds / med(cf).wallSeconds },
      { format, label: `${name} / copyfleet whole command, CPU seconds (client + PostgreSQL)`, value: cpu(other) / cpu(cf) },
    );
  };
  for (const format of ['csv', 'taxi']) {
    const cf = byId.get(`${format}/copyfleet`);
    if (!cf?.copyfleet) continue;
    for (const id of ['psql-copy-n', 'psql-copy-n-analyze', 'psql-copy-1']) {
      const other = byId.get(`${format}/${id}`);
      if (other) against(format, cf, other, `${other.system} (${streams(other)})`);
    }
  }
  const cfJson = byId.get('jsonl/copyfleet');
  const alternatives = systems.filter((s) => s.format === 'jsonl' && alternative(s));
  if (cfJson?.copyfleet && alternatives.length) {
    const best = alternatives.reduce((a, b) => (med(b).wallSeconds < med(a).wallSeconds ? b : a));
    against('jsonl', cfJson, best, `best alternative: ${best.system} (${streams(best)})`);
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
export const size = (n: number): string =>
  n >= 1024 ** 3 ? `${(n / 1024 ** 3).toFixed(2)} GiB` : n >= MiB ? `${(n / MiB).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`;

/** Each dataset's heading. */
const INPUT_NAMES: Record<string, string> = { csv: 'CSV (trips)', jsonl: 'JSONL (chat)', taxi: 'Wide numeric CSV (NYC taxi columns)', small: 'Small CSV (trips, 2 KiB)' };
const GiB = 1024 ** 3;

const METHOD = `\
## Method

\`make bench\` (bench/src/main.ts) generates deterministic inputs of \`BENCH_BYTES\` each (default
1 GiB, cached in bench/scratch by size, seed and generator version): a trips-like CSV (quoted WKT
points, a timestamp, numbers, text), a nested chat-like JSONL (a nested object, an array, unicode,
quotes and escapes) and a **wide numeric CSV** with the NYC yellow-taxi columns (15 numeric
columns, pickup and dropoff timestamps over 2019, a Y/N flag, empty congestion surcharges and
refunds as in the real sample; bench/src/taxi.ts), and a **2 KiB** trips CSV for the cost of one
command. It loads each with \`copyfleet load\` as a user runs it (WORKERS = cores, default CHUNK),
then with the alternatives a user would pick, into a table with the same columns, types and
monthly partitions as the one copyfleet created (pre-created for them): psql \`\\copy\` with one
stream and with N streams over the file pre-split by lines (N = cores), and the same N streams
followed by \`ANALYZE\` of the table — what a user scripting the load by hand runs before the
table is usable, the same work as copyfleet's whole command; for the JSONL, COPY into an UNLOGGED
jsonb staging table plus INSERT … SELECT, DuckDB \`read_json\` piped as CSV into \`\\copy\`, and a
Node script (readline + JSON.parse + pg-copy-streams), each with 1 and N streams, and the
**JSON.parse floor** (bench/src/json-parse-floor.ts: readline + JSON.parse of every line, then
the same with Buffer.indexOf in place of readline; no database; its sums are checked like a
table's). copyfleet also runs with \`COPY_FORMAT=binary\` in its environment on the trips CSV and
the chat JSONL, and on the CSV's **parse path** in text and in binary: a dataset spec with a NULL
marker (\`source: { nulls: ["NA"] }\`, a value no field holds), which PostgreSQL's COPY cannot read
as written, so the workers parse, type and encode every row (the rows a binary COPY applies to).
The 2 KiB file is loaded by copyfleet and by one psql \`\\copy\` into a pre-created table,
\`BENCH_SMALL_REPEAT\` times each (default 7), alternating. Loads run one after another; before
each, every benchmark table is dropped, the target table (for the alternatives) is created, the
harness waits (up to \`BENCH_QUIET_WAIT\`, 600 s) until the rest of the machine is idle (< 0.3 busy
cores), the input is read once to warm the page cache, and \`CHECKPOINT\` runs. After each, the row
count and two column sums are checked against the generator's totals: a system that loses or
changes a row fails the benchmark. With \`BENCH_REPEAT=k\` the systems run in k rounds (each
system once per round, copyfleet first), so that a slow spell of the machine falls on all of them;
the tables show the **median** of the rounds for every figure (each figure's own median) beside
the fastest wall time, and **every ratio and target is of the medians** (single runs on this
shared machine vary by tens of per cent).

**wall s** is the whole command. copyfleet's **ingest s** is max(chunks.loaded_at) −
runs.started_at from its own tables (all rows are in the table); its whole command also includes
process start-up, compaction (ANALYZE), the reports and shutdown. CPU seconds come from /proc:
**client** is user+system time of the processes the command started (copyfleet's command, which
plans and hosts the compactor and the reporter, and its worker processes; psql; node; DuckDB);
**worker** is that of copyfleet's worker processes alone (none for an input of one job, which
the command loads itself) (each process's figure at its last 200 ms poll: up to 200 ms of a process's end
can be missed, and the workers idle then); **PostgreSQL** is that of the server's processes,
including backends that exited (the whole server: other clients of it count too), also sampled
at every poll, so that copyfleet's is cut at its last chunk's commit as well (**ingest**,
interpolated between two polls: the COPY work without ANALYZE and the reports); **other** is what
the rest of the machine used meanwhile — well above zero means something else competed for the
cores and the wall times are pessimistic. **per GiB** divides by the input's size. Peak RSS is
VmHWM, polled every 200 ms. Ratios are theirs / ours: above 1 means copyfleet is faster (or uses
less CPU); the targets table says the direction of each of its ratios. Generation and
pre-splitting are not timed.`;

const verdict = (t: Target): string => (t.goal === null ? '—' : t.met ? `${t.goal.text}: **met**` : `${t.goal.text}: **not met**`);

/** Issue 15's targets, at the top of the latest run. */
function targetsTable(res: Results): string[] {
  const ts = res.targets ?? [];
  if (!ts.length) return [];
  const lines = ['### Targets (issue 15)', ''];
  lines.push(
    'Medians of the rounds. Targets 1–3 are ratios **ours ÷ theirs** (copyfleet first; at most the target meets it); target 4\'s speed ratio is **theirs ÷ ours**, ' +
      'as in the ratios below (at least the target meets it). Target 3\'s yardstick is the `\\copy` of the same rows that cost PostgreSQL the least; copyfleet\'s figure ' +
      'is to its last chunk\'s commit (the whole command\'s, with ANALYZE and the reports, beside it). Each command measures just those systems (copyfleet always runs ' +
      'on the inputs it selects); their exact command lines are under Commands.',
    '',
  );
  lines.push('| target | input | what | medians | value | target | met? | command |', '|---|---|---|---|---:|---|---|---|');
  for (const t of ts) {
    lines.push(`| ${t.target} | ${INPUT_NAMES[t.input] ?? t.input} | ${t.label} | ${t.measured} | **${t.shown}** | ${t.goal?.text ?? '—'} | ${verdict(t)} | \`${t.command}\` |`);
  }
  lines.push('');
  return lines;
}

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
  lines.push(...targetsTable(res));

  for (const input of res.inputs) {
    const systems = res.systems.filter((s) => s.format === input.format);
    if (!systems.length) continue;
    const title = INPUT_NAMES[input.format] ?? input.format.toUpperCase();
    lines.push(`### ${title}: ${size(input.bytes)}, ${int(input.rows)} rows (\`${input.file}\`)`, '');
    lines.push(
      '| system | streams | median wall s | fastest wall s | ingest s | MB/s | rows/s | client CPU s | worker CPU s/GiB | PostgreSQL CPU s | PostgreSQL CPU s/GiB | other CPU s | largest peak RSS MiB |',
    );
    lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    // Per GiB of a 2 KiB file says nothing but the start-up cost: left out.
    const big = input.bytes >= MiB;
    for (const s of systems) {
      const md = med(s);
      const gib = big ? s.bytes / GiB : NaN;
      const ingest = md.ingestSeconds;
      const rate = ingest !== undefined ? `${f1(s.bytes / 1e6 / md.wallSeconds)} (ingest ${f1(s.bytes / 1e6 / ingest)})` : f1(s.bytes / 1e6 / md.wallSeconds);
      const rows = ingest !== undefined ? `${int(s.rows / md.wallSeconds)} (ingest ${int(s.rows / ingest)})` : int(s.rows / md.wallSeconds);
      const pg = big && md.ingestPostgresCpuSeconds !== undefined ? `${f1(postgresPerGiB(s))} (ingest; ${f1(md.postgresCpuSeconds / gib)} whole)` : f1(md.postgresCpuSeconds / gib);
      const floorCpu = md.floor ? `${f1(md.floor.readlineParseCpuSeconds / gib)} / ${f1(md.floor.splitParseCpuSeconds / gib)} (floor: readline / split)` : '—';
      lines.push(
        `| ${s.id === `${s.format}/copyfleet` ? `**${s.system}**` : s.system} | ${s.streams} | ${f1(md.wallSeconds)} | ${f1(s.wallSeconds)} | ${ingest !== undefined ? f1(ingest) : '—'} | ${rate} | ${rows} | ` +
          `${f1(md.clientCpuSeconds)} | ${md.workerCpuSeconds !== null ? f1(md.workerCpuSeconds / gib) : floorCpu} | ${f1(md.postgresCpuSeconds)} | ${pg} | ${f1(md.otherCpuSeconds)} | ${f1(md.largestPeakRssBytes / MiB)} |`,
      );
    }
    lines.push('');
  }

  // Loads during which the rest of the machine used more than a tenth of its cores.
  const contended = res.systems.filter((s) => med(s).otherCpuSeconds > 0.1 * med(s).wallSeconds * m.nproc);
  if (contended.length) {
    lines.push(
      `**Contention:** other processes used a noticeable share of the ${m.nproc} cores during ` +
        contended
          .map((s) => `${s.id} (${f1(med(s).otherCpuSeconds)} CPU-s in ${f1(med(s).wallSeconds)} s, ${Math.round((100 * med(s).otherCpuSeconds) / (med(s).wallSeconds * m.nproc))} %)`)
          .join(', ') +
        ' (medians); their wall times are pessimistic, their CPU seconds less affected.',
      '',
    );
  }

  if (res.systems.some((s) => s.wallSecondsAll.length > 1)) {
    lines.push(
      `The systems ran in rounds from the same state (every system once per round, so that a slow spell of the machine falls on all of them: ${res.config.repeat} round(s)` +
        `${res.systems.some((s) => s.format === 'small') ? `, the small file ${res.config.smallRepeat ?? res.config.repeat}` : ''}); the tables show the medians. All wall times (s), in round order:`,
      '',
    );
    for (const s of res.systems) lines.push(`- ${s.id}: ${s.wallSecondsAll.map(f1).join(', ')} (median ${f1(med(s).wallSeconds)})`);
    lines.push('');
  }

  if (res.ratios.length) {
    lines.push('### Ratios (theirs / ours, of the medians; > 1 means copyfleet is faster or cheaper)', '');
    lines.push('| input | ratio | value |', '|---|---|---:|');
    for (const r of res.ratios) lines.push(`| ${INPUT_NAMES[r.format] ?? r.format.toUpperCase()} | ${r.label} | **${f2(r.value)}** |`);
    lines.push('');
  }

  lines.push('### Peak RSS per process (MiB, fastest round)', '');
  lines.push('| system | processes |', '|---|---|');
  for (const s of res.systems) {
    const roles = Object.entries(s.peakRssBytes).map(([role, b]) => `${role} ${f1(b / MiB)}`);
    lines.push(`| ${s.id} | ${roles.join(', ') || '—'} |`);
  }
  lines.push('');

  const cfs = res.systems.filter((s) => s.copyfleet);
  if (cfs.length) {
    lines.push('### copyfleet runs (every round)', '');
    lines.push(
      '| system | round | run | chunks | start-up s | plan s | ingest s | mean chunk s | workers outside a chunk % | run (incl. compaction, reports) s | whole command s | PostgreSQL CPU s, ingest | worker CPU s (before the first chunk) |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    );
    for (const s of cfs) {
      // Results older than the rounds: the fastest run alone.
      const rounds: { wallSeconds: number; workerCpuSeconds?: number | null; copyfleet?: SystemResult['copyfleet'] }[] = s.rounds?.length
        ? s.rounds
        : [{ wallSeconds: s.wallSeconds, ...(s.copyfleet ? { copyfleet: s.copyfleet } : {}) }];
      rounds.forEach((r, i) => {
        const c = r.copyfleet;
        if (!c) return;
        lines.push(
          `| ${s.id} | ${i + 1} | ${c.runId} | ${c.chunks} | ${f2(c.startupSeconds)} | ${f1(c.planSeconds)} | ${f1(c.ingestSeconds)} | ${f2(c.chunkSeconds)} | ${f2(100 * c.betweenChunksShare)} | ` +
            `${f1(c.runSeconds)} | ${f1(r.wallSeconds)} | ${f1(c.ingestPostgresCpuSeconds ?? NaN)} | ${f1(r.workerCpuSeconds ?? NaN)} (${f1(c.workerStartupCpuSeconds ?? NaN)}) |`,
        );
      });
    }
    lines.push('');
  }

  if (res.skipped.length) {
    lines.push('### Not run', '');
    for (const s of res.skipped) lines.push(`- ${s.id}: ${s.reason}`);
    lines.push('');
  }

  lines.push(
    '### Commands',
    '',
    'From the repo root, with `DATABASE_URL` (and for copyfleet `REDIS_URL`) from `.env`. N lines under one system ran at the same time; a line after them (ANALYZE) ran once they were all done.',
    '',
  );
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
