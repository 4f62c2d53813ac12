/**
 * Reads a dataset spec file: YAML parsed with positions kept, then validated; every
 * problem is reported as `file:line:column: field: message`.
 */
import { readFile } from 'node:fs/promises';
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { datasetSchema, type DatasetSpec } from './schema.js';
import { checkDataset } from './sources.js';

export class DatasetSpecError extends Error {
  override readonly name = 'DatasetSpecError';
}

/** A parsed spec, and where a field of it is in its file (`dataset.yaml:4:11`), for errors found later. */
export interface LocatedSpec {
  spec: DatasetSpec;
  locate(path: (string | number)[]): string;
}

export async function readDatasetSpec(path: string): Promise<DatasetSpec> {
  return (await readLocatedSpec(path)).spec;
}

export async function readLocatedSpec(path: string): Promise<LocatedSpec> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new DatasetSpecError(`${path}: cannot read the dataset spec (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return parseLocatedSpec(text, path);
}

export function parseDatasetSpec(text: string, file = 'dataset.yaml'): DatasetSpec {
  return parseLocatedSpec(text, file).spec;
}

export function parseLocatedSpec(text: string, file = 'dataset.yaml'): LocatedSpec {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const where = (offset: number | undefined): string => {
    if (offset === undefined) return file;
    const { line, col } = lines.linePos(offset);
    return `${file}:${line}:${col}`;
  };
  const locate = (path: (string | number)[], key?: string): string => where(offsetOf(doc, path, key));
  if (doc.errors.length > 0) {
    throw new DatasetSpecError(doc.errors.map((e) => `${where(e.pos[0])}: ${e.message}`).join('\n'));
  }
  const raw: unknown = doc.toJS() ?? {};
  const parsed = datasetSchema.safeParse(raw);
  if (!parsed.success) {
    const messages = parsed.error.issues.map((issue) => {
      // For an unknown field, point at the field's own key.
      const at = locate(issue.path as (string | number)[], issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined);
      const field = issue.path.join('.') || '(top)';
      const unknown = issue.code === 'unrecognized_keys' ? `: unknown field(s) ${issue.keys.join(', ')}` : '';
      return `${at}: ${field}: ${issue.message}${unknown}`;
    });
    throw new DatasetSpecError(`invalid dataset spec:\n  ${messages.join('\n  ')}`);
  }
  const given = raw !== null && typeof raw === 'object' ? Object.keys(raw) : [];
  const issues = checkDataset(parsed.data, given);
  if (issues.length > 0) {
    throw new DatasetSpecError(`invalid dataset spec:\n  ${issues.map((i) => `${i.path.length === 1 ? locate([], String(i.path[0])) : locate(i.path)}: ${i.path.join('.')}: ${i.message}`).join('\n  ')}`);
  }
  return { spec: parsed.data, locate: (path) => locate(path) };
}

/** The offset of the deepest node that exists on `path` (of the key `key` in it, if it is a map that has one). */
function offsetOf(doc: Document, path: (string | number)[], key?: string): number | undefined {
  let node: unknown = null;
  for (let n = path.length; n >= 0 && !node; n--) node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
  if (key !== undefined && isMap(node)) {
    const pair = node.items.find((p) => isScalar(p.key) && p.key.value === key);
    if (pair) node = pair.key;
  }
  return (node as { range?: [number, number, number] } | null)?.range?.[0];
}
