/**
 * `make bench`: generate (or reuse) the inputs, load each with copyfleet and with the
 * alternatives one after another, check every load, and write bench/results/*.json and
 * BENCHMARKS.md. Settings: see config.ts (BENCH_BYTES, BENCH_SEED, BENCH_STREAMS,
 * BENCH_SYSTEMS, BENCH_REPEAT, BENCH_SMALL_REPEAT, BENCH_FILES, BENCH_QUIET_WAIT, BENCH_WORK,
 * BENCH_RESULTS, BENCH_MARKDOWN, BENCH_TABLE_PREFIX, BENCH_KEEP_TABLES). Exits non-zero when
 * any system fails or loads a wrong table.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { benchConfig, SMALL_BYTES, type BenchConfig } from './config.js';
import { CHAT, SMALL, TAXI, TRIPS, type Dataset } from './datasets.js';
import { Db } from './db.js';
import { parentPid } from './measure.js';
import { ensureFiles, ensureInput, ensureSplit, type FilesInput, type Input, type SplitInput } from './generate.js';
import { manyFilesIds, manyFilesRatios, manyFilesSpecs } from './many-files.js';
import { composeMarkdown } from './many-files-report.js';
import { ratios, writeResults, type FilesInputInfo, type InputInfo, type Machine, type Results } from './report.js';
import { targets } from './targets.js';
import { copyfleetShape, copyfleetSpec, copyfleetVariants, csvBaselines, dropAll, fastest, jsonlBaselines, runOnce, type Bench, type Spec, type SystemResult } from './systems.js';

const log = (line: string): void => void process.stdout.write(`bench: ${line}\n`);

function git(cfg: BenchConfig, args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: cfg.repoRoot, encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

/** The DuckDB package's version, or null with the reason it cannot be used here. */
async function duckdbAvailable(cfg: BenchConfig): Promise<{ version: string | null; reason: string }> {
  try {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(':memory:');
    db.closeSync();
    const pkg = JSON.parse(readFileSync(join(cfg.repoRoot, 'node_modules/@duckdb/node-api/package.json'), 'utf8')) as { version: string };
    return { version: pkg.version, reason: '' };
  } catch (err) {
    return { version: null, reason: `@duckdb/node-api does not load here: ${(err as Error).message}` };
  }
}

const SETTINGS = ['BENCH_BYTES', 'BENCH_SEED', 'BENCH_STREAMS', 'BENCH_SYSTEMS', 'BENCH_FILES', 'BENCH_REPEAT', 'BENCH_SMALL_REPEAT', 'BENCH_QUIET_WAIT'];

/** The BENCH_* settings of this run as VAR=value words, BENCH_SYSTEMS left out when `systems` is false. */
function settings(systems: boolean): string[] {
  return SETTINGS.filter((v) => process.env[v]?.trim() && (systems || v !== 'BENCH_SYSTEMS')).map((v) => `${v}=${process.env[v]!.trim()}`);
}

function commandLine(cfg: BenchConfig): string {
  const vars = settings(true);
  return ['make bench', ...vars].join(' ') + (vars.length ? '' : ` (BENCH_BYTES=${cfg.bytes})`);
}

async function main(): Promise<void> {
  const cfg = benchConfig();
  // BENCH_SYSTEMS=csv,jsonl/duckdb: ids or their prefixes; copyfleet runs for every input that is benchmarked.
  const wanted = (id: string): boolean => !cfg.systems || cfg.systems.some((s) => id.startsWith(s));
  const datasets = [TRIPS, CHAT, TAXI, SMALL].filter((ds) => !cfg.systems || cfg.systems.some((s) => s.split('/')[0] === ds.key));
  // The small file is the issue's 2 KiB, run BENCH_SMALL_REPEAT times; the others BENCH_BYTES, BENCH_REPEAT times.
  const bytesOf = (ds: Dataset): number => (ds === SMALL ? SMALL_BYTES : cfg.bytes);
  const repeatOf = (ds: Dataset): number => (ds === SMALL ? cfg.smallRepeat : cfg.repeat);
  const date = new Date().toISOString();
  const loadAverage = loadavg()[0]!;

  // Inputs first, so generation never overlaps a load.
  const inputs = new Map<Dataset, { input: Input; split: SplitInput; many: FilesInput[] }>();
  for (const ds of datasets) {
    const input = ensureInput(ds, join(cfg.workDir, 'inputs'), bytesOf(ds), cfg.seed);
    log(`${ds.key}: ${input.path} (${input.totals.rows} rows, ${input.totals.bytes} bytes)${input.generateSeconds ? `, generated in ${input.generateSeconds.toFixed(1)} s` : ', cached'}`);
    // Only the N-stream baselines read the split parts: a copyfleet-only run (a 10 GiB scale check) skips them.
    const splitIds = ['psql-copy-n', 'psql-copy-n-analyze', 'staging-n', 'duckdb-n', 'node-n'].map((x) => `${ds.key}/${x}`);
    const split = ds !== SMALL && splitIds.some(wanted) ? ensureSplit(input.path, cfg.streams) : { parts: [], splitSeconds: 0 };
    // The many-files case is of the trips CSV and the chat JSONL.
    const fileCounts = ds === TRIPS || ds === CHAT ? cfg.fileCounts : [];
    const many = fileCounts.filter((n) => manyFilesIds(ds.format, n).some(wanted)).map((n) => ensureFiles(input.path, ds.format, n));
    for (const f of many) log(`${ds.key}: ${f.files.length} files in ${f.dir}${f.splitSeconds ? `, written in ${f.splitSeconds.toFixed(1)} s` : ', cached'}`);
    inputs.set(ds, { input, split, many });
  }

  const duck = datasets.includes(CHAT) ? await duckdbAvailable(cfg) : { version: null, reason: '' };
  const db = await Db.connect(cfg.databaseUrl);
  const postmasterPid = parentPid(await db.backendPid());
  const b: Bench = { cfg, db, postmasterPid, env: { ...process.env, DATABASE_URL: cfg.databaseUrl, REDIS_URL: cfg.redisUrl }, log };
  const systems: SystemResult[] = [];
  const skipped: Results['skipped'] = [];
  try {
    for (const ds of datasets) {
      const { input, split, many } = inputs.get(ds)!;
      // Round k runs every system once, copyfleet first (its table's shape makes the
      // baselines' table), the many-files case after the single file's; the repetitions
      // of one system are spread over the whole run.
      const runs = new Map<string, SystemResult[]>();
      const record = (r: SystemResult): void => void runs.set(r.id, [...(runs.get(r.id) ?? []), r]);
      const cf = copyfleetSpec(b, ds, input);
      let baselines: Spec[] | null = null;
      const repeat = repeatOf(ds);
      for (let rep = 1; rep <= repeat; rep++) {
        record(await runOnce(b, ds, datasets, input, cf, rep, repeat));
        if (!baselines) {
          const shape = await copyfleetShape(b, ds);
          const all = [
            ...copyfleetVariants(b, ds, input),
            ...(ds.format === 'csv' ? csvBaselines(b, ds, input, split, shape) : jsonlBaselines(b, ds, input, split, shape, duck.version !== null)),
          ];
          if (ds.format === 'jsonl' && duck.version === null) skipped.push({ id: 'jsonl/duckdb-*', reason: duck.reason });
          baselines = all.filter((s) => wanted(s.id));
          for (const f of many) {
            const specs = manyFilesSpecs(b, ds, input, f, duck.version !== null);
            baselines.push(...[specs.copyfleet, ...specs.baselines(shape)].filter((s) => wanted(s.id)));
          }
        }
        for (const spec of baselines) record(await runOnce(b, ds, datasets, input, spec, rep, repeat));
      }
      for (const r of runs.values()) systems.push(fastest(r));
    }
    if (!cfg.keepTables) await dropAll(b, datasets);

    const server = await db.server();
    const machine: Machine = {
      nproc: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryBytes: totalmem(),
      kernel: release(),
      node: process.version,
      postgres: server,
      duckdb: duck.version,
      loadAverage,
    };
    const rel = (p: string): string => (p.startsWith(cfg.repoRoot) ? p.slice(cfg.repoRoot.length) : p);
    const filesInfo: FilesInputInfo[] = datasets.flatMap((ds) =>
      inputs.get(ds)!.many.map((f) => ({ format: ds.format, files: f.files.length, dir: rel(f.dir), bytes: f.bytes, splitSeconds: f.splitSeconds })),
    );
    const inputInfo: InputInfo[] = datasets.map((ds) => {
      const { input, split } = inputs.get(ds)!;
      return {
        format: ds.key,
        file: rel(input.path),
        bytes: input.totals.bytes,
        rows: input.totals.rows,
        generateSeconds: input.generateSeconds,
        splitSeconds: split.splitSeconds,
        parts: split.parts.length,
      };
    });
    const dirty = git(cfg, ['status', '--porcelain', '--', 'libs', 'apps']).split('\n').filter(Boolean);
    const res: Results = {
      date,
      command: commandLine(cfg),
      commit: { hash: git(cfg, ['rev-parse', 'HEAD']), dirtyFiles: dirty.map((l) => l.slice(3)) },
      config: { bytes: cfg.bytes, seed: cfg.seed, streams: cfg.streams, repeat: cfg.repeat, smallRepeat: cfg.smallRepeat, quietWaitSeconds: cfg.quietWaitSeconds, fileCounts: cfg.fileCounts },
      machine,
      inputs: inputInfo,
      systems,
      ratios: ratios(systems),
      targets: targets(systems, settings(false).join(' ')),
      skipped,
      ...(filesInfo.length ? { manyFiles: { inputs: filesInfo, ratios: manyFilesRatios(systems) } } : {}),
    };
    const file = writeResults(cfg.resultsDir, res);
    writeFileSync(cfg.markdownPath, composeMarkdown(existsSync(cfg.markdownPath) ? readFileSync(cfg.markdownPath, 'utf8') : null, res));
    for (const r of res.ratios) log(`${r.format}: ${r.label}: ${r.value.toFixed(2)}`);
    for (const t of res.targets ?? []) log(`target ${t.target} (${t.input}): ${t.label}: ${t.shown}${t.goal ? ` (${t.goal.text}: ${t.met ? 'met' : 'not met'})` : ''}`);
    for (const r of res.manyFiles?.ratios ?? []) log(`${r.format}: ${r.label}: ${r.value.toFixed(2)}${r.target === null ? '' : ` (target ≤ ${r.target})`}`);
    log(`results in ${file} and ${cfg.markdownPath}`);
  } finally {
    await db.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: FAILED: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
