// Inference end to end, through the real CLI with no spec: one stray value does not cost
// a column its type or the table its partitioning (it is rejected, with its reason, where
// it is); NULL spellings load as NULL in number columns and as text in text columns; JSON
// columns of a CSV are jsonb; day-first dates are read. Values are checked, not only counts,
// and loaded + rejected = records every time.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { uniqueName } from '@copyfleet/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { e2e, one, columnTypes as columnTypesOf, loadOk } from './helpers.js';

const t = e2e();
afterAll(() => t.close());

const CHUNK = 64 * 1024;

const load = (file: string, table: string) => loadOk(t, file, table, String(CHUNK));

const columnTypes = (table: string) => columnTypesOf(t.pool, table);

async function partitionCount(table: string): Promise<{ partitioned: boolean; leaves: number }> {
  const r = await one<{ kind: string; leaves: number }>(
    t.pool,
    `SELECT c.relkind::text AS kind, (SELECT count(*)::int FROM pg_inherits i WHERE i.inhparent = c.oid) AS leaves FROM pg_class c WHERE c.oid = $1::regclass`,
    [table],
  );
  return { partitioned: r.kind === 'p', leaves: r.leaves };
}

async function rejects(runId: string): Promise<{ line_no: number; reason: string; raw: string }[]> {
  const { rows } = await t.pool.query('SELECT line_no::int, reason, raw FROM copyfleet.rejects WHERE run_id = $1 ORDER BY byte_offset', [runId]);
  return rows;
}

async function runCounts(runId: string): Promise<{ status: string; loaded: number; rejected: number }> {
  return one(t.pool, 'SELECT status, rows_loaded::int AS loaded, rows_rejected::int AS rejected FROM copyfleet.runs WHERE run_id = $1', [runId]);
}

/** Lines `id,amount,at` for rows 1..n; `edit(i)` may replace a row. The line of the first byte at or past `offset`. */
function amountsCsv(n: number, edit: (i: number, line: string) => string): { text: string; lineAt: (offset: number) => number } {
  const lines = ['id,amount,at'];
  for (let i = 1; i <= n; i++) {
    const month = String((i % 12) + 1).padStart(2, '0');
    const day = String((i % 28) + 1).padStart(2, '0');
    lines.push(edit(i, `${i},${i}.25,2023-${month}-${day} 10:${String(i % 60).padStart(2, '0')}:00`));
  }
  const text = `${lines.join('\n')}\n`;
  return {
    text,
    lineAt(offset) {
      // 1-based line number of the first line starting at or after `offset`.
      let line = 1;
      let pos = 0;
      for (const l of lines) {
        if (pos >= offset) return line;
        pos += Buffer.byteLength(l) + 1;
        line++;
      }
      return line;
    },
  };
}

describe('types by consensus', () => {
  it("one 'not-a-number' in 40,000 amounts, at a chunk edge past the head sample: numeric, 1 reject, monthly partitions kept", async () => {
    // Row i starts on line i + 1. Put the stray value on the first line of chunk 20 (past
    // the 1 MiB head the sampler reads whole, so only the chunk-edge sample sees it).
    const probe = amountsCsv(40_000, (_, l) => l);
    const badLine = probe.lineAt(20 * CHUNK);
    const badRow = badLine - 1;
    const { text } = amountsCsv(40_000, (i, l) => (i === badRow ? l.replace(`${i}.25`, 'not-a-number') : l));
    const file = join(t.dir, 'amounts.csv');
    writeFileSync(file, text);
    const table = uniqueName('amounts');
    const { runId, stdout } = await load(file, table);
    expect(stdout).toMatch(/39999 rows loaded, 1 rejected/);

    expect(await columnTypes(table)).toEqual({ id: 'bigint', amount: 'numeric', at: 'timestamp without time zone' });
    const parts = await partitionCount(table);
    expect(parts.partitioned).toBe(true);
    expect(parts.leaves).toBe(13); // 12 months + DEFAULT
    const sums = await one(t.pool, `SELECT count(*)::int AS n, sum(amount)::text AS s, count(*) FILTER (WHERE id = ${badRow})::int AS bad FROM ${table}`);
    const expected = (40_000 * 40_001) / 2 - badRow + 0.25 * 39_999;
    expect(sums).toEqual({ n: 39_999, s: expected.toFixed(2), bad: 0 });
    expect(await rejects(runId)).toEqual([{ line_no: badLine, reason: 'column amount: not a number (got "not-a-number")', raw: text.split('\n')[badLine - 1] }]);
    const run = await runCounts(runId);
    expect(run).toEqual({ status: 'done', loaded: 39_999, rejected: 1 });
    expect(run.loaded + run.rejected).toBe(40_000);
  });

  it("'2023-13-45' in a timestamp column: still timestamp and partitioned, 1 reject", async () => {
    const bad = 1_234;
    const { text } = amountsCsv(5_000, (i, l) => (i === bad ? `${i},${i}.25,2023-13-45 10:00:00` : l));
    const file = join(t.dir, 'stamps.csv');
    writeFileSync(file, text);
    const table = uniqueName('stamps');
    const { runId } = await load(file, table);
    expect((await columnTypes(table)).at).toBe('timestamp without time zone');
    expect((await partitionCount(table)).partitioned).toBe(true);
    expect(await rejects(runId)).toEqual([{ line_no: bad + 1, reason: 'column at: not a valid timestamp (YYYY-MM-DD[ hh:mm[:ss[.fff]]]) (got "2023-13-45 10:00:00")', raw: `${bad},${bad}.25,2023-13-45 10:00:00` }]);
    const v = await one(t.pool, `SELECT at::text FROM ${table} WHERE id = 1233`);
    expect(v.at).toBe('2023-10-02 10:33:00');
    expect(await runCounts(runId)).toEqual({ status: 'done', loaded: 4_999, rejected: 1 });
  });
});

describe('NULL spellings, jsonb, dates', () => {
  it('N/A, NULL, NA, - in number columns load as NULL with 0 rejects; in a text column they stay text', async () => {
    const spellings = ['N/A', 'NULL', 'NA', '-', 'null', 'None'];
    const lines = ['id,amount,qty,country,at'];
    for (let i = 1; i <= 3_000; i++) {
      const s = spellings[i % spellings.length]!;
      const amount = i % 10 === 0 ? s : `${i}.5`;
      const qty = i % 7 === 0 ? s : String(i % 13);
      const country = i % 5 === 0 ? 'N/A' : i % 5 === 1 ? 'NA' : 'DE';
      lines.push(`${i},${amount},${qty},${country},2024-0${(i % 9) + 1}-15`);
    }
    const file = join(t.dir, 'nulls.csv');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const table = uniqueName('nulls');
    const { runId, stdout } = await load(file, table);
    expect(stdout).toMatch(/3000 rows loaded, 0 rejected/);
    expect(await columnTypes(table)).toEqual({ id: 'bigint', amount: 'numeric', qty: 'bigint', country: 'text', at: 'date' });
    const r = await one(
      t.pool,
      `SELECT count(*) FILTER (WHERE amount IS NULL)::int AS amount_null, count(*) FILTER (WHERE qty IS NULL)::int AS qty_null,
              count(*) FILTER (WHERE country = 'N/A')::int AS country_na_slash, count(*) FILTER (WHERE country = 'NA')::int AS country_na,
              count(*) FILTER (WHERE country IS NULL)::int AS country_null, sum(amount)::text AS amount_sum FROM ${table}`,
    );
    const amountSum = Array.from({ length: 3_000 }, (_, k) => k + 1).filter((i) => i % 10 !== 0).reduce((a, i) => a + i + 0.5, 0);
    expect(r).toEqual({ amount_null: 300, qty_null: 428, country_na_slash: 600, country_na: 600, country_null: 0, amount_sum: amountSum.toFixed(1) });
    expect(await runCounts(runId)).toEqual({ status: 'done', loaded: 3_000, rejected: 0 });
  });

  it('a CSV column of JSON objects and arrays is jsonb, queried as JSON; day-first timestamps are read and partition the table', async () => {
    const lines = ['id,meta,seen'];
    for (let i = 1; i <= 2_000; i++) {
      const meta = i % 3 === 0 ? `"[${i}, ""x""]"` : `"{""n"": ${i}, ""tags"": [""a"", ""b""], ""big"": 12345678901234567890}"`;
      const d = String((i % 28) + 1).padStart(2, '0');
      const m = String((i % 12) + 1).padStart(2, '0');
      lines.push(`${i},${meta},${d}/${m}/2018 ${String(i % 24).padStart(2, '0')}:30`);
    }
    const file = join(t.dir, 'meta.csv');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const table = uniqueName('meta');
    const { runId } = await load(file, table);
    expect(await columnTypes(table)).toEqual({ id: 'bigint', meta: 'jsonb', seen: 'timestamp without time zone' });
    const r = await one(
      t.pool,
      `SELECT count(*) FILTER (WHERE jsonb_typeof(meta) = 'array')::int AS arrays, sum((meta->>'n')::int)::int AS n_sum,
              min(meta->>'big') AS big, min(seen)::text AS first, max(seen)::text AS last FROM ${table}`,
    );
    const nSum = Array.from({ length: 2_000 }, (_, k) => k + 1).filter((i) => i % 3 !== 0).reduce((a, i) => a + i, 0);
    expect(r).toEqual({ arrays: 666, n_sum: nSum, big: '12345678901234567890', first: '2018-01-01 00:30:00', last: '2018-12-28 23:30:00' });
    const day = await one(t.pool, `SELECT seen::text FROM ${table} WHERE id = 27`);
    expect(day.seen).toBe('2018-04-28 03:30:00'); // 28/04/2018 03:30, day first
    expect((await partitionCount(table)).partitioned).toBe(true);
    expect(await runCounts(runId)).toEqual({ status: 'done', loaded: 2_000, rejected: 0 });
  });
});
