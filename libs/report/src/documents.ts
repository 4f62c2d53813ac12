// The "documents" report output: one JSON document per result row (the report's SQL does the
// grouping and builds nested values with json_build_object / json_agg), written twice:
//   <outDir>/<name>/<key>.json   one file per document, named by its key column (made safe)
//   <outDir>/<name>.jsonl        every document, one per line, in result order
// Both appear atomically: the folder is written as <name>.tmp/ and renamed into place, the
// JSON Lines file through <name>.jsonl.tmp.
import { createHash } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertReportName, jsonRowWriter, writeStreamed, type QueryResultLike, type ReportFile } from './writers.js';

const SAFE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,149}$/;

/**
 * A file name for a document key: the key itself when it is already a safe name, else the key
 * with every other character replaced by `_` plus 8 hex digits of its SHA-256, so that keys
 * which differ only in unsafe characters ("a/b", "a_b", "a b") never share a file.
 */
export function documentFileName(key: string): string {
  if (SAFE.test(key) && !key.endsWith('.')) return `${key}.json`;
  const base = key.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[._-]+/, '').slice(0, 120);
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 8);
  return `${base || 'key'}-${hash}.json`;
}

/** Writes one document per row; `key` names the column whose value names each document's file. */
export async function writeDocuments(name: string, outDir: string, result: QueryResultLike, key: string): Promise<ReportFile[]> {
  assertReportName(name);
  const keyField = result.fields.find((f) => f.name === key);
  if (!keyField) {
    throw new Error(`report ${name}: key column ${JSON.stringify(key)} is not in its result (columns: ${result.fields.map((f) => f.name).join(', ')}); name a column the SQL returns`);
  }
  const names = new Map<string, string>(); // file name → key that took it
  const files: string[] = [];
  for (const row of result.rows) {
    const value = row[key];
    if (value === null || value === undefined) throw new Error(`report ${name}: a row has no ${key}; every document needs a key (filter NULLs out in the SQL)`);
    const text = typeof value === 'string' ? value : String(value instanceof Date ? value.toISOString() : value);
    const file = documentFileName(text);
    const taken = names.get(file);
    if (taken !== undefined) {
      throw new Error(`report ${name}: two documents have the key ${JSON.stringify(taken)}; group by ${key} in the SQL so each key is one row`);
    }
    names.set(file, text);
    files.push(file);
  }
  const toJson = jsonRowWriter(result.fields);
  await mkdir(outDir, { recursive: true });
  const dir = join(outDir, name);
  const tmp = `${dir}.tmp`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp);
  try {
    for (let i = 0; i < result.rows.length; i++) {
      await writeFile(join(tmp, files[i]!), toJson(result.rows[i]!) + '\n');
    }
    const jsonl = join(outDir, `${name}.jsonl`);
    await writeStreamed(jsonl, (function* () {
      for (const row of result.rows) yield toJson(row) + '\n';
    })());
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
    const rows = result.rows.length;
    return [{ name, format: 'jsonl', path: jsonl, rows }, { name, format: 'documents', path: dir, rows }];
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}
