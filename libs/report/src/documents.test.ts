// The documents output: one JSON document per row, as <name>/<key>.json and <name>.jsonl,
// with file names made safe and distinct, nested json kept in order, and bad keys refused
// before anything is written. One case runs a real PostgreSQL query through runReports.
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testServices } from '@copyfleet/testing';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { documentFileName, runReports, writeDocuments, type QueryResultLike } from './index.js';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'documents-test-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

const result = (keys: (string | null)[]): QueryResultLike => ({
  fields: [{ name: 'k', dataTypeID: 25 }, { name: 'n', dataTypeID: 20 }, { name: 'rows', dataTypeID: 114 }],
  rows: keys.map((k, i) => ({ k, n: String(i), rows: [{ W2: i, W10: 0 }] })),
});

describe('documentFileName', () => {
  it('keeps a safe key as it is', () => {
    expect(documentFileName('RY18_DIGITAL_APPAREL_KIDS_CRICKET')).toBe('RY18_DIGITAL_APPAREL_KIDS_CRICKET.json');
  });

  it.each(['../etc/passwd', 'a/b', 'a b', '.hidden', '', 'x'.repeat(400), 'ends.', 'ü', 'CON\u0000'])('makes %j a plain file name', (key) => {
    const name = documentFileName(key);
    expect(name).toMatch(/^[A-Za-z0-9][A-Za-z0-9._-]*\.json$/);
    expect(name.length).toBeLessThanOrEqual(160);
  });

  it('keys that differ only in unsafe characters get different files', () => {
    const names = ['a/b', 'a_b', 'a b', 'a\\b'].map(documentFileName);
    expect(new Set(names).size).toBe(4);
  });
});

describe('writeDocuments', () => {
  it('writes one file per row and one JSON Lines file, in column and result order', async () => {
    const files = await writeDocuments('sales', dir, result(['b', 'a/x']), 'k');
    expect(files.map((f) => `${f.format}:${f.rows}`)).toEqual(['jsonl:2', 'documents:2']);
    expect((await readdir(dir)).sort()).toEqual(['sales', 'sales.jsonl']);
    const names = (await readdir(join(dir, 'sales'))).sort();
    expect(names).toEqual([documentFileName('a/x'), 'b.json'].sort());
    const b = await readFile(join(dir, 'sales', 'b.json'), 'utf8');
    expect(b).toBe('{"k":"b","n":0,"rows":[{"W2":0,"W10":0}]}\n');
    const lines = (await readFile(join(dir, 'sales.jsonl'), 'utf8')).split('\n');
    expect(lines).toEqual([b.trim(), '{"k":"a/x","n":1,"rows":[{"W2":1,"W10":0}]}', '']);
  });

  it('a rewrite replaces the folder: documents of an earlier run do not linger', async () => {
    await writeDocuments('r', dir, result(['old', 'same']), 'k');
    await writeDocuments('r', dir, result(['same']), 'k');
    expect(await readdir(join(dir, 'r'))).toEqual(['same.json']);
  });

  it.each([
    [['a', 'a'], /two documents have the key "a"/],
    [['a', null], /a row has no k/],
  ])('refuses keys %j and writes nothing', async (keys, message) => {
    await expect(writeDocuments('r', dir, result(keys), 'k')).rejects.toThrow(message);
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses a key column the result lacks, naming the columns it has', async () => {
    await expect(writeDocuments('r', dir, result(['a']), 'uniquekey')).rejects.toThrow(/key column "uniquekey" is not in its result \(columns: k, n, rows\)/);
  });
});

describe('runReports with output documents (PostgreSQL)', () => {
  it('groups in SQL, one document per key, json order kept', async () => {
    const client = new pg.Client({ connectionString: testServices().databaseUrl });
    await client.connect();
    try {
      const files = await runReports(client, [
        {
          name: 'per_key', output: 'documents', key: 'uniqueKey',
          sql: `SELECT k AS "uniqueKey", json_build_object('rowId', 'Units', 'dataRow', json_object_agg('W' || w, n ORDER BY w)) AS "dataRows"
                  FROM (VALUES ('K1', 1, 5), ('K1', 2, 0), ('K2', 1, 7)) v(k, w, n) GROUP BY k ORDER BY k`,
        },
        { name: 'flat', sql: 'SELECT 1 AS x', formats: ['csv'] },
      ], dir);
      expect(files.map((f) => `${f.name}.${f.format}`)).toEqual(['per_key.jsonl', 'per_key.documents', 'flat.csv']);
      expect(await readFile(join(dir, 'per_key', 'K1.json'), 'utf8')).toBe('{"uniqueKey":"K1","dataRows":{"rowId":"Units","dataRow":{"W1":5,"W2":0}}}\n');
      expect((await readFile(join(dir, 'per_key.jsonl'), 'utf8')).trim().split('\n')).toHaveLength(2);
    } finally {
      await client.end();
    }
  });

  it('output documents without a key is refused', async () => {
    await expect(runReports({ query: async () => result(['a']) }, [{ name: 'x', sql: 's', output: 'documents' }], dir)).rejects.toThrow(/needs a key/);
  });
});
