/**
 * `copyfleet infer FILE`: the dataset spec inference would use, as YAML a user can
 * edit and pass back with --dataset.
 */
import type { CsvDialect, FormatName, JsonContainer } from '@copyfleet/parse';
import { isRangePartition, type TableSpec, type Transform } from '@copyfleet/schema';
import { stringify } from 'yaml';

export function specToYaml(format: FormatName, dialect: CsvDialect, header: string[] | null, json: JsonContainer | undefined, table: TableSpec): string {
  const source: Record<string, unknown> = { format };
  if (format === 'csv') {
    source.delimiter = String.fromCharCode(dialect.delimiter);
    source.quote = dialect.quote === null ? null : String.fromCharCode(dialect.quote);
    source.header = header !== null;
    if (dialect.encoding === 'latin1') source.encoding = 'latin1';
  }
  if (json?.kind === 'member-array') source.records = json.key;
  const p = table.partition;
  const partition = p === null ? 'none' : isRangePartition(p) ? { range: p.column, interval: p.interval } : p.by === 'list' ? { list: p.column } : { hash: p.column, partitions: p.modulus };
  const columns = table.columns.map((c) => {
    const s = c.source;
    const from =
      // A key with a dot in it ("weather_data.city") is written as the list of keys.
      s.kind === 'path' ? { path: s.path.some((k) => k.includes('.') || k === '') ? s.path : s.path.join('.') }
      : s.kind === 'field' ? (header ? { column: header[s.index] } : { position: s.index + 1 })
      : s.kind === 'const' ? { const: s.value }
      : { from: s.kind };
    return { name: c.name, type: c.type, ...from, ...(c.transform?.length ? { transform: c.transform.map(transformToYaml) } : {}) };
  });
  const doc = {
    source,
    table: { schema: table.schema, name: table.table, partition, ...(table.key ? { key: table.key } : {}) },
    columns,
  };
  return `# Dataset spec inferred by copyfleet. Edit it and load with --dataset (make load DATASET=...).\n${stringify(doc, { lineWidth: 0 })}`;
}

/** A transform as a spec writes it (the inverse of apply.ts transformFrom). */
function transformToYaml(t: Transform): unknown {
  switch (t.kind) {
    case 'trim':
      return 'trim';
    case 'wkt_point':
      return { wkt_point: t.axis };
    case 'date_format':
      return { date_format: t.format };
  }
}
