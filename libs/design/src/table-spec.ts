/**
 * Decides the target table for a load: inferred columns, the partition column, the
 * dedupe key, and — when the table was loaded before — the earlier run's spec, so a
 * reload keeps the same columns and types.
 */
import type { Plan, Sample } from '@copyfleet/plan';
import { inferCsvSchema, inferJsonSchema, tableNameFor, toIdentifier, uniqueNames, type Column, type ColumnInference, type TableSpec } from '@copyfleet/schema';
import type { LoadRequest } from './request.js';

export class LoadRequestError extends Error {
  override readonly name = 'LoadRequestError';
}

/** `schema.table` from the request (or the file name), as safe identifiers. */
export function targetName(req: LoadRequest, fileName: string, defaultSchema: string, fromSpec?: { name?: string; schema?: string }): { schema: string; table: string } {
  if (!req.table) {
    const schema = fromSpec?.schema ? toIdentifier(fromSpec.schema, defaultSchema) : defaultSchema;
    return { schema, table: fromSpec?.name ? toIdentifier(fromSpec.name, 'data') : tableNameFor(fileName) };
  }
  const parts = req.table.split('.');
  if (parts.length > 2) throw new LoadRequestError(`TABLE=${req.table}: give "name" or "schema.name"`);
  const table = toIdentifier(parts.at(-1)!, 'data');
  const schema = parts.length === 2 ? toIdentifier(parts[0]!, defaultSchema) : defaultSchema;
  return { schema, table };
}

/** Columns and types from the sample (Arrow: from its schema), with each column's decision and notes. */
export function inferColumns(plan: Plan, sample: Sample): { columns: Column[]; report: ColumnInference[]; notes: string[] } {
  if (plan.format === 'csv') return inferCsvSchema(plan.header, sample.csv);
  if (plan.arrow) return { columns: arrowColumns(plan.arrow), report: [], notes: [] };
  return inferJsonSchema(sample.json);
}

export function buildTableSpec(
  req: LoadRequest,
  target: { schema: string; table: string },
  plan: Plan,
  sample: Sample,
  inferred: { columns: Column[] } = inferColumns(plan, sample),
): TableSpec {
  let columns: Column[] = inferred.columns;
  if (plan.json?.kind === 'object') {
    // Records keyed by id: the member name is a column of its own, first.
    const keyName = uniqueNames([...columns.map((c) => c.name), 'key']).at(-1)!;
    columns = [{ name: keyName, type: 'text', source: { kind: 'key' } }, ...columns];
  }
  if (columns.length === 0) throw new LoadRequestError('no columns found: the file has no header and no records');
  const names = columns.map((c) => c.name);

  let partition: TableSpec['partition'] = null;
  if (req.partition !== 'none') {
    const time = columns.find((c) => c.type === 'date' || c.type === 'timestamp' || c.type === 'timestamptz');
    if (time) partition = { column: time.name, interval: req.partition ?? 'month' };
  }

  let key: string[] | null = null;
  if (req.key && req.key.length > 0) {
    key = req.key.map((k) => {
      const name = names.includes(k) ? k : toIdentifier(k, k);
      if (!names.includes(name)) throw new LoadRequestError(`KEY column "${k}" is not a column of ${target.table}; columns are: ${names.join(', ')}`);
      return name;
    });
  }
  return { ...target, columns, partition, key };
}

/**
 * When the table was created by an earlier run, keep its columns and partitioning;
 * the new file must have the same column names.
 */
export function reconcileWithExisting(fresh: TableSpec, previous: TableSpec | null): TableSpec {
  if (previous === null) return fresh;
  const prevNames = previous.columns.map((c) => c.name).join(',');
  const newNames = fresh.columns.map((c) => c.name).join(',');
  if (prevNames !== newNames) {
    throw new LoadRequestError(
      `${fresh.schema}.${fresh.table} already exists with columns (${prevNames}) but this file has (${newNames}): load into another TABLE= or drop the table`,
    );
  }
  const sameKey = JSON.stringify(previous.key ?? null) === JSON.stringify(fresh.key ?? null);
  if (!sameKey && (previous.key !== null) !== (fresh.key !== null)) {
    throw new LoadRequestError(
      `${fresh.schema}.${fresh.table} was loaded ${previous.key ? `with KEY=${previous.key.join(',')}` : 'without a KEY'}: use the same KEY, or load into another table`,
    );
  }
  // Same columns: keep the earlier types and partitioning; how this file is read — its column
  // positions and transforms, its field count, the spellings it means NULL by — is this load's.
  const { nullValues: _n, fieldCount: _f, ...kept } = previous;
  return {
    ...kept,
    key: fresh.key,
    columns: previous.columns.map((c, i) => {
      const { transform: _t, ...col } = c;
      const now = fresh.columns[i]!;
      return { ...col, source: now.source, ...(now.transform ? { transform: now.transform } : {}) };
    }),
    ...(fresh.fieldCount !== undefined ? { fieldCount: fresh.fieldCount } : {}),
    ...(fresh.nullValues?.length ? { nullValues: fresh.nullValues } : {}),
  };
}

/** Flags given on the command line (KEY, PARTITION) win over the dataset spec. */
export function withRequestFlags(req: LoadRequest, fromSpec: TableSpec, inferred: TableSpec): TableSpec {
  return {
    ...fromSpec,
    ...(req.key?.length ? { key: inferred.key } : {}),
    ...(req.partition ? { partition: inferred.partition } : {}),
  };
}

/** Arrow files carry their schema: one column per field, typed from the Arrow type. */
function arrowColumns(fields: { name: string; type: Column['type'] }[]): Column[] {
  const names = uniqueNames(fields.map((f, i) => toIdentifier(f.name, `col_${i + 1}`)));
  return fields.map((f, i) => ({ name: names[i]!, type: f.type, source: { kind: 'path', path: [f.name] } }));
}
