// JSON documents, not JSON Lines: a top-level object keyed by id (Topical-Chat) and an
// object holding its records in an array (a Twitter search response), both real samples
// from shared/data/real, split into many chunks by the structural scan and loaded with
// every record exactly once.
import { join } from 'node:path';
import { REPO_ROOT, runCli, uniqueName } from '@copyfleet/testing';
import { afterAll, expect, it } from 'vitest';
import { e2e, one, runIdOf } from './helpers.js';

const t = e2e();
afterAll(() => t.close());
const real = (p: string): string => join(REPO_ROOT, '..', 'shared', 'data', 'real', p);

it('Topical-Chat: an object keyed by conversation id, one row per conversation', async () => {
  const table = uniqueName('chat');
  const res = await runCli(['load', real('topical-chat/valid_freq.json'), '--table', table, '--workers', '2', '--chunk', '128KiB'], t.env);
  expect(res.code, res.stderr).toBe(0);
  const run = await one(t.pool, 'SELECT chunks_total, rows_loaded::int, rows_rejected::int FROM copyfleet.runs WHERE run_id = $1', [runIdOf(res.stdout)]);
  expect(run.chunks_total).toBeGreaterThan(20);
  // SOURCES.md: 539 conversations, 11,681 messages.
  const sums = await one(t.pool, `SELECT count(*)::int AS n, count(DISTINCT key)::int AS keys, sum(jsonb_array_length(content))::int AS messages,
                                         count(*) FILTER (WHERE key LIKE 't\\_%')::int AS ids FROM ${table}`);
  expect(sums).toEqual({ n: 539, keys: 539, messages: 11_681, ids: 539 });
  expect(run).toMatchObject({ rows_loaded: 539, rows_rejected: 0 });
});

it('Twitter search response: the records are the array under "statuses"', async () => {
  const table = uniqueName('tweets');
  const res = await runCli(['load', real('simdjson-samples/twitter.json'), '--table', table, '--workers', '2', '--chunk', '64KiB'], t.env);
  expect(res.code, res.stderr).toBe(0);
  const sums = await one(t.pool, `SELECT count(*)::int AS n, count(DISTINCT id_str)::int AS ids, count(*) FILTER (WHERE user_screen_name IS NOT NULL)::int AS users FROM ${table}`);
  expect(sums).toEqual({ n: 100, ids: 100, users: 100 });
});
