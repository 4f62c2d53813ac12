// Smoke run of the benchmark harness (`make bench`) on 2 MiB inputs: every system runs,
// loads every row (the harness checks counts and sums itself and exits non-zero otherwise),
// and the results file and Markdown hold one sane row per system. The many-files case runs
// on 3 files (BENCH_FILES=3): copyfleet on the directory loads all 3 in one run, and the
// \copy loops and DuckDB's glob load the same rows.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, uniqueName } from '@copyfleet/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { e2e, one } from './helpers.js';

const SYSTEMS = [
  'csv/copyfleet', 'csv/psql-copy-1', 'csv/psql-copy-n', 'csv/files-3/copyfleet', 'csv/files-3/psql-copy-loop',
  'jsonl/copyfleet', 'jsonl/staging-1', 'jsonl/staging-n', 'jsonl/duckdb-1', 'jsonl/duckdb-n', 'jsonl/node-1', 'jsonl/node-n',
  'jsonl/files-3/copyfleet', 'jsonl/files-3/staging-loop', 'jsonl/files-3/duckdb-glob',
];

interface System {
  id: string;
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
  copyfleet?: {
    status: string; rowsLoaded: number; rowsRejected: number; ingestSeconds: number; runSeconds: number; chunkSeconds: number; betweenChunksShare: number;
    chunks: number; startupSeconds: number; shutdownSeconds: number; files?: { files: number; filesDone: number; lastPlannedSeconds: number };
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
        BENCH_WORK: join(dir, 'work'),
        BENCH_RESULTS: join(dir, 'results'),
        BENCH_MARKDOWN: join(dir, 'BENCHMARKS.md'),
        BENCH_TABLE_PREFIX: prefix,
        BENCH_QUIET_WAIT: '0',
      },
      encoding: 'utf8',
      timeout: 170_000,
    });
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);

    const res = JSON.parse(readFileSync(join(dir, 'results', 'latest.json'), 'utf8')) as {
      systems: System[];
      inputs: { format: string; rows: number; bytes: number }[];
      ratios: { format: string; value: number }[];
      manyFiles: { inputs: { format: string; files: number; dir: string; bytes: number }[]; ratios: { format: string; files: number; value: number; target: number | null; rounds: number[] }[] };
      machine: { nproc: number; postgres: { version: string } };
      commit: { hash: string };
    };
    expect(res.systems.map((s) => s.id)).toEqual(SYSTEMS);
    expect(res.commit.hash).toMatch(/^[0-9a-f]{40}$/);
    expect(res.machine.postgres.version).toMatch(/^PostgreSQL/);
    for (const s of res.systems) {
      const input = res.inputs.find((i) => s.id.startsWith(`${i.format}/`))!;
      expect(input.bytes).toBeGreaterThanOrEqual(2 * 1024 * 1024);
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
      expect(s.streams, s.id).toBe(s.id.endsWith('-1') || s.id.endsWith('/duckdb-glob') ? 1 : 2);
      expect(s.wallSecondsAll, s.id).toEqual([s.wallSeconds]);
      expect(s.wallSecondsMedian, s.id).toBe(s.wallSeconds);
    }
    for (const id of ['csv/copyfleet', 'jsonl/copyfleet', 'csv/files-3/copyfleet', 'jsonl/files-3/copyfleet']) {
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
      expect(Object.keys(s.peakRssBytes).sort()).toEqual(['cli', 'compactor', 'reporter', 'splitter', 'worker-1', 'worker-2']);
      for (const rss of Object.values(s.peakRssBytes)) expect(rss).toBeGreaterThan(10 * 1024 * 1024);
    }
    expect(res.ratios.map((r) => r.format)).toEqual([...Array(6).fill('csv'), ...Array(3).fill('jsonl')]);
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
    const [single, many] = md.split('<!-- bench:many-files begin');
    for (const id of SYSTEMS.filter((x) => !x.includes('/files-'))) expect(single).toContain(`| ${id} |`);
    expect(single).toContain('### Ratios');
    expect(single).not.toContain('files-3');
    expect(many).toContain('## Many files, one run');
    for (const id of SYSTEMS.filter((x) => x.includes('/files-'))) expect(many).toContain(`- ${id} (`);

    // The harness drops what it loaded.
    const left = await one<{ n: number }>(t.pool, `SELECT count(*)::int AS n FROM pg_class WHERE relname LIKE $1`, [`${prefix}%`]);
    expect(left.n).toBe(0);
  }, 200_000);
});
