/**
 * The wide numeric CSV (issue 15, target 1): the NYC yellow-taxi trip columns of
 * ../shared/data/real/nyc-taxi — 15 numeric columns, pickup and dropoff timestamps and a
 * Y/N flag — with values drawn like the real sample's (mostly one passenger, rate code 1,
 * flag N; congestion_surcharge empty in about 60 % of the rows; about one row in a thousand
 * a refund, every amount negative). Trips are spread over 2019, so the table gets monthly
 * partitions (a dropoff may fall on 2020-01-01). total_amount is the sum of the other
 * amounts, exactly, as in the real data. The output depends only on (bytes, seed): rows
 * are written until the file is at least `bytes` long, as libs/testing's sized generators
 * do; the totals are the row count, sum(passenger_count) and sum(total_amount) × 1000.
 *
 * Rows are built as strings from pre-made pieces (every day, every second of a day, every
 * amount below $1,000), each written straight into a 4 MiB buffer: ~50 MB/s here (1 GiB in
 * ~20 s, once: it is cached).
 */
import { closeSync, openSync, renameSync, writeSync } from 'node:fs';
import { rng, type SizedOptions, type SizedTotals } from '@copyfleet/testing';
import { TAXI_COLUMNS } from './datasets.js';

const DAY_S = 86_400;
const YEAR_DAYS = 365;
/** 'YYYY-MM-DD ' of 2019-01-01 and the days after it (one past the year, for dropoffs after midnight on 31 December). */
const DAYS = Array.from({ length: YEAR_DAYS + 1 }, (_, d) => `${new Date(Date.UTC(2019, 0, 1 + d)).toISOString().slice(0, 10)} `);
const D2 = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
/** The buffer rows are written into, and the most a row can take (the longest is about 130 bytes). */
const BUFFER_BYTES = 4 << 20;
const MAX_ROW_BYTES = 1024;

/** HH:MM:SS of every second of a day. */
const CLOCK = Array.from({ length: DAY_S }, (_, s) => `${D2[(s / 3600) | 0]}:${D2[((s / 60) | 0) % 60]}:${D2[s % 60]}`);
const timestamp = (s: number): string => DAYS[(s / DAY_S) | 0]! + CLOCK[s % DAY_S]!;
const MONEY_CENTS = 100_000;
/** "0.00" … "999.99". */
const MONEY = Array.from({ length: MONEY_CENTS }, (_, c) => `${(c / 100) | 0}.${D2[c % 100]}`);
/** Cents as a decimal with two digits after the point: -650 → "-6.50". */
const money = (cents: number): string => {
  const a = cents < 0 ? -cents : cents;
  const s = a < MONEY_CENTS ? MONEY[a]! : `${(a / 100) | 0}.${D2[a % 100]}`;
  return cents < 0 ? `-${s}` : s;
};

/** One of `values` by the cumulative `weights` (which sum to 1). */
function weighted<T>(r: () => number, values: readonly T[], cumulative: readonly number[]): T {
  const x = r();
  for (let i = 0; i < cumulative.length; i++) if (x < cumulative[i]!) return values[i]!;
  return values.at(-1)!;
}
const cumulate = (ws: number[]): number[] => ws.map((_, i) => ws.slice(0, i + 1).reduce((a, b) => a + b, 0));
const PASSENGERS = [0, 1, 2, 3, 4, 5, 6];
const PASSENGER_W = cumulate([0.02, 0.7, 0.14, 0.04, 0.02, 0.05, 0.03]);
const RATE_CODES = [1, 2, 3, 4, 5, 6];
const RATE_W = cumulate([0.97, 0.02, 0.003, 0.002, 0.004, 0.001]);
const PAYMENTS = [1, 2, 3, 4];
const PAYMENT_W = cumulate([0.7, 0.28, 0.015, 0.005]);
const EXTRAS = [0, 50, 100];
const EXTRA_W = cumulate([0.5, 0.3, 0.2]);

/** taxi.csv of at least `bytes`: the 18 NYC yellow-taxi columns, header first. */
export function writeTaxiCsvSized(path: string, opts: SizedOptions): SizedTotals {
  const r = rng(opts.seed ?? 3);
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  const totals: SizedTotals = { rows: 0, intSum: 0, decimalSumMilli: 0, bytes: 0 };
  // Each row string goes into the buffer at once (latin1: every character is ASCII), so no
  // long string is ever built: concatenating megabytes of rows spent most of the time in GC.
  const buf = Buffer.allocUnsafe(BUFFER_BYTES);
  let pos = buf.write(`${TAXI_COLUMNS.join(',')}\n`, 0, 'latin1');
  const flush = (): void => {
    for (let off = 0; off < pos; ) off += writeSync(fd, buf, off, pos - off);
    totals.bytes += pos;
    pos = 0;
  };
  try {
    while (totals.bytes + pos < opts.bytes || totals.rows === 0) {
      const vendor = r() < 0.45 ? 1 : 2;
      const pickup = (r() * YEAR_DAYS * DAY_S) | 0;
      const distanceCents = (r() < 0.01 ? 0 : 30 + ((r() * r() * 2000) | 0)) | 0;
      const dropoff = pickup + 60 + ((distanceCents * 2.4 + r() * 600) | 0);
      const passengers = weighted(r, PASSENGERS, PASSENGER_W);
      const rate = weighted(r, RATE_CODES, RATE_W);
      const flag = r() < 0.01 ? 'Y' : 'N';
      const from = 1 + ((r() * 265) | 0);
      const to = 1 + ((r() * 265) | 0);
      const payment = weighted(r, PAYMENTS, PAYMENT_W);
      const refund = r() < 0.001 ? -1 : 1;
      const fare = refund * (250 + 50 * Math.round((distanceCents * 2.5) / 50));
      const extra = refund * weighted(r, EXTRAS, EXTRA_W);
      const mta = refund * 50;
      const tip = payment === 1 && refund > 0 ? Math.round(fare * r() * 0.3) : 0;
      const tolls = r() < 0.05 ? 576 : 0;
      const improvement = refund * 30;
      const congestion = r() < 0.6 ? null : r() < 0.5 ? 0 : 250;
      const total = fare + extra + mta + tip + tolls + improvement + (congestion ?? 0);
      pos += buf.write(
        `${vendor},${timestamp(pickup)},${timestamp(dropoff)},${passengers},${money(distanceCents)},${rate},${flag},${from},${to},${payment},` +
        `${money(fare)},${money(extra)},${money(mta)},${money(tip)},${money(tolls)},${money(improvement)},${money(total)},${congestion === null ? '' : money(congestion)}\n`,
        pos,
        'latin1',
      );
      totals.rows++;
      totals.intSum += passengers;
      totals.decimalSumMilli += total * 10;
      if (pos + MAX_ROW_BYTES > BUFFER_BYTES) flush();
    }
    flush();
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  return totals;
}
