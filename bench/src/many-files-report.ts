/**
 * The many-files section of BENCHMARKS.md, between two markers, and how a run's Markdown
 * joins what the file already holds: a run of only the many-files case (BENCH_SYSTEMS=
 * csv/files,jsonl/files) replaces only this section; a run without it keeps the section.
 */
import { existsSync, readFileSync } from 'node:fs';
import { filesOf, type FilesRatio } from './many-files.js';
import { f1, f2, int, markdown, MiB, resultsName, size, singleFile, type Results } from './report.js';
import type { SystemResult } from './systems.js';

export const BEGIN = '<!-- bench:many-files begin (make bench writes this section; bench/src/many-files-report.ts) -->';
export const END = '<!-- bench:many-files end -->';
/** Hand-written: what the measurements mean (where the time goes, what would close the gap); it closes the section. */
const NOTES_FILE = 'bench/many-files-notes.md';

const METHOD = `\
The same inputs as above, written as many files (the issue's case: 1,000 files of ~1 MiB
and 10 files of ~100 MiB per GiB of \`BENCH_BYTES\`; \`BENCH_FILES=1000,10\` sets the
counts), cut at line boundaries, every CSV file with the header line. Each directory is
loaded by \`copyfleet load DIR/\` (the whole command, as the user waits; WORKERS = cores,
default CHUNK) and by what a user would otherwise write: **psql \`\\copy\` in a shell loop per
stream**, the files split between the streams (N = cores; the loop feeds one \`\\copy\` per
file to one psql per stream), into a table with the columns, types and partitions copyfleet
made from the single file; for the JSONL the same loops \`\\copy\` each line into a jsonb
staging table per stream and end with one INSERT … SELECT, and **DuckDB's glob**
(\`read_json('DIR/*.jsonl')\` → CSV → one \`\\copy\`). copyfleet's single-file load of the same
run is the other yardstick. Every load is checked (rows and two sums) as above. The systems run
in \`BENCH_REPEAT\` alternating rounds; the tables show the **median** of the rounds and every
round. Targets (issue 10): copyfleet on 1,000 files ≤ **1.25 ×** the \`\\copy\` loops and ≤
**1.1 ×** its own time on the single file. The ratios here are ours / theirs: **at most the
target meets it**.`;

function row(s: SystemResult): string {
  const med = s.wallSecondsMedian;
  const peak = Math.max(0, ...Object.values(s.peakRssBytes)) / MiB;
  const name = s.id.endsWith('/copyfleet') ? `**${s.system}**` : s.system;
  return (
    `| ${name} | ${s.files ?? 1} | ${s.streams} | ${f1(med)} | ${f1(s.bytes / 1e6 / med)} | ${f2((s.files ?? 1) / med)} | ${int(s.rows / med)} | ` +
    `${s.wallSecondsAll.map(f1).join(', ')} | ${f1(s.clientCpuSeconds)} | ${f1(s.postgresCpuSeconds)} | ${f1(s.otherCpuSeconds)} | ${f1(peak)} |`
  );
}

function breakdown(format: string, s: SystemResult): string[] {
  return s.rounds.map((r, i) => {
    const c = r.copyfleet;
    if (!c) return '';
    const compact = (c.finishedAtMs - (c.startedAtMs + 1000 * c.ingestSeconds)) / 1000;
    return (
      `| ${format.toUpperCase()} | ${s.files ?? 1} | ${i + 1} | ${c.runId} | ${f1(r.wallSeconds)} | ${f2(c.startupSeconds)} | ${f2(c.firstChunkSeconds)} | ` +
      `${c.files ? f1(c.files.lastPlannedSeconds) : f1(c.planSeconds)} | ${f1(c.ingestSeconds)} | ${f1(compact)} | ${f2(c.shutdownSeconds)} | ${int(c.chunks)} | ${f2(c.chunkSeconds)} | ${f1(100 * c.betweenChunksShare)} |`
    );
  });
}

const verdict = (r: FilesRatio): string => (r.target === null ? '—' : r.value <= r.target ? `≤ ${r.target}: met` : `≤ ${r.target}: **missed**`);

/** The section, markers included; null when the run has no many-files system. */
export function manyFilesMarkdown(res: Results): string | null {
  const many = res.systems.filter((s) => !singleFile(s));
  if (!many.length || !res.manyFiles) return null;
  const m = res.machine;
  const lines: string[] = [BEGIN, '', '## Many files, one run', '', METHOD, ''];
  lines.push(`### Latest run: ${res.date.slice(0, 10)}`, '');
  lines.push(`- **Command:** \`${res.command}\``);
  lines.push(`- **Date:** ${res.date}; commit \`${res.commit.hash}\`${res.commit.dirtyFiles.length ? ` plus uncommitted changes to ${res.commit.dirtyFiles.length} file(s) under libs/ and apps/` : ''}`);
  lines.push(`- **Machine:** ${m.nproc} cores (${m.cpuModel}), ${m.postgres.version.split(' on ')[0]}${m.duckdb ? `, DuckDB ${m.duckdb}` : ''}; load average ${m.loadAverage.toFixed(2)} at the start (the machine is shared: see "other CPU s")`);
  lines.push('');

  for (const format of ['csv', 'jsonl']) {
    const dirs = res.manyFiles.inputs.filter((i) => i.format === format);
    if (!dirs.length) continue;
    const single = res.systems.find((s) => s.id === `${format}/copyfleet`);
    const input = res.inputs.find((i) => i.format === format);
    lines.push(
      `### ${format.toUpperCase()}: ${input ? `${size(input.bytes)}, ${int(input.rows)} rows, ` : ''}as ${dirs.map((d) => `${int(d.files)} files (${size(d.bytes / d.files)} each, \`${d.dir}/\`)`).join(' and as ')}`,
      '',
    );
    lines.push('| system | files | streams | median wall s | MB/s | files/s | rows/s | every round, wall s | client CPU s | PostgreSQL CPU s | other CPU s | largest peak RSS MiB |');
    lines.push('|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|');
    if (single) lines.push(row(single));
    for (const d of dirs) for (const s of many.filter((x) => x.format === format && filesOf(x.id) === d.files)) lines.push(row(s));
    lines.push('', 'MB/s, files/s and rows/s are of the median wall time; the CPU and RSS columns are of the fastest round.', '');
  }

  if (res.manyFiles.ratios.length) {
    lines.push('### Against the targets (ours / theirs, of the medians; ≤ 1 means copyfleet is faster)', '');
    lines.push('| input | ratio | median | every round | target |', '|---|---|---:|---|---|');
    for (const r of res.manyFiles.ratios) lines.push(`| ${r.format.toUpperCase()} | ${r.label} | **${f2(r.value)}** | ${r.rounds.map(f2).join(', ')} | ${verdict(r)} |`);
    lines.push('');
  }

  // The many-files case is of the trips CSV and the chat JSONL: their single-file runs beside its runs.
  const cfs = res.systems.filter((s) => s.copyfleet && s.id.endsWith('/copyfleet') && (s.format === 'csv' || s.format === 'jsonl'));
  if (cfs.length) {
    lines.push('### Where copyfleet\'s time goes (every round)', '');
    lines.push(
      'Seconds from the ledger (copyfleet.runs, chunks, files) and the harness\'s clock: **start-up** is the command\'s start to runs.started_at (Node processes, ' +
        'connecting); **first chunk** is runs.started_at to the first chunk claimed (listing, designing the table, planning the first batch of files); **last file planned** ' +
        'is when the splitter had planned every file (copyfleet.files.started_at); **ingest** ends with the last chunk\'s commit; **compaction + reports** is from ' +
        'there to runs.finished_at; **shutdown** is from there to the command\'s exit.',
      '',
    );
    lines.push(
      '| input | files | round | run | wall s | start-up s | first chunk s | last file planned s | ingest s | compaction + reports s | shutdown s | chunks | mean chunk s | workers outside a chunk % |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    );
    for (const s of cfs) lines.push(...breakdown(s.format, s).filter(Boolean));
    lines.push('');
  }

  lines.push('### Commands', '', 'From the repo root, with `DATABASE_URL` (and for copyfleet `REDIS_URL`) from `.env`. N lines under one system ran at the same time.', '');
  for (const s of many) lines.push(`- ${s.id} (${s.system}):`, '', '  ```sh', ...s.commands.map((c) => `  ${c}`), '  ```');
  const staging = many.find((s) => s.sql);
  if (staging?.sql) lines.push('', 'Each JSONL loop ends with its stream\'s INSERT … SELECT (stream 1 shown):', '', '```sql', staging.sql.trimEnd(), '```');
  lines.push('', `Machine-readable results: bench/results/\`${resultsName(res)}\`.`, '');
  if (existsSync(NOTES_FILE)) lines.push(readFileSync(NOTES_FILE, 'utf8').trimEnd(), '');
  lines.push(END);
  return lines.join('\n');
}

/** The part of an existing BENCHMARKS.md before the section, and the section; either may be missing. */
function parts(existing: string | null): { main: string | null; section: string | null } {
  if (existing === null) return { main: null, section: null };
  const b = existing.indexOf(BEGIN);
  const e = existing.indexOf(END);
  if (b < 0 || e < b) return { main: existing.trimEnd(), section: null };
  return { main: existing.slice(0, b).trimEnd() || null, section: existing.slice(b, e + END.length) };
}

/**
 * BENCHMARKS.md after this run: its single-file part unless the run measured only the
 * single-file copyfleet beside the many-files case (then the existing part stays), and
 * its many-files section, or the existing one.
 */
export function composeMarkdown(existing: string | null, res: Results): string {
  const old = parts(existing);
  const single = res.systems.filter(singleFile);
  const onlyMany = single.length < res.systems.length && single.every((s) => s.id.endsWith('/copyfleet'));
  const main = onlyMany && old.main ? old.main : markdown(res).trimEnd();
  const section = manyFilesMarkdown(res) ?? old.section;
  return `${main}\n${section ? `\n${section}\n` : ''}`;
}
