/**
 * Weekly sales (the nike-weekly-sales shape): sales.csv (LF) with transactions, and the
 * dimension tables calendar.csv, product.csv and store.csv (CRLF, as shipped). Messiness kept:
 * product ids with leading zeros, trailing spaces in store fields, repeated identical sales,
 * a few returns (negative units and sales). The calendar is every day of 2018, week of year
 * 1-52 (the last two days join week 52). sales.csv takes what the dimensions leave of the budget.
 */
import { Budget, Output, put, type Sink } from '../output.js';
import { Random, fixed, flat } from '../random.js';
import type { Scenario } from '../scenario.js';

const DIVISIONS = ['APPAREL', 'FOOTWEAR', 'EQUIPMENT'] as const;
const GENDERS = ['KIDS', 'MENS', 'WOMENS', 'UNISEX'] as const;
const CATEGORIES = ['CRICKET', 'COLLECTIONS', 'HOCKEY', 'RUNNING', 'FOOTBALL', 'BASKETBALL', 'TENNIS', 'GOLF', 'TRAINING', 'SWIM'] as const;
const COUNTRIES = ['INDIA', 'CHINA', 'AUSTRIA', 'BELGIUM', 'FRANCE', 'GERMANY', 'JAPAN', 'BRAZIL', 'SPAIN', 'ITALY'] as const;
const FIRST_DATEKEY = 4965; // 2018-01-01 in the shipped calendar
const PRODUCTS = 400;
const STORES = 120;

export const sales: Scenario = async ({ bytes, seed, dir }) => {
  const r = new Random(seed);
  const out = await Output.create(dir);
  const budget = new Budget(bytes);

  const calendar = out.open('calendar.csv', budget);
  calendar.preamble('datekey,datecalendarday,datecalendaryear,weeknumberofseason\r\n');
  const weekOf: number[] = [];
  const start = Date.UTC(2018, 0, 1);
  for (let d = 0; d < 365; d++) {
    const day = new Date(start + d * 86400_000);
    const week = Math.min(52, Math.floor(d / 7) + 1);
    weekOf.push(week);
    if (!put(calendar, budget, `${FIRST_DATEKEY + d},${day.getUTCDate()},2018,${week}\r\n`)) throw tooSmall(bytes);
  }

  const product = out.open('product.csv', budget);
  product.preamble('productid,division,gender,category\r\n');
  const products: { id: string; key: string }[] = [];
  for (let i = 0; i < PRODUCTS; i++) {
    const id = '00' + String(r.int(560_000_000_000, 569_999_999_999));
    const division = r.pick(DIVISIONS), gender = r.pick(GENDERS), category = r.pick(CATEGORIES);
    if (!put(product, budget, `${id},${division},${gender},${category}\r\n`)) throw tooSmall(bytes);
    products.push({ id, key: `${division}_${gender}_${category}` });
  }

  const store = out.open('store.csv', budget);
  store.preamble('storeid,channel,country\r\n');
  const stores: { id: number; channel: string }[] = [];
  for (let i = 0; i < STORES; i++) {
    const id = 409 + i;
    const channel = r.chance(0.5) ? 'Digital' : 'Store';
    const pad = r.chance(0.4) ? ' '.repeat(r.int(1, 5)) : '';
    const chPad = r.chance(0.05) ? ' ' : '';
    if (!put(store, budget, `${id},${channel}${chPad},${r.pick(COUNTRIES)}${pad}\r\n`)) throw tooSmall(bytes);
    stores.push({ id, channel: channel.toUpperCase() });
  }

  const sale = out.open('sales.csv', budget);
  sale.preamble('saleId,netSales,salesUnits,storeId,dateId,productId\n');
  // Sums per (unique key, week): unique keys numbered once per (channel, product).
  const keyIds = new Map<string, number>();
  const keyOf = (channel: string, p: { key: string }) => {
    const k = `RY18_${channel}_${p.key}`;
    let id = keyIds.get(k);
    if (id === undefined) keyIds.set(k, (id = keyIds.size));
    return id;
  };
  const keyAt = stores.map((s) => products.map((p) => keyOf(s.channel, p)));
  const sumCents = new Float64Array(keyIds.size * 53), sumUnits = new Float64Array(keyIds.size * 53);
  // Sales are drawn from a pool of 65536 distinct (store, product, day, units, amount) tails:
  // formatting them once keeps the short records above 100 MB/s.
  const POOL = 1 << 16;
  const tails: string[] = [], cells = new Int32Array(POOL), poolCents = new Int32Array(POOL), poolUnits = new Int32Array(POOL);
  for (let i = 0; i < POOL; i++) {
    const si = r.int(0, STORES - 1), pi = r.int(0, PRODUCTS - 1), d = r.int(0, 364);
    let u = r.int(1, 9), cents = u * r.int(999, 15_999);
    if (r.next() < 0.01) { u = -u; cents = -cents; }
    tails.push(flat(',' + fixed(cents, 2) + ',' + u + ',' + stores[si]!.id + ',' + (FIRST_DATEKEY + d) + ',' + products[pi]!.id + '\n'));
    cells[i] = keyAt[si]![pi]! * 53 + weekOf[d]!; poolCents[i] = cents; poolUnits[i] = u;
  }
  const st: SalesState = { r, tails, cells, poolCents, poolUnits, sumCents, sumUnits, saleId: 1, netCents: 0, units: 0, returns: 0 };
  while (fillSales(sale, st)) await sale.flush();
  const { netCents, units, returns } = st;
  let keyWeeks = 0;
  for (let i = 0; i < sumUnits.length; i++) if (sumUnits[i] !== 0 || sumCents[i] !== 0) keyWeeks++;
  const files = await out.close();
  return {
    files,
    totals: { netSalesCents: netCents, units, returns, keyWeeks, uniqueKeys: keyIds.size, products: PRODUCTS, stores: STORES, days: 365 },
  };
};

export function tooSmall(bytes: number): Error {
  return new Error(`BYTES=${bytes} is too small for this scenario's fixed tables; give at least 64KiB`);
}

interface SalesState {
  r: Random; tails: string[]; cells: Int32Array; poolCents: Int32Array; poolUnits: Int32Array;
  sumCents: Float64Array; sumUnits: Float64Array; saleId: number; netCents: number; units: number; returns: number;
}

/** Writes sales until the batch is full (true) or the budget is spent (false). A sync loop: V8 optimizes it whole. */
function fillSales(sale: Sink, st: SalesState): boolean {
  const { r, tails, cells, poolCents, poolUnits, sumCents, sumUnits } = st;
  const POOL = tails.length;
  let saleId = st.saleId, netCents = st.netCents, units = st.units, returns = st.returns;
  let more = true;
  for (;;) {
    const i = (r.next() * POOL) | 0;
    const line = tails[i]!, cell = cells[i]!, cents = poolCents[i]!, u = poolUnits[i]!;
    // The shipped file repeats a sale under new ids: 1 in 50 sales comes 2-5 times.
    const times = r.next() < 0.02 ? r.int(2, 5) : 1;
    let t = 0;
    for (; t < times; t++) {
      if (!sale.put(saleId + line, 1, true)) break;
      saleId++;
    }
    netCents += cents * t; units += u * t; sumCents[cell]! += cents * t; sumUnits[cell]! += u * t;
    if (u < 0) returns += t;
    if (t < times) { more = false; break; }
    if (sale.full) break;
  }
  Object.assign(st, { saleId, netCents, units, returns });
  return more;
}
