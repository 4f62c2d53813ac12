// End to end, as a user runs it: `copyfleet load FILE` with real worker processes (or, for
// an input of one job, the worker in the command's own process),
// real PostgreSQL and Redis. Every record lands exactly once (counts and column sums
// checked in SQL against the generator's totals), partitions are monthly, the run
// record says done, and the reports exist in all three formats.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, startCli, uniqueName, writeChatJsonl, writeTripsCsv } from '@copyfleet/testing';
import { childPids, waitFor } from './chaos/harness.js';
import { afterAll, describe, expect, it } from 'vitest';
import { e2e, one, runIdOf } from './helpers.js';

const t = e2e();
afterAll(() => t.close());

async function load(file: string, table: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}) {
  const res = await runCli(['load', file, '--table', table, '--workers', '2', '--chunk', '256KiB', ...extra], { ...t.env, ...env });
  if (res.code !== 0) throw new Error(`load failed (${res.code}):\n${res.stdout}\n${res.stderr}`);
  return { ...res, runId: runIdOf(res.stdout) };
}

describe('copyfleet load', () => {
  it('loads a CSV with quoted newlines and CRLF exactly once into monthly partitions', async () => {
    const file = join(t.dir, 'trips.csv');
    const totals = await writeTripsCsv(file, { rows: 20_000, crlf: true, quotedNewlineEvery: 7, seed: 11 });
    const table = uniqueName('trips');
    const { runId, stdout } = await load(file, table);
    expect(stdout).toMatch(/20000 rows loaded, 0 rejected/);

    const sums = await one(t.pool, `SELECT count(*)::int AS n, sum(passengers)::int AS p, (sum(fare) * 1000)::bigint::text AS f,
                                           count(*) FILTER (WHERE note LIKE E'%\\r\\n%')::int AS nl FROM ${table}`);
    expect(sums).toEqual({ n: totals.rows, p: totals.intSum, f: String(totals.decimalSumMilli), nl: Math.ceil(20_000 / 7) });

    const run = await one(t.pool, 'SELECT status, rows_loaded::int, rows_rejected::int, chunks_total FROM copyfleet.runs WHERE run_id = $1', [runId]);
    expect(run).toMatchObject({ status: 'done', rows_loaded: 20_000, rows_rejected: 0 });
    expect(run.chunks_total).toBeGreaterThan(5);
    const ledger = await one(t.pool, 'SELECT count(*)::int AS n, count(loaded_at)::int AS done, sum(rows_loaded)::int AS rows FROM copyfleet.chunks WHERE run_id = $1', [runId]);
    expect(ledger).toEqual({ n: run.chunks_total, done: run.chunks_total, rows: 20_000 });

    const parts = await t.pool.query(
      `SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) AS bound FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = $1::regclass ORDER BY 1`,
      [table],
    );
    expect(parts.rows.map((r) => r.relname)).toEqual([
      `${table}_default`,
      ...Array.from({ length: 12 }, (_, m) => `${table}_p2023_${String(m + 1).padStart(2, '0')}`),
    ]);
    expect(parts.rows[1].bound).toBe("FOR VALUES FROM ('2023-01-01 00:00:00') TO ('2023-02-01 00:00:00')");
    const inDefault = await one(t.pool, `SELECT count(*)::int AS n FROM ${table}_default`);
    expect(inDefault.n).toBe(0);
    // The run is done only after ANALYZE: every partition has statistics.
    const analyzed = await one(t.pool, `SELECT count(*)::int AS n FROM pg_stat_user_tables WHERE relname LIKE $1 AND last_analyze IS NOT NULL`, [`${table}_p%`]);
    expect(analyzed.n).toBe(12);

    const reportDir = join(t.env.REPORTS_DIR!, runId);
    for (const report of ['rows_per_partition', 'rows_per_day', 'numeric_columns']) {
      for (const ext of ['csv', 'json', 'arrow']) expect(existsSync(join(reportDir, `${report}.${ext}`))).toBe(true);
    }
    const read = (name: string) => JSON.parse(readFileSync(join(reportDir, `${name}.json`), 'utf8')) as Record<string, unknown>[];
    const perPartition = read('rows_per_partition');
    expect(perPartition.map((r) => r.partition)).toEqual(parts.rows.map((r) => r.relname).filter((n) => !n.endsWith('_default')));
    expect(perPartition.reduce((n, r) => n + Number(r.rows), 0)).toBe(totals.rows);
    expect(read('rows_per_day').reduce((n, r) => n + Number(r.rows), 0)).toBe(totals.rows);
    const passengers = read('numeric_columns').find((r) => r.column_name === 'passengers')!;
    expect(passengers).toMatchObject({ min: 1, max: 6, non_null: totals.rows });
    expect(Number(passengers.avg)).toBeCloseTo(totals.intSum / totals.rows, 10);
  });

  it('loads nested JSONL: objects flattened to columns, arrays to jsonb', async () => {
    const file = join(t.dir, 'chat.jsonl');
    const totals = await writeChatJsonl(file, { messages: 15_000, seed: 5 });
    const table = uniqueName('chat');
    await load(file, table);
    const cols = await t.pool.query(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position`,
      [table],
    );
    expect(Object.fromEntries(cols.rows.map((r) => [r.column_name, r.data_type]))).toEqual({
      conversation_id: 'text',
      turn: 'bigint',
      agent: 'text',
      message: 'text',
      sent_at: 'timestamp with time zone',
      sentiment_label: 'text',
      sentiment_score: 'numeric',
      knowledge: 'jsonb',
    });
    const sums = await one(t.pool, `SELECT count(*)::int AS n, sum(turn)::int AS turns, (sum(sentiment_score) * 1000)::int AS score,
                                           count(*) FILTER (WHERE message = E'new\\nline')::int AS nl,
                                           count(*) FILTER (WHERE jsonb_array_length(knowledge) = 2)::int AS k2 FROM ${table}`);
    expect(sums).toMatchObject({ n: totals.rows, turns: totals.intSum, score: totals.decimalSumMilli, k2: 7500 });
    expect(sums.nl).toBeGreaterThan(0);
  });

  it('quotes hostile header names: a column, nothing more', async () => {
    const canary = uniqueName('canary');
    await t.pool.query(`CREATE TABLE ${canary} (x int)`);
    const file = join(t.dir, 'hostile.csv');
    writeFileSync(file, `id,"a""; DROP TABLE ${canary}; --",Robert'); DROP TABLE ${canary};--\n1,x,y\n2,z,w\n`);
    const table = uniqueName('hostile');
    await load(file, table);
    const cols = await t.pool.query(`SELECT column_name FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position`, [table]);
    expect(cols.rows.map((r) => r.column_name)).toEqual(['id', `a_drop_table_${canary}`, `robert_drop_table_${canary}`]);
    expect((await one(t.pool, `SELECT count(*)::int AS n FROM ${table}`)).n).toBe(2);
    expect((await one(t.pool, 'SELECT to_regclass($1) IS NOT NULL AS exists', [canary])).exists).toBe(true);
  });

  it('accounts for every bad row: loaded + rejected = records, with file line numbers', async () => {
    // A daily file into an existing table: the first load decides the types, the second has bad values.
    const table = uniqueName('bad');
    const good = join(t.dir, 'good.csv');
    writeFileSync(good, 'id,day,amount\n1,2023-01-01,1.5\n2,2023-02-01,2\n');
    await load(good, table);
    const file = join(t.dir, 'bad.csv');
    const lines = ['id,day,amount'];
    for (let i = 1; i <= 3000; i++) {
      if (i % 500 === 0) lines.push(`${i},2023-13-45,1`); // invalid date
      else if (i % 701 === 0) lines.push(`${i},2023-01-01`); // missing field
      else if (i === 1234) lines.push(`${i},2023-01-01,12abc`); // not a number
      else lines.push(`${i},2023-0${1 + (i % 9)}-15,${i}.25`);
    }
    writeFileSync(file, `${lines.join('\n')}\n`);
    const { runId, stdout } = await load(file, table, ['--chunk', '8KiB']);
    expect(stdout).toMatch(/2989 rows loaded, 11 rejected/);
    const rejects = await t.pool.query('SELECT line_no::int, reason FROM copyfleet.rejects WHERE run_id = $1 ORDER BY line_no', [runId]);
    const expected = [500, 701, 1000, 1234, 1402, 1500, 2000, 2103, 2500, 2804, 3000].map((i) => i + 1); // +1: header line
    expect(rejects.rows.map((r) => r.line_no)).toEqual(expected);
    expect(rejects.rows[0].reason).toMatch(/column day: not a valid date/);
    const n = await one(t.pool, `SELECT count(*)::int - 2 AS n FROM ${table}`); // 2 rows from good.csv
    expect(n.n + rejects.rows.length).toBe(3000);
  });

  it('an input of one job loads in the command\'s own process: no worker process, a loading session, exact', async () => {
    const file = join(t.dir, 'one-job.csv');
    const totals = await writeTripsCsv(file, { rows: 2_000, quotedNewlineEvery: 5, seed: 17 });
    const table = uniqueName('solo');
    // The worker pauses between its COPY and its COMMIT: the moment to see who holds the chunk.
    const run = startCli(['load', file, '--table', table], { ...t.env, WORKERS: '2', COPYFLEET_FAILPOINTS: 'before-commit=1500' });
    const cli = run.child.pid!;
    const holder = await waitFor('the chunk in a transaction', async () => {
      const { rows } = await t.pool.query<{ app: string }>(
        `SELECT application_name AS app FROM pg_stat_activity WHERE application_name LIKE 'copyfleet-worker-%' AND state = 'idle in transaction'`);
      return rows[0]?.app ?? null;
    }, 30_000, 20);
    expect(holder).toBe(`copyfleet-worker-${cli}`); // a worker session (its timeouts), in the command's process
    expect(childPids(cli, 'worker')).toEqual([]);
    const res = await run.done;
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toMatch(/1 chunk\(s\), 1 worker in this process \(the input is one job\)/);
    const sums = await one(t.pool, `SELECT count(*)::int AS n, sum(passengers)::int AS p FROM ${table}`);
    expect(sums).toEqual({ n: totals.rows, p: totals.intSum });
    expect((await one(t.pool, 'SELECT status FROM copyfleet.runs WHERE run_id = $1', [runIdOf(res.stdout)])).status).toBe('done');
  });

  it('a table loaded before takes this load\'s NULL spellings; a table dropped since forgets the earlier spec', async () => {
    const table = uniqueName('nulls_later');
    const csv = (name: string, rows: string[]): string => {
      const f = join(t.dir, name);
      writeFileSync(f, ['id,note,amount,at', ...rows].join('\n') + '\n');
      return f;
    };
    const spec = join(t.dir, 'nulls-na.yaml');
    writeFileSync(spec, 'source:\n  nulls: ["NA"]\n');
    await load(csv('first.csv', ['1,a,2.50,2024-01-01 00:00:00', '2,b,3.25,2024-01-02 00:00:00']), table);
    // The table exists (note text, amount numeric): with the spec "NA" is NULL in both — in a text
    // column too, where COPY streamed unparsed would have loaded the two letters.
    const second = await load(csv('second.csv', ['3,NA,NA,2024-01-03 00:00:00', '4,d,1.00,2024-01-04 00:00:00']), table, ['--dataset', spec]);
    expect(second.stdout).toMatch(/2 rows loaded, 0 rejected/);
    expect(await one(t.pool, `SELECT count(*)::int AS n, count(note)::int AS notes, count(amount)::int AS amounts FROM ${table}`)).toEqual({ n: 4, notes: 3, amounts: 3 });
    // Dropped: the earlier runs' spec (amount numeric) does not come back; this file types the table afresh.
    await t.pool.query(`DROP TABLE ${table}`);
    const again = await load(csv('third.csv', ['5,e,about 2,2024-01-05 00:00:00', '6,f,2.00,2024-01-06 00:00:00']), table);
    expect(again.stdout).toMatch(/2 rows loaded, 0 rejected/);
    expect(await one(t.pool, `SELECT string_agg(amount::text, ',' ORDER BY id) AS amounts FROM ${table}`)).toEqual({ amounts: 'about 2,2.00' });
  });

  it('an empty file ends done with nothing loaded', async () => {
    const file = join(t.dir, 'empty.csv');
    writeFileSync(file, '');
    const res = await runCli(['load', file, '--table', uniqueName('empty')], t.env);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/0 rows loaded, 0 rejected/);
  });

  it('a missing file fails with a clear message and no run', async () => {
    const res = await runCli(['load', join(t.dir, 'nope.csv')], t.env);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/no such file/);
    expect(res.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace for a user error
  });
});
