// JSON as exporters write it, through the real CLI with no spec: objects one after
// another (pretty-printed, or one per line each followed by a comma), the real weather
// export with dotted keys, and a broken document that must say where it breaks.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli, uniqueName } from '@copyfleet/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { e2e, one, columnTypes as columnTypesOf, loadOk } from './helpers.js';

const t = e2e();
afterAll(() => t.close());
const REAL = fileURLToPath(new URL('../../shared/data/real/', import.meta.url));

const load = (file: string, table: string, chunk = '4KiB') => loadOk(t, file, table, chunk);

const columnTypes = (table: string) => columnTypesOf(t.pool, table);

describe('JSON sequences', () => {
  it('pretty-printed objects one after another (no array, no commas), split into many chunks: every record once, values intact', async () => {
    const records = Array.from({ length: 3_000 }, (_, i) => ({
      id: i + 1,
      user: { name: `u${i % 17}`, score: i % 2 === 0 ? i + 0.25 : 'N/A' },
      tags: i % 4 === 0 ? [] : ['a', `t${i % 3}`],
      note: `line one\nline "two" }, {`,
      at: `2024-${String((i % 12) + 1).padStart(2, '0')}-01T00:00:00Z`,
    }));
    const file = join(t.dir, 'pretty.json');
    writeFileSync(file, records.map((r) => JSON.stringify(r, null, 2)).join('\n'));
    const table = uniqueName('pretty');
    const { runId, stdout } = await load(file, table);
    expect(stdout).toMatch(/3000 rows loaded, 0 rejected/);
    expect(await columnTypes(table)).toEqual({
      id: 'bigint',
      user_name: 'text',
      user_score: 'numeric',
      tags: 'jsonb',
      note: 'text',
      at: 'timestamp with time zone',
    });
    const r = await one(
      t.pool,
      `SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids, sum(id)::int AS id_sum, sum(user_score)::text AS score_sum,
              count(*) FILTER (WHERE user_score IS NULL)::int AS score_null, count(*) FILTER (WHERE note = E'line one\\nline "two" }, {')::int AS notes,
              count(*) FILTER (WHERE tags = '[]'::jsonb)::int AS empty_tags FROM ${table}`,
    );
    const scoreSum = records.reduce((a, x) => a + (typeof x.user.score === 'number' ? x.user.score : 0), 0);
    expect(r).toEqual({ n: 3_000, ids: 3_000, id_sum: (3_000 * 3_001) / 2, score_sum: scoreSum.toFixed(2), score_null: 1_500, notes: 3_000, empty_tags: 750 });
    const chunks = await one(t.pool, 'SELECT chunks_total::int AS n FROM copyfleet.runs WHERE run_id = $1', [runId]);
    expect(chunks.n).toBeGreaterThan(50);
  });

  it('one object per line, each followed by a comma (the last one too)', async () => {
    const file = join(t.dir, 'commas.json');
    writeFileSync(file, Array.from({ length: 500 }, (_, i) => `${JSON.stringify({ 'k.id': i, 'k.v': `v${i}` })},`).join('\n'));
    const table = uniqueName('commas');
    const { stdout } = await load(file, table, '1KiB');
    expect(stdout).toMatch(/500 rows loaded, 0 rejected/);
    const r = await one(t.pool, `SELECT sum(k_id)::int AS s, min(k_v) AS v FROM ${table}`);
    expect(r).toEqual({ s: (499 * 500) / 2, v: 'v0' });
  });

  it('the real weather export loads without editing: dotted keys become snake_case columns', async () => {
    const table = uniqueName('weather');
    const { stdout } = await load(join(REAL, 'tier-weather/weather.json'), table, '64');
    expect(stdout).toMatch(/1 rows loaded, 0 rejected/);
    const types = await columnTypes(table);
    expect(types).toMatchObject({
      weather_data_date_time: 'timestamp without time zone',
      weather_data_city: 'text',
      weather_data_currently_temperature: 'numeric',
      weather_data_currently_preciptype: 'text',
    });
    const row = await one(t.pool, `SELECT weather_data_date_time::text AS at, weather_data_city AS city, weather_data_currently_windspeed::text AS wind FROM ${table}`);
    expect(row).toEqual({ at: '2019-06-04 14:05:13', city: 'Zurich', wind: '1.94' });
  });
});

describe('broken JSON', () => {
  it('consumption.csv (a typographic closing quote) fails with its line and column, not "ends before its records do"', async () => {
    const res = await runCli(['load', join(REAL, 'nike-weekly-sales/consumption.csv'), '--table', uniqueName('consumption')], t.env);
    expect(res.code).not.toBe(0);
    const out = res.stdout + res.stderr;
    expect(out).toMatch(/line 8, column 11 \(byte \d+\): unterminated string \(it starts with "RY18”,"\); it holds ”, a typographic quote, which does not end a JSON string/);
    expect(out).not.toMatch(/ends before its records do/);
  });
});
