// A dataset spec's source.timezone says what naive timestamps mean when they load into
// timestamptz columns; it applies on the pass-through path and on the parsing path.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, uniqueName } from '@copyfleet/testing';
import { afterAll, expect, it } from 'vitest';
import { e2e } from './helpers.js';

const t = e2e();
afterAll(() => t.close());

it.each([
  ['Europe/Prague', ['2024-01-15 08:00:00', '2024-07-15 08:00:00'], ['2024-01-15 07:00:00', '2024-07-15 06:00:00']],
  ['+05:30', ['2024-01-15 08:00:00', '2024-01-15 08:00:00+00'], ['2024-01-15 02:30:00', '2024-01-15 08:00:00']],
])('timezone %s', async (zone, input, expected) => {
  const file = join(t.dir, `tz-${uniqueName('f')}.csv`);
  // The second file also has a bad row, so its chunk takes the parsing path.
  const bad = zone === '+05:30' ? 'x,not a time\n' : '';
  writeFileSync(file, `id,at\n1,${input[0]}\n2,${input[1]}\n${bad}`);
  const spec = join(t.dir, `tz-${uniqueName('s')}.yaml`);
  writeFileSync(spec, `source: { timezone: "${zone}" }\ntable: { partition: none }\ncolumns:\n  - { name: id, column: id, type: text }\n  - { name: at, column: at, type: timestamptz }\n`);
  const table = uniqueName('tz');
  const res = await runCli(['load', file, '--table', table, '--dataset', spec, '--workers', '1'], t.env);
  expect(res.code, res.stderr).toBe(0);
  const { rows } = await t.pool.query(`SELECT (at AT TIME ZONE 'UTC')::text AS utc FROM ${table} WHERE id IN ('1', '2') ORDER BY id`);
  expect(rows.map((r) => r.utc)).toEqual(expected);
});
