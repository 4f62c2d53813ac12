/** CREATE statements for a target table and its partitions. */
import { qualified, quoteIdent } from './ident.js';
import { defaultPartitionName, partitionBounds, partitionTableName } from './partition.js';
import { hasLineage, LINEAGE_COLUMNS, type TableSpec } from './types.js';

export function createTableSql(spec: TableSpec): string[] {
  const cols = spec.columns.map((c) => `${quoteIdent(c.name)} ${c.type}`);
  if (hasLineage(spec)) for (const c of LINEAGE_COLUMNS) cols.push(`${quoteIdent(c.name)} ${c.type}`);
  const target = qualified(spec.schema, spec.table);
  const stmts = [`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(spec.schema)}`];
  if (spec.partition === null) {
    stmts.push(`CREATE TABLE IF NOT EXISTS ${target} (${cols.join(', ')})`);
    return stmts;
  }
  stmts.push(`CREATE TABLE IF NOT EXISTS ${target} (${cols.join(', ')}) PARTITION BY RANGE (${quoteIdent(spec.partition.column)})`);
  stmts.push(`CREATE TABLE IF NOT EXISTS ${qualified(spec.schema, defaultPartitionName(spec.table))} PARTITION OF ${target} DEFAULT`);
  return stmts;
}

export function createPartitionSql(spec: TableSpec, key: string): string {
  if (spec.partition === null) throw new Error(`${spec.table} is not partitioned`);
  const b = partitionBounds(key, spec.partition.interval);
  return (
    `CREATE TABLE IF NOT EXISTS ${qualified(spec.schema, partitionTableName(spec.table, key))} ` +
    `PARTITION OF ${qualified(spec.schema, spec.table)} FOR VALUES FROM ('${b.from}') TO ('${b.to}')`
  );
}

/** The column list of COPY, in the order rows are encoded. */
export function copyColumnsSql(spec: TableSpec): string {
  const names = spec.columns.map((c) => quoteIdent(c.name));
  if (hasLineage(spec)) for (const c of LINEAGE_COLUMNS) names.push(quoteIdent(c.name));
  return names.join(', ');
}
