/** Seeded choices for the generators (mulberry32 from @copyfleet/testing underneath). */
import { rng } from '@copyfleet/testing';

const HEX = '0123456789abcdef';
const totals = new WeakMap<object, number>();

export class Random {
  readonly next: () => number;
  constructor(seed: number) { this.next = rng(seed); }
  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number { return lo + Math.floor(this.next() * (hi - lo + 1)); }
  pick<T>(items: readonly T[]): T { return items[Math.floor(this.next() * items.length)]!; }
  /** A value by weight: pairs of [value, weight]. */
  weighted<T>(table: readonly (readonly [T, number])[]): T {
    let total = totals.get(table);
    if (total === undefined) totals.set(table, (total = table.reduce((s, [, w]) => s + w, 0)));
    let x = this.next() * total;
    for (const [v, w] of table) if ((x -= w) < 0) return v;
    return table[table.length - 1]![0];
  }
  chance(p: number): boolean { return this.next() < p; }
  uuid(): string {
    let s = '';
    for (let i = 0; i < 32; i++) {
      if (i === 8 || i === 12 || i === 16 || i === 20) s += '-';
      s += HEX[(this.next() * 16) | 0];
    }
    return s;
  }
}

/** "YYYY-MM-DD HH:MM:SS" (sep ' ') or ISO "YYYY-MM-DDTHH:MM:SS" (sep 'T') of epoch seconds, UTC; day prefixes cached. */
export class Clock {
  private day = -1;
  private prefix = '';
  private readonly prefixes = new Map<number, string>();
  constructor(private readonly sep: ' ' | 'T') {}
  format(epochS: number): string {
    const day = Math.floor(epochS / 86400);
    if (day !== this.day) {
      let p = this.prefixes.get(day);
      if (p === undefined) this.prefixes.set(day, (p = new Date(day * 86400_000).toISOString().slice(0, 10) + this.sep));
      this.day = day;
      this.prefix = p;
    }
    return this.prefix + timeOfDay()[epochS - day * 86400]!;
  }
  /** ISO 8601 with milliseconds and Z of epoch milliseconds (as Date.toISOString, without a Date per call). */
  isoMs(ms: number): string {
    const s = Math.floor(ms / 1000);
    return this.format(s) + '.' + D3[ms - s * 1000] + 'Z';
  }
}

export const D2: readonly string[] = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
/** "HH:MM:SS" of every second of a day, each one flat string (a timestamp is then two pieces, not eight). */
let TIMES: string[] | null = null;
function timeOfDay(): string[] {
  TIMES ??= Array.from({ length: 86400 }, (_, s) => flat(D2[(s / 3600) | 0] + ':' + D2[((s % 3600) / 60) | 0] + ':' + D2[s % 60]));
  return TIMES;
}
const D3: readonly string[] = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

/** A fixed-point decimal with `digits` fraction digits from an integer count of units. */
export function fixed(units: number, digits: number): string {
  if (digits === 2) return (units < 0 ? '-' : '') + Math.floor(Math.abs(units) / 100) + '.' + D2[Math.abs(units) % 100];
  const neg = units < 0;
  const a = Math.abs(units);
  const p = 10 ** digits;
  const frac = String(a % p).padStart(digits, '0');
  return (neg ? '-' : '') + Math.floor(a / p) + '.' + frac;
}

/** `n` numbers drawn uniformly from [lo, hi), as the text JavaScript writes for them: draw with pick(). */
/**
 * A string as one flat piece. Text built with `+` is a tree of pieces (a V8 cons string): a
 * pool of them, appended to batches again and again, costs a walk of every tree at each flush
 * (sales: 2.0 of 2.8 CPU-s per 128 MiB went there).
 */
export function flat(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8');
}

export function numberPool(r: Random, n: number, lo: number, hi: number): string[] {
  return Array.from({ length: n }, () => String(lo + r.next() * (hi - lo)));
}
