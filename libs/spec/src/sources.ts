/**
 * Datasets of several tables (`sources:`): what the schema alone cannot check (names
 * unique, reports naming only sources that exist), and each source as the single-source
 * spec the splitter designs and reads its table with.
 */
import type { DatasetSourceSpec, DatasetSpec } from './schema.js';

/** A problem at a path of the spec (`sources.1.name`), for the reader to place in the file. */
export interface SpecIssue {
  path: (string | number)[];
  message: string;
}

/** One source of a dataset as a single-source spec (no `sources:`, no reports), with its name and path. */
export interface DatasetSource {
  name: string;
  /** As written in the spec: relative to the data directory, unless absolute or s3://. */
  path: string;
  spec: DatasetSpec;
}

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** The names a report's SQL refers to as `{{name}}`, in order of appearance. */
export function placeholdersOf(sql: string): string[] {
  return [...sql.matchAll(PLACEHOLDER)].map((m) => m[1]!);
}

/** Replace every `{{name}}` with `values[name]` (which must all be there: the spec was checked). */
export function fillPlaceholders(sql: string, values: Record<string, string>): string {
  return sql.replace(PLACEHOLDER, (whole, name: string) => values[name] ?? whole);
}

/** The names reports of this spec may use: in a dataset each source's table, and `<source>.bronze` for one with a bronze copy. */
export function reportNames(spec: DatasetSpec): string[] {
  if (!spec.sources) return ['table', 'bronze', 'run_id'];
  return [...spec.sources.flatMap((s) => (s.table.bronze ? [s.name, `${s.name}.bronze`] : [s.name])), 'run_id'];
}

/**
 * Checks across fields. `given` are the top-level keys written in the file (the schema
 * fills in defaults, so it cannot tell `table: {}` from no `table:`).
 */
export function checkDataset(spec: DatasetSpec, given: string[]): SpecIssue[] {
  const issues: SpecIssue[] = [];
  if (spec.sources) {
    for (const key of ['source', 'table', 'explode', 'columns']) {
      if (given.includes(key)) {
        issues.push({ path: [key], message: `a top-level \`${key}:\` does not go with \`sources:\`: give each source its own \`${key}:\`` });
      }
    }
    const names = new Map<string, number>();
    const tables = new Map<string, number>();
    spec.sources.forEach((s, i) => {
      const before = names.get(s.name.toLowerCase());
      if (before !== undefined) issues.push({ path: ['sources', i, 'name'], message: `"${s.name}" is the name of source ${before + 1} already: give each source its own name` });
      else names.set(s.name.toLowerCase(), i);
      const table = `${s.table.schema ?? ''}.${tableNameOf(s)}`.toLowerCase();
      const other = tables.get(table);
      if (other !== undefined) {
        issues.push({
          path: ['sources', i, 'table', 'name'],
          message: `sources "${spec.sources![other]!.name}" and "${s.name}" both load table "${tableNameOf(s)}": give each source its own table (one source may name a directory or glob of many files)`,
        });
      } else tables.set(table, i);
    });
  }
  const allowed = reportNames(spec);
  const reportSeen = new Set<string>();
  (spec.reports ?? []).forEach((r, i) => {
    if (reportSeen.has(r.name)) issues.push({ path: ['reports', i, 'name'], message: `a report named "${r.name}" is there already (its files would overwrite each other)` });
    reportSeen.add(r.name);
    for (const name of placeholdersOf(r.sql)) {
      if (allowed.includes(name)) continue;
      const what = spec.sources ? `a source of the dataset; its sources are ${spec.sources.map((s) => s.name).join(', ')}` : 'known';
      issues.push({ path: ['reports', i, 'sql'], message: `{{${name}}} is not ${what} (a report may use ${allowed.map((a) => `{{${a}}}`).join(', ')})` });
    }
  });
  return issues;
}

/** A source's table name: its `table.name`, or the source's name. */
export function tableNameOf(s: DatasetSourceSpec): string {
  return s.table.name ?? s.name;
}

/** The sources of a dataset spec, each as a single-source spec; null for a single-source spec. */
export function datasetSources(spec: DatasetSpec): DatasetSource[] | null {
  if (!spec.sources) return null;
  return spec.sources.map((s) => ({
    name: s.name,
    path: s.path,
    spec: {
      source: s.source,
      table: { ...s.table, name: tableNameOf(s) },
      ...(s.explode !== undefined ? { explode: s.explode } : {}),
      ...(s.columns ? { columns: s.columns } : {}),
    },
  }));
}
