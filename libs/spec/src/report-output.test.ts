// Report options for the documents output: output/key validated together, errors at their line.
import { describe, expect, it } from 'vitest';
import { parseDatasetSpec } from './read.js';

const spec = (report: string) => `reports:\n  - { name: r, sql: "SELECT 1", ${report} }\n`;

describe('reports: output documents', () => {
  it('accepts output documents with a key', () => {
    expect(parseDatasetSpec(spec('output: documents, key: uniquekey')).reports![0]).toMatchObject({ output: 'documents', key: 'uniquekey' });
  });

  it.each([
    ['output: documents', /d\.yaml:2:\d+: reports\.0\.key: output: documents needs key/],
    ['key: k', /reports\.0\.key: key names documents: add output: documents/],
    ['output: documents, key: k, formats: [csv]', /reports\.0\.formats: formats apply to output: table/],
    ['output: pages', /reports\.0\.output: Invalid option/],
  ])('refuses %s', (report, message) => {
    expect(() => parseDatasetSpec(spec(report), 'd.yaml')).toThrow(message);
  });
});
