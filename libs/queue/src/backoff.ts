/**
 * Capped exponential backoff with jitter, for everything in copyfleet that waits before
 * trying again: chunk and run jobs (as BullMQ's custom backoff strategy), workers waiting
 * for PostgreSQL, the supervisor, and local processes restarted after a crash.
 *
 * After n failures the delay is base·2^(n−1), at most `capMs`, then "equal jitter": a
 * random point in [d/2, d]. The cap keeps a long outage from pushing retries out to
 * hours; the jitter keeps workers that failed together from coming back together.
 */

/** The job option `backoff: { type: BACKOFF_TYPE, delay }` selects cappedBackoff. */
export const BACKOFF_TYPE = 'capped-exponential';

/** Longest wait between two attempts. */
export const BACKOFF_CAP_MS = 60_000;

export function cappedBackoff(failures: number, baseMs: number, capMs = BACKOFF_CAP_MS, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, Math.min(failures, 40) - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** BullMQ's backoffStrategy signature: (attemptsMade, type, err, job). */
export function backoffStrategy(attemptsMade: number, _type?: string, _err?: Error, job?: { opts?: { backoff?: number | { delay?: number } } }): number {
  const backoff = job?.opts?.backoff;
  const base = typeof backoff === 'number' ? backoff : (backoff?.delay ?? 1000);
  return cappedBackoff(attemptsMade, base);
}
