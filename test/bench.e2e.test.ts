// Smoke run of the benchmark harness (`make bench`) on 2 MiB inputs: every system runs,
// loads every row (the harness checks counts and sums itself and exits non-zero otherwise),
// and the results file and Markdown hold one sane row per system. The many-files case runs
// on 3 files (BENCH_FILES=3): copyfleet on the directory loads all 3 in one run, and the
// \copy loops and DuckDB's glob load the same rows. Issue 15's systems run too: the wide
// taxi CSV, \copy + ANALYZE, copyfleet with COPY_FORMAT=binary and on the CSV parse path
// (every chunk parsed: the harness fails the run otherwise, and the default CSV load streams
// its chunks unparsed), the JSON.parse floor, and the 2 KiB file twice each, alternating
// (BENCH_SMALL_REPEAT=2), with medians; the targets table has a row for each target.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, uniqueName } from '@copyfleet/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { e2e, one } from './helpers.js';

const SYSTEMS = [
  'csv/copyfleet', 'csv/copyfleet-binary', 'csv/copyfleet-parse', 'csv/copyfleet-parse-binary',
  'csv/psql-copy-1', 'csv/psql-copy-n', 'csv/psql-copy-n-analyze', 'csv/files-3/copyfleet', 'csv/files-3/psql-copy-loop',
  'jsonl/copyfleet', 'jsonl/copyfleet-binary', 'jsonl/staging-1', 'jsonl/staging-n', 'jsonl/duckdb-1', 'jsonl/duckdb-n', 'jsonl/node-1', 'jsonl/node-n',
  'jsonl/json-parse-floor', 'jsonl/files-3/copyfleet', 'jsonl/files-3/staging-loop', 'jsonl/files-3/duckdb-glob',
  'taxi/copyfleet', 'taxi/psql-copy-n', 'taxi/psql-copy-n-analyze',
  'small/copyfleet', 'small/psql-copy-1',
];
const COPYFLEET = SYSTEMS.filter((id) => /\/copyfleet(-|$)/.test(id));

interface System {
  id: string;
  commands: string[];
  streams: number;
  rows: number;
  bytes: number;
  wallSeconds: number;
  wallSecondsAll: number[];
  wallSecondsMedian: number;
  files?: number;
  mbPerSecond: number;
  rowsPerSecond: number;
  clientCpuSeconds: number;
  postgresCpuSeconds: number;
  otherCpuSeconds: number;
  peakRssBytes: Record<string, number>;
  cpuSecondsByRole: Record<string, number>;
  workerCpuSeconds?: number | null;
  medians: { wallSeconds: number; postgresCpuSeconds: number; workerCpuSeconds: number | null; ingestSeconds?: number; ingestPostgresCpuSeconds?: number };
  rounds: { wallSeconds: number }[];
  floor?: { rows: number; readlineParseCpuSeconds: number; splitParseCpuSeconds: number };
  copyfleet?: {
    status: string; rowsLoaded: number; rowsRejected: number; ingestSeconds: number; runSeconds: number; chunkSeconds: number; betweenChunksShare: number;
    chunks: number; unparsedChunks: number; startupSeconds: number; shutdownSeconds: number; ingestPostgresCpuSeconds: number; workerStartupCpuSeconds: number;
    files?: { files: number; filesDone: number; lastPlannedSeconds: number };
  };
}

describe('make bench (smoke, 2 MiB)', () => {
  const t = e2e();
  const dir = mkdtempSync(join(tmpdir(), 'cf-bench-'));
  const prefix = uniqueName('benchsmoke');
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs every system and writes one sane result row for each', async () => {
    execFileSync(join(REPO_ROOT, 'node_modules/.bin/tsc'), ['-b', 'bench'], { cwd: REPO_ROOT, stdio: 'inherit' });
    const run = spawnSync(process.execPath, ['bench/dist/main.js'], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        BENCH_BYTES: '2MiB',
        BENCH_STREAMS: '2',
        BENCH_FILES: '3',
        BENCH_SMALL_REPEAT: '2',
        BENCH_WORK: join(dir, 'work'),
        BENCH_RESULTS: join(dir, 'results'),
        BENCH_MARKDOWN: join(dir, 'BENCHMARKS.md'),
        BENCH_TABLE_PREFIX: prefix,
        BENCH_QUIET_WAIT: '0',
        // Several jobs per 2 MiB input (one job would load inside the command, with no worker process to measure).
        CHUNK: '512KiB',
      },
      encoding: 'utf8',
      timeout: 170_000,
    });
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);

    const res = JSON.parse(readFileSync(join(dir, 'results', 'latest.json'), 'utf8')) as {
      systems: System[];
      inputs: { format: string; rows: number; bytes: number }[];
      ratios: { format: string; value: number }[];
      targets: { target: number; input: string; value: number; goal: { op: string; value: number } | null; met: boolean | null; systems: string[]; command: string }[];
      manyFiles: { inputs: { format: string; files: number; dir: string; bytes: number }[]; ratios: { format: string; files: number; value: number; target: number | null; rounds: number[] }[] };
      machine: { nproc: number; postgres: { version: string } };
      commit: { hash: string };
    };
    expect(res.systems.map((s) => s.id)).toEqual(SYSTEMS);
    expect(res.commit.hash).toMatch(/^[0-9a-f]{40}$/);
    expect(res.machine.postgres.version).toMatch(/^PostgreSQL/);
    for (const s of res.systems) {
      const input = res.inputs.find((i) => s.id.startsWith(`${i.format}/`))!;
      expect(input.bytes).toBeGreaterThanOrEqual(s.id.startsWith('small/') ? 2048 : 2 * 1024 * 1024);
      if (s.id.startsWith('small/')) expect(input.bytes).toBeLessThan(2048 + 200);
      expect(s.rows, s.id).toBe(input.rows);
      const dir = res.manyFiles.inputs.find((d) => s.id.startsWith(`${d.format}/files-${d.files}/`));
      // The 3 files hold the input's bytes (the CSV's header twice more).
      expect(s.bytes, s.id).toBe(dir ? dir.bytes : input.bytes);
      expect(s.files, s.id).toBe(dir ? 3 : undefined);
      expect(s.wallSeconds, s.id).toBeGreaterThan(0);
      expect(s.wallSeconds, s.id).toBeLessThan(60);
      expect(s.mbPerSecond, s.id).toBeCloseTo(s.bytes / 1e6 / s.wallSeconds, 6);
      expect(s.rowsPerSecond, s.id).toBeCloseTo(s.rows / s.wallSeconds, 3);
      for (const cpu of [s.clientCpuSeconds, s.postgresCpuSeconds, s.otherCpuSeconds]) {
        expect(Number.isFinite(cpu) && cpu >= 0, `${s.id}: ${cpu}`).toBe(true);
      }
      expect(s.streams, s.id).toBe(s.id.endsWith('-1') || s.id.endsWith('/duckdb-glob') || s.id.endsWith('/json-parse-floor') ? 1 : 2);
      if (s.id.startsWith('small/')) {
        // Two rounds: the fastest's figures, the median of both.
        expect(s.wallSecondsAll, s.id).toHaveLength(2);
        expect(s.wallSeconds, s.id).toBe(Math.min(...s.wallSecondsAll));
        expect(s.medians.wallSeconds, s.id).toBeCloseTo((s.wallSecondsAll[0]! + s.wallSecondsAll[1]!) / 2, 9);
      } else {
        expect(s.wallSecondsAll, s.id).toEqual([s.wallSeconds]);
        expect(s.medians.wallSeconds, s.id).toBe(s.wallSeconds);
      }
      expect(s.rounds.map((r) => r.wallSeconds), s.id).toEqual(s.wallSecondsAll);
      expect(s.wallSecondsMedian, s.id).toBe(s.medians.wallSeconds);
      expect(Object.keys(s.cpuSecondsByRole).sort(), s.id).toEqual(Object.keys(s.peakRssBytes).sort());
    }
    // Each variant ran what it says.
    const commands = (id: string): string => res.systems.find((x) => x.id === id)!.commands.join('\n');
    for (const id of ['csv/copyfleet-binary', 'csv/copyfleet-parse-binary', 'jsonl/copyfleet-binary']) expect(commands(id)).toMatch(/^COPY_FORMAT=binary /);
    for (const id of ['csv/copyfleet', 'csv/copyfleet-parse']) expect(commands(id)).not.toContain('COPY_FORMAT');
    for (const id of ['csv/copyfleet-parse', 'csv/copyfleet-parse-binary']) expect(commands(id)).toContain('--dataset ');
    const analyze = res.systems.find((x) => x.id === 'csv/psql-copy-n-analyze')!;
    expect(analyze.commands.slice(0, 2)).toEqual(res.systems.find((x) => x.id === 'csv/psql-copy-n')!.commands);
    expect(analyze.commands[2]).toMatch(/ -c "ANALYZE [a-z0-9_]+_copy_trips"$/);
    // The default CSV load streams unparsed; the parse-path variants parsed every chunk.
    const cf = (id: string): NonNullable<System['copyfleet']> => res.systems.find((x) => x.id === id)!.copyfleet!;
    expect(cf('csv/copyfleet').unparsedChunks).toBe(cf('csv/copyfleet').chunks);
    for (const id of ['csv/copyfleet-parse', 'csv/copyfleet-parse-binary']) expect(cf(id).unparsedChunks, id).toBe(0);
    const floor = res.systems.find((x) => x.id === 'jsonl/json-parse-floor')!;
    expect(floor.floor!.rows).toBe(floor.rows);
    expect(floor.floor!.readlineParseCpuSeconds).toBeGreaterThan(0);
    expect(floor.floor!.splitParseCpuSeconds).toBeGreaterThan(0);
    expect(floor.postgresCpuSeconds).toBeLessThan(0.5);
    for (const id of COPYFLEET.concat(['csv/files-3/copyfleet', 'jsonl/files-3/copyfleet'])) {
      const s = res.systems.find((x) => x.id === id)!;
      expect(s.copyfleet).toMatchObject({ status: 'done', rowsLoaded: s.rows, rowsRejected: 0 });
      expect(s.copyfleet!.ingestSeconds).toBeGreaterThan(0);
      expect(s.copyfleet!.ingestSeconds).toBeLessThanOrEqual(s.wallSeconds);
      expect(s.copyfleet!.runSeconds).toBeGreaterThanOrEqual(s.copyfleet!.ingestSeconds);
      expect(s.copyfleet!.chunkSeconds).toBeGreaterThan(0);
      expect(s.copyfleet!.chunkSeconds).toBeLessThanOrEqual(s.copyfleet!.ingestSeconds);
      expect(s.copyfleet!.betweenChunksShare).toBeGreaterThanOrEqual(0);
      expect(s.copyfleet!.betweenChunksShare).toBeLessThan(1);
      expect(s.copyfleet!.startupSeconds).toBeGreaterThan(0);
      expect(s.copyfleet!.shutdownSeconds).toBeGreaterThanOrEqual(0);
      expect(s.copyfleet!.startupSeconds + s.copyfleet!.runSeconds + s.copyfleet!.shutdownSeconds).toBeCloseTo(s.wallSeconds, 0);
      if (id.includes('/files-')) {
        // One run loaded the 3 files, each its own chunk(s).
        expect(s.copyfleet!.files).toMatchObject({ files: 3, filesDone: 3 });
        expect(s.copyfleet!.chunks).toBeGreaterThanOrEqual(3);
        expect(s.copyfleet!.files!.lastPlannedSeconds).toBeLessThanOrEqual(s.copyfleet!.ingestSeconds);
      } else expect(s.copyfleet!.files).toBeUndefined();
      expect(s.clientCpuSeconds).toBeGreaterThan(0);
      // The 2 KiB file is one job: loaded inside the command, no worker process (the others are
      // more than one job at the smoke's CHUNK).
      const solo = id === 'small/copyfleet';
      expect(Object.keys(s.peakRssBytes).sort(), id).toEqual(solo ? ['cli'] : ['cli', 'worker-1', 'worker-2']);
      for (const rss of Object.values(s.peakRssBytes)) expect(rss).toBeGreaterThan(10 * 1024 * 1024);
      // PostgreSQL's CPU to the last chunk's commit is part of the whole command's.
      expect(s.copyfleet!.ingestPostgresCpuSeconds, id).toBeGreaterThan(0);
      expect(s.copyfleet!.ingestPostgresCpuSeconds, id).toBeLessThanOrEqual(s.postgresCpuSeconds + 1e-9);
      if (solo) continue;
      // The workers' CPU is theirs alone: part of the client's, and their two roles' sum.
      expect(s.workerCpuSeconds, id).toBeCloseTo(s.cpuSecondsByRole['worker-1']! + s.cpuSecondsByRole['worker-2']!, 9);
      expect(s.workerCpuSeconds!, id).toBeGreaterThan(0);
      expect(s.workerCpuSeconds!, id).toBeLessThan(s.clientCpuSeconds);
      // The workers' start-up (before the first chunk) is part of their CPU: Node's start alone costs some.
      expect(s.copyfleet!.workerStartupCpuSeconds, id).toBeGreaterThan(0);
      expect(s.copyfleet!.workerStartupCpuSeconds, id).toBeLessThanOrEqual(s.workerCpuSeconds!);
    }
    expect(res.ratios.map((r) => r.format)).toEqual([...Array(9).fill('csv'), ...Array(6).fill('taxi'), ...Array(3).fill('jsonl')]);
    // Every target of issue 15, each with its goal and the systems it comes from.
    expect(res.targets.map((t) => [t.target, t.input, t.goal?.op ?? null, t.goal?.value ?? null])).toEqual([
      [1, 'csv', '<=', 1.1], [1, 'csv', null, null], [1, 'taxi', '<=', 1.1], [1, 'taxi', null, null],
      [2, 'small', '<=', 0.6], [2, 'small', null, null],
      [3, 'csv', '<=', 0.8], [3, 'csv', '<=', 0.8], [3, 'csv', '<=', 0.8], [3, 'csv', '<=', 0.8], [3, 'jsonl', '<=', 0.8], [3, 'jsonl', '<=', 0.8],
      [4, 'jsonl', '<=', 9], [4, 'jsonl', '<=', 9], [4, 'jsonl', null, null], [4, 'jsonl', null, null], [4, 'jsonl', '>=', 1.2],
    ]);
    for (const t of res.targets) {
      expect(Number.isFinite(t.value) && t.value > 0, JSON.stringify(t)).toBe(true);
      expect(t.met, JSON.stringify(t)).toBe(t.goal === null ? null : t.goal.op === '<=' ? t.value <= t.goal.value : t.value >= t.goal.value);
      for (const id of t.systems) expect(SYSTEMS).toContain(id);
      // The run's settings but BENCH_SYSTEMS follow the systems.
      expect(t.command).toBe(`make bench BENCH_SYSTEMS=${t.systems.join(',')} BENCH_BYTES=2MiB BENCH_STREAMS=2 BENCH_FILES=3 BENCH_SMALL_REPEAT=2 BENCH_QUIET_WAIT=0`);
    }
    const small = res.targets.find((t) => t.target === 2)!;
    expect(small.value).toBe(res.systems.find((x) => x.id === 'small/copyfleet')!.medians.wallSeconds);
    for (const r of res.ratios) expect(Number.isFinite(r.value) && r.value > 0).toBe(true);
    // Ours / theirs against the targets: the \copy loops, the single file, DuckDB's glob.
    expect(res.manyFiles.inputs.map((d) => [d.format, d.files])).toEqual([['csv', 3], ['jsonl', 3]]);
    expect(res.manyFiles.ratios.map((r) => [r.format, r.files, r.target])).toEqual([['csv', 3, 1.25], ['csv', 3, 1.1], ['jsonl', 3, 1.25], ['jsonl', 3, 1.1], ['jsonl', 3, null]]);
    for (const r of res.manyFiles.ratios) {
      expect(Number.isFinite(r.value) && r.value > 0).toBe(true);
      expect(r.rounds).toEqual([r.value]);
    }

    const md = readFileSync(join(dir, 'BENCHMARKS.md'), 'utf8');
    expect(md).toMatch(/^# Benchmarks\n\n## Method\n/);
    // The targets table opens the latest run, before the first input's table.
    const targetsAt = md.indexOf('### Targets (issue 15)');
    expect(targetsAt).toBeGreaterThan(md.indexOf('## Latest run'));
    expect(targetsAt).toBeLessThan(md.indexOf('### CSV (trips)'));
    expect(md).toContain('`make bench BENCH_SYSTEMS=csv/copyfleet,csv/psql-copy-n-analyze BENCH_BYTES=2MiB ');
    const [single, many] = md.split('<!-- bench:many-files begin');
    for (const id of SYSTEMS.filter((x) => !x.includes('/files-'))) expect(single).toContain(`| ${id} |`);
    expect(single).toContain('### Ratios');
    expect(single).not.toContain('files-3');
    expect(many).toContain('## Many files, one run');
    // Its breakdown of copyfleet's time holds the trips and chat runs only.
    expect(many).toMatch(/\| CSV \| 1 \| 1 \|/);
    expect(many).not.toMatch(/\| (TAXI|SMALL) \|/);
    for (const id of SYSTEMS.filter((x) => x.includes('/files-'))) expect(many).toContain(`- ${id} (`);

    // The harness drops what it loaded.
    const left = await one<{ n: number }>(t.pool, `SELECT count(*)::int AS n FROM pg_class WHERE relname LIKE $1`, [`${prefix}%`]);
    expect(left.n).toBe(0);
  }, 200_000);
});
