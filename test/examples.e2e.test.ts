// The examples under examples/ load the real samples in shared/data/real through their
// dataset specs: Topical-Chat exploded into messages, Open Library works with bronze and
// silver (a reload changes nothing in silver and appends to bronze), the trips CSV with
// its WKT points parsed, and the door2door events JSONL — with their reports written.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, runCli, uniqueName } from '@copyfleet/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { e2e, one, runIdOf } from './helpers.js';

const t = e2e();
afterAll(() => t.close());
const real = (p: string): string => join(REPO_ROOT, '..', 'shared', 'data', 'real', p);
const spec = (name: string): string => join(REPO_ROOT, 'examples', name, 'dataset.yaml');

async function load(file: string, example: string, table: string, extra: string[] = []): Promise<string> {
  const res = await runCli(['load', real(file), '--dataset', spec(example), '--table', table, '--workers', '2', '--chunk', '256KiB', ...extra], t.env);
  expect(res.code, `${res.stdout}\n${res.stderr}`).toBe(0);
  return runIdOf(res.stdout);
}

function report(runId: string, name: string): Record<string, unknown>[] {
  const path = join(t.env.REPORTS_DIR!, runId, `${name}.json`);
  expect(existsSync(path), path).toBe(true);
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>[];
}

describe('examples', () => {
  it('topical-chat: conversations exploded into messages, LIST partitions by agent, idempotent reload', async () => {
    const table = uniqueName('chat_messages');
    const runId = await load('topical-chat/valid_freq.json', 'topical-chat', table);
    const sums = await one(t.pool, `SELECT count(*)::int AS n, count(DISTINCT conversation_id)::int AS convs, max(turn)::int AS max_turn,
                                           count(*) FILTER (WHERE article_url LIKE 'http%')::int AS with_url FROM ${table}`);
    expect(sums).toMatchObject({ n: 11_681, convs: 539, with_url: 11_681 });
    const parts = await t.pool.query(`SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = $1::regclass`, [table]);
    expect(parts.rows[0].n).toBe(3); // agent_1, agent_2, DEFAULT
    expect(report(runId, 'messages_per_conversation')).toHaveLength(539);
    const [np] = report(runId, 'negative_then_positive');
    expect(Number(np!.replies_to_negative)).toBeGreaterThan(0);
    // Silver: loading the same file again leaves one row per (conversation, turn).
    const again = await load('topical-chat/valid_freq.json', 'topical-chat', table, ['--reload']);
    expect((await one(t.pool, `SELECT count(*)::int AS n FROM ${table}`)).n).toBe(11_681);
    expect((await one(t.pool, 'SELECT rows_replaced::int AS r FROM copyfleet.runs WHERE run_id = $1', [again])).r).toBe(11_681);
  });

  it('openlibrary: bronze keeps every record as landed, silver one row per work key', async () => {
    const table = uniqueName('works');
    const runId = await load('openlibrary/works-head-n1000.json', 'openlibrary', table);
    expect((await one(t.pool, `SELECT count(*)::int AS n, count(DISTINCT work_key)::int AS k FROM ${table}`))).toEqual({ n: 1000, k: 1000 });
    expect((await one(t.pool, 'SELECT count(*)::int AS n, count(DISTINCT _cf_offset)::int AS o FROM works_raw WHERE _cf_run_id = $1', [runId]))).toEqual({ n: 1000, o: 1000 });
    const raw = await one(t.pool, `SELECT record->>'key' AS key FROM works_raw WHERE _cf_run_id = $1 ORDER BY _cf_offset LIMIT 1`, [runId]);
    expect(raw.key).toBe('/works/OL10000106W');
    await load('openlibrary/works-head-n1000.json', 'openlibrary', table);
    expect((await one(t.pool, `SELECT count(*)::int AS n FROM ${table}`)).n).toBe(1000);
    expect(report(runId, 'authors_titles').length).toBeGreaterThan(900);
  });

  it('trips: WKT points parsed into coordinates, weekly partitions, the team reports', async () => {
    const table = uniqueName('trips');
    const runId = await load('jobsity-trips/trips.csv', 'trips', table);
    const row = await one(t.pool, `SELECT count(*)::int AS n, count(origin_lon)::int AS lon, min(origin_lat) > 44 AS lat_ok,
                                          count(DISTINCT region)::int AS regions FROM ${table}`);
    expect(row).toEqual({ n: 100, lon: 100, lat_ok: true, regions: 3 });
    expect(report(runId, 'weekly_trips_per_region')).toHaveLength(3);
    expect(report(runId, 'latest_datasource_top_regions')).toHaveLength(2);
  });

  it('door2door: nested locations flattened, daily partitions', async () => {
    const table = uniqueName('vehicle_events');
    const runId = await load('door2door-mobility-events/events_2019-06-01.jsonl', 'door2door', table);
    const counts = await one(t.pool, `SELECT count(*)::int AS n, count(*) FILTER (WHERE entity = 'vehicle' AND event = 'update')::int AS updates,
                                             count(lat)::int AS located FROM ${table}`);
    expect(counts).toEqual({ n: 35_351, updates: 35_149, located: 35_149 });
    expect(report(runId, 'events_per_type').length).toBeGreaterThanOrEqual(4);
  });
});
