// The benchmark's many-files case, the parts that need no server: the input cut into N
// files (every CSV file with the header, nothing lost, duplicated or cut mid-line, sizes
// nearly equal, written once), the many-files ratios (ours / theirs of the medians, per
// round, against the targets), and how a run's Markdown joins BENCHMARKS.md (a
// many-files-only run replaces just its section; a run without it keeps the section).
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeChatJsonlSized, writeTripsCsvSized } from '@copyfleet/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureFiles } from '../bench/src/generate.js';
import { manyFilesRatios } from '../bench/src/many-files.js';
import { BEGIN, composeMarkdown, END } from '../bench/src/many-files-report.js';
import type { Results } from '../bench/src/report.js';
import type { SystemResult } from '../bench/src/systems.js';

const dir = mkdtempSync(join(tmpdir(), 'cf-bench-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ensureFiles', () => {
  it('cuts a CSV into files of whole lines, each with the header, that together are the input', () => {
    const src = join(dir, 'trips.csv');
    writeTripsCsvSized(src, { bytes: 300_000, seed: 7 });
    const whole = readFileSync(src);
    const headerEnd = whole.indexOf(10) + 1;
    const header = whole.subarray(0, headerEnd);
    const got = ensureFiles(src, 'csv', 7);
    expect(got.files.map((f) => f.slice(got.dir.length + 1))).toEqual(['part-0000.csv', 'part-0001.csv', 'part-0002.csv', 'part-0003.csv', 'part-0004.csv', 'part-0005.csv', 'part-0006.csv']);
    // The marker is a name copyfleet (like Spark) skips in a directory.
    expect(readdirSync(got.dir).sort()).toEqual(['_SUCCESS', ...got.files.map((f) => f.slice(got.dir.length + 1))]);
    const bodies = got.files.map((f) => {
      const b = readFileSync(f);
      expect(b.subarray(0, headerEnd).equals(header), f).toBe(true);
      expect(b.at(-1), f).toBe(10);
      return b.subarray(headerEnd);
    });
    expect(Buffer.concat(bodies).equals(whole.subarray(headerEnd))).toBe(true);
    const each = (whole.length - headerEnd) / 7;
    for (const b of bodies) expect(Math.abs(b.length - each)).toBeLessThan(1024);
    expect(got.bytes).toBe(whole.length + 6 * headerEnd);
    expect(got.splitSeconds).toBeGreaterThan(0);
    // Written once: the second call reads the directory.
    expect(ensureFiles(src, 'csv', 7)).toMatchObject({ files: got.files, bytes: got.bytes, splitSeconds: 0 });
  });

  it('cuts JSON Lines into files that concatenate to the input, and refuses more files than lines', () => {
    const src = join(dir, 'chat.jsonl');
    writeChatJsonlSized(src, { bytes: 100_000, seed: 3 });
    const whole = readFileSync(src);
    const got = ensureFiles(src, 'jsonl', 3);
    expect(Buffer.concat(got.files.map((f) => readFileSync(f))).equals(whole)).toBe(true);
    for (const f of got.files) expect(readFileSync(f).at(-1)).toBe(10);
    expect(got.bytes).toBe(whole.length);
    const lines = whole.toString().split('\n').length - 1;
    expect(() => ensureFiles(src, 'jsonl', lines + 1)).toThrow(/too few lines for \d+ files/);
  });
});

/** A measured system with the fields the ratios and the Markdown read. */
function system(id: string, walls: number[], extra: Partial<SystemResult> = {}): SystemResult {
  const sorted = [...walls].sort((a, b) => a - b);
  const med = sorted.length % 2 ? sorted[sorted.length >> 1]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  return {
    id,
    format: id.startsWith('csv') ? 'csv' : 'jsonl',
    system: id,
    streams: 2,
    commands: [`run ${id}`],
    table: 't',
    rows: 100,
    bytes: 1e6,
    mbPerSecond: 1e6 / 1e6 / Math.min(...walls),
    rowsPerSecond: 100 / Math.min(...walls),
    wallSeconds: Math.min(...walls),
    wallSecondsAll: walls,
    wallSecondsMedian: med,
    rounds: walls.map((w) => ({ wallSeconds: w })),
    clientCpuSeconds: 1,
    postgresCpuSeconds: 1,
    otherCpuSeconds: 0,
    peakRssBytes: {},
    quiet: null,
    ...extra,
  };
}

function results(systems: SystemResult[], date: string): Results {
  return {
    date,
    command: `make bench (${date})`,
    commit: { hash: 'a'.repeat(40), dirtyFiles: [] },
    config: { bytes: 1e6, seed: 42, streams: 2, repeat: 3, quietWaitSeconds: 0 },
    machine: { nproc: 2, cpuModel: 'cpu', memoryBytes: 1, kernel: 'k', node: 'v20', postgres: { version: 'PostgreSQL 15', settings: [] }, duckdb: null, loadAverage: 0 },
    inputs: [{ format: 'csv', file: 'trips.csv', bytes: 1e6, rows: 100, generateSeconds: 0, splitSeconds: 0, parts: 2 }],
    systems,
    ratios: [],
    skipped: [],
    ...(systems.some((s) => s.id.includes('/files-'))
      ? { manyFiles: { inputs: [{ format: 'csv', files: 4, dir: 'trips.csv.files4', bytes: 1e6, splitSeconds: 0 }], ratios: manyFilesRatios(systems) } }
      : {}),
  };
}

describe('the many-files ratios', () => {
  it('are ours / theirs of the medians, round by round, with the issue targets', () => {
    const r = manyFilesRatios([
      system('csv/copyfleet', [10, 30, 12]),
      system('csv/files-4/copyfleet', [11, 40, 13], { files: 4 }),
      system('csv/files-4/psql-copy-loop', [10, 10, 8], { files: 4, system: 'loop' }),
    ]);
    expect(r.map((x) => [x.label, x.value, x.target, x.rounds])).toEqual([
      ['copyfleet, 4 files / loop (2 streams)', 13 / 10, 1.25, [11 / 10, 40 / 10, 13 / 8]],
      ['copyfleet, 4 files / copyfleet, the single file', 13 / 12, 1.1, [11 / 10, 40 / 30, 13 / 12]],
    ]);
  });
});

describe('composeMarkdown', () => {
  const full = results([system('csv/copyfleet', [10]), system('csv/psql-copy-n', [9]), system('csv/files-4/copyfleet', [11], { files: 4 })], '2026-01-01T00:00:00.000Z');
  const doc = composeMarkdown(null, full);

  it('writes the single-file part and the many-files section, each system in its own part', () => {
    const [main, section] = doc.split(BEGIN);
    expect(main).toMatch(/^# Benchmarks\n\n## Method\n/);
    expect(main).toContain('| csv/psql-copy-n |');
    expect(main).not.toContain('files-4');
    expect(section).toContain('## Many files, one run');
    expect(section).toContain('- csv/files-4/copyfleet (csv/files-4/copyfleet):');
    expect(section!.trimEnd().endsWith(END)).toBe(true);
  });

  it('replaces only the section after a many-files run, and keeps it after a run without one', () => {
    const manyOnly = results([system('csv/copyfleet', [20]), system('csv/files-4/copyfleet', [21], { files: 4 })], '2026-02-02T00:00:00.000Z');
    const after = composeMarkdown(doc, manyOnly);
    expect(after.split(BEGIN)[0]).toBe(doc.split(BEGIN)[0]);
    expect(after).toContain('make bench (2026-02-02');
    expect(after.split(BEGIN)[1]).not.toContain('make bench (2026-01-01');

    const singleOnly = results([system('csv/copyfleet', [30]), system('csv/psql-copy-n', [29])], '2026-03-03T00:00:00.000Z');
    const again = composeMarkdown(after, singleOnly);
    expect(again.split(BEGIN)[0]).toContain('make bench (2026-03-03');
    expect(BEGIN + again.split(BEGIN)[1]).toBe(BEGIN + after.split(BEGIN)[1]);
    expect(again.split(BEGIN)).toHaveLength(2);
  });
});
