import { describe, expect, it } from 'vitest';
import { formatCount, formatDuration, formatRate, percent } from './format.js';

describe('human formats', () => {
  it('counts', () => {
    expect([0, 2980, 9999, 12_345, 3_400_000, 987_654_321, 1.2e9].map(formatCount)).toEqual(['0', '2980', '9999', '12 k', '3.4 M', '988 M', '1.2 G']);
  });
  it('durations', () => {
    expect([0.85, 4.2, 42, 72, 3 * 3600 + 4 * 60, 2 * 86400 + 5 * 3600, -1].map(formatDuration)).toEqual(['850 ms', '4.2 s', '42 s', '1 m 12 s', '3 h 04 m', '2 d 5 h', '–']);
  });
  it('rates and percent (99 until the last byte)', () => {
    expect(formatRate(2_600_000)).toBe('2.6 MB/s');
    expect(percent(999, 1000)).toBe(99);
    expect(percent(1000, 1000)).toBe(100);
    expect(percent(0, 0)).toBe(0);
  });
});
