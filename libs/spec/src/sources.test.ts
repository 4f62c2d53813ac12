// Datasets of several tables: the checks the schema cannot make, each placed at its line.
import { describe, expect, it } from 'vitest';
import { parseDatasetSpec } from './read.js';
import { datasetSources, fillPlaceholders } from './sources.js';

const two = `sources:
  - name: sales
    path: sales.csv
    source: { format: csv }
    table: { name: sales_fact, partition: none }
  - name: calendar
    path: calendar/
reports:
  - name: weekly
    sql: SELECT * FROM {{sales}} s JOIN {{ calendar }} c USING (week) WHERE {{run_id}} > 0
`;

describe('sources:', () => {
  it('each source becomes a single-source spec; its table defaults to its name', () => {
    const sources = datasetSources(parseDatasetSpec(two))!;
    expect(sources.map((s) => [s.name, s.path, s.spec.table.name, s.spec.source.format])).toEqual([
      ['sales', 'sales.csv', 'sales_fact', 'csv'],
      ['calendar', 'calendar/', 'calendar', undefined],
    ]);
    expect(sources[0]!.spec.table.partition).toBe('none');
    expect(datasetSources(parseDatasetSpec('table: { name: t }\n'))).toBeNull();
  });

  it('a report naming an unknown source is an error at its line, listing the sources', () => {
    const text = two.replace('{{ calendar }}', '{{calender}}');
    expect(() => parseDatasetSpec(text, 'd.yaml')).toThrow(/d\.yaml:10:10: reports\.0\.sql: \{\{calender\}\} is not a source of the dataset; its sources are sales, calendar/);
  });

  it("{{<source>.bronze}} names a source's bronze copy, and only where it has one", () => {
    const withBronze = two.replace('table: { name: sales_fact, partition: none }', 'table: { name: sales_fact, partition: none, bronze: sales_raw }');
    expect(() => parseDatasetSpec(withBronze.replace('{{ calendar }}', '{{sales.bronze}}'), 'd.yaml')).not.toThrow();
    expect(() => parseDatasetSpec(two.replace('{{ calendar }}', '{{sales.bronze}}'), 'd.yaml')).toThrow(/\{\{sales\.bronze\}\} is not a source of the dataset/);
  });

  it('two sources with one name, or into one table, are errors at the second', () => {
    const dupName = two.replace('name: calendar', 'name: sales');
    expect(() => parseDatasetSpec(dupName, 'd.yaml')).toThrow(/d\.yaml:6:11: sources\.1\.name: "sales" is the name of source 1 already/);
    const dupTable = two.replace('    path: calendar/', '    path: calendar/\n    table: { name: sales_fact }');
    expect(() => parseDatasetSpec(dupTable, 'd.yaml')).toThrow(/d\.yaml:8:20: sources\.1\.table\.name: sources "sales" and "calendar" both load table "sales_fact"/);
  });

  it('a top-level table: beside sources: is an error at that key', () => {
    expect(() => parseDatasetSpec(`table: { name: x }\n${two}`, 'd.yaml')).toThrow(/d\.yaml:1:1: table: a top-level `table:` does not go with `sources:`/);
  });

  it('a source name must be an identifier other than run_id, and unknown fields of a source are errors', () => {
    expect(() => parseDatasetSpec(two.replace('name: sales', 'name: 2sales'), 'd.yaml')).toThrow(/d\.yaml:2:11: sources\.0\.name: letters, digits and _/);
    expect(() => parseDatasetSpec(two.replace('name: sales', 'name: run_id'), 'd.yaml')).toThrow(/sources\.0\.name: "run_id" is \{\{run_id\}\}/);
    expect(() => parseDatasetSpec(two.replace('    path: calendar/', '    path: calendar/\n    partition: none'), 'd.yaml')).toThrow(/d\.yaml:8:5: sources\.1: .*unknown field\(s\) partition/);
  });

  it('single-source specs: {{table}}, {{bronze}}, {{run_id}} only', () => {
    expect(parseDatasetSpec('reports:\n  - { name: a, sql: "SELECT * FROM {{table}} WHERE run_id = {{run_id}}" }\n').reports).toHaveLength(1);
    expect(() => parseDatasetSpec('reports:\n  - { name: a, sql: "SELECT * FROM {{tabel}}" }\n')).toThrow(/\{\{tabel\}\} is not known \(a report may use \{\{table\}\}, \{\{bronze\}\}, \{\{run_id\}\}\)/);
  });

  it('fills placeholders with what it is given', () => {
    expect(fillPlaceholders('SELECT {{ a }}, {{b}}', { a: '"x"."y"', b: '7' })).toBe('SELECT "x"."y", 7');
  });
});
