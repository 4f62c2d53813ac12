// Dataset specs: errors name the file, line and field; the spec shapes the reader and
// the table; types the spec leaves out are inferred from the sample after transforms.
import { describe, expect, it } from 'vitest';
import { readerOverrides, tableSpecFrom } from './apply.js';
import { parseDatasetSpec } from './read.js';
import { specToYaml } from './to-yaml.js';
import { CSV_DIALECT } from '@copyfleet/parse';
import { inferCsvColumns, inferCsvSchema, inferJsonColumns } from '@copyfleet/schema';

const target = { schema: 'public', table: 't' };

describe('parseDatasetSpec', () => {
  it('reports unknown fields with file, line and field', () => {
    const text = 'source:\n  format: csv\ntable:\n  name: x\n  partiton: none\n';
    expect(() => parseDatasetSpec(text, 'd.yaml')).toThrow(/d\.yaml:5:3: table: .*unknown field\(s\) partiton/);
  });

  it('reports a bad value at its line', () => {
    const text = 'columns:\n  - name: a\n    path: x\n  - name: b\n    type: varchar\n    path: y\n';
    expect(() => parseDatasetSpec(text, 'd.yaml')).toThrow(/d\.yaml:5:11: columns\.1\.type: Invalid option/);
  });

  it('a column needs exactly one source', () => {
    expect(() => parseDatasetSpec('columns:\n  - { name: a, path: x, const: 1 }\n')).toThrow(/exactly one of path, column, position, const or from/);
  });

  it('refuses a delimiter, quote or escape that is not one byte of the file', () => {
    expect(() => parseDatasetSpec('source: { delimiter: "§" }\n', 'd.yaml')).toThrow(/source\.delimiter: must be an ASCII character in a UTF-8 file/);
    expect(() => parseDatasetSpec('source: { quote: "€", encoding: latin1 }\n', 'd.yaml')).toThrow(/source\.quote: must be a single Latin-1 character/);
    expect(readerOverrides(parseDatasetSpec('source: { delimiter: "§", encoding: latin1 }\n')).dialect?.delimiter).toBe(0xa7);
  });

  it('reports YAML syntax errors with a position', () => {
    expect(() => parseDatasetSpec('source: [\n', 'd.yaml')).toThrow(/d\.yaml:\d+:\d+/);
  });
});

describe('readerOverrides', () => {
  it('turns TSV and Latin-1 into a dialect', () => {
    const o = readerOverrides(parseDatasetSpec('source: { format: tsv, encoding: latin1, quote: null }'));
    expect(o).toEqual({ format: 'csv', dialect: { delimiter: 9, quote: null, escape: null, encoding: 'latin1' } });
  });
});

describe('tableSpecFrom', () => {
  const csvSample = { format: 'csv' as const, header: ['id', 'where', 'day'], csv: [['1', 'POINT (14.5 50.1)', '31/12/2023'], ['2', 'POINT (7 45)', '01/01/2024']], json: [] };

  it('maps CSV columns by name and infers types after transforms', () => {
    const spec = parseDatasetSpec(`
columns:
  - { name: id, column: id }
  - { name: lon, column: where, transform: [{ wkt_point: x }] }
  - { name: day, column: day, transform: [{ date_format: DD/MM/YYYY }] }
  - { name: src, const: feed }
`);
    const t = tableSpecFrom(spec, target, csvSample, []);
    expect(t.columns.map((c) => [c.name, c.type])).toEqual([['id', 'bigint'], ['lon', 'numeric'], ['day', 'date'], ['src', 'text']]);
    expect(t.partition).toEqual({ column: 'day', interval: 'month' });
    expect(t.fieldCount).toBe(3);
  });

  it('names the header when a CSV column does not exist', () => {
    const spec = parseDatasetSpec('columns:\n  - { name: x, column: nope }\n');
    expect(() => tableSpecFrom(spec, target, csvSample, [])).toThrow(/no column "nope"; its header is: id, where, day/);
  });

  it('checks key, winner and partition columns', () => {
    const bad = parseDatasetSpec('table: { key: [zz] }\ncolumns:\n  - { name: id, column: id }\n');
    expect(() => tableSpecFrom(bad, target, csvSample, [])).toThrow(/table\.key: "zz" is not a column; columns are: id/);
    const range = parseDatasetSpec('table: { partition: { range: id } }\ncolumns:\n  - { name: id, column: id }\n');
    expect(() => tableSpecFrom(range, target, csvSample, [])).toThrow(/range partitions need a date or timestamp column/);
  });

  it('explode: element paths by default, record paths with scope', () => {
    const spec = parseDatasetSpec(`
explode: content
table: { partition: { hash: conv, partitions: 4 } }
columns:
  - { name: conv, from: key }
  - { name: turn, from: index }
  - { name: msg, path: m }
  - { name: url, path: url, scope: record }
`);
    const json = [{ url: 'http://x', content: [{ m: 'hi' }, { m: 'yo' }] }];
    const t = tableSpecFrom(spec, target, { format: 'json', header: null, csv: [], json }, []);
    expect(t.explode).toEqual({ path: ['content'] });
    expect(t.partition).toEqual({ by: 'hash', column: 'conv', modulus: 4 });
    expect(t.columns.map((c) => c.type)).toEqual(['text', 'bigint', 'text', 'text']);
  });
});

describe('specToYaml round trip', () => {
  it('keeps inferred transforms and keys that hold a dot, so a spec started from `infer` loads the same table', () => {
    const csv = { format: 'csv' as const, header: ['seen'], csv: [['28/01/2018 00:00'], ['01/02/2018 13:45']], json: [] };
    const csvColumns = inferCsvColumns(csv.header, csv.csv);
    const csvTable = { ...target, columns: csvColumns, partition: null, key: null };
    const back = tableSpecFrom(parseDatasetSpec(specToYaml('csv', CSV_DIALECT, csv.header, undefined, csvTable)), target, csv, csvColumns);
    expect(back.columns).toEqual([{ name: 'seen', type: 'timestamp', source: { kind: 'field', index: 0 }, transform: [{ kind: 'date_format', format: 'DD/MM/YYYY HH:mm' }] }]);

    const records = [{ 'weather_data.city': 'Zurich', nested: { a: 1 } }];
    const jsonColumns = inferJsonColumns(records);
    const jsonTable = { ...target, columns: jsonColumns, partition: null, key: null };
    const yaml = specToYaml('json', CSV_DIALECT, null, { kind: 'sequence' }, jsonTable);
    expect(yaml).toContain('path:\n      - weather_data.city');
    expect(yaml).toContain('path: nested.a');
    const fromYaml = tableSpecFrom(parseDatasetSpec(yaml), target, { format: 'json', header: null, csv: [], json: records }, jsonColumns);
    expect(fromYaml.columns.map((c) => c.source)).toEqual([{ kind: 'path', path: ['weather_data.city'] }, { kind: 'path', path: ['nested', 'a'] }]);
  });
});

describe('specToYaml with the inference report', () => {
  it("puts each column's decision above it as a comment, and the YAML still parses to the same spec", () => {
    const rows = [...Array.from({ length: 2_000 }, (_, i) => [String(i), i % 50 === 0 ? 'N/A' : `${i}.5`]), ['2000', 'not-a-number']];
    const inf = inferCsvSchema(['id', 'amount'], rows);
    const table = { ...target, columns: inf.columns, partition: null, key: null };
    const yaml = specToYaml('csv', CSV_DIALECT, ['id', 'amount'], undefined, table, inf.report);
    expect(yaml).toContain('  # id: bigint — 100 % of 2,001 sampled values fit\n  - name: id');
    expect(yaml).toContain(
      "  # amount: numeric — 99.94 % of 1,961 sampled values fit\n  # amount: numeric; 1 of 1,961 sampled values is not a number, e.g. 'not-a-number' at sampled record 2,001 — it will be rejected; type it text in a spec to keep them; 40 sampled values spelled N/A load as NULL\n  - name: amount",
    );
    const plain = specToYaml('csv', CSV_DIALECT, ['id', 'amount'], undefined, table);
    expect(parseDatasetSpec(yaml)).toEqual(parseDatasetSpec(plain));
  });
});
