/**
 * Session-level advisory locks on one run, in a lock space of their own (the first key), so
 * that a step done by one of several processes is done by one: the holder of the lock.
 * They end with the session, so a process that dies gives its runs up.
 */
import type { Queryable } from './queryable.js';

/** Lock spaces (the first int of the key pair); start-run.ts plans under its own. */
export const LOCK_SPACE = {
  /** The splitter service that follows a run to its end and finalizes it. */
  finalize: 0x0cf0_0002,
} as const;

export async function tryRunLock(db: Queryable, space: number, runId: string | number): Promise<boolean> {
  const { rows } = await db.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2::int) AS ok', [space, runId]);
  return rows[0]?.ok === true;
}

export async function releaseRunLock(db: Queryable, space: number, runId: string | number): Promise<void> {
  await db.query('SELECT pg_advisory_unlock($1, $2::int)', [space, runId]);
}

/**
 * Chunks waiting or being loaded, of runs that are planning or running: the work the worker
 * count should follow. The same query as the chart's KEDA trigger (charts/copyfleet/files/pending-chunks.sql).
 */
export async function pendingChunkCount(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM copyfleet.chunks c JOIN copyfleet.runs r ON r.run_id = c.run_id
      WHERE r.status IN ('planning', 'running') AND c.loaded_at IS NULL AND c.dead_at IS NULL`,
  );
  return rows[0]?.n ?? 0;
}
