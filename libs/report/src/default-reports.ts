/**
 * The reports every run gets when its dataset spec names none: rows per partition,
 * rows per day of the partition (time) column, and min/max/avg of each numeric column.
 */
import { qualified, quoteIdent, type TableSpec } from '@copyfleet/schema';
import type { ReportQuery } from './report.js';

const NUMERIC = new Set(['bigint', 'numeric', 'double precision']);

export function defaultReports(spec: TableSpec): ReportQuery[] {
  const target = qualified(spec.schema, spec.table);
  const reports: ReportQuery[] = [
    {
      name: 'rows_per_partition',
      sql: `SELECT c.relname::text AS partition, count(*)::bigint AS rows
              FROM ${target} t JOIN pg_class c ON c.oid = t.tableoid
             GROUP BY 1 ORDER BY 1`,
    },
  ];
  if (spec.partition) {
    const col = quoteIdent(spec.partition.column);
    const type = spec.columns.find((c) => c.name === spec.partition!.column)?.type;
    const day = type === 'timestamptz' ? `(${col} AT TIME ZONE 'UTC')::date` : `${col}::date`;
    reports.push({
      name: 'rows_per_day',
      sql: `SELECT ${day} AS day, count(*)::bigint AS rows FROM ${target} GROUP BY 1 ORDER BY 1 NULLS LAST`,
    });
  }
  const numeric = spec.columns.filter((c) => NUMERIC.has(c.type));
  if (numeric.length > 0) {
    const parts = numeric.map(
      (c) =>
        `SELECT ${quoteLiteral(c.name)} AS column_name, min(${quoteIdent(c.name)})::numeric AS min, ` +
        `max(${quoteIdent(c.name)})::numeric AS max, avg(${quoteIdent(c.name)})::numeric AS avg, ` +
        `count(${quoteIdent(c.name)})::bigint AS non_null FROM ${target}`,
    );
    reports.push({ name: 'numeric_columns', sql: parts.join('\nUNION ALL\n') });
  }
  return reports;
}

function quoteLiteral(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}
