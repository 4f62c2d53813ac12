/**
 * Table specs for tests: a CSV-shaped table in the public schema whose columns read the
 * fields in order, with no dedupe key.
 */
import type { ColumnType, PartitionSpec, TableSpec } from '@copyfleet/schema';

export function fieldTable(table: string, columns: [name: string, type: ColumnType][], partition: PartitionSpec | null = null): TableSpec {
  return {
    schema: 'public',
    table,
    columns: columns.map(([name, type], index) => ({ name, type, source: { kind: 'field', index } })),
    partition,
    key: null,
  };
}
