// Runs named report queries against PostgreSQL and writes each result as
// <name>.csv, <name>.json and <name>.arrow into one output directory.
import { mkdir } from 'node:fs/promises';
import { writeDocuments } from './documents.js';
import { assertReportName, writeReport, type QueryResultLike, type ReportFile, type ReportFormat } from './writers.js';

export interface ReportQuery {
  name: string;
  sql: string;
  params?: unknown[];
  /** Which files to write. @defaultValue csv, json and arrow */
  formats?: readonly ReportFormat[];
  /** table (default): the result as CSV / JSON / Arrow files; documents: one JSON document per row (see documents.ts). */
  output?: 'table' | 'documents';
  /** With output documents: the column whose value names each document (unique per row). */
  key?: string;
}

/** Structural subset of pg.Client / pg.PoolClient / pg.Pool used here. */
export interface ReportClient {
  query: (sql: string, params?: unknown[]) => Promise<QueryResultLike>;
}

/** Runs the queries one after another and returns every file written, in order. */
export async function runReports(client: ReportClient, queries: ReportQuery[], outDir: string): Promise<ReportFile[]> {
  const seen = new Set<string>();
  for (const { name } of queries) {
    assertReportName(name);
    if (seen.has(name.toLowerCase())) throw new Error(`duplicate report name ${JSON.stringify(name)}`);
    seen.add(name.toLowerCase());
  }
  await mkdir(outDir, { recursive: true });
  const files: ReportFile[] = [];
  for (const q of queries) {
    const result = await client.query(q.sql, q.params);
    if (q.output === 'documents') {
      if (!q.key) throw new Error(`report ${q.name}: output documents needs a key column`);
      files.push(...(await writeDocuments(q.name, outDir, result, q.key)));
    } else {
      files.push(...(await writeReport(q.name, outDir, result, q.formats)));
    }
  }
  return files;
}
