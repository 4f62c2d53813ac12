// Loading the same file again as a new run: with a dedupe key (--key) the table is left
// as it was ("silver": the newest copy of each key wins and the older one goes); without
// a key the rows are appended, and the run says so.
import { join } from 'node:path';
import { runCli, uniqueName } from '@copyfleet/testing';
import { afterAll, expect, it } from 'vitest';
import { e2e, one, runIdOf } from '../helpers.js';
import { expectExactTable, recordResult, writeKeyedCsv, type KeyedTotals } from './harness.js';

const t = e2e();
afterAll(() => t.close());

async function load(file: string, table: string, extra: string[] = []) {
  const res = await runCli(['load', file, '--table', table, '--workers', '2', '--chunk', '64KiB', ...extra], t.env);
  expect(res.code, res.stderr).toBe(0);
  return { ...res, runId: runIdOf(res.stdout) };
}

const checksum = (table: string) => one(t.pool, `SELECT count(*)::int AS n, sum(id)::bigint::text AS ids, (sum(amount) * 100)::bigint::text AS cents FROM ${table}`);

let totals: KeyedTotals;
let file: string;

it('the same file again with --key: a new run, and the table unchanged', async () => {
  const t0 = Date.now();
  file = join(t.dir, 'keyed.csv');
  totals = await writeKeyedCsv(file, { rows: 20_000, seed: 81 });
  const table = uniqueName('reload_key');
  const first = await load(file, table, ['--key', 'id']);
  const before = await checksum(table);
  const second = await load(file, table, ['--key', 'id', '--reload']);
  expect(second.runId).not.toBe(first.runId);
  expect(second.stdout).toMatch(new RegExp(`run ${second.runId} done: ${totals.rows} rows loaded, 0 rejected, ${totals.rows} replaced by key`));
  expect(second.stdout).not.toMatch(/appended/);
  expect(await checksum(table)).toEqual(before);
  await expectExactTable(t.pool, table, totals);
  recordResult({ case: 'same file loaded twice with --key id (silver)', seconds: (Date.now() - t0) / 1000, exact: true,
    rowsAfterSecondLoad: totals.rows, replaced: totals.rows });
});

it('the same file again without a key: appended, and the summary says so', async () => {
  const t0 = Date.now();
  const table = uniqueName('reload_append');
  const first = await load(file, table);
  expect(first.stdout).not.toMatch(/appended/);
  const second = await load(file, table, ['--reload']);
  expect(second.stdout).toMatch(new RegExp(`appended: the table had ${totals.rows} rows before`));
  const run = await one(t.pool, 'SELECT rows_before::int, message FROM copyfleet.runs WHERE run_id = $1', [second.runId]);
  expect(run.rows_before).toBe(totals.rows);
  expect(run.message).toMatch(/appended: the table had 20000 rows before/);
  expect(await checksum(table)).toEqual({ n: 2 * totals.rows, ids: String(2 * totals.idSum), cents: String(2 * totals.amountCents) });
  recordResult({ case: 'same file loaded twice without a key (appended, and said)', seconds: (Date.now() - t0) / 1000, exact: true,
    rowsBefore: totals.rows, rowsAfter: 2 * totals.rows });
});
