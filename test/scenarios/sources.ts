// The scenario tests load an example's dataset spec whole, in one run, as a user does
// (`copyfleet load --dataset examples/<name>/<spec> --data DIR`), and read the reports the
// reporter wrote to reports/<run>/. Two things differ from a user's run: every table of the
// spec gets a name of its own (the tests share one database), and when a real sample's files
// have other names than the spec's paths, DATA is a folder of links under the spec's names.
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, runCli, uniqueName } from '@copyfleet/testing';
import { expect } from 'vitest';
import { parse, stringify } from 'yaml';
import { runIdOf, type E2E } from '../helpers.js';

interface SourceEntry { name: string; path: string; table?: { name?: string; bronze?: string } }
export interface MultiSpec { sources: SourceEntry[]; reports: { name: string; sql: string }[] }

export const exampleSpec = (example: string, file = 'dataset.yaml'): MultiSpec =>
  parse(readFileSync(join(REPO_ROOT, 'examples', example, file), 'utf8')) as MultiSpec;

export interface ExampleRun {
  runId: string;
  /** Each source's table (and `<source>.bronze`), as named for this test. */
  tables: Record<string, string>;
  /** rows loaded and rejected per source, from the run's files. */
  counts: Record<string, { loaded: number; rejected: number }>;
  /** reports/<run>/ */
  reports: string;
  stdout: string;
  /** The spec as loaded (tables renamed), to load again into the same tables. */
  specPath: string;
}

/**
 * Loads `examples/<example>/<specFile>` with DATA=`dataDir`. `files` maps spec paths to the
 * files to use (linked into a fresh folder); `again` loads into the tables of an earlier run.
 */
export async function loadExample(
  t: E2E,
  example: string,
  specFile: string,
  dataDir: string,
  opts: { files?: Record<string, string>; again?: ExampleRun; extra?: string[] } = {},
): Promise<ExampleRun> {
  let specPath = opts.again?.specPath;
  if (!specPath) {
    const spec = exampleSpec(example, specFile) as MultiSpec & { sources: (SourceEntry & { table: { name?: string; bronze?: string } })[] };
    for (const s of spec.sources) {
      s.table = { ...s.table, name: uniqueName(s.table?.name ?? s.name) };
      if (s.table.bronze) s.table.bronze = uniqueName(s.table.bronze);
    }
    specPath = join(t.dir, `${uniqueName(example)}.yaml`);
    writeFileSync(specPath, stringify(spec));
  }
  let data = dataDir;
  if (opts.files) {
    data = join(t.dir, uniqueName('data'));
    mkdirSync(data, { recursive: true });
    for (const [name, file] of Object.entries(opts.files)) symlinkSync(file, join(data, name));
  }
  const { runId, stdout, reports } = await load(t, ['--dataset', specPath, '--data', data, ...(opts.extra ?? [])]);
  const spec = parse(readFileSync(specPath, 'utf8')) as MultiSpec;
  const tables: Record<string, string> = {};
  for (const s of spec.sources) {
    tables[s.name] = s.table!.name!;
    if (s.table?.bronze) tables[`${s.name}.bronze`] = s.table.bronze;
  }
  const { rows } = await t.pool.query<{ source: string; loaded: number; rejected: number }>(
    `SELECT source_name AS source, sum(rows_loaded)::int AS loaded, sum(rows_rejected)::int AS rejected
       FROM copyfleet.files WHERE run_id = $1 GROUP BY 1`,
    [runId],
  );
  const counts = Object.fromEntries(rows.map((r) => [r.source, { loaded: r.loaded, rejected: r.rejected }]));
  return { runId, tables, counts, reports, stdout, specPath };
}

/** `copyfleet load ARGS` as the scenario tests run it (two workers, 256 KiB chunks), which must succeed. */
async function load(t: E2E, args: string[]): Promise<{ runId: string; stdout: string; reports: string }> {
  const res = await runCli(['load', ...args, '--workers', '2', '--chunk', '256KiB'], t.env);
  expect(res.code, `${res.stdout}\n${res.stderr}`).toBe(0);
  const runId = runIdOf(res.stdout);
  return { runId, stdout: res.stdout, reports: join(t.env.REPORTS_DIR!, runId) };
}

/** A single-source example spec (`table:`, reports over {{table}}): `copyfleet load FILE --dataset SPEC --table T`. */
export async function loadSingle(t: E2E, example: string, specFile: string, file: string): Promise<{ runId: string; table: string; loaded: number; rejected: number; reports: string }> {
  const table = uniqueName(example.replace(/[^a-z0-9]+/g, '_'));
  const { runId, reports } = await load(t, [file, '--dataset', join(REPO_ROOT, 'examples', example, specFile), '--table', table]);
  const { rows } = await t.pool.query<{ loaded: number; rejected: number }>('SELECT rows_loaded::int AS loaded, rows_rejected::int AS rejected FROM copyfleet.runs WHERE run_id = $1', [runId]);
  return { runId, table, ...rows[0]!, reports };
}

export const readJson = <T>(dir: string, file: string): T => JSON.parse(readFileSync(join(dir, file), 'utf8')) as T;

/** The fields of a simple CSV line (no quoting in these files), trailing CR dropped. */
export function csvRows(path: string): string[][] {
  const lines = readFileSync(path, 'utf8').split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.length > 0);
  return lines.slice(1).map((l) => l.split(','));
}
