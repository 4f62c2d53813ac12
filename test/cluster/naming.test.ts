// What cluster mode computes without a cluster, checked against what the chart really renders
// (the real helm binary) and against the KEDA trigger it stands in for.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { desiredWorkers, splitterServiceName } from '@copyfleet/splitter-service';
import { describe, expect, test } from 'vitest';
import { chartDir, get, helmBinary, parseManifests, run } from '../deploy/manifests.js';

describe('the splitter Service name --release gives', () => {
  test.each(['copyfleet', 'nightly', 'copyfleet-staging', 'data-platform-team-nightly-loads-of-the-landing-zones'])('is the chart’s for release %s', (release) => {
    const objs = parseManifests(run(helmBinary(), ['template', release, chartDir, '--namespace', 'data', '--api-versions', 'keda.sh/v1alpha1']));
    const svc = get(objs, 'Service', '-splitter');
    expect(splitterServiceName(release)).toBe(svc.metadata.name);
  });
});

describe('make load … CLUSTER=1', () => {
  test('passes --cluster to copyfleet load', () => {
    const out = run('make', ['-n', '-C', join(chartDir, '..', '..'), 'load', 'FILE=s3://landing/trips/', 'CLUSTER=1', 'TABLE=trips']);
    expect(out).toMatch(/copyfleet\.js load --cluster "s3:\/\/landing\/trips\/"\s+--table "trips"/);
    expect(run('make', ['-n', '-C', join(chartDir, '..', '..'), 'load', 'FILE=x.csv'])).not.toContain('--cluster');
  });
});

describe('worker count without KEDA', () => {
  test('ceil(pending ÷ chunks per worker) within min and max; the minimum when nothing waits', () => {
    const o = { min: 0, max: 5, chunksPerWorker: 2 };
    expect([0, 1, 2, 3, 4, 9, 10, 11, 1000].map((n) => desiredWorkers(n, o))).toEqual([0, 1, 1, 2, 2, 5, 5, 5, 5]);
    expect(desiredWorkers(0, { ...o, min: 2 })).toBe(2);
    expect(desiredWorkers(1, { ...o, min: 2 })).toBe(2);
  });

  test('counts what the chart’s KEDA trigger counts (the same query text)', () => {
    const keda = readFileSync(join(chartDir, 'files', 'pending-chunks.sql'), 'utf8').replace(/\s+/g, ' ').trim();
    const ours = readFileSync(join(chartDir, '..', '..', 'libs', 'db', 'src', 'sql', 'locks.ts'), 'utf8');
    const sql = /`(SELECT count\(\*\)::int AS n FROM copyfleet\.chunks[\s\S]*?)`/.exec(ours)![1]!.replace(/\s+/g, ' ').replace('count(*)::int AS n', 'count(*)');
    expect(sql).toBe(keda);
  });
});
