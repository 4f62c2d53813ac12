// The KEDA trigger's query, as the chart renders it, run against the real PostgreSQL of
// `make setup` with the migrated schema (libs/db/migrations, 0003 included): it must count
// exactly the chunks that want a worker — waiting, running or backing off, in runs that are
// planning or running — and nothing that is loaded, dead, or in a finished/failed/cancelled run.
// Inside a rolled-back transaction, measured as a difference, so other tests' rows do not matter.
import { createPool, migrate } from '@copyfleet/db';
import { testServices, uniqueName } from '@copyfleet/testing';
import type pg from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { get, helmTemplate } from './manifests.js';

let pool: pg.Pool;
beforeAll(async () => {
  pool = createPool(testServices().databaseUrl, { max: 2, applicationName: 'copyfleet-test-keda' });
  await migrate(pool);
});
afterAll(async () => {
  await pool?.end();
});

type ChunkState = 'pending' | 'running' | 'retrying' | 'loaded' | 'dead';

async function addRun(client: pg.PoolClient, status: string, chunks: ChunkState[]): Promise<void> {
  const { rows } = await client.query<{ run_id: string }>(
    `INSERT INTO copyfleet.runs (source, source_version, target_table, spec, status)
     VALUES ($1, '1:1', 'public.keda_probe', '{}'::jsonb, $2) RETURNING run_id`,
    [uniqueName('keda-probe'), status],
  );
  const runId = rows[0]!.run_id;
  for (const [i, state] of chunks.entries()) {
    await client.query(
      `INSERT INTO copyfleet.chunks (run_id, chunk_no, byte_start, byte_end, attempts, started_at, loaded_at, dead_at, last_error)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        runId,
        i,
        i * 100,
        i * 100 + 100,
        state === 'pending' ? 0 : 1,
        state === 'pending' ? null : new Date(),
        state === 'loaded' ? new Date() : null,
        state === 'dead' ? new Date() : null,
        state === 'retrying' || state === 'dead' ? 'boom' : null,
      ],
    );
  }
}

test('the ScaledObject query counts the chunks that want a worker, and only those', async () => {
  const so = get(helmTemplate({ keda: true }), 'ScaledObject', '-worker');
  const query = (so.spec as any).triggers[0].metadata.query as string;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const count = async () => Number((await client.query(query)).rows[0].count);
    const before = await count();
    await addRun(client, 'running', ['loaded', 'pending', 'running', 'retrying', 'dead', 'loaded']); // +3
    expect(await count()).toBe(before + 3);
    await addRun(client, 'planning', ['pending', 'pending']); // +2: chunks planned while planning goes on
    expect(await count()).toBe(before + 5);
    for (const status of ['compacting', 'reporting', 'done', 'failed', 'cancelled']) {
      await addRun(client, status, ['pending', 'running']); // a failed run's chunks wait for `resume`
    }
    expect(await count()).toBe(before + 5);
    // KEDA requires a single numeric column
    const res = await client.query(query);
    expect(res.fields).toHaveLength(1);
    expect(res.rows).toHaveLength(1);
  } finally {
    await client.query('ROLLBACK');
    client.release();
  }
});
