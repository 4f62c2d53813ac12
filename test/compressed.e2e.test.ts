// Compressed input (.gz, .zst) cannot be range-split: the splitter decompresses it once
// into the staging directory, the run loads that file in parallel chunks, and the staged
// copy is removed when the run is done.
import { createReadStream, createWriteStream, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { REPO_ROOT, runCli, uniqueName, writeTripsCsv } from '@copyfleet/testing';
import { afterAll, expect, it } from 'vitest';
import { e2e, one, runIdOf } from './helpers.js';

const t = e2e();
t.env.STAGING_DIR = join(t.dir, 'staging');
afterAll(() => t.close());

it('a gzip CSV with quoted newlines loads in many chunks, exactly once', async () => {
  const plain = join(t.dir, 'trips.csv');
  const totals = await writeTripsCsv(plain, { rows: 8000, quotedNewlineEvery: 6, seed: 21 });
  const file = join(t.dir, 'trips.csv.gz');
  await pipeline(createReadStream(plain), createGzip(), createWriteStream(file));
  const table = uniqueName('gz');
  const res = await runCli(['load', file, '--table', table, '--workers', '2', '--chunk', '128KiB'], t.env);
  expect(res.code, res.stderr).toBe(0);
  const run = await one(t.pool, 'SELECT chunks_total, bytes_total::int, source FROM copyfleet.runs WHERE run_id = $1', [runIdOf(res.stdout)]);
  expect(run.chunks_total).toBeGreaterThan(3);
  expect(run.source).toBe(file); // the run is the compressed file; its chunks are ranges of the staged copy
  const sums = await one(t.pool, `SELECT count(*)::int AS n, sum(passengers)::int AS p FROM ${table}`);
  expect(sums).toEqual({ n: totals.rows, p: totals.intSum });
  expect(readdirSync(t.env.STAGING_DIR!)).toEqual([]); // removed when the run was done
});

it('a zstd JSONL loads too', async () => {
  const table = uniqueName('zst');
  const file = join(REPO_ROOT, 'test/fixtures/compressed/events.jsonl.zst');
  expect(existsSync(file)).toBe(true);
  const res = await runCli(['load', file, '--table', table, '--workers', '2', '--chunk', '32KiB'], t.env);
  expect(res.code, res.stderr).toBe(0);
  const sums = await one(t.pool, `SELECT count(*)::int AS n, sum(n)::int AS s, count(*) FILTER (WHERE tag = E'é"\\\\\\n')::int AS odd FROM ${table}`);
  expect(sums).toEqual({ n: 3000, s: 2999 * 3000, odd: 429 });
});
