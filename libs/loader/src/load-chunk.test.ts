// Exactly once at the chunk level, against the real PostgreSQL: loading the same chunk
// twice (one after the other, or at the same time) leaves one copy of its rows; rows
// the encoder or PostgreSQL refuses become rejects with their offsets; loaded + rejected
// equals the records in the chunk.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPool, insertChunks, insertRun, migrate, PartitionCache } from '@copyfleet/db';
import { CSV_DIALECT } from '@copyfleet/parse';
import { createTableSql, type ColumnType } from '@copyfleet/schema';
import { LocalFileSource } from '@copyfleet/source';
import { fieldTable, testServices, uniqueName } from '@copyfleet/testing';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadChunk, loadPack, UnpackError, type ChunkRun, type PackedChunk } from './load-chunk.js';
import type { LoadSpec } from './load-spec.js';

let pool: pg.Pool;
const dir = mkdtempSync(join(tmpdir(), 'cf-load-'));

beforeAll(async () => {
  pool = createPool(testServices().databaseUrl, { max: 6, applicationName: 'copyfleet-test' });
  await migrate(pool);
});
afterAll(async () => {
  await pool.end();
  rmSync(dir, { recursive: true, force: true });
});

async function setup(csv: string): Promise<{ run: ChunkRun; runId: string; table: string; size: number }> {
  const table = uniqueName('t');
  const path = join(dir, `${table}.csv`);
  writeFileSync(path, csv);
  const spec = fieldTable(table, [['id', 'bigint'], ['day', 'date'], ['amount', 'double precision']], { column: 'day', interval: 'month' });
  for (const stmt of createTableSql(spec)) await pool.query(stmt);
  const load: LoadSpec = { format: 'csv', dialect: CSV_DIALECT, table: spec, firstDataLine: 1, maxRecordBytes: 1 << 20 };
  const source = new LocalFileSource(path);
  const { size, version } = await source.stat();
  const runId = await insertRun(pool, { source: path, version, table: `public.${table}`, spec: load, bytesTotal: size, traceParent: null });
  await insertChunks(pool, runId, [{ chunkNo: 0, start: 0, end: size }]);
  return { run: { spec: load, source, sourceVersion: version }, runId, table, size };
}

const deps = () => ({ pool, partitions: new PartitionCache() });

describe('loadChunk', () => {
  it('loads a chunk once; a second attempt is a no-op', async () => {
    const { run, runId, table, size } = await setup('1,2024-01-05,1.5\n2,2024-02-29,2.25\n3,2024-03-01,3\n');
    const first = await loadChunk(deps(), run, { runId, chunkNo: 0, start: 0, end: size });
    const second = await loadChunk(deps(), run, { runId, chunkNo: 0, start: 0, end: size });
    // Clean CSV whose fields are the columns is streamed to COPY unparsed; its months
    // have no partitions yet (the splitter makes them), so the rows wait in DEFAULT.
    expect(first).toMatchObject({ loaded: true, rowsLoaded: 3, rowsRejected: 0, passThrough: true, lines: null });
    expect((await pool.query(`SELECT count(*)::int AS n FROM ${table}_default`)).rows[0].n).toBe(3);
    expect(second.loaded).toBe(false);
    const { rows } = await pool.query(`SELECT count(*)::int AS n, sum(amount)::numeric::text AS s FROM ${table}`);
    expect(rows[0]).toEqual({ n: 3, s: '6.75' });
    const ledger = await pool.query('SELECT rows_loaded::int, attempts, loaded_at IS NOT NULL AS done FROM copyfleet.chunks WHERE run_id = $1', [runId]);
    expect(ledger.rows[0]).toEqual({ rows_loaded: 3, attempts: 2, done: true });
  });

  it('two attempts at the same time still leave one copy', async () => {
    const lines = Array.from({ length: 5000 }, (_, i) => `${i},2024-0${1 + (i % 9)}-1${i % 10},${i}.5`).join('\n');
    const { run, runId, table, size } = await setup(`${lines}\n`);
    const task = { runId, chunkNo: 0, start: 0, end: size };
    const results = await Promise.all([loadChunk(deps(), run, task), loadChunk(deps(), run, task), loadChunk(deps(), run, task)]);
    expect(results.filter((r) => r.loaded)).toHaveLength(1);
    const { rows } = await pool.query(`SELECT count(*)::int AS n, count(DISTINCT id)::int AS d FROM ${table}`);
    expect(rows[0]).toEqual({ n: 5000, d: 5000 });
  });

  it('rejects bad rows with their offset and line, and loads the rest', async () => {
    const csv = [
      '1,2024-01-05,1', // ok
      '2,2023-13-45,2', // invalid date: refused by the encoder
      '3,2024-01-07', // too few fields
      '4,2024-01-08,1e400', // a number to JS, out of range for PostgreSQL's double: isolated inside COPY
      '5,2024-01-09,5', // ok
      'x,2024-01-10,6', // not an integer
    ].join('\n');
    const { run, runId, table, size } = await setup(`${csv}\n`);
    const result = await loadChunk(deps(), run, { runId, chunkNo: 0, start: 0, end: size });
    // PostgreSQL refused the unparsed COPY, so the chunk was parsed: partitions made for its months.
    expect(result).toMatchObject({ loaded: true, rowsLoaded: 2, rowsRejected: 4, passThrough: false, lines: 6, partitionsCreated: 1 });
    expect((await pool.query(`SELECT count(*)::int AS n FROM ${table}_p2024_01`)).rows[0].n).toBe(2);
    const { rows } = await pool.query(`SELECT array_agg(id ORDER BY id)::text AS ids FROM ${table}`);
    expect(rows[0].ids).toBe('{1,5}');
    const rejects = await pool.query(
      'SELECT byte_offset::int, chunk_line::int, reason, raw FROM copyfleet.rejects WHERE run_id = $1 ORDER BY byte_offset',
      [runId],
    );
    const offsets = csv.split('\n').reduce<number[]>((acc, line, i) => [...acc, i === 0 ? 0 : acc[i - 1]! + csv.split('\n')[i - 1]!.length + 1], []);
    expect(rejects.rows.map((r) => [r.byte_offset, r.chunk_line])).toEqual([
      [offsets[1], 2],
      [offsets[2], 3],
      [offsets[3], 4],
      [offsets[5], 6],
    ]);
    expect(rejects.rows[0].reason).toMatch(/column day: not a valid date/);
    expect(rejects.rows[1].reason).toMatch(/expected 3 fields, found 2/);
    expect(rejects.rows[2].reason).toMatch(/refused by PostgreSQL: .*out of range/);
    expect(rejects.rows[3].reason).toMatch(/column id: not an integer/);
    expect(rejects.rows[0].raw).toBe('2,2023-13-45,2');
  });
});

describe('loadPack', () => {
  /** One run over several files of one table (CSV, or JSON Lines read by key: asJsonl), a chunk each. */
  async function setupPack(files: string[], format: 'csv' | 'jsonl' = 'csv'): Promise<{ chunks: PackedChunk[]; runId: string; table: string; spec: LoadSpec }> {
    const table = uniqueName('t');
    const spec = fieldTable(table, [['id', 'bigint'], ['day', 'date'], ['amount', 'double precision']], { column: 'day', interval: 'month' });
    for (const stmt of createTableSql(spec)) await pool.query(stmt);
    const load: LoadSpec = { format: 'csv', dialect: CSV_DIALECT, table: spec, firstDataLine: 1, maxRecordBytes: 1 << 20 };
    const runId = await insertRun(pool, { source: dir, version: '1', table: `public.${table}`, spec: load, bytesTotal: 0, traceParent: null });
    const read = format === 'jsonl' ? asJsonl(load) : load;
    const chunks: PackedChunk[] = [];
    for (const [i, text] of files.entries()) {
      const path = join(dir, `${table}-${i}.${format}`);
      writeFileSync(path, text);
      const source = new LocalFileSource(path);
      const { size, version } = await source.stat();
      await insertChunks(pool, runId, [{ chunkNo: i, start: 0, end: size, fileNo: i }]);
      chunks.push({ run: { spec: read, source, sourceVersion: version }, task: { runId, chunkNo: i, start: 0, end: size } });
    }
    return { chunks, runId, table, spec: load };
  }
  /** The same table, its columns read by key from JSON Lines. */
  const asJsonl = (spec: LoadSpec): LoadSpec => ({
    ...spec,
    format: 'jsonl',
    table: { ...spec.table, columns: spec.table.columns.map((c) => ({ ...c, source: { kind: 'path' as const, path: [c.name] } })) },
  });
  const ledger = async (runId: string) =>
    (await pool.query('SELECT chunk_no, rows_loaded::int AS n, attempts, loaded_at IS NOT NULL AS done FROM copyfleet.chunks WHERE run_id = $1 ORDER BY chunk_no', [runId])).rows;

  it('loads the chunks of several files in one transaction, once', async () => {
    const { chunks, runId, table } = await setupPack(['1,2024-01-05,1.5\n2,2024-02-01,2\n', '3,2024-03-01,3\n', '4,2024-03-02,4\n5,2024-03-03,5\n']);
    const results = await loadPack(deps(), chunks);
    expect(results.map((r) => [r.loaded, r.rowsLoaded, r.passThrough])).toEqual([[true, 2, true], [true, 1, true], [true, 2, true]]);
    expect((await pool.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n).toBe(5);
    expect(await ledger(runId)).toEqual([0, 1, 2].map((c) => ({ chunk_no: c, n: [2, 1, 2][c], attempts: 1, done: true })));
    // Again, or with a chunk loaded meanwhile by another attempt: nothing twice.
    expect((await loadPack(deps(), chunks)).every((r) => !r.loaded)).toBe(true);
    expect((await pool.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n).toBe(5);
  });

  it('loads the members not yet loaded, and parses JSON members before the transaction (partitions made)', async () => {
    const { chunks, runId, table, spec } = await setupPack(['1,2024-01-05,1\n', '2,2024-05-06,2\n']);
    await loadChunk(deps(), chunks[0]!.run, chunks[0]!.task);
    const jsonPath = join(dir, `${table}-j.jsonl`);
    writeFileSync(jsonPath, '{"id":3,"day":"2024-06-01","amount":3}\n{"id":"x","day":"2024-06-02","amount":4}\n');
    const source = new LocalFileSource(jsonPath);
    const { size, version } = await source.stat();
    await insertChunks(pool, runId, [{ chunkNo: 2, start: 0, end: size, fileNo: 2 }]);
    const json: PackedChunk = { run: { spec: asJsonl(spec), source, sourceVersion: version }, task: { runId, chunkNo: 2, start: 0, end: size } };
    const results = await loadPack(deps(), [...chunks, json]);
    expect(results.map((r) => [r.loaded, r.rowsLoaded, r.rowsRejected])).toEqual([[false, 0, 0], [true, 1, 0], [true, 1, 1]]);
    expect(results[2]).toMatchObject({ passThrough: false, partitionsCreated: 1 });
    expect((await pool.query(`SELECT count(*)::int AS n FROM ${table}_p2024_06`)).rows[0].n).toBe(1);
    expect((await pool.query('SELECT chunk_no, reason FROM copyfleet.rejects WHERE run_id = $1', [runId])).rows).toEqual([
      { chunk_no: 2, reason: expect.stringMatching(/column id: not an integer/) },
    ]);
  });

  it("parsed members go in one COPY; a row PostgreSQL refuses there is its own chunk's reject, at its offset", async () => {
    const texts = ['{"id":1,"day":"2024-01-05","amount":1}\n{"id":2,"day":"2024-01-06","amount":2}\n', '{"id":3,"day":"2024-01-07","amount":3}\n{"id":4,"day":"2024-01-08","amount":1e400}\n'];
    const { runId, table, chunks: members } = await setupPack(texts, 'jsonl');
    const results = await loadPack(deps(), members);
    expect(results.map((r) => [r.rowsLoaded, r.rowsRejected])).toEqual([[2, 0], [1, 1]]);
    expect((await pool.query(`SELECT array_agg(id ORDER BY id)::text AS ids FROM ${table}`)).rows[0].ids).toBe('{1,2,3}');
    const rejects = await pool.query('SELECT chunk_no, byte_offset::int AS at, reason FROM copyfleet.rejects WHERE run_id = $1', [runId]);
    expect(rejects.rows).toEqual([{ chunk_no: 1, at: texts[1]!.indexOf('\n') + 1, reason: expect.stringMatching(/refused by PostgreSQL: .*out of range/) }]);
  });

  it('binary: a pack\'s parsed members go in one binary COPY; refused there, they are read again as text and the bad row is its own chunk\'s reject', async () => {
    const texts = ['{"id":1,"day":"2024-01-05","amount":1.5}\n{"id":2,"day":"2024-01-06","amount":2}\n', '{"id":3,"day":"2024-01-07","amount":3}\n{"id":4,"day":"2024-01-08","amount":4}\n'];
    const { runId, table, chunks: members } = await setupPack(texts, 'jsonl');
    const binary = { ...deps(), copyFormat: 'binary' as const };
    await pool.query(`ALTER TABLE ${table} ADD CONSTRAINT ${table}_no4 CHECK (id <> 4)`);
    const results = await loadPack(binary, members);
    expect(results.map((r) => [r.rowsLoaded, r.rowsRejected, r.binary])).toEqual([[2, 0, false], [1, 1, false]]);
    expect((await pool.query(`SELECT array_agg(id ORDER BY id)::text AS ids, sum(amount)::text AS s FROM ${table}`)).rows[0]).toEqual({ ids: '{1,2,3}', s: '6.5' });
    const rejects = await pool.query('SELECT chunk_no, byte_offset::int AS at, chunk_line::int AS line, reason FROM copyfleet.rejects WHERE run_id = $1', [runId]);
    expect(rejects.rows).toEqual([{ chunk_no: 1, at: texts[1]!.indexOf('\n') + 1, line: 2, reason: expect.stringMatching(/refused by PostgreSQL: .*violates check constraint/) }]);
    // Without the constraint, the same pack goes in binary.
    const again = await setupPack([]);
    const ok = members.map((m, i) => ({ ...m, task: { ...m.task, runId: again.runId } }));
    await insertChunks(pool, again.runId, ok.map((m, i) => ({ chunkNo: i, start: 0, end: m.task.end, fileNo: i })));
    const okRuns = ok.map((m) => ({ ...m, run: { ...m.run, spec: asJsonl(again.spec) } }));
    expect((await loadPack(binary, okRuns)).map((r) => [r.rowsLoaded, r.binary])).toEqual([[2, true], [2, true]]);
    expect((await pool.query(`SELECT sum(amount)::text AS s FROM ${again.table}`)).rows[0].s).toBe('10.5');
  });

  it('a member PostgreSQL refuses unparsed makes the whole pack an UnpackError: nothing is loaded (one transaction)', async () => {
    const { chunks, runId, table } = await setupPack(['1,2024-01-05,1\n', '2,2024-01-06,1e400\n', '3,2024-01-07,3\n']);
    await expect(loadPack(deps(), chunks)).rejects.toBeInstanceOf(UnpackError);
    expect((await pool.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n).toBe(0);
    expect((await ledger(runId)).map((c) => c.done)).toEqual([false, false, false]);
    // Alone, the same chunk is parsed and its bad row rejected.
    expect(await loadChunk(deps(), chunks[1]!.run, chunks[1]!.task)).toMatchObject({ loaded: true, rowsLoaded: 0, rowsRejected: 1 });
  });
});

describe('COPY_FORMAT=binary', () => {
  const COLUMNS: [string, ColumnType][] = [
    ['id', 'bigint'], ['amount', 'numeric'], ['ratio', 'double precision'], ['ok', 'boolean'], ['day', 'date'],
    ['at', 'timestamp'], ['atz', 'timestamptz'], ['note', 'text'], ['doc', 'jsonb'],
  ];

  /** The same file loaded into two tables, once with each format; what each loaded and rejected. */
  async function loadBoth(content: string, format: 'jsonl' | 'csv', opts: { key?: boolean; sql?: (table: string) => string } = {}) {
    const path = join(dir, `${uniqueName('f')}.${format}`);
    writeFileSync(path, content);
    const out = [];
    for (const copyFormat of ['text', 'binary'] as const) {
      const table = uniqueName('t');
      const base = fieldTable(table, COLUMNS, { column: 'day', interval: 'month' });
      const spec = {
        ...base,
        key: opts.key ? ['id'] : null,
        columns: format === 'jsonl' ? base.columns.map((c) => ({ ...c, source: { kind: 'path' as const, path: [c.name] } })) : base.columns,
      };
      for (const stmt of createTableSql(spec)) await pool.query(stmt);
      if (opts.sql) await pool.query(opts.sql(table));
      const load: LoadSpec = { format, dialect: CSV_DIALECT, table: spec, firstDataLine: 1, maxRecordBytes: 1 << 20 };
      const source = new LocalFileSource(path);
      const { size, version } = await source.stat();
      const runId = await insertRun(pool, { source: path, version, table: `public.${table}`, spec: load, bytesTotal: size, traceParent: null });
      await insertChunks(pool, runId, [{ chunkNo: 0, start: 0, end: size }]);
      const result = await loadChunk({ ...deps(), copyFormat }, { spec: load, source, sourceVersion: version }, { runId, chunkNo: 0, start: 0, end: size });
      const cols = [...COLUMNS.map(([c]) => `${c}::text`), ...(opts.key ? ['_cf_offset::text'] : [])].join(', ');
      const rows = (await pool.query({ text: `SELECT ${cols} FROM ${table} ORDER BY id, 2`, rowMode: 'array' })).rows;
      const rejects = (await pool.query('SELECT byte_offset::int, chunk_line::int, reason, raw FROM copyfleet.rejects WHERE run_id = $1 ORDER BY byte_offset', [runId])).rows;
      out.push({ result, rows, rejects });
    }
    return { text: out[0]!, binary: out[1]! };
  }

  const record = (id: unknown, over: Record<string, unknown> = {}) =>
    JSON.stringify({
      id, amount: '-12345678901234567890.000100', ratio: -0.0, ok: true, day: '1899-12-31', at: '2024-02-29T23:59:59.9999995',
      atz: '2024-03-01 00:30:00.25+05:30', note: 'tab\there, "quoted", back\\slash, é 😀\nnext', doc: { a: [1, 2.50, null], u: '\u00e9\ud83d\ude00', n: 123456789012345678901234567890 },
      ...over,
    });

  it('loads JSON Lines (fast and general paths, NULLs, lineage) exactly as text does, and rejects the same records', async () => {
    const lines = [
      record(1),
      record(2, { amount: 7, ratio: '1e-310', ok: 'no', at: '0001-01-01 00:00', atz: '9999-12-31T23:59:59-15:00', doc: '{"s": "\\u00e9"}' }),
      record(3, { amount: null, ratio: null, ok: null, day: null, at: null, atz: null, note: null, doc: null }),
      record(4, { amount: 'NaN', ratio: 'Infinity', note: '', day: '', atz: '2024-01-01' }),
      record('x'), // not an integer: rejected in Node, both ways
      record(5, { day: '2023-02-29' }), // not a date
      '{"id": 6, broken', // invalid JSON
      record(7, { amount: '1e5', ratio: '123456789012345678', at: '2024-12-31 24:00:00', atz: '2024-06-30T23:59:60Z' }),
      `{"id":8,"day":"2024-01-01","note":"line1\\nline2\\ttab\\\\","doc":{"k":"\\u0041"},"amount":-0.000}`,
    ];
    const { text, binary } = await loadBoth(`${lines.join('\n')}\n`, 'jsonl', { key: true });
    expect(binary.result).toMatchObject({ binary: true, rowsLoaded: 6, rowsRejected: 3 });
    expect(text.result).toMatchObject({ binary: false, rowsLoaded: 6, rowsRejected: 3 });
    expect(binary.rows).toEqual(text.rows);
    expect(binary.rejects).toEqual(text.rejects);
  });

  it('loads CSV on the parse path exactly as text does', async () => {
    const csv = [
      '1,0.10,1.5,t,2024-01-05,2024-01-05 10:00:00.123456,2024-01-05T10:00:00Z,plain,"{""a"": 1.0}"',
      'x,1,1,t,2024-01-05,2024-01-05 10:00,2024-01-05T10:00:00Z,not an id,{}', // PostgreSQL refuses it unparsed: the chunk is parsed
      '2,-1e-7,-0,f,0001-01-01,2000-01-01 00:00:00,2000-01-01 00:00:00-01,"multi\nline, ""quoted""",[]',
      '3,,,,,,,,',
    ].join('\n');
    const { text, binary } = await loadBoth(`${csv}\n`, 'csv');
    expect(binary.result).toMatchObject({ passThrough: false, binary: true, rowsLoaded: 3, rowsRejected: 1 });
    expect(binary.rows).toEqual(text.rows);
    expect(binary.rejects).toEqual(text.rejects);
  });

  it('a value the binary encoder leaves to PostgreSQL sends the chunk to text, with the same rejects', async () => {
    // 1e400 is a number to JS and out of range for PostgreSQL's double: text COPY refuses it.
    const { text, binary } = await loadBoth(`${[record(1), record(2, { ratio: 1e400 }), record(3)].join('\n').replace('"ratio":null', '"ratio":1e400')}\n`, 'jsonl');
    expect(binary.result).toMatchObject({ binary: false, rowsLoaded: 2, rowsRejected: 1 });
    expect(binary.rejects).toEqual(text.rejects);
    expect(binary.rejects[0].reason).toMatch(/refused by PostgreSQL: .*out of range for type double precision/);
    expect(binary.rows).toEqual(text.rows);
  });

  it('a batch PostgreSQL refuses in binary is loaded again as text: the same rows, rejects and reasons', async () => {
    const check = (t: string) => `ALTER TABLE ${t} ADD CONSTRAINT ${t}_no3 CHECK (id <> 3)`;
    const { text, binary } = await loadBoth(`${[1, 2, 3, 4].map((i) => record(i)).join('\n')}\n`, 'jsonl', { sql: check });
    expect(binary.result).toMatchObject({ binary: false, rowsLoaded: 3, rowsRejected: 1 });
    expect(binary.rejects).toHaveLength(1);
    expect(binary.rejects[0]).toMatchObject({ chunk_line: 3, reason: expect.stringMatching(/refused by PostgreSQL: .*violates check constraint/) });
    expect(binary.rejects.map((r) => ({ ...r, reason: r.reason.replace(/"t_\w+"/g, 'T') }))).toEqual(text.rejects.map((r) => ({ ...r, reason: r.reason.replace(/"t_\w+"/g, 'T') })));
    expect(binary.rows).toEqual(text.rows);
  });
});
