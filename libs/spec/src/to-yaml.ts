/**
 * `copyfleet infer FILE`: the dataset spec inference would use, as YAML a user can
 * edit and pass back with --dataset.
 */
import type { CsvDialect, FormatName, JsonContainer } from '@copyfleet/parse';
import { isRangePartition, type ColumnInference, type TableSpec, type Transform } from '@copyfleet/schema';
import { Document, stringify, type Node, type YAMLSeq } from 'yaml';

/**
 * `inference`, when given (inferCsvSchema / inferJsonSchema's report), puts each column's
 * decision above it as a YAML comment: the type, how many sampled values fit, outliers
 * with an example and where, NULL spellings, date spellings read, ambiguities.
 */
export function specToYaml(
  format: FormatName,
  dialect: CsvDialect,
  header: string[] | null,
  json: JsonContainer | undefined,
  table: TableSpec,
  inference?: readonly ColumnInference[],
  decisions?: readonly { what: string; choice: string; reason: string }[],
): string {
  const source: Record<string, unknown> = { format };
  if (format === 'csv') {
    source.delimiter = String.fromCharCode(dialect.delimiter);
    source.quote = dialect.quote === null ? null : String.fromCharCode(dialect.quote);
    // A backslash escape (MySQL/Hive exports) must survive into the spec, or it reads \" as a quote.
    if (dialect.quote !== null && dialect.escape !== undefined && dialect.escape !== null && dialect.escape !== dialect.quote) source.escape = String.fromCharCode(dialect.escape);
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
  const head =
    '# Dataset spec inferred by copyfleet. Edit it and load with --dataset (make load DATASET=...).\n' +
    (decisions ?? []).map((d) => `# ${d.what}: ${d.choice} — ${d.reason}\n`).join('');
  if (!inference?.length) return `${head}${stringify(doc, { lineWidth: 0 })}`;
  const yaml = new Document(doc);
  const seq = yaml.get('columns') as YAMLSeq<Node>;
  table.columns.forEach((c, i) => {
    const r = inference.find((x) => x.name === c.name);
    const item = seq.items[i];
    if (r && item) item.commentBefore = decisionComment(r);
  });
  return `${head}${yaml.toString({ lineWidth: 0 })}`;
}

const pct = (f: number): string => (f === 1 ? '100' : (Math.floor(f * 10_000) / 100).toFixed(2));

/** One column's decision as comment lines (each starts with a space: `# ...`). */
export function decisionComment(r: ColumnInference): string {
  const lines = [` ${r.name}: ${r.type}${r.values > 0 ? ` — ${pct(r.fit)} % of ${r.values.toLocaleString('en-US')} sampled values fit` : ' — no sampled values'}`];
  if (r.note) lines.push(` ${r.note}`);
  return lines.join('\n');
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
