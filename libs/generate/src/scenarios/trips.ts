/**
 * Trips: trips.csv in the Jobsity shape (region, WKT POINT origin and destination, date_time,
 * datasource; a fifth of the budget) and two NYC yellow-taxi months in the TLC sample's 18
 * columns (two fifths each). Messiness kept: empty congestion_surcharge in most January rows,
 * negative fares (refunds), zero-distance trips, the store_and_fwd_flag Y/N.
 */
import { Budget, Output, putAscii, type Sink } from '../output.js';
import { Clock, Random, fixed, flat, numberPool } from '../random.js';
import type { Scenario } from '../scenario.js';

const REGIONS = [
  { region: 'Prague', lon: 14.42, lat: 50.07 }, { region: 'Turin', lon: 7.68, lat: 45.07 }, { region: 'Hamburg', lon: 9.99, lat: 53.55 },
] as const;
const DATASOURCES = ['funny_car', 'baba_car', 'cheap_mobile', 'bad_diesel_vehicles', 'pt_search_app'] as const;
const TAXI_HEADER = 'vendor_id,pickup_datetime,dropoff_datetime,passenger_count,trip_distance,rate_code_id,store_and_fwd_flag,pickup_location_id,dropoff_location_id,payment_type,fare_amount,extra,mta_tax,tip_amount,tolls_amount,improvement_surcharge,total_amount,congestion_surcharge\n';

export const trips: Scenario = async ({ bytes, seed, dir }) => {
  const r = new Random(seed);
  const out = await Output.create(dir);
  const clock = new Clock(' ');
  const tb = new Budget(Math.floor(bytes / 5));
  const t = out.open('trips.csv', tb);
  t.preamble('region,origin_coord,destination_coord,date_time,datasource\n');
  const perRegion: Record<string, number> = {};
  const may = Date.UTC(2018, 4, 1) / 1000;
  // Coordinates drawn from pools of 4096 per region and axis (number-to-text is the slow part).
  const pools = REGIONS.map((g) => ({ lon: numberPool(r, 4096, g.lon - 0.1, g.lon + 0.1), lat: numberPool(r, 4096, g.lat - 0.1, g.lat + 0.1) }));
  for (;;) {
    const gi = r.int(0, REGIONS.length - 1);
    const g = REGIONS[gi]!, p = pools[gi]!;
    const line = g.region + ',POINT (' + r.pick(p.lon) + ' ' + r.pick(p.lat) + '),POINT (' + r.pick(p.lon) + ' ' + r.pick(p.lat) + '),' +
      clock.format(may + r.int(0, 31 * 86400 - 1)) + ',' + r.pick(DATASOURCES) + '\n';
    if (!putAscii(t, tb, line)) break;
    perRegion[g.region] = (perRegion[g.region] ?? 0) + 1;
    if (t.full) await t.flush();
  }
  const rest = bytes - tb.used;
  const months: Record<string, { trips: number; fareCents: number }> = {};
  for (const [i, month] of ['2019-01', '2019-02'].entries()) {
    const b = new Budget(i === 0 ? Math.floor(rest / 2) : rest - Math.floor(rest / 2));
    const sink = out.open(`yellow_tripdata_${month}.csv`, b);
    months[month] = await taxiMonth(r, clock, sink, b, Date.UTC(2019, i, 1) / 1000, i === 0);
  }
  const files = await out.close();
  return { files, totals: { perRegion, months } };
};

async function taxiMonth(r: Random, clock: Clock, sink: Sink, b: Budget, start: number, january: boolean): Promise<{ trips: number; fareCents: number }> {
  sink.preamble(TAXI_HEADER);
  // Everything after the dropoff time is drawn from a pool of 65536 tails, each formatted once
  // and flattened (number-to-text and a tree of ~25 pieces a line were most of the cost).
  const POOL = 1 << 16;
  const tails: string[] = [];
  const poolFare = new Int32Array(POOL), poolDuration = new Int32Array(POOL);
  for (let i = 0; i < POOL; i++) {
    const zero = r.chance(0.007);
    const dist = zero ? 0 : r.int(10, 2500);
    let fare = 250 + dist * 25 + r.int(0, 300);
    if (r.chance(0.001)) fare = -fare;
    const tip = r.chance(0.6) ? r.int(0, 800) : 0;
    const cong = january && r.chance(0.63) ? '' : r.chance(0.5) ? '2.5' : '0.0';
    const total = fare + 50 + 50 + tip + 30;
    tails.push(flat(',' + r.int(1, 6) + ',' + fixed(dist, 2) + (r.next() < 0.01 ? ',1,Y,' : ',1,N,') + r.int(1, 265) + ',' + r.int(1, 265) + ',' + r.int(1, 4) + ',' +
      fixed(fare, 2) + ',0.5,0.5,' + fixed(tip, 2) + ',0.0,0.3,' + fixed(total, 2) + ',' + cong + '\n'));
    poolFare[i] = fare;
    poolDuration[i] = 60 + r.int(0, 3600);
  }
  let trips = 0, fareCents = 0;
  for (;;) {
    const pickup = start + r.int(0, 28 * 86400 - 1);
    const i = (r.next() * POOL) | 0;
    const line = r.int(1, 2) + ',' + clock.format(pickup) + ',' + clock.format(pickup + poolDuration[i]!) + tails[i]!;
    if (!putAscii(sink, b, line)) break;
    trips++; fareCents += poolFare[i]!;
    if (sink.full) await sink.flush();
  }
  return { trips, fareCents };
}
