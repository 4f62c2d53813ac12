// Partitions: every value's key names a partition whose [from, to) bounds contain the
// value's UTC date; names fit PostgreSQL's 63-byte identifier limit.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultPartitionName, partitionBounds, partitionKey, partitionTableName } from './partition.js';
import type { PartitionInterval } from './types.js';

const bounds = (value: string, interval: PartitionInterval) => partitionBounds(partitionKey(value, interval)!, interval);

describe('partitionKey and partitionBounds', () => {
  it('day', () => {
    expect(partitionKey('2024-02-29', 'day')).toBe('2024_02_29');
    expect(bounds('2024-02-29 10:00', 'day')).toEqual({ key: '2024_02_29', from: '2024-02-29', to: '2024-03-01' });
    expect(bounds('2024-12-31', 'day')).toEqual({ key: '2024_12_31', from: '2024-12-31', to: '2025-01-01' });
  });

  it('week starts on the ISO Monday, across month and year ends', () => {
    expect(partitionKey('2024-03-03', 'week')).toBe('w2024_02_26'); // a Sunday
    expect(partitionKey('2024-03-04', 'week')).toBe('w2024_03_04'); // a Monday
    expect(bounds('2025-01-01', 'week')).toEqual({ key: 'w2024_12_30', from: '2024-12-30', to: '2025-01-06' });
    expect(bounds('2021-01-03', 'week')).toEqual({ key: 'w2020_12_28', from: '2020-12-28', to: '2021-01-04' });
  });

  it('month, including December to January', () => {
    expect(bounds('2024-02-10', 'month')).toEqual({ key: '2024_02', from: '2024-02-01', to: '2024-03-01' });
    expect(bounds('2024-12-31 23:59:59', 'month')).toEqual({ key: '2024_12', from: '2024-12-01', to: '2025-01-01' });
  });

  it('year', () => {
    expect(bounds('2024-12-31', 'year')).toEqual({ key: '2024', from: '2024-01-01', to: '2025-01-01' });
  });

  it('puts timestamptz values in the partition of their UTC date', () => {
    expect(partitionKey('2024-03-31T23:30:00-02:00', 'month')).toBe('2024_04');
    expect(partitionKey('2024-04-01T01:00:00+05:30', 'month')).toBe('2024_03');
    expect(partitionKey('2024-12-31T20:00:00-05:00', 'year')).toBe('2025');
    expect(partitionKey('2024-12-31T20:00:00-05:00', 'day')).toBe('2025_01_01');
  });

  it('has no key for a value that is not a date', () => {
    expect(partitionKey('yesterday', 'day')).toBeNull();
    expect(partitionKey('2023-02-29', 'month')).toBeNull();
  });

  it('handles years before 100 (Date.UTC would map them to 19xx)', () => {
    expect(bounds('0099-12-31', 'year')).toEqual({ key: '0099', from: '0099-01-01', to: '0100-01-01' });
    expect(bounds('0099-12-31', 'month')).toEqual({ key: '0099_12', from: '0099-12-01', to: '0100-01-01' });
    expect(bounds('0050-06-15', 'week')).toEqual({ key: 'w0050_06_13', from: '0050-06-13', to: '0050-06-20' });
  });

  it('always gives bounds that contain the value, one interval long', () => {
    const day = fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9998-12-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
    fc.assert(
      fc.property(day, fc.constantFrom<PartitionInterval>('day', 'week', 'month', 'year'), (value, interval) => {
        const b = bounds(value, interval);
        expect(b.from <= value && value < b.to).toBe(true);
        expect(partitionKey(b.from, interval)).toBe(b.key);
        // The next partition starts where this one ends.
        expect(partitionBounds(partitionKey(b.to, interval)!, interval).from).toBe(b.to);
      }),
      { numRuns: 500 },
    );
  });
});

describe('partition table names', () => {
  it('are the table name with the key', () => {
    expect(partitionTableName('events', '2024_03')).toBe('events_p2024_03');
    expect(defaultPartitionName('events')).toBe('events_default');
  });

  it('stay within 63 bytes and distinct for long table names', () => {
    const a = `${'t'.repeat(80)}_alpha`;
    const b = `${'t'.repeat(80)}_bravo`;
    const na = partitionTableName(a, 'w2024_12_30');
    const nb = partitionTableName(b, 'w2024_12_30');
    expect(Buffer.byteLength(na)).toBeLessThanOrEqual(63);
    expect(Buffer.byteLength(nb)).toBeLessThanOrEqual(63);
    expect(na).not.toBe(nb);
    expect(partitionTableName(a, '2024_01')).not.toBe(partitionTableName(a, '2024_02'));
    expect(Buffer.byteLength(defaultPartitionName(a))).toBeLessThanOrEqual(63);
  });
});
