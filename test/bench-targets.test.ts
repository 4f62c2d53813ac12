// The benchmark's issue-15 parts that need no server: the wide taxi CSV (deterministic, the
// NYC yellow-taxi columns, totals that are the file's own sums, every month of 2019), the
// medians over rounds (each figure's own), the targets (each ratio's direction, goal and
// verdict, the strictest \copy as target 3's yardstick, rows left out when a system did not
// run) and the targets table at the top of the latest run in BENCHMARKS.md.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TAXI_COLUMNS } from '../bench/src/datasets.js';
import { markdown, type Results } from '../bench/src/report.js';
import { fastest, type SystemResult } from '../bench/src/systems.js';
import { targets } from '../bench/src/targets.js';
import { writeTaxiCsvSized } from '../bench/src/taxi.js';

const dir = mkdtempSync(join(tmpdir(), 'cf-bench-targets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the taxi CSV', () => {
  it('has the NYC yellow-taxi columns, 15 of them numeric, and totals that are its own sums', () => {
    const path = join(dir, 'taxi.csv');
    const totals = writeTaxiCsvSized(path, { bytes: 400_000, seed: 5 });
    const text = readFileSync(path, 'utf8');
    expect(totals.bytes).toBe(Buffer.byteLength(text));
    expect(totals.bytes).toBeGreaterThanOrEqual(400_000);
    const [header, ...rows] = text.trimEnd().split('\n');
    expect(header!.split(',')).toEqual(TAXI_COLUMNS);
    expect(rows).toHaveLength(totals.rows);
    const col = (name: string): number => TAXI_COLUMNS.indexOf(name);
    const numeric = /^-?\d+(\.\d+)?$/;
    let passengers = 0;
    let totalMilli = 0;
    const months = new Set<string>();
    let empties = 0;
    let refunds = 0;
    for (const row of rows) {
      const f = row.split(',');
      expect(f).toHaveLength(18);
      // Every column but the two timestamps and the flag is a number (congestion_surcharge may be empty).
      const nums = f.filter((_, i) => ![col('pickup_datetime'), col('dropoff_datetime'), col('store_and_fwd_flag')].includes(i));
      expect(nums).toHaveLength(15);
      for (const v of nums.slice(0, -1)) expect(v).toMatch(numeric);
      const congestion = f[col('congestion_surcharge')]!;
      if (congestion === '') empties++;
      else expect(congestion).toMatch(numeric);
      expect(f[col('store_and_fwd_flag')]).toMatch(/^[YN]$/);
      expect(f[col('pickup_datetime')]).toMatch(/^2019-\d\d-\d\d \d\d:\d\d:\d\d$/);
      expect(f[col('dropoff_datetime')]! > f[col('pickup_datetime')]!).toBe(true);
      months.add(f[col('pickup_datetime')]!.slice(0, 7));
      const cents = (name: string): number => Math.round(Number(f[col(name)] || 0) * 100);
      // total_amount is the sum of the other amounts, exactly, as in the real data.
      const parts = ['fare_amount', 'extra', 'mta_tax', 'tip_amount', 'tolls_amount', 'improvement_surcharge', 'congestion_surcharge'];
      expect(cents('total_amount')).toBe(parts.reduce((n, p) => n + cents(p), 0));
      if (cents('fare_amount') < 0) refunds++;
      passengers += Number(f[col('passenger_count')]);
      totalMilli += cents('total_amount') * 10;
    }
    expect(totals.intSum).toBe(passengers);
    expect(totals.decimalSumMilli).toBe(totalMilli);
    expect(months.size).toBe(12);
    expect(empties / rows.length).toBeGreaterThan(0.5);
    expect(empties / rows.length).toBeLessThan(0.7);
    expect(refunds).toBeGreaterThan(0);
    // The same size and seed give the same bytes; another seed other bytes.
    const again = join(dir, 'taxi-again.csv');
    writeTaxiCsvSized(again, { bytes: 400_000, seed: 5 });
    expect(readFileSync(again).equals(readFileSync(path))).toBe(true);
    writeTaxiCsvSized(again, { bytes: 400_000, seed: 6 });
    expect(readFileSync(again).equals(readFileSync(path))).toBe(false);
  });
});

/** One repetition of a system, with the figures targets read. */
function run(id: string, wall: number, extra: Partial<SystemResult> = {}): SystemResult {
  return {
    id,
    format: id.split('/')[0] as SystemResult['format'],
    system: id,
    streams: id.endsWith('-1') ? 1 : 2,
    commands: [`run ${id}`],
    table: 't',
    rows: 100,
    bytes: 2 * 1024 ** 3,
    mbPerSecond: 1,
    rowsPerSecond: 1,
    wallSeconds: wall,
    clientCpuSeconds: 1,
    postgresCpuSeconds: 20,
    otherCpuSeconds: 0,
    peakRssBytes: { psql: 10 * 1024 * 1024 },
    cpuSecondsByRole: { psql: 1 },
    wallSecondsAll: [],
    wallSecondsMedian: wall,
    rounds: [],
    quiet: null,
    ...extra,
  };
}

const copyfleet = (ingestSeconds: number, ingestPostgresCpuSeconds: number): SystemResult['copyfleet'] => ({
  runId: '1', status: 'done', rowsLoaded: 100, rowsRejected: 0, chunks: 4, unparsedChunks: 4, ingestSeconds, planSeconds: 0.1, runSeconds: 1, chunkSeconds: 0.2,
  betweenChunksShare: 0, firstChunkSeconds: 0.1, startedAtMs: 0, finishedAtMs: 1, ingestMbPerSecond: 1, ingestRowsPerSecond: 1, startupSeconds: 0.5,
  ingestPostgresCpuSeconds, workerStartupCpuSeconds: 0.5, shutdownSeconds: 0.1,
});

describe('medians over rounds', () => {
  it('takes each figure\'s own median and keeps the fastest round\'s figures', () => {
    const s = fastest([
      run('csv/copyfleet', 30, { postgresCpuSeconds: 5, workerCpuSeconds: 9, copyfleet: copyfleet(20, 4) }),
      run('csv/copyfleet', 10, { postgresCpuSeconds: 9, workerCpuSeconds: 3, copyfleet: copyfleet(8, 7) }),
      run('csv/copyfleet', 20, { postgresCpuSeconds: 7, workerCpuSeconds: 6, copyfleet: copyfleet(30, 5) }),
    ]);
    expect(s.wallSeconds).toBe(10);
    expect(s.wallSecondsAll).toEqual([30, 10, 20]);
    expect(s.medians).toMatchObject({ wallSeconds: 20, postgresCpuSeconds: 7, workerCpuSeconds: 6, ingestSeconds: 20, ingestPostgresCpuSeconds: 5 });
    expect(s.rounds.map((r) => r.copyfleet!.ingestSeconds)).toEqual([20, 8, 30]);
  });
});

/** A system of one round per wall time given. */
const sys = (id: string, walls: number[], extra: Partial<SystemResult> = {}): SystemResult => fastest(walls.map((w) => run(id, w, extra)));

describe('the targets', () => {
  const GiB = 2; // every system's bytes
  const systems = [
    sys('csv/copyfleet', [22, 40, 22], { postgresCpuSeconds: 30, copyfleet: copyfleet(15, 17) }),
    sys('csv/copyfleet-parse-binary', [30], { postgresCpuSeconds: 30, copyfleet: copyfleet(20, 10) }),
    sys('csv/psql-copy-1', [30], { postgresCpuSeconds: 21 }),
    sys('csv/psql-copy-n', [16], { postgresCpuSeconds: 20 }),
    sys('csv/psql-copy-n-analyze', [21], { postgresCpuSeconds: 24 }),
    sys('small/copyfleet', [0.5, 0.7, 0.55], { bytes: 2093, copyfleet: copyfleet(0.1, 0.01) }),
    sys('small/psql-copy-1', [0.1, 0.1, 0.1], { bytes: 2093 }),
    sys('jsonl/copyfleet', [30], { workerCpuSeconds: 16, postgresCpuSeconds: 20, copyfleet: copyfleet(20, 18) }),
    sys('jsonl/duckdb-n', [25], { postgresCpuSeconds: 16 }),
    sys('jsonl/duckdb-1', [28], { postgresCpuSeconds: 15 }),
    sys('jsonl/json-parse-floor', [10], { floor: { rows: 100, intSum: 1, decimalSumMilli: 1, readlineParseCpuSeconds: 30, splitParseCpuSeconds: 24 } }),
  ];
  const ts = targets(systems, 'BENCH_REPEAT=3');
  const row = (target: number, input: string, k = 0) => ts.filter((t) => t.target === target && t.input === input)[k]!;

  it('target 1: the whole command against \\copy + ANALYZE, ours ÷ theirs of the medians, ≤ 1.1; the raw ratio beside it', () => {
    expect(row(1, 'csv')).toMatchObject({ value: 22 / 21, goal: { op: '<=', value: 1.1 }, met: true, systems: ['csv/copyfleet', 'csv/psql-copy-n-analyze'] });
    expect(row(1, 'csv').shown).toBe('1.05 (theirs ÷ ours 0.95, target ≥ 0.91)');
    expect(row(1, 'csv').command).toBe('make bench BENCH_SYSTEMS=csv/copyfleet,csv/psql-copy-n-analyze BENCH_REPEAT=3');
    expect(row(1, 'csv', 1)).toMatchObject({ value: 22 / 16, goal: null, met: null, systems: ['csv/copyfleet', 'csv/psql-copy-n'] });
    // No taxi systems ran: no taxi rows.
    expect(ts.filter((t) => t.input === 'taxi')).toEqual([]);
  });

  it('target 2: the small file\'s median end to end against 0.6 s, and its ratio to psql', () => {
    expect(row(2, 'small')).toMatchObject({ value: 0.55, goal: { op: '<=', value: 0.6 }, met: true });
    expect(row(2, 'small').measured).toContain('median of 3: 0.50, 0.70, 0.55');
    expect(row(2, 'small', 1)).toMatchObject({ value: 0.55 / 0.1, goal: null });
  });

  it('target 3: PostgreSQL CPU per GiB of copyfleet\'s ingest against the cheapest \\copy of the same rows, ≤ 0.8', () => {
    // psql-copy-n costs PostgreSQL 10 CPU-s/GiB, psql-copy-1 10.5: the stricter is the yardstick.
    expect(ts.filter((t) => t.target === 3 && t.input === 'csv').map((t) => [t.systems, t.value, t.met])).toEqual([
      [['csv/copyfleet', 'csv/psql-copy-n'], 17 / GiB / (20 / GiB), false],
      [['csv/copyfleet-parse-binary', 'csv/psql-copy-n'], 10 / GiB / (20 / GiB), true],
    ]);
    expect(row(3, 'jsonl')).toMatchObject({ systems: ['jsonl/copyfleet', 'jsonl/duckdb-1'], value: 18 / 15, met: false });
    expect(row(3, 'jsonl').measured).toContain('9.0 CPU-s/GiB to the last chunk\'s commit (10.0 with ANALYZE and reports)');
  });

  it('target 4: worker CPU per GiB ≤ 9, the JSON.parse floors, and DuckDB ÷ copyfleet ingest ≥ 1.2 (theirs ÷ ours)', () => {
    expect(row(4, 'jsonl', 0)).toMatchObject({ value: 8, goal: { op: '<=', value: 9 }, met: true, systems: ['jsonl/copyfleet'] });
    expect([row(4, 'jsonl', 1).value, row(4, 'jsonl', 2).value]).toEqual([15, 12]);
    expect(row(4, 'jsonl', 3)).toMatchObject({ value: 25 / 20, goal: { op: '>=', value: 1.2 }, met: true, systems: ['jsonl/copyfleet', 'jsonl/duckdb-n'] });
  });

  it('open the latest run in BENCHMARKS.md, before the inputs\' tables', () => {
    const res: Results = {
      date: '2026-12-01T00:00:00.000Z',
      command: 'make bench BENCH_REPEAT=3',
      commit: { hash: 'a'.repeat(40), dirtyFiles: [] },
      config: { bytes: 2 * 1024 ** 3, seed: 42, streams: 2, repeat: 3, smallRepeat: 3, quietWaitSeconds: 0 },
      machine: { nproc: 2, cpuModel: 'cpu', memoryBytes: 1, kernel: 'k', node: 'v20', postgres: { version: 'PostgreSQL 15', settings: [] }, duckdb: null, loadAverage: 0 },
      inputs: [{ format: 'csv', file: 'trips.csv', bytes: 2 * 1024 ** 3, rows: 100, generateSeconds: 0, splitSeconds: 0, parts: 2 }],
      systems,
      ratios: [],
      targets: ts,
      skipped: [],
    };
    const md = markdown(res);
    const at = md.indexOf('### Targets (issue 15)');
    expect(at).toBeGreaterThan(md.indexOf('## Latest run'));
    expect(at).toBeLessThan(md.indexOf('### CSV (trips)'));
    expect(md).toContain('| 1 | CSV (trips) | whole command: copyfleet load ÷ csv/psql-copy-n-analyze (2 streams), ours ÷ theirs |');
    expect(md).toContain('| ≤ 1.1 | ≤ 1.1: **met** | `make bench BENCH_SYSTEMS=csv/copyfleet,csv/psql-copy-n-analyze BENCH_REPEAT=3` |');
    expect(md).toContain('≤ 0.8: **not met**');
    // The input's table shows the medians: copyfleet's median wall 22 beside its fastest 22, psql-copy-1's 30.
    expect(md).toMatch(/\| \*\*csv\/copyfleet\*\* \| 2 \| 22\.0 \| 22\.0 \| 15\.0 \|/);
  });
});
