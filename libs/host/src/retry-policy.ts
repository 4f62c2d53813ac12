/**
 * How a worker answers a failure of its job (a chunk, a compaction, a report):
 *
 *   wait     PostgreSQL is unavailable — down, restarting, or out of connection slots
 *            (classifyDbError): the worker keeps the job, waits with capped backoff until
 *            the server answers, and does the work again. An outage costs no attempt.
 *   wait-source  the input's store failed in a way that may pass — S3 unreachable, timing
 *            out, 5xx, a download cut off (SourceError with retryable: true): the worker keeps
 *            the job and does the work again after a capped backoff (1 s doubling to 30 s,
 *            jittered), without spending an attempt, for up to SOURCE_OUTAGE_MS (15 min) of
 *            outage; past that each failure is a 'retry'.
 *   retry    anything else that may pass — disk full (53100), a deadlock, permission
 *            denied, a bug: this attempt fails and BullMQ tries again after a capped
 *            exponential backoff with jitter; after CHUNK_ATTEMPTS the chunk is dead.
 *   give-up  retrying cannot help — the source file changed or is missing, access is denied
 *            (a SourceError that is not retryable), the run is gone: the job
 *            fails now (UnrecoverableError) and its chunk is dead at once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { classifyDbError } from '@copyfleet/db';
import { PermanentChunkError } from '@copyfleet/loader';
import { cappedBackoff } from '@copyfleet/queue';
import type pg from 'pg';

export type FailureAction = 'wait' | 'wait-source' | 'retry' | 'give-up';

export function failureAction(err: unknown): FailureAction {
  const { name, retryable } = err as { name?: unknown; retryable?: unknown };
  if (name === 'SourceError') return retryable === true ? 'wait-source' : 'give-up';
  if (err instanceof PermanentChunkError || name === 'PermanentChunkError') return 'give-up';
  return classifyDbError(err) === 'unavailable' ? 'wait' : 'retry';
}

/** Waits for the input's store between two tries of the work. */
const SOURCE_WAIT_BASE_MS = 1000;
const SOURCE_WAIT_CAP_MS = 30_000;

/** How long to wait before the `failures`-th retry of work that failed on its source. */
export function sourceWaitMs(failures: number): number {
  return cappedBackoff(failures, SOURCE_WAIT_BASE_MS, SOURCE_WAIT_CAP_MS);
}

/** First wait for PostgreSQL, and the longest. */
const DB_WAIT_BASE_MS = 250;
const DB_WAIT_CAP_MS = 10_000;

/**
 * Wait until PostgreSQL answers a query through `pool` (so a connection slot is free
 * too). Returns false when `signal` stopped the wait first.
 */
export async function waitForDatabase(
  pool: pg.Pool,
  signal: AbortSignal,
  onWait: (failures: number, err: unknown, delayMs: number) => void,
): Promise<boolean> {
  for (let failures = 1; !signal.aborted; failures++) {
    try {
      await pool.query('SELECT 1');
      return true;
    } catch (err) {
      if (classifyDbError(err) !== 'unavailable') return true; // answered, if not happily: let the work find out
      const delay = cappedBackoff(failures, DB_WAIT_BASE_MS, DB_WAIT_CAP_MS);
      onWait(failures, err, delay);
      await sleep(delay, undefined, { signal }).catch(() => undefined);
    }
  }
  return false;
}
