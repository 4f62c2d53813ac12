// Malformed inputs, each loaded by the real `copyfleet` CLI against the real PostgreSQL and
// Redis: the load ends (every CLI call has a deadline), no worker process dies, the run's
// status and message say what happened, and rows loaded + rows rejected = records in the
// input, checked in copyfleet.runs, copyfleet.rejects and the table itself.
//
// The corpus is test/fixtures/bad/ (small files, README.md there lists each input and its
// outcome); the large and the environment-dependent inputs — 100 MB single lines, JSON
// nested 100,000 deep, a missing file, a directory, an unreadable file, a file that grows
// while it loads — are made at test time in a temp dir.
//
// Most cases share one fleet of the CLI's own processes (`copyfleet worker` ×2,
// `compactor`, `reporter`, what `copyfleet load` starts) and each runs
// `copyfleet split FILE --wait`: the splitter plus a watch of the run until it is done or
// failed, as on a cluster. That is the same code path as `load` without starting five
// Node processes per case, and it lets the test watch the workers directly: any exit of a
// fleet process fails the suite. File errors, the file that changes mid-load and the
// export/fix/reload round trip run `copyfleet load` itself (exit code, stderr, no
// "exited (" restart lines).
import { appendFileSync, chmodSync, closeSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { CLI, REPO_ROOT, startCli, testServices, uniqueName, type CliResult } from '@copyfleet/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2e, one, runIdOf } from './helpers.js';

const FIXTURES = join(REPO_ROOT, 'test/fixtures/bad');
const fx = (name: string): string => join(FIXTURES, name);

const t = e2e({ CHUNK: '64KiB' });
const MiB = 1024 * 1024;

// ---------------------------------------------------------------- the CLI, with deadlines

/** Run the CLI; a call still running after `ms` is stopped and fails the test: nothing may hang. */
async function cli(args: string[], ms: number, env: NodeJS.ProcessEnv = t.env, cwd?: string): Promise<CliResult> {
  const run = startCli(args, env, cwd);
  let hung = false;
  const term = setTimeout(() => {
    hung = true;
    run.child.kill('SIGTERM'); // `load` stops its workers on SIGTERM
  }, ms);
  const kill = setTimeout(() => run.child.kill('SIGKILL'), ms + 20_000);
  const res = await run.done;
  clearTimeout(term);
  clearTimeout(kill);
  if (hung) throw new Error(`copyfleet ${args.join(' ')} did not finish within ${ms / 1000} s:\n${res.stdout}\n${res.stderr}`);
  return res;
}

/**
 * `copyfleet load` as a user runs it: 2 workers, 64 KiB chunks, and a queue of its own
 * (the shared fleet below must not take its chunks).
 */
function load(file: string, table: string, extra: string[] = [], env: NodeJS.ProcessEnv = t.env): Promise<CliResult> {
  return cli(['load', file, '--table', table, '--workers', '2', '--chunk', '64KiB', ...extra], 90_000, { ...env, QUEUE_PREFIX: uniqueName('cfload') });
}

const STACK = /\n\s+at .+[:(]/;

// ---------------------------------------------------------------- one fleet for the corpus

interface Member {
  name: string;
  pid: number;
  stderr: string;
  exit: string | null;
  stop(): Promise<void>;
}

const fleet: Member[] = [];

function startMember(name: string, role: string): Member {
  const run = startCli([role], t.env);
  const m: Member = {
    name,
    pid: run.child.pid!,
    stderr: '',
    exit: null,
    async stop() {
      run.child.kill('SIGTERM');
      await run.done;
    },
  };
  run.child.stderr!.on('data', (d: Buffer) => (m.stderr += d.toString()));
  run.child.on('exit', (code, signal) => (m.exit = `exited (${signal ?? `code ${code}`})`));
  return m;
}

beforeAll(() => {
  fleet.push(startMember('worker-1', 'worker'), startMember('worker-2', 'worker'), startMember('compactor', 'compactor'), startMember('reporter', 'reporter'));
});

afterAll(async () => {
  const exits = fleet.filter((m) => m.exit !== null).map((m) => `${m.name} ${m.exit}`);
  await Promise.all(fleet.map((m) => (m.exit === null ? m.stop() : undefined)));
  await t.close();
  expect(exits, 'fleet processes died during the suite').toEqual([]);
});

/** No fleet process died, and none logged a crash (a failed job is logged as a warning, never as an error). */
function expectFleetHealthy(): void {
  for (const m of fleet) {
    expect(m.exit, `${m.name}: ${m.stderr}`).toBeNull();
    expect(m.stderr, m.name).not.toMatch(/\berror\b|uncaught|RangeError|Maximum call stack/i);
  }
}

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
  runId: string | null;
  run: { status: string; message: string | null; rows_loaded: number; rows_rejected: number } | null;
  rejects: { line_no: number | null; reason: string; raw: string | null; raw_bytes: Buffer | null; byte_offset: number }[];
  /** Rows in the target table, null when it does not exist. */
  rows: number | null;
}

/** `copyfleet split FILE --wait` on the shared fleet, then everything the database says about the run. */
async function split(file: string, table: string, extra: string[] = []): Promise<Outcome> {
  const res = await cli(['split', file, '--table', table, '--wait', ...extra], 90_000);
  const started = /^\{"runId":"(\d+)"/m.exec(res.stdout);
  return outcomeOf(res, started?.[1] ?? null, table);
}

async function outcomeOf(res: CliResult, runId: string | null, table: string): Promise<Outcome> {
  const run = runId
    ? await one<NonNullable<Outcome['run']>>(t.pool, 'SELECT status, message, rows_loaded::int, rows_rejected::int FROM copyfleet.runs WHERE run_id = $1', [runId])
    : null;
  const { rows: rejects } = runId
    ? await t.pool.query<Outcome['rejects'][number]>(
        'SELECT line_no::int, reason, raw, raw_bytes, byte_offset::int FROM copyfleet.rejects WHERE run_id = $1 ORDER BY byte_offset',
        [runId],
      )
    : { rows: [] };
  const exists = (await one<{ t: string | null }>(t.pool, 'SELECT to_regclass($1)::text AS t', [table])).t !== null;
  const rows = exists ? (await one<{ n: number }>(t.pool, `SELECT count(*)::int AS n FROM ${table}`)).n : null;
  return { code: res.code, stdout: res.stdout, stderr: res.stderr, runId, run, rejects, rows };
}

/**
 * The run is done, `records` = rows loaded + rows rejected, the table holds exactly the
 * loaded rows, every reject is in copyfleet.rejects with its line number and the expected
 * reason, and no worker died.
 */
function expectAccounted(o: Outcome, records: number, loaded: number, rejects: [line: number, reason: RegExp][] = []): void {
  expect(o.code, `${o.stdout}\n${o.stderr}`).toBe(0);
  expect(o.run?.status, o.run?.message ?? o.stderr).toBe('done');
  expect(o.run!.rows_loaded + o.run!.rows_rejected, 'rows loaded + rejected = records').toBe(records);
  expect(o.run!.rows_loaded).toBe(loaded);
  expect(o.rows ?? 0).toBe(loaded);
  expect(o.rejects).toHaveLength(o.run!.rows_rejected);
  expect(o.rejects.map((r) => r.line_no)).toEqual(rejects.map(([line]) => line));
  o.rejects.forEach((r, i) => expect(r.reason).toMatch(rejects[i]![1]));
  if (o.run!.rows_rejected > 0) expect(o.run!.message).toMatch(new RegExp(`${loaded} rows loaded, ${o.run!.rows_rejected} rejected, see copyfleet.rejects where run_id = ${o.runId}`));
  expectFleetHealthy();
}

/** The splitter refused the input before any run started: exit 1, a message, no stack trace. */
async function expectRefused(o: Outcome, message: RegExp): Promise<void> {
  expect(o.code, o.stdout).toBe(1);
  expect(o.stderr).toMatch(message);
  expect(o.stderr).not.toMatch(STACK);
  expect(o.runId).toBeNull();
  expect(o.rows).toBeNull();
  expectFleetHealthy();
}

async function column<T = unknown>(table: string, expr: string): Promise<T[]> {
  const { rows } = await t.pool.query<{ v: T }>(`SELECT ${expr} AS v FROM ${table} ORDER BY id`);
  return rows.map((r) => r.v);
}

async function columnsOf(table: string): Promise<string[]> {
  const { rows } = await t.pool.query<{ c: string; ty: string }>(
    `SELECT column_name AS c, data_type AS ty FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position`,
    [table],
  );
  return rows.map((r) => `${r.c} ${r.ty}`);
}

const name = (prefix: string): string => uniqueName(`bad_${prefix}`);

// ---------------------------------------------------------------- generated inputs

/** A JSON object nested `depth` levels deep: {"a":{"a":…1…}}. */
const deepObject = (depth: number): string => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

/** Stream a file with one line of `bytes` bytes between two normal records, without holding it in memory. */
function writeHugeLine(path: string, head: string, bytes: number, tail: string): void {
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, head);
    const block = Buffer.alloc(MiB, 'x');
    for (let left = bytes; left > 0; left -= MiB) writeSync(fd, block, 0, Math.min(MiB, left));
    writeSync(fd, tail);
  } finally {
    closeSync(fd);
  }
}

// ================================================================ the corpus, concurrently

describe.concurrent('malformed records: rejected with a reason and a line, the rest loaded', () => {
  it('truncated last line (CSV): the cut record is a reject', async () => {
    const o = await split(fx('truncated-last-line.csv'), name('trunc_csv'));
    expectAccounted(o, 3, 2, [[4, /^expected 3 fields, found 2$/]]);
    expect(o.rejects[0]!.raw).toBe('3,c');
  });

  it('truncated last line (JSONL)', async () => {
    const o = await split(fx('truncated-last-line.jsonl'), name('trunc_jsonl'));
    expectAccounted(o, 3, 2, [[3, /^invalid JSON: Unterminated string/]]);
    expect(o.rejects[0]!.raw).toBe('{"id":3,"na');
  });

  it('invalid UTF-8 (CSV): rejects keep the exact bytes in raw_bytes', async () => {
    const o = await split(fx('invalid-utf8.csv'), name('utf8_csv'));
    expectAccounted(o, 4, 2, [[3, /^invalid UTF-8 byte sequence$/], [4, /^invalid UTF-8 byte sequence$/]]);
    expect(o.rejects.map((r) => r.raw)).toEqual([null, null]);
    expect(o.rejects[0]!.raw_bytes).toEqual(Buffer.from('2,bad \xff\xfe here', 'latin1'));
    expect(o.rejects[1]!.raw_bytes).toEqual(Buffer.from('3,overlong \xc0\xaf slash', 'latin1'));
  });

  it('invalid UTF-8 (JSONL)', async () => {
    const o = await split(fx('invalid-utf8.jsonl'), name('utf8_jsonl'));
    expectAccounted(o, 3, 2, [[2, /^invalid UTF-8 byte sequence$/]]);
    expect(o.rejects[0]!.raw_bytes?.includes(0xff)).toBe(true);
  });

  it('NUL bytes (CSV): PostgreSQL text cannot hold NUL, so the record is a reject', async () => {
    const o = await split(fx('nul-bytes.csv'), name('nul_csv'));
    expectAccounted(o, 3, 2, [[3, /^column name: text contains a NUL character/]]);
    expect(o.rejects[0]!.raw_bytes).toEqual(Buffer.from('2,nul\0inside'));
  });

  it('NUL bytes (JSONL): a raw NUL is invalid JSON, an escaped \\u0000 cannot be stored', async () => {
    const o = await split(fx('nul-bytes.jsonl'), name('nul_jsonl'));
    expectAccounted(o, 4, 2, [[2, /^invalid JSON: Bad control character/], [3, /^column name: text contains a NUL character/]]);
  });

  it('fewer columns than the header', async () => {
    const o = await split(fx('fewer-columns.csv'), name('fewer'));
    expectAccounted(o, 4, 2, [[3, /^expected 3 fields, found 2$/], [4, /^expected 3 fields, found 1$/]]);
  });

  it('more columns than the header', async () => {
    const o = await split(fx('more-columns.csv'), name('more'));
    expectAccounted(o, 4, 2, [[3, /^expected 3 fields, found 4$/], [4, /^expected 3 fields, found 5$/]]);
    expect(o.rejects.map((r) => r.raw)).toEqual(['2,b,20,extra', '3,c,30,x,y']);
  });

  it('a quote never closed costs its own record only (issue 11): the next line is the next record', async () => {
    // The open quote would swallow the line break and run to the end of the file: a stray
    // quote (libs/parse record-end.ts), so "2,\"never closed" alone is rejected.
    const table = name('unterminated');
    const o = await split(fx('unterminated-quote.csv'), table);
    expectAccounted(o, 3, 2, [[3, /^unbalanced quote: /]]);
    expect(o.rejects[0]!.raw).toBe('2,"never closed');
    expect(await column(table, 'name')).toEqual(['a', 'c']);
  });

  it('a stray quote inside an unquoted field is data (issue 11): 5" screen reads as written', async () => {
    const table = name('stray');
    const o = await split(fx('stray-quote.csv'), table);
    expectAccounted(o, 2, 2);
    expect(await column(table, 'name')).toEqual(['ab"c', 'd']);
  });

  it('mixed line endings: LF and CRLF end records, a lone CR does not', async () => {
    // "3,cr\r4,lf" is one line with three fields: a reject, not two silently merged records.
    const table = name('eol');
    const o = await split(fx('mixed-line-endings.csv'), table);
    expectAccounted(o, 4, 3, [[4, /^expected 2 fields, found 3$/]]);
    expect(await column(table, 'name')).toEqual(['lf', 'crlf', 'last']);
  });

  it('binary garbage with a .jsonl name: every line is a reject, nothing is loaded', async () => {
    const bytes = readFileSync(fx('binary-garbage.jsonl'));
    const lines = bytes
      .toString('latin1')
      .split('\n')
      .filter((l) => !/^[ \t\r]*$/.test(l)).length;
    const o = await split(fx('binary-garbage.jsonl'), name('garbage_jsonl'));
    const lineNos = o.rejects.map((r) => r.line_no!);
    expect(lineNos.every((n, i) => n > (lineNos[i - 1] ?? 0))).toBe(true);
    expectAccounted(o, lines, 0, lineNos.map((n) => [n, /^(invalid UTF-8 byte sequence|invalid JSON: .+)$/]));
  });

  it('JSON Lines nested 100,000 deep: the record is a reject, the splitter and the workers survive', async () => {
    const file = join(t.dir, 'deep.jsonl');
    writeFileSync(file, `{"id":1}\n${deepObject(100_000)}\n{"id":2}\n`);
    const o = await split(file, name('deep_jsonl'));
    expectAccounted(o, 3, 2, [[2, /^column a(_a){31}: value nested too deeply to store/]]);
  });

  it('a JSON document with a record nested 100,000 deep', async () => {
    const file = join(t.dir, 'deep.json');
    writeFileSync(file, `[{"id":1},\n${deepObject(100_000)},\n{"id":2}]`);
    const o = await split(file, name('deep_json'));
    expectAccounted(o, 3, 2, [[2, /^column a(_a){31}: value nested too deeply to store/]]);
  });

  it('numbers and times out of range for types a dataset spec fixes: rejects, in Node or by PostgreSQL', async () => {
    const table = name('range_csv');
    const o = await split(fx('out-of-range.csv'), table, ['--dataset', fx('out-of-range.yaml')]);
    expectAccounted(o, 11, 3, [
      [3, /^column n: not an integer in the bigint range \(got "9223372036854775808"\)$/],
      [4, /^column n: not an integer in the bigint range \(got "-9223372036854775809"\)$/],
      [5, /^refused by PostgreSQL: "1e400" is out of range for type double precision$/],
      [6, /^refused by PostgreSQL: "1e-400" is out of range for type double precision$/],
      [8, /^column d: not a valid date/],
      [9, /^column ts: not a valid timestamp with time zone \(got "2024-01-01 25:00:00Z"\)$/],
      [10, /^column ts: not a valid timestamp with time zone \(got "2024-01-01 00:00:00\+25:00"\)$/],
      [11, /^column n: not an integer in the bigint range \(got "1.5"\)$/],
    ]);
    expect(await column(table, "n::text || ' ' || x::text")).toEqual(['9223372036854775807 1.5', '1 1e+308', '-9223372036854775808 -1e-300']);
  });

  it('numbers out of range in JSON Lines with a dataset spec', async () => {
    const table = name('range_jsonl');
    const o = await split(fx('out-of-range.jsonl'), table, ['--dataset', fx('out-of-range-jsonl.yaml')]);
    expectAccounted(o, 6, 2, [
      [2, /^column n: not an integer in the bigint range/],
      [3, /^refused by PostgreSQL: "1e400" is out of range for type double precision$/],
      [4, /^column n: not an integer in the bigint range/],
      [6, /^column n: not an integer in the bigint range \(got 1.5\)$/],
    ]);
    expect(await column(table, "n::text || ' ' || x::text")).toEqual(['9223372036854775807 1.5', '12 2.5']);
  });

  it('numbers out of range for a type an earlier load fixed', async () => {
    const table = name('range_reload');
    expectAccounted(await split(fx('ints.csv'), table), 2, 2);
    expect(await columnsOf(table)).toEqual(['id bigint', 'n bigint']);
    const o = await split(fx('ints-overflow.csv'), table);
    expect(o.code, o.stderr).toBe(0);
    expect(o.run).toMatchObject({ status: 'done', rows_loaded: 1, rows_rejected: 2 });
    expect(o.rejects.map((r) => [r.line_no, r.reason])).toEqual([
      [2, 'column n: not an integer in the bigint range (got "9223372036854775808")'],
      [4, 'column n: not an integer in the bigint range (got "1e3")'],
    ]);
    expect(o.rows).toBe(3); // 2 from the first load, 1 from this one
    expectFleetHealthy();
  });

  it('invalid dates (2023-13-45, 2023-02-29) in a date column: rejects; 2024-02-29 loads', async () => {
    const table = name('dates');
    const o = await split(fx('invalid-dates.csv'), table, ['--dataset', fx('dates.yaml')]);
    expectAccounted(o, 4, 2, [
      [3, /^column day: not a valid date \(YYYY-MM-DD\) \(got "2023-13-45"\)$/],
      [4, /^column day: not a valid date \(YYYY-MM-DD\) \(got "2023-02-29"\)$/],
    ]);
    expect(await column(table, 'day::text')).toEqual(['2024-02-29', '2023-02-28']);
  });

  it('invalid dates without a spec: inference sees they are not dates and keeps the column text', async () => {
    const table = name('dates_text');
    expectAccounted(await split(fx('invalid-dates.csv'), table), 4, 4);
    expect(await columnsOf(table)).toEqual(['id bigint', 'day text']);
  });

  it('JSON Lines that are not JSON: rejects with the parser message', async () => {
    const o = await split(fx('jsonl-invalid.jsonl'), name('jsonl_invalid'));
    expectAccounted(o, 5, 2, [[2, /^invalid JSON: /], [3, /^invalid JSON: /], [5, /^invalid JSON: Unexpected non-whitespace/]]);
  });

  it('Latin-1 without a spec: every line with a non-ASCII byte is an invalid UTF-8 reject', async () => {
    const o = await split(fx('latin1.csv'), name('latin1_undeclared'));
    expectAccounted(o, 2, 0, [[2, /^invalid UTF-8 byte sequence$/], [3, /^invalid UTF-8 byte sequence$/]]);
  });
});

describe.concurrent('odd but valid inputs: loaded exactly', () => {
  it('a UTF-8 BOM (CSV) is not part of the first column name', async () => {
    const table = name('bom_csv');
    expectAccounted(await split(fx('bom.csv'), table), 2, 2);
    expect(await columnsOf(table)).toEqual(['id bigint', 'name text']);
  });

  it('a UTF-8 BOM (JSONL)', async () => {
    const table = name('bom_jsonl');
    expectAccounted(await split(fx('bom.jsonl'), table), 2, 2);
    expect(await columnsOf(table)).toEqual(['id bigint']);
  });

  it('CRLF inside a quoted field is data', async () => {
    const table = name('crlf_quoted');
    expectAccounted(await split(fx('crlf-in-quotes.csv'), table), 2, 2);
    expect(await column(table, 'name')).toEqual(['two\r\nlines', 'b']);
  });

  it('empty lines are not records; a line of spaces is (one field)', async () => {
    const table = name('blank');
    expectAccounted(await split(fx('blank-lines.csv'), table), 3, 2, [[5, /^expected 2 fields, found 1$/]]);
  });

  it('quoted fields holding the delimiter, doubled quotes and a newline', async () => {
    const table = name('quoted');
    expectAccounted(await split(fx('quoted-delimiter.csv'), table), 3, 3);
    expect(await column(table, 'name')).toEqual(['a, b', 'say "hi", ok', 'multi\nline']);
  });

  it('duplicate and empty header names get unique column names', async () => {
    const table = name('dup_header');
    expectAccounted(await split(fx('dup-header.csv'), table), 1, 1);
    expect(await columnsOf(table)).toEqual(['id bigint', 'name text', 'name_2 text', 'col_4 text', 'col_5 text']);
    expect(await column(table, "name || name_2 || col_4 || col_5")).toEqual(['abcd']);
  });

  it('a TSV is sniffed from its tabs; commas inside are data', async () => {
    const table = name('tsv');
    expectAccounted(await split(fx('plain.tsv'), table), 2, 2);
    expect(await column(table, 'name')).toEqual(['a', 'b, with comma']);
  });

  it('a TSV declared without quoting keeps quotes and backslashes verbatim', async () => {
    const table = name('tsv_noquote');
    expectAccounted(await split(fx('no-quote.tsv'), table, ['--dataset', fx('no-quote.yaml')]), 2, 2);
    expect(await column(table, 'name')).toEqual(['say "hi', 'back\\slash']);
  });

  it('Latin-1 declared in a spec is decoded', async () => {
    const table = name('latin1');
    expectAccounted(await split(fx('latin1.csv'), table, ['--dataset', fx('latin1.yaml')]), 2, 2);
    expect(await column(table, 'name')).toEqual(['café', 'naïve ü']);
  });

  it('duplicate JSON keys: the last one wins, as in JSON.parse and PostgreSQL jsonb', async () => {
    const table = name('dup_keys');
    expectAccounted(await split(fx('duplicate-keys.jsonl'), table), 3, 3);
    expect(await column(table, 'name')).toEqual(['a', 'second', 'three é']);
  });

  it('JSON Lines records that are not objects among objects load as rows of NULLs (decision, see README)', async () => {
    // Inference saw objects, so the columns are paths; an array, a number, a string or
    // null has none of them. The record counts as loaded; its content is not kept.
    const table = name('not_objects');
    expectAccounted(await split(fx('jsonl-not-objects.jsonl'), table), 10, 10);
    expect((await one(t.pool, `SELECT count(*)::int AS n FROM ${table} WHERE id IS NULL AND name IS NULL`)).n).toBe(4);
  });

  it('a spec path that matches nothing: the column is NULL in every row, the records load', async () => {
    const table = name('no_path');
    const o = await split(fx('path-matches-nothing.jsonl'), table, ['--dataset', fx('path-matches-nothing.yaml')]);
    expectAccounted(o, 3, 3);
    expect(await column(table, 'city')).toEqual(['Oslo', null, null]); // "address": "flat 3" is not an object: NULL
    expect(await column(table, 'zip')).toEqual([null, null, null]);
    expect(o.run!.message).toBe('3 rows loaded, 0 rejected');
  });
});

describe.concurrent('inputs with nothing to load', () => {
  it('an empty file: the run is done and says so; no table is made', async () => {
    const table = name('empty');
    const o = await split(fx('empty.csv'), table);
    expect(o.code).toBe(0);
    expect(o.run).toMatchObject({ status: 'done', message: 'the file is empty: nothing to load', rows_loaded: 0, rows_rejected: 0 });
    expect(o.rows).toBeNull();
    expectFleetHealthy();
  });

  it('a header-only file: the run is done with 0 rows; the table exists with the header as text columns', async () => {
    const table = name('header_only');
    expectAccounted(await split(fx('header-only.csv'), table), 0, 0);
    expect(await columnsOf(table)).toEqual(['id text', 'name text', 'amount text']);
  });
});

describe.concurrent('inputs the splitter refuses: exit 1, a message, no run', () => {
  it('binary garbage with a .csv name', async () => {
    await expectRefused(await split(fx('binary-garbage.csv'), name('garbage')), /: line 1: the header does not parse: invalid UTF-8 byte sequence: .*; fix that line/m);
  });

  it('UTF-16 (an Excel export)', async () => {
    await expectRefused(await split(fx('utf16.csv'), name('utf16')), /: the file is UTF-16 text .*save it as UTF-8/m);
  });

  it('a JSON document that ends early: nothing is loaded', async () => {
    await expectRefused(await split(fx('json-ends-early.json'), name('json_early')), /the JSON document ends before its records do \(truncated file\?\)/);
  });

  it('a dataset spec with an unknown field names the file, line and field', async () => {
    await expectRefused(
      await split(fx('quoted-delimiter.csv'), name('spec_unknown'), ['--dataset', fx('unknown-field.yaml')]),
      /unknown-field\.yaml:3:1: .*Unrecognized key: "colums"/,
    );
  });
});

// ================================================================ `copyfleet load` itself

describe.concurrent('file errors: `copyfleet load` exits 1 with a message and no stack trace', () => {
  const expectFileError = (res: CliResult, message: RegExp): void => {
    expect(res.code, res.stdout).toBe(1);
    expect(res.stderr).toMatch(message);
    expect(res.stderr).not.toMatch(STACK);
    expect(res.stderr).not.toMatch(/exited \(/);
  };

  it('a file that does not exist', async () => {
    const missing = join(t.dir, 'no-such-file.csv');
    expectFileError(await load(missing, name('missing')), new RegExp(`${missing}: no such file or directory\\. Check the path`));
  });

  it('a directory with no files to load (a directory of files is an input: test/many-files.e2e.test.ts)', async () => {
    const empty = join(t.dir, 'only-hidden');
    mkdirSync(join(empty, '_temporary'), { recursive: true });
    writeFileSync(join(empty, '.DS_Store'), 'x');
    writeFileSync(join(empty, '_temporary', 'part-0.csv'), 'a\n1\n');
    expectFileError(await load(empty, name('dir')), new RegExp(`${empty}: the directory holds no files to load`));
  });

  it('a file without read permission (as the unprivileged user `nobody`: root reads any file)', async () => {
    const dir = join(t.dir, 'unreadable');
    mkdirSync(dir, { recursive: true });
    chmodSync(t.dir, 0o755);
    chmodSync(dir, 0o755);
    const file = join(dir, 'secret.csv');
    writeFileSync(file, 'id,name\n1,a\n', { mode: 0o600 });
    chmodSync(file, 0o000);
    const asRoot = process.getuid?.() === 0;
    if (asRoot && spawnSync('runuser', ['--help']).error) return void console.warn('runuser is missing: skipped (root reads any file)');
    // As nobody: .env (mode 600) is unreadable too, so the URLs come from the environment,
    // and the CLI runs from the temp dir (it looks for .env in the working directory).
    const { databaseUrl, redisUrl } = testServices();
    const env = { ...t.env, QUEUE_PREFIX: uniqueName('cfperm'), DATABASE_URL: databaseUrl, REDIS_URL: redisUrl, REPORTS_DIR: join(dir, 'reports') };
    const args = ['load', file, '--table', name('noperm'), '--workers', '1', '--chunk', '64KiB'];
    const res = asRoot
      ? await runAs('nobody', args, env, dir)
      : await cli(args, 90_000, env, dir);
    expectFileError(res, new RegExp(`${file}: permission denied\\. Make the file readable by the user running copyfleet\\.`));
  });
});

/** The CLI as another user, through runuser, with a deadline. */
async function runAs(user: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<CliResult> {
  const child = spawn('runuser', ['-u', user, '--', 'env', ...Object.entries(env).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`), process.execPath, CLI, ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
  clearTimeout(timer);
  return { code, signal, stdout, stderr };
}

describe('a file that changes while it loads', () => {
  it('fails the run with what to do; the chunks committed before stay, nothing of the new content goes in', async () => {
    // Decision (README, Rejected rows): a worker checks the source version (size:mtime)
    // before each chunk; a changed file makes every later chunk dead and the run fails.
    // Chunks already committed stay: each is a consistent piece of the file as planned.
    const file = join(t.dir, 'growing.csv');
    const rows = 40_000;
    writeFileSync(file, `id,name,amount\n${Array.from({ length: rows }, (_, i) => `${i + 1},name ${i + 1},${(i + 1) * 3}`).join('\n')}\n`);
    const table = name('growing');
    // Every chunk waits 1 s before its commit: the load takes long enough to change the file under it.
    const env = { ...t.env, QUEUE_PREFIX: uniqueName('cfgrow'), COPYFLEET_FAILPOINTS: 'before-commit=1000' };
    const run = startCli(['load', file, '--table', table, '--workers', '2', '--chunk', '64KiB'], env);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { n } = await one<{ n: number }>(t.pool,
        `SELECT count(c.loaded_at)::int AS n FROM copyfleet.runs r JOIN copyfleet.chunks c USING (run_id) WHERE r.target_table = $1`, [`public.${table}`]);
      if (n >= 1) break;
      if (Date.now() > deadline || run.child.exitCode !== null) throw new Error('no chunk was committed in time');
      await new Promise((r) => setTimeout(r, 50));
    }
    appendFileSync(file, `${rows + 1},late,1\n`);
    const timer = setTimeout(() => run.child.kill('SIGTERM'), 90_000);
    const res = await run.done;
    clearTimeout(timer);

    expect(res.code, res.stdout + res.stderr).toBe(1);
    const runId = runIdOf(res.stdout);
    expect(res.stdout).toMatch(new RegExp(`run ${runId} FAILED .*chunks? dead .*${file.replace(/[.]/g, '\\.')} changed since run ${runId} was planned \\(size or modification time differ\\): loaded chunks stay in the table; load the new file as a new run`));
    expect(res.stderr).not.toMatch(/exited \(/);
    const r = await one(t.pool, 'SELECT status FROM copyfleet.runs WHERE run_id = $1', [runId]);
    expect(r.status).toBe('failed');
    const ledger = await one<{ chunks: number; loaded: number; dead: number; rows: number }>(t.pool,
      `SELECT count(*)::int AS chunks, count(loaded_at)::int AS loaded, count(dead_at)::int AS dead, coalesce(sum(rows_loaded), 0)::int AS rows
         FROM copyfleet.chunks WHERE run_id = $1`, [runId]);
    expect(ledger.loaded).toBeGreaterThanOrEqual(1);
    expect(ledger.dead).toBeGreaterThanOrEqual(1);
    expect(ledger.loaded + ledger.dead).toBe(ledger.chunks);
    const table_ = await one<{ n: number; late: number; ids: number }>(t.pool,
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE name = 'late')::int AS late, count(DISTINCT id)::int AS ids FROM ${table}`);
    // Exactly the committed chunks' rows, once each, and nothing of the appended line.
    expect(table_).toEqual({ n: ledger.rows, late: 0, ids: ledger.rows });
    expect(ledger.rows).toBeLessThan(rows);
  });
});

// ================================================================ 100 MB single lines

/** The largest VmHWM (peak resident memory) or VmRSS of the fleet's workers, in MiB. */
function workerMemMiB(field: 'VmHWM' | 'VmRSS'): number {
  return Math.max(
    ...fleet
      .filter((m) => m.name.startsWith('worker'))
      .map((m) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${m.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024),
  );
}
const workerPeakMiB = (): number => workerMemMiB('VmHWM');

function resetWorkerPeaks(): void {
  for (const m of fleet.filter((w) => w.name.startsWith('worker'))) {
    try {
      writeFileSync(`/proc/${m.pid}/clear_refs`, '5'); // 5: reset the peak RSS (Linux >= 4.0)
    } catch {
      // Not permitted here: the peak then covers the whole suite, which only makes the check stricter.
    }
  }
}

describe('a 100 MB single line (MAX_RECORD_BYTES 64MiB): a reject, with bounded worker memory', () => {
  const PEAK_LIMIT_MIB = 320;

  it('JSON Lines', async () => {
    const file = join(t.dir, 'huge.jsonl');
    writeHugeLine(file, '{"id":1,"payload":"a"}\n{"id":2,"payload":"', 100 * MiB, '"}\n{"id":3,"payload":"c"}\n');
    resetWorkerPeaks();
    const before = workerMemMiB('VmRSS');
    const o = await split(file, name('huge_jsonl'));
    expectAccounted(o, 3, 2, [[2, /^record is longer than 67108864 bytes$/]]);
    expect(o.rejects[0]!.raw!.length).toBe(64 * 1024); // raw keeps the first 64 KiB
    const peak = workerPeakMiB();
    console.info(`100 MB JSON Lines line: worker RSS ${before.toFixed(0)} MiB before, peak ${peak.toFixed(0)} MiB`);
    expect(peak).toBeLessThan(PEAK_LIMIT_MIB);
  });

  it('CSV (parsed in Node: a dedupe key turns off the pass-through COPY, see the note)', async () => {
    // Note: without --key (or a spec that needs parsing) the chunk is streamed to COPY
    // unparsed and PostgreSQL takes the 100 MB field: MAX_RECORD_BYTES is not applied on
    // that path (reported as a bug; libs/loader is not ours to change here).
    const file = join(t.dir, 'huge.csv');
    writeHugeLine(file, 'id,payload\n1,a\n2,', 100 * MiB, '\n3,c\n');
    resetWorkerPeaks();
    const before = workerMemMiB('VmRSS');
    const o = await split(file, name('huge_csv'), ['--key', 'id']);
    expectAccounted(o, 3, 2, [[3, /^record is longer than 67108864 bytes$/]]);
    const peak = workerPeakMiB();
    console.info(`100 MB CSV line: worker RSS ${before.toFixed(0)} MiB before, peak ${peak.toFixed(0)} MiB`);
    expect(peak).toBeLessThan(PEAK_LIMIT_MIB);
  });
});

// ================================================================ export, fix, reload

describe('copyfleet rejects: export the rejected records, fix them, load them again', () => {
  it('CSV: header + raw lines; fixed with a text replace and reloaded, the table is complete', async () => {
    const file = join(t.dir, 'orders.csv');
    const good = Array.from({ length: 500 }, (_, i) => `${i + 1},"item, ${i + 1}",${i + 1}.25,2024-02-${String((i % 28) + 1).padStart(2, '0')}`);
    // Bad rows: a day that does not exist, an amount with a decimal comma, an id too large, one quoted newline.
    const bad = [`501,"item, 501",501.25,2023-02-29`, `502,"item, 502",502,25,2024-02-02`, `503,"multi\nline",503.25,2023-02-30`];
    writeFileSync(file, `id,item,amount,day\n${good.slice(0, 200).join('\n')}\n${bad[0]}\n${good.slice(200, 400).join('\n')}\n${bad[1]}\n${bad[2]}\n${good.slice(400).join('\n')}\n`);
    const table = name('orders');
    const first = await load(file, table, ['--dataset', fx('orders.yaml')]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).not.toMatch(/exited \(/);
    const runId = runIdOf(first.stdout);
    expect(await one(t.pool, 'SELECT rows_loaded::int AS l, rows_rejected::int AS r FROM copyfleet.runs WHERE run_id = $1', [runId])).toEqual({ l: 500, r: 3 });

    const out = join(t.dir, 'orders.rejects.csv');
    const exp = await cli(['rejects', runId, '--format', 'csv', '--out', out, '--with-reasons'], 30_000);
    expect(exp.code, exp.stderr).toBe(0);
    expect(exp.stderr).toMatch(new RegExp(`3 rejected record\\(s\\) of run ${runId} as csv in ${out}: read from the source file`));
    const exported = readFileSync(out, 'utf8');
    expect(exported).toBe(`id,item,amount,day\n${bad.join('\n')}\n`);
    const reasons = readFileSync(`${out}.reasons.csv`, 'utf8').trim().split('\n');
    expect(reasons[0]).toBe('record,line_no,byte_offset,reason');
    expect(reasons.slice(1).map((l) => l.split(',').slice(0, 2).join(','))).toEqual(['1,202', '2,403', '3,404']);

    // Without the source (moved away), the same records come from copyfleet.rejects.raw.
    renameSync(file, `${file}.moved`);
    const again = await cli(['rejects', runId, '--out', `${out}.again`], 30_000);
    expect(again.stderr).toMatch(/0 read from the source file, 3 from copyfleet\.rejects \(.*no such file/);
    expect(readFileSync(`${out}.again`, 'utf8')).toBe(exported);

    // The fix: a text replace per problem, as one would in an editor.
    const fixed = join(t.dir, 'orders.fixed.csv');
    writeFileSync(fixed, exported.replace('2023-02-29', '2024-02-29').replace('502,25', '502.25').replace('2023-02-30', '2024-02-20'));
    const second = await load(fixed, table, ['--dataset', fx('orders.yaml')]);
    expect(second.code, second.stderr).toBe(0);
    expect(await one(t.pool, 'SELECT rows_loaded::int AS l, rows_rejected::int AS r FROM copyfleet.runs WHERE run_id = $1', [runIdOf(second.stdout)])).toEqual({ l: 3, r: 0 });
    const all = await one(t.pool, `SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids, min(id)::int AS lo, max(id)::int AS hi FROM ${table}`);
    expect(all).toEqual({ n: 503, ids: 503, lo: 1, hi: 503 });
    expect(await column(table, 'item')).toContain('multi\nline');
  });

  it('JSON Lines: one record per line as in the file, rows PostgreSQL refused included; to stdout', async () => {
    const o = await split(fx('out-of-range.jsonl'), name('range_export'), ['--dataset', fx('out-of-range-jsonl.yaml')]);
    expect(o.run).toMatchObject({ status: 'done', rows_rejected: 4 });
    const res = await cli(['rejects', o.runId!], 30_000);
    expect(res.code, res.stderr).toBe(0);
    const lines = readFileSync(fx('out-of-range.jsonl'), 'utf8').split('\n');
    expect(res.stdout).toBe(`${[lines[1], lines[2], lines[3], lines[5]].join('\n')}\n`);

    const wrong = await cli(['rejects', o.runId!, '--format', 'csv'], 30_000);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(new RegExp(`^copyfleet: run ${o.runId} loaded JSON: its rejects export as --format jsonl$`, 'm'));
    expect(wrong.stderr).not.toMatch(STACK);
    const missing = await cli(['rejects', '999999999'], 30_000);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^copyfleet: run 999999999 does not exist$/m);
  });
});
