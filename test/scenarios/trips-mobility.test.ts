// Trips + NYC taxi (examples/trips/taxi.yaml) and mobility (examples/mobility/dataset.yaml).
// Taxi: two monthly files into one table; trips, fares, refunds and zero-distance trips per month
// equal sums over the raw CSV lines. Mobility: generated events and weather; located events per
// city and hour, with that hour's temperature and precipitation, equal a count made here (city by
// box, hour by the timestamp's text). weather.json (one object per line, each followed by a comma)
// loads as it is; the test's own reader cuts the commas.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateExample } from '@copyfleet/generate';
import { REPO_ROOT } from '@copyfleet/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { e2e } from '../helpers.js';
import { csvRows, loadExample, readJson } from './sources.js';

const t = e2e();
afterAll(() => t.close());

/** Per month: [trips, fare cents, refunds, zero-distance] from the raw taxi CSVs. */
function taxiMonths(files: string[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const f of files) {
    for (const row of csvRows(f)) {
      const month = `${row[1]!.slice(0, 7)}-01`;
      const m = out.get(month) ?? [0, 0, 0, 0];
      const fare = Math.round(Number(row[10]) * 100);
      m[0]! += 1; m[1]! += fare; m[2]! += fare < 0 ? 1 : 0; m[3]! += Number(row[4]) === 0 ? 1 : 0;
      out.set(month, m);
    }
  }
  return out;
}

function reportedMonths(out: string): Map<string, number[]> {
  const rows = readJson<{ month: string; trips: number; fares: number | string; refunds: number; zero_distance: number }[]>(out, 'taxi_per_month.json');
  return new Map(rows.map((r) => [r.month, [r.trips, Math.round(Number(r.fares) * 100), r.refunds, r.zero_distance]]));
}

describe('trips + taxi', () => {
  const dir = join(REPO_ROOT, 'examples', 'trips');

  it('the shipped taxi samples: two months into one table, per-month figures equal sums over the CSVs', async () => {
    const files = ['yellow_tripdata_sample_2019-01.csv', 'yellow_tripdata_sample_2019-02.csv'].map((f) => join(dir, f));
    const run = await loadExample(t, 'trips', 'taxi.yaml', dir);
    expect(run.stdout).toMatch(/3 file\(s\): 3 loaded/);
    expect(run.counts).toEqual({ taxi: { loaded: 20_000, rejected: 0 }, trips: { loaded: 100, rejected: 0 } });
    const out = run.reports;
    const expected = taxiMonths(files);
    expect(reportedMonths(out)).toEqual(expected);
    expect([...expected.values()].reduce((s, m) => s + m[2]!, 0)).toBe(22); // 7 + 15 negative fares (SOURCES.md)
  });

  it('generated trips and taxi months load whole and give the manifest totals', async () => {
    const gen = join(t.dir, 'gen-trips');
    const m = await generateExample('trips', { bytes: 2 << 20, seed: 9, dir: gen });
    const run = await loadExample(t, 'trips', 'taxi.yaml', gen);
    const records = Object.fromEntries(m.files.map((f) => [f.path, f.records]));
    expect(run.counts).toEqual({
      trips: { loaded: records['trips.csv'], rejected: 0 },
      taxi: { loaded: records['yellow_tripdata_2019-01.csv']! + records['yellow_tripdata_2019-02.csv']!, rejected: 0 },
    });
    const out = run.reports;
    const months = m.totals.months as Record<string, { trips: number; fareCents: number }>;
    const got = reportedMonths(out);
    expect([...got].map(([k, v]) => [k, v[0], v[1]])).toEqual(Object.entries(months).map(([k, v]) => [`${k}-01`, v.trips, v.fareCents]));
    expect(got).toEqual(taxiMonths(['yellow_tripdata_2019-01.csv', 'yellow_tripdata_2019-02.csv'].map((f) => join(gen, f))));
    const regions = readJson<{ region: string }[]>(out, 'weekly_trips_per_region.json').map((r) => r.region);
    expect(regions).toEqual(Object.keys(m.totals.perRegion as object).sort());
  });
});

const BOXES: [string, number, number, number, number][] = [
  ['Berlin', 52.40, 52.62, 13.20, 13.60], ['Zurich', 47.33, 47.42, 8.48, 8.60], ['Munich', 48.08, 48.20, 11.48, 11.65],
  ['Paris', 48.82, 48.90, 2.27, 2.42], ['Vienna', 48.15, 48.25, 16.30, 16.45],
];

describe('mobility', () => {
  it('generated events and weather: events per city and hour with their weather equal a count over the raw lines', async () => {
    const gen = join(t.dir, 'gen-mobility');
    const m = await generateExample('mobility', { bytes: 2 << 20, seed: 4, dir: gen });
    const weatherText = readFileSync(join(gen, 'weather.json'), 'utf8');
    expect(weatherText.endsWith('},')).toBe(true);
    const lines = weatherText.split('\n').map((l) => l.replace(/,$/, ''));
    const run = await loadExample(t, 'mobility', 'dataset.yaml', gen);
    const { events, weather } = run.counts;
    expect([events!.loaded + events!.rejected, weather!.loaded + weather!.rejected]).toEqual(m.files.map((f) => f.records));
    expect(events!.rejected + weather!.rejected).toBe(0);

    const expected = new Map<string, { events: number; vehicles: Set<string> }>();
    for (const l of readFileSync(join(gen, 'events.jsonl'), 'utf8').trim().split('\n')) {
      const e = JSON.parse(l) as { at: string; data: { id: string; location?: { lat: number; lng: number } } };
      const loc = e.data.location;
      const box = loc && BOXES.find(([, a, b, c, d]) => loc.lat >= a && loc.lat <= b && loc.lng >= c && loc.lng <= d);
      if (!box) continue;
      const k = `${box[0]}|${e.at.slice(0, 13)}`;
      const x = expected.get(k) ?? { events: 0, vehicles: new Set<string>() };
      x.events++; x.vehicles.add(e.data.id);
      expected.set(k, x);
    }
    const hourly = new Map(lines.map((l) => JSON.parse(l) as Record<string, string | number>).map((w) => [
      `${w['weather_data.city']}|${String(w['weather_data.date_time']).slice(0, 13).replace(' ', 'T')}`,
      [Number(w['weather_data.currently_temperature']), Number(w['weather_data.currently_precipintensity'])],
    ]));
    const out = run.reports;
    const rows = readJson<{ city: string; hour: string; events: number; vehicles: number; temperature: number | null; precipitation: number | null }[]>(out, 'events_with_weather.json');
    expect(rows.length).toBe(expected.size);
    for (const r of rows) {
      const k = `${r.city}|${r.hour.slice(0, 13)}`;
      expect([r.events, r.vehicles], k).toEqual([expected.get(k)!.events, expected.get(k)!.vehicles.size]);
      expect([r.temperature, r.precipitation], k).toEqual(hourly.get(k) ?? [null, null]);
    }
    expect(rows.every((r) => r.temperature !== null)).toBe(true); // every generated hour has its weather
    expect(rows.reduce((s, r) => s + r.events, 0)).toBe((m.totals.events as Record<string, number>)['vehicle update located']);
  });
});
