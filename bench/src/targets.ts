/**
 * Issue 15's targets 1–4 as one table of figures, each from the medians of the rounds
 * (BENCH_REPEAT / BENCH_SMALL_REPEAT alternating rounds) and with the systems it comes from:
 *
 *   1. the whole wait: copyfleet's whole command ÷ psql \copy (N streams) + ANALYZE ≤ 1.1,
 *      on the trips CSV and the wide taxi CSV; the raw ratio against bare \copy beside it;
 *   2. a 2 KiB CSV end to end ≤ 0.6 s; the ratio to psql \copy of it beside it;
 *   3. PostgreSQL CPU-s per GiB of copyfleet's ingest ÷ that of \copy of the same rows ≤ 0.8,
 *      for each copyfleet mode measured (default, COPY_FORMAT=binary, the CSV parse path);
 *   4. copyfleet's worker CPU-s per GiB of the chat JSONL ≤ 9, the JSON.parse floor beside
 *      it, and DuckDB→CSV→\copy's wall ÷ copyfleet's ingest ≥ 1.2.
 *
 * Each row says which way its ratio goes: targets 1–3 are ours ÷ theirs (at most the goal
 * meets it), target 4's speed ratio is theirs ÷ ours, like the bench's other ratios (at
 * least the goal meets it).
 */
import { median, type Medians, type SystemResult } from './systems.js';

export interface Target {
  /** The issue's target number. */
  target: 1 | 2 | 3 | 4;
  /** The dataset's key (csv, taxi, small, jsonl). */
  input: string;
  /** What the value is, with the direction of a ratio. */
  label: string;
  value: number;
  /** The value as shown (units, the inverse ratio). */
  shown: string;
  /** The medians behind it. */
  measured: string;
  goal: { op: '<=' | '>='; value: number; text: string } | null;
  /** Whether the goal is met; null without a goal. */
  met: boolean | null;
  /** The systems it is computed from (their commands are in BENCHMARKS.md's Commands). */
  systems: string[];
  /** The make command that measures just these systems. */
  command: string;
}

const GiB = 1024 ** 3;
const f1 = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : '—');
const f2 = (n: number): string => (Number.isFinite(n) ? n.toFixed(2) : '—');

/** A system's medians; older results without them: the median wall time, the fastest run's other figures. */
export function mediansFor(s: SystemResult): Medians {
  return (
    s.medians ?? {
      // Results older than the medians had only the fastest run.
      wallSeconds: s.wallSecondsMedian ?? (s.wallSecondsAll?.length ? median(s.wallSecondsAll) : s.wallSeconds),
      clientCpuSeconds: s.clientCpuSeconds,
      postgresCpuSeconds: s.postgresCpuSeconds,
      otherCpuSeconds: s.otherCpuSeconds,
      workerCpuSeconds: s.workerCpuSeconds ?? null,
      largestPeakRssBytes: Math.max(0, ...Object.values(s.peakRssBytes)),
      ...(s.copyfleet ? { ingestSeconds: s.copyfleet.ingestSeconds, ingestPostgresCpuSeconds: s.copyfleet.ingestPostgresCpuSeconds } : {}),
      ...(s.floor ? { floor: s.floor } : {}),
    }
  );
}

const perGiB = (s: SystemResult, cpu: number): number => cpu / (s.bytes / GiB);
/** PostgreSQL CPU-s per GiB of the input: of copyfleet's ingest (to its last chunk's commit), of any other system's whole command. */
export const postgresPerGiB = (s: SystemResult): number => perGiB(s, mediansFor(s).ingestPostgresCpuSeconds ?? mediansFor(s).postgresCpuSeconds);
const streams = (s: SystemResult): string => `${s.streams} stream${s.streams > 1 ? 's' : ''}`;
const at = (op: '<=' | '>=', value: number, unit = ''): Target['goal'] => ({ op, value, text: `${op === '<=' ? '≤' : '≥'} ${value}${unit}` });
const meets = (goal: Target['goal'], v: number): boolean | null => (goal === null || !Number.isFinite(v) ? null : goal.op === '<=' ? v <= goal.value : v >= goal.value);

/** The lowest by `f` of the systems present. */
function lowest(byId: Map<string, SystemResult>, ids: string[], f: (s: SystemResult) => number): SystemResult | undefined {
  const present = ids.map((id) => byId.get(id)).filter((s): s is SystemResult => s !== undefined);
  return present.length ? present.reduce((a, b) => (f(b) < f(a) ? b : a)) : undefined;
}

/**
 * The targets this run can show. `settings`: the run's BENCH_* settings other than
 * BENCH_SYSTEMS (e.g. "BENCH_REPEAT=3"), for each row's command.
 */
export function targets(systems: SystemResult[], settings: string): Target[] {
  const byId = new Map(systems.map((s) => [s.id, s]));
  const wall = (s: SystemResult): number => mediansFor(s).wallSeconds;
  const out: Target[] = [];
  const push = (t: Omit<Target, 'met' | 'command'>): void => {
    out.push({ ...t, met: meets(t.goal, t.value), command: `make bench BENCH_SYSTEMS=${t.systems.join(',')}${settings ? ` ${settings}` : ''}` });
  };

  for (const input of ['csv', 'taxi']) {
    const cf = byId.get(`${input}/copyfleet`);
    if (!cf) continue;
    for (const [id, goal] of [[`${input}/psql-copy-n-analyze`, at('<=', 1.1)], [`${input}/psql-copy-n`, null]] as const) {
      const other = byId.get(id);
      if (!other) continue;
      const v = wall(cf) / wall(other);
      push({
        target: 1,
        input,
        label: `whole command: copyfleet load ÷ ${other.system} (${streams(other)}), ours ÷ theirs${goal ? '' : ' (raw, no target)'}`,
        value: v,
        shown: `${f2(v)} (theirs ÷ ours ${f2(1 / v)}${goal ? `, target ≥ ${f2(1 / goal.value)}` : ''})`,
        measured: `copyfleet ${f1(wall(cf))} s, ${other.system} ${f1(wall(other))} s`,
        goal,
        systems: [cf.id, other.id],
      });
    }
  }

  const small = byId.get('small/copyfleet');
  if (small) {
    const psql = byId.get('small/psql-copy-1');
    const runs = `median of ${small.wallSecondsAll.length}`;
    push({
      target: 2,
      input: 'small',
      label: `a ${small.bytes.toLocaleString('en-US')}-byte CSV end to end (command start → exit): copyfleet load, seconds`,
      value: wall(small),
      shown: `${f2(wall(small))} s`,
      measured: `copyfleet ${f2(wall(small))} s (${runs}: ${small.wallSecondsAll.map(f2).join(', ')})${psql ? `; psql \\copy ${f2(wall(psql))} s` : ''}`,
      goal: at('<=', 0.6, ' s'),
      systems: psql ? [small.id, psql.id] : [small.id],
    });
    if (psql) {
      const v = wall(small) / wall(psql);
      push({
        target: 2,
        input: 'small',
        label: 'the same: copyfleet load ÷ psql \\copy into a pre-created table, ours ÷ theirs (no target)',
        value: v,
        shown: f2(v),
        measured: `copyfleet ${f2(wall(small))} s, psql \\copy ${f2(wall(psql))} s (median of ${psql.wallSecondsAll.length})`,
        goal: null,
        systems: [small.id, psql.id],
      });
    }
  }

  // The strictest yardstick: the \copy of the same rows that costs PostgreSQL the least.
  const references: Record<string, string[]> = {
    csv: ['csv/psql-copy-1', 'csv/psql-copy-n'],
    jsonl: ['jsonl/duckdb-1', 'jsonl/duckdb-n', 'jsonl/node-1', 'jsonl/node-n'],
  };
  for (const [input, ids] of Object.entries(references)) {
    const ref = lowest(byId, ids, postgresPerGiB);
    if (!ref) continue;
    for (const mode of ['copyfleet', 'copyfleet-binary', 'copyfleet-parse', 'copyfleet-parse-binary']) {
      const cf = byId.get(`${input}/${mode}`);
      if (!cf) continue;
      const m = mediansFor(cf);
      const v = postgresPerGiB(cf) / postgresPerGiB(ref);
      push({
        target: 3,
        input,
        label: `PostgreSQL CPU-s per GiB: ${cf.system} (ingest) ÷ ${ref.system} (${streams(ref)}), ours ÷ theirs`,
        value: v,
        shown: f2(v),
        measured:
          `copyfleet ${f1(postgresPerGiB(cf))} CPU-s/GiB to the last chunk's commit (${f1(perGiB(cf, m.postgresCpuSeconds))} with ANALYZE and reports); ` +
          `${ref.system} ${f1(postgresPerGiB(ref))} CPU-s/GiB`,
        goal: at('<=', 0.8),
        systems: [cf.id, ref.id],
      });
    }
  }

  for (const mode of ['copyfleet', 'copyfleet-binary']) {
    const cf = byId.get(`jsonl/${mode}`);
    const workers = cf ? mediansFor(cf).workerCpuSeconds : null;
    if (!cf || workers === null) continue;
    push({
      target: 4,
      input: 'jsonl',
      label: `worker CPU-s per GiB of the chat JSONL: ${cf.system} (its worker processes together)`,
      value: perGiB(cf, workers),
      shown: `${f1(perGiB(cf, workers))} CPU-s/GiB`,
      measured:
        `${f1(workers)} CPU-s over ${f2(cf.bytes / GiB)} GiB, ${cf.streams} workers` +
        (mediansFor(cf).workerStartupCpuSeconds !== undefined ? `, ${f1(mediansFor(cf).workerStartupCpuSeconds!)} of them before the first chunk (start-up)` : ''),
      goal: at('<=', 9, ' CPU-s/GiB'),
      systems: [cf.id],
    });
  }
  const floor = byId.get('jsonl/json-parse-floor');
  const floorMedians = floor ? mediansFor(floor).floor : undefined;
  if (floor && floorMedians) {
    for (const [what, cpu] of [
      ['readline + JSON.parse', floorMedians.readlineParseCpuSeconds],
      ['Buffer.indexOf split + toString + JSON.parse', floorMedians.splitParseCpuSeconds],
    ] as const) {
      push({
        target: 4,
        input: 'jsonl',
        label: `floor: ${what} of every line, nothing else (one process, no database)`,
        value: perGiB(floor, cpu),
        shown: `${f1(perGiB(floor, cpu))} CPU-s/GiB`,
        measured: `${f1(cpu)} CPU-s over ${f2(floor.bytes / GiB)} GiB`,
        goal: null,
        systems: [floor.id],
      });
    }
  }
  const cfJson = byId.get('jsonl/copyfleet');
  const duck = lowest(byId, ['jsonl/duckdb-1', 'jsonl/duckdb-n'], wall);
  const ingest = cfJson ? mediansFor(cfJson).ingestSeconds : undefined;
  if (cfJson && duck && ingest !== undefined) {
    const v = wall(duck) / ingest;
    push({
      target: 4,
      input: 'jsonl',
      label: `ingest speed: ${duck.system} (${streams(duck)}) wall ÷ copyfleet ingest, theirs ÷ ours`,
      value: v,
      shown: f2(v),
      measured: `${duck.system} ${f1(wall(duck))} s, copyfleet ingest ${f1(ingest)} s (whole command ${f1(wall(cfJson))} s)`,
      goal: at('>=', 1.2),
      systems: [cfJson.id, duck.id],
    });
  }
  return out;
}
