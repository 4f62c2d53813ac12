/** CREATE statements for a target table and its partitions. */
import { qualified, quoteIdent } from './ident.js';
import { defaultPartitionName, listPartitionName, partitionBounds, partitionTableName, unescapeCopyText } from './partition.js';
import { hasLineage, isRangePartition, LINEAGE_COLUMNS, type TableSpec } from './types.js';

export function createTableSql(spec: TableSpec): string[] {
  const cols = spec.columns.map((c) => `${quoteIdent(c.name)} ${c.type}`);
  if (hasLineage(spec)) for (const c of LINEAGE_COLUMNS) cols.push(`${quoteIdent(c.name)} ${c.type}`);
  const target = qualified(spec.schema, spec.table);
  const stmts = [`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(spec.schema)}`];
  if (spec.partition === null) {
    stmts.push(`CREATE TABLE IF NOT EXISTS ${target} (${cols.join(', ')})`);
    return stmts;
  }
  const p = spec.partition;
  const by = isRangePartition(p) ? 'RANGE' : p.by === 'list' ? 'LIST' : 'HASH';
  stmts.push(`CREATE TABLE IF NOT EXISTS ${target} (${cols.join(', ')}) PARTITION BY ${by} (${quoteIdent(p.column)})`);
  if (p.by === 'hash') {
    // Hash partitions cover every value: all of them now, no DEFAULT.
    for (let r = 0; r < p.modulus; r++) {
      stmts.push(
        `CREATE TABLE IF NOT EXISTS ${qualified(spec.schema, partitionTableName(spec.table, `h${r}`))} ` +
          `PARTITION OF ${target} FOR VALUES WITH (MODULUS ${p.modulus}, REMAINDER ${r})`,
      );
    }
    return stmts;
  }
  stmts.push(`CREATE TABLE IF NOT EXISTS ${qualified(spec.schema, defaultPartitionName(spec.table))} PARTITION OF ${target} DEFAULT`);
  return stmts;
}

/** The partition for `key` (from rowPartitionKey): a RANGE interval or a LIST value. */
export function createPartitionSql(spec: TableSpec, key: string): string {
  const p = spec.partition;
  if (p === null || p.by === 'hash') throw new Error(`${spec.table} has no partitions created on demand`);
  const parent = qualified(spec.schema, spec.table);
  if (p.by === 'list') {
    const value = unescapeCopyText(key).replace(/'/g, "''");
    return `CREATE TABLE IF NOT EXISTS ${qualified(spec.schema, listPartitionName(spec.table, key))} PARTITION OF ${parent} FOR VALUES IN ('${value}')`;
  }
  const b = partitionBounds(key, p.interval);
  return (
    `CREATE TABLE IF NOT EXISTS ${qualified(spec.schema, partitionTableName(spec.table, key))} ` +
    `PARTITION OF ${parent} FOR VALUES FROM ('${b.from}') TO ('${b.to}')`
  );
}

/** The column list of COPY, in the order rows are encoded. */
export function copyColumnsSql(spec: TableSpec): string {
  const names = spec.columns.map((c) => quoteIdent(c.name));
  if (hasLineage(spec)) for (const c of LINEAGE_COLUMNS) names.push(quoteIdent(c.name));
  return names.join(', ');
}

/** A one-character SQL string literal for COPY options (E'\t' for a tab). */
function charLiteral(byte: number): string {
  if (byte === 0x09) return "E'\\t'";
  const c = String.fromCharCode(byte);
  return `'${c === "'" ? "''" : c}'`;
}

/**
 * COPY … (FORMAT csv) for streaming a CSV byte range straight to PostgreSQL, when the
 * file's fields are the table's columns in order. Empty strings in non-text columns
 * load as NULL (FORCE_NULL), as the row encoder does.
 */
export function passThroughCopySql(spec: TableSpec, dialect: { delimiter: number; quote: number; escape: number | null; encoding: 'utf8' | 'latin1' }): string {
  const nonText = spec.columns.filter((c) => c.type !== 'text').map((c) => quoteIdent(c.name));
  const opts = [
    'FORMAT csv',
    `DELIMITER ${charLiteral(dialect.delimiter)}`,
    `QUOTE ${charLiteral(dialect.quote)}`,
    `ESCAPE ${charLiteral(dialect.escape ?? dialect.quote)}`,
    `ENCODING '${dialect.encoding === 'latin1' ? 'LATIN1' : 'UTF8'}'`,
  ];
  if (nonText.length > 0) opts.push(`FORCE_NULL (${nonText.join(', ')})`);
  return `COPY ${qualified(spec.schema, spec.table)} (${copyColumnsSql(spec)}) FROM STDIN WITH (${opts.join(', ')})`;
}

/** Whether a CSV file can be streamed to COPY unparsed: its fields are the columns, in order. */
export function canPassThrough(spec: TableSpec, dialect: { quote: number | null; trimSpace?: boolean }): boolean {
  return (
    dialect.quote !== null &&
    // ", "-delimited: PostgreSQL would keep the space after each comma.
    !dialect.trimSpace &&
    !hasLineage(spec) &&
    !spec.nullValues?.length &&
    spec.columns.length >= 2 &&
    (spec.fieldCount ?? spec.columns.length) === spec.columns.length &&
    spec.columns.every((c, i) => c.source.kind === 'field' && c.source.index === i && !c.transform?.length)
  );
}

/** The bronze table: every record as it landed, append-only. */
export function createBronzeSql(t: { schema: string; table: string }): string {
  return (
    `CREATE TABLE IF NOT EXISTS ${qualified(t.schema, t.table)} (` +
    '"_cf_run_id" bigint NOT NULL, "_cf_offset" bigint NOT NULL, "record" jsonb NOT NULL, ' +
    '"loaded_at" timestamptz NOT NULL DEFAULT now())'
  );
}
