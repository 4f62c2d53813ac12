// Until multi-source specs load in one run, a scenario test loads each source of an example's
// multi-source spec with the single-file CLI (`copyfleet load FILE --table T --dataset S`, S being
// that source's own single-source spec) and runs the spec's reports through libs/report with
// {{<source name>}} filled in. Table names are made unique per test.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runReports, type ReportQuery } from '@copyfleet/report';
import { REPO_ROOT, runCli, uniqueName } from '@copyfleet/testing';
import { expect } from 'vitest';
import { parse, stringify } from 'yaml';
import { one, runIdOf, type E2E } from '../helpers.js';

interface SourceEntry { name: string; path: string; source?: object; table?: { name?: string; bronze?: string }; columns?: object[]; explode?: string }
interface MultiSpec { sources: SourceEntry[]; reports: (ReportQuery & { output?: 'table' | 'documents'; key?: string })[] }

export interface Loaded { table: string; bronze?: string; runId: string; loaded: number; rejected: number }

export const exampleSpec = (example: string, file = 'dataset.yaml'): MultiSpec =>
  parse(readFileSync(join(REPO_ROOT, 'examples', example, file), 'utf8')) as MultiSpec;

/** Loads `file` as the spec's source `name` into a fresh table (or `into`, to add a second file to it). */
export async function loadSource(t: E2E, spec: MultiSpec, name: string, file: string, into?: Loaded): Promise<Loaded> {
  const src = spec.sources.find((s) => s.name === name);
  if (!src) throw new Error(`no source ${name}`);
  const table = into?.table ?? uniqueName(src.table?.name ?? name);
  const bronze = into?.bronze ?? (src.table?.bronze ? uniqueName(src.table.bronze) : undefined);
  const single = {
    ...(src.source ? { source: src.source } : {}),
    table: { ...src.table, name: table, ...(bronze ? { bronze } : {}) },
    ...(src.explode ? { explode: src.explode } : {}),
    ...(src.columns ? { columns: src.columns } : {}),
    reports: [{ name: 'none', sql: 'SELECT 1 AS ok', formats: ['csv'] }],
  };
  const specPath = join(t.dir, `${table}.yaml`);
  writeFileSync(specPath, stringify(single));
  const res = await runCli(['load', file, '--dataset', specPath, '--table', table, '--workers', '2', '--chunk', '256KiB'], t.env);
  expect(res.code, `${res.stdout}\n${res.stderr}`).toBe(0);
  const runId = runIdOf(res.stdout);
  const run = await one<{ loaded: number; rejected: number }>(t.pool,
    'SELECT rows_loaded::int AS loaded, rows_rejected::int AS rejected FROM copyfleet.runs WHERE run_id = $1', [runId]);
  return { table, ...(bronze ? { bronze } : {}), runId, ...run };
}

/** Runs the spec's reports (all, or those named) on the loaded tables; returns the output folder. */
export async function runSpecReports(t: E2E, spec: MultiSpec, tables: Record<string, Loaded>, only?: string[]): Promise<string> {
  const fill = (sql: string) => sql.replace(/\{\{\s*([a-z0-9_]+)\s*\}\}/gi, (_, v: string) => {
    if (v === 'bronze') return Object.values(tables).find((x) => x.bronze)?.bronze ?? 'NULL';
    const l = tables[v];
    if (!l) throw new Error(`report refers to {{${v}}}, which is not loaded`);
    return `"${l.table}"`;
  });
  const out = join(t.dir, uniqueName('reports'));
  const client = await t.pool.connect();
  try {
    const queries = spec.reports.filter((r) => !only || only.includes(r.name)).map((r) => ({ ...r, sql: fill(r.sql) }));
    await runReports(client, queries, out);
  } finally {
    client.release();
  }
  return out;
}

export const readJson = <T>(dir: string, file: string): T => JSON.parse(readFileSync(join(dir, file), 'utf8')) as T;

/** The fields of a simple CSV line (no quoting in these files), trailing CR dropped. */
export function csvRows(path: string): string[][] {
  const lines = readFileSync(path, 'utf8').split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.length > 0);
  return lines.slice(1).map((l) => l.split(','));
}
