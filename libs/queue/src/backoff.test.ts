import { describe, expect, it } from 'vitest';
import { BACKOFF_CAP_MS, backoffStrategy, cappedBackoff } from './backoff.js';

describe('cappedBackoff', () => {
  it('doubles from the base delay, with jitter between half and all of it', () => {
    expect(cappedBackoff(1, 1000, BACKOFF_CAP_MS, () => 0)).toBe(500);
    expect(cappedBackoff(1, 1000, BACKOFF_CAP_MS, () => 1)).toBe(1000);
    expect(cappedBackoff(4, 1000, BACKOFF_CAP_MS, () => 0)).toBe(4000);
    expect(cappedBackoff(4, 1000, BACKOFF_CAP_MS, () => 1)).toBe(8000);
  });

  it('never waits longer than the cap, however many failures', () => {
    for (const failures of [7, 8, 20, 1000]) {
      expect(cappedBackoff(failures, 1000, 60_000, () => 1)).toBe(60_000);
      expect(cappedBackoff(failures, 1000, 60_000, () => 0)).toBe(30_000);
    }
  });

  it('spreads workers that failed together', () => {
    const delays = new Set(Array.from({ length: 50 }, () => cappedBackoff(5, 1000)));
    expect(delays.size).toBeGreaterThan(10);
    for (const d of delays) expect(d).toBeGreaterThanOrEqual(8000), expect(d).toBeLessThanOrEqual(16_000);
  });

  it('takes its base from the job, as BullMQ calls it', () => {
    const d = backoffStrategy(2, 'capped-exponential', new Error('x'), { opts: { backoff: { delay: 100 } } });
    expect(d).toBeGreaterThanOrEqual(100);
    expect(d).toBeLessThanOrEqual(200);
  });
});
