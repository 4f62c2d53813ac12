// parseTemporal: ISO 8601 / PostgreSQL date and time text, checked against the calendar;
// utcDate: the calendar day a value falls on in UTC.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { daysInMonth, parseTemporal, utcDate, type Temporal } from './temporal.js';

const offsetOf = (s: string) => parseTemporal(s)?.offset;
const utcDay = (s: string) => utcDate(parseTemporal(s)!);

describe('parseTemporal', () => {
  it('parses dates and timestamps into their parts', () => {
    expect(parseTemporal('2024-02-29')).toEqual({ y: 2024, m: 2, d: 29, hh: 0, mi: 0, ss: 0, offset: null, hasTime: false });
    expect(parseTemporal('2024-02-29T23:59:58.123456789')).toMatchObject({ hh: 23, mi: 59, ss: 58, offset: null, hasTime: true });
    expect(parseTemporal('2024-02-29 07:05')).toMatchObject({ hh: 7, mi: 5, ss: 0, hasTime: true });
  });

  it('reads UTC offsets in minutes', () => {
    expect(offsetOf('2024-01-01T00:00:00+05:30')).toBe(330);
    expect(offsetOf('2024-01-01T00:00:00-0800')).toBe(-480);
    expect(offsetOf('2024-01-01T00:00:00-03')).toBe(-180);
    expect(offsetOf('2024-01-01T00:00:00Z')).toBe(0);
    expect(offsetOf('2024-01-01 00:00:00 +01:00')).toBe(60);
    expect(offsetOf('2024-01-01T00:00:00')).toBeNull();
  });

  it('refuses offsets out of range', () => {
    expect(parseTemporal('2024-01-01T00:00:00+16:00')).toBeNull();
    expect(parseTemporal('2024-01-01T00:00:00+05:60')).toBeNull();
  });

  it('allows 24:00:00 but nothing past it', () => {
    expect(parseTemporal('2024-01-01 24:00:00')).toMatchObject({ hh: 24, mi: 0, ss: 0 });
    expect(parseTemporal('2024-01-01 24:00')).not.toBeNull();
    expect(parseTemporal('2024-01-01 24:00:01')).toBeNull();
    expect(parseTemporal('2024-01-01 24:01')).toBeNull();
    expect(parseTemporal('2024-01-01 23:60')).toBeNull();
  });

  it('refuses dates that are not on the calendar', () => {
    for (const s of ['2023-02-29', '2100-02-29', '2023-13-01', '2023-00-10', '2023-04-31', '2023-01-00', '0000-01-01']) {
      expect([s, parseTemporal(s)]).toEqual([s, null]);
    }
    expect(parseTemporal('2000-02-29')).not.toBeNull();
  });

  it('reads the common spellings by hand exactly as the full grammar does', () => {
    // The grammar, as a regex: parseTemporal's hand-written path must agree with it.
    const RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d{1,9})?)?\s?(Z|z|[+-]\d{2}(?::?\d{2})?)?)?$/;
    const reference = (s: string): Temporal | null => {
      const m = s.length <= 40 ? RE.exec(s) : null;
      if (m === null) return null;
      const [y, mo, d, hh, mi, ss] = [1, 2, 3, 4, 5, 6].map((k) => +(m[k] ?? 0)) as [number, number, number, number, number, number];
      if (y === 0 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return null;
      if (hh > 24 || mi > 59 || ss > 60 || (hh === 24 && (mi > 0 || ss > 0))) return null;
      const z = m[7];
      let offset: number | null = null;
      if (z === 'Z' || z === 'z') offset = 0;
      else if (z !== undefined) {
        const digits = z.slice(1).replace(':', '');
        const [oh, om] = [+digits.slice(0, 2), digits.length > 2 ? +digits.slice(2, 4) : 0];
        if (oh > 15 || om > 59) return null;
        offset = (z[0] === '-' ? -1 : 1) * (oh * 60 + om);
      }
      return { y, m: mo, d, hh, mi, ss, offset, hasTime: m[4] !== undefined };
    };
    // Near-misses of 2024-02-29T23:59:60Z: any byte may be swapped for a look-alike, and cut anywhere.
    const template = '2024-02-29T23:59:60Z+05:30';
    const char = fc.constantFrom('0', '1', '2', '3', '5', '9', '-', ':', 'T', ' ', 'Z', 'z', '+', '.', 'x', '\u00a0', '٣');
    const text = fc.tuple(fc.array(fc.tuple(fc.nat(template.length - 1), char), { maxLength: 3 }), fc.integer({ min: 8, max: template.length })).map(([swaps, len]) => {
      const chars = template.split('');
      for (const [i, c] of swaps) chars[i] = c;
      return chars.join('').slice(0, len);
    });
    fc.assert(
      fc.property(text, (s) => {
        expect(parseTemporal(s)).toEqual(reference(s));
      }),
      { numRuns: 20000, seed: 7 },
    );
  });

  it('refuses text that is not a date', () => {
    for (const s of ['', '2024-01-01x', '24-01-01', '2024/01/01', '2024-01-01T', '2024-01-01 1:00', `2024-01-01T00:00:00.${'1'.repeat(40)}`]) {
      expect([s, parseTemporal(s)]).toEqual([s, null]);
    }
  });
});

describe('utcDate', () => {
  it('is the written date for naive values and UTC', () => {
    expect(utcDay('2024-06-15 23:59:59')).toEqual([2024, 6, 15]);
    expect(utcDay('2024-06-15T23:59:59Z')).toEqual([2024, 6, 15]);
  });

  it('moves across midnight (and month and year ends) with the offset', () => {
    expect(utcDay('2024-06-15T23:30:00-02:00')).toEqual([2024, 6, 16]);
    expect(utcDay('2024-06-15T01:00:00+05:30')).toEqual([2024, 6, 14]);
    expect(utcDay('2024-12-31T22:00:00-0300')).toEqual([2025, 1, 1]);
    expect(utcDay('2024-03-01T00:30:00+01:00')).toEqual([2024, 2, 29]);
  });

  it('puts 24:00:00 on the next day', () => {
    expect(utcDay('2024-12-31 24:00:00')).toEqual([2025, 1, 1]);
  });

  it('keeps years before 100 when shifting by an offset', () => {
    expect(utcDay('0050-06-15T23:00:00-02:00')).toEqual([50, 6, 16]);
  });
});
