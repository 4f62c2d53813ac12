/**
 * Reads a dataset spec file: YAML parsed with positions kept, then validated; every
 * problem is reported as `file:line:column: field: message`.
 */
import { readFile } from 'node:fs/promises';
import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import { datasetSchema, type DatasetSpec } from './schema.js';

export class DatasetSpecError extends Error {
  override readonly name = 'DatasetSpecError';
}

export async function readDatasetSpec(path: string): Promise<DatasetSpec> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new DatasetSpecError(`${path}: cannot read the dataset spec (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return parseDatasetSpec(text, path);
}

export function parseDatasetSpec(text: string, file = 'dataset.yaml'): DatasetSpec {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const where = (offset: number | undefined): string => {
    if (offset === undefined) return file;
    const { line, col } = lines.linePos(offset);
    return `${file}:${line}:${col}`;
  };
  if (doc.errors.length > 0) {
    throw new DatasetSpecError(doc.errors.map((e) => `${where(e.pos[0])}: ${e.message}`).join('\n'));
  }
  const parsed = datasetSchema.safeParse(doc.toJS() ?? {});
  if (parsed.success) return parsed.data;
  const messages = parsed.error.issues.map((issue) => {
    // Point at the deepest node that exists for this path.
    let node: unknown = null;
    for (let n = issue.path.length; n >= 0 && !node; n--) node = doc.getIn(issue.path.slice(0, n) as (string | number)[], true);
    // For an unknown field, point at the field's own key.
    if (issue.code === 'unrecognized_keys' && isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && p.key.value === issue.keys[0]);
      if (pair) node = pair.key;
    }
    const offset = (node as { range?: [number, number, number] } | null)?.range?.[0];
    const field = issue.path.join('.') || '(top)';
    const unknown = issue.code === 'unrecognized_keys' ? `: unknown field(s) ${issue.keys.join(', ')}` : '';
    return `${where(offset)}: ${field}: ${issue.message}${unknown}`;
  });
  throw new DatasetSpecError(`invalid dataset spec:\n  ${messages.join('\n  ')}`);
}
