/**
 * Mobility: vehicle events in the door2door shape (events.jsonl: register, update with a
 * position, deregister, operating_period create) in five cities, and hourly weather per city
 * in the Tier shape (weather.json: flat dotted keys, one object per line, each followed by a
 * comma, no newline after the last). Weather for an hour is written when the events' clock
 * enters it, so both files share the budget. Messiness kept: preciptype missing when dry,
 * updates that carry no location (1 in 500), the anonymised organization id.
 */
import { Budget, Output, putAscii } from '../output.js';
import { Clock, Random, numberPool } from '../random.js';
import type { Scenario } from '../scenario.js';

/** City boxes: events are placed inside, the report finds the city from lat/lng the same way. */
export const CITIES = [
  { city: 'Berlin', lat: [52.45, 52.6], lng: [13.25, 13.5] },
  { city: 'Zurich', lat: [47.33, 47.42], lng: [8.48, 8.6] },
  { city: 'Munich', lat: [48.08, 48.2], lng: [11.48, 11.65] },
  { city: 'Paris', lat: [48.82, 48.9], lng: [2.27, 2.42] },
  { city: 'Vienna', lat: [48.15, 48.25], lng: [16.3, 16.45] },
] as const;
const START_MS = Date.UTC(2019, 5, 1, 0, 0, 0);
const VEHICLES_PER_CITY = 200;

export const mobility: Scenario = async ({ bytes, seed, dir }) => {
  const r = new Random(seed);
  const out = await Output.create(dir);
  const budget = new Budget(bytes);
  const events = out.open('events.jsonl', budget);
  const weather = out.open('weather.json', budget);
  const wclock = new Clock(' ');
  const clock = new Clock('T');
  const pools = CITIES.map((c) => ({ lat: numberPool(r, 4096, c.lat[0], c.lat[1]), lng: numberPool(r, 4096, c.lng[0], c.lng[1]) }));
  const hourKeys = new Map<number, string>();
  const vehicles = CITIES.map(() => Array.from({ length: VEHICLES_PER_CITY }, () => r.uuid()));
  let ms = START_MS, hour = -1, weatherRows = 0;
  const perCityHour = new Map<string, number>();
  const counts: Record<string, number> = {};
  for (;;) {
    ms += r.int(1, 40); // about 50 events a second
    const h = Math.floor(ms / 3600_000);
    if (h !== hour) {
      // Each object is followed by a comma; a newline comes before the next (none after the last).
      hour = h;
      let text = '';
      for (const c of CITIES) {
        const temp = (r.int(800, 3200) / 100);
        const wet = r.chance(0.3);
        const row = `{"weather_data.date_time":"${wclock.format(h * 3600 + r.int(0, 3599))}","weather_data.city":"${c.city}",` +
          `"weather_data.currently_apparenttemperature":${(temp + r.int(-200, 200) / 100).toFixed(2)},"weather_data.currently_humidity":${(r.int(20, 95) / 100).toFixed(2)},` +
          `"weather_data.currently_precipintensity":${wet ? (r.int(1, 5000) / 10000).toFixed(4) : '0'},"weather_data.currently_precipprobability":${(r.int(0, 100) / 100).toFixed(2)},` +
          (wet ? '"weather_data.currently_preciptype":"rain",' : '') +
          `"weather_data.currently_temperature":${temp.toFixed(2)},"weather_data.currently_visibility":${(r.int(500, 1609) / 100).toFixed(2)},"weather_data.currently_windspeed":${(r.int(0, 1200) / 100).toFixed(2)}}`;
        text += (weatherRows > 0 || text ? '\n' : '') + row + ',';
      }
      if (!weather.put(text, CITIES.length, true)) break;
      weatherRows += CITIES.length;
    }
    const ci = r.int(0, CITIES.length - 1);
    const c = CITIES[ci]!;
    const iso = clock.isoMs(ms);
    const x = r.next();
    let line: string, kind: string;
    if (x < 0.003) {
      kind = r.chance(0.5) ? 'register' : 'deregister';
      line = `{"event":"${kind}","on":"vehicle","at":"${iso}","data":{"id":"${r.pick(vehicles[ci]!)}"},"organization_id":"org-id"}\n`;
    } else if (x < 0.0031) {
      kind = 'create';
      line = `{"event":"create","on":"operating_period","at":"${iso}","data":{"id":"op_${r.int(1, 9)}","start":"${iso}","finish":"${new Date(ms + 300_000).toISOString()}"},"organization_id":"org-id"}\n`;
    } else if (x < 0.0051) {
      kind = 'update';
      line = `{"event":"update","on":"vehicle","at":"${iso}","data":{"id":"${r.pick(vehicles[ci]!)}"},"organization_id":"org-id"}\n`;
    } else {
      kind = 'update';
      const p = pools[ci]!;
      line = '{"event":"update","on":"vehicle","at":"' + iso + '","data":{"id":"' + r.pick(vehicles[ci]!) + '","location":{"lat":' + r.pick(p.lat) +
        ',"lng":' + r.pick(p.lng) + ',"at":"' + clock.isoMs(ms - r.int(0, 999)) + '"}},"organization_id":"org-id"}\n';
      let hk = hourKeys.get(h);
      if (hk === undefined) hourKeys.set(h, (hk = new Date(h * 3600_000).toISOString().slice(0, 13)));
      const k = c.city + '|' + hk;
      if (!putAscii(events, budget, line)) break;
      perCityHour.set(k, (perCityHour.get(k) ?? 0) + 1);
      counts['vehicle update located'] = (counts['vehicle update located'] ?? 0) + 1;
      if (events.full) await events.flush();
      if (weather.full) await weather.flush();
      continue;
    }
    if (!putAscii(events, budget, line)) break;
    counts[kind] = (counts[kind] ?? 0) + 1;
    if (events.full) await events.flush();
  }
  const files = await out.close();
  return { files, totals: { weatherRows, events: counts, locatedPerCityHour: Object.fromEntries(perCityHour), hours: weatherRows / CITIES.length } };
};
