/**
 * Deterministic inputs with known answers: a trips-like CSV (quoted fields, quoted
 * newlines, CRLF optional, a timestamp to partition on) and a nested chat-like
 * JSONL. Each generator streams to disk and returns the totals a correct load must
 * reproduce in SQL (row count, integer and decimal column sums).
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { pick, rng } from './random.js';

export interface CsvOptions {
  rows: number;
  seed?: number;
  crlf?: boolean;
  /** Every n-th row gets a note with an embedded newline (and quotes). 0 = never. */
  quotedNewlineEvery?: number;
}

export interface Totals {
  rows: number;
  /** Sum of the integer column (`passengers` / `turn`). */
  intSum: number;
  /** Sum of the decimal column in cents (`fare` / `score*1000`), exact. */
  decimalSumMilli: number;
}

const REGIONS = ['Prague', 'Turin', 'Hamburg', 'Zürich', 'São Paulo'];
const SOURCES = ['funny_car', 'baba_car', 'cheap_mobile', 'pt_search_app', 'bad_diesel_vehicles'];

async function writeLines(path: string, produce: (write: (s: string) => Promise<void>) => Promise<void>): Promise<void> {
  const out = createWriteStream(path);
  let buf = '';
  const write = async (s: string): Promise<void> => {
    buf += s;
    if (buf.length > 1 << 16) {
      if (!out.write(buf)) await once(out, 'drain');
      buf = '';
    }
  };
  await produce(write);
  out.end(buf);
  await once(out, 'finish');
}

/** trips.csv: region,origin,destination,datetime,datasource,passengers,fare,note */
export async function writeTripsCsv(path: string, opts: CsvOptions): Promise<Totals> {
  const r = rng(opts.seed ?? 1);
  const eol = opts.crlf ? '\r\n' : '\n';
  const totals: Totals = { rows: opts.rows, intSum: 0, decimalSumMilli: 0 };
  await writeLines(path, async (write) => {
    await write(`region,origin_coord,destination_coord,datetime,datasource,passengers,fare,note${eol}`);
    for (let i = 0; i < opts.rows; i++) {
      const ts = new Date(Date.UTC(2023, 0, 1) + Math.floor(r() * 365 * 86400) * 1000).toISOString().replace('T', ' ').slice(0, 19);
      const passengers = 1 + Math.floor(r() * 6);
      const fareCents = Math.floor(r() * 100000);
      totals.intSum += passengers;
      totals.decimalSumMilli += fareCents * 10;
      const fare = `${Math.floor(fareCents / 100)}.${String(fareCents % 100).padStart(2, '0')}`;
      const nl = opts.quotedNewlineEvery && i % opts.quotedNewlineEvery === 0;
      const note = nl ? `"line one${eol}line ""two"", with comma"` : r() < 0.5 ? 'plain' : '';
      const p = (x: number, y: number): string => `"POINT (${x.toFixed(6)} ${y.toFixed(6)})"`;
      await write(
        `${pick(r, REGIONS)},${p(14 + r(), 50 + r())},${p(7 + r(), 45 + r())},${ts},${pick(r, SOURCES)},${passengers},${fare},${note}${eol}`,
      );
    }
  });
  return totals;
}

export interface JsonlOptions {
  messages: number;
  seed?: number;
}

/** chat.jsonl: {conversation_id, turn, agent, message, sent_at, sentiment:{label, score}, knowledge:[...]} */
export async function writeChatJsonl(path: string, opts: JsonlOptions): Promise<Totals> {
  const r = rng(opts.seed ?? 2);
  const totals: Totals = { rows: opts.messages, intSum: 0, decimalSumMilli: 0 };
  const texts = ['hello 👋', 'Das ist "gut"', 'tab\there', 'back\\slash', 'new\nline', 'ünïcödé ✓', "it's fine"];
  await writeLines(path, async (write) => {
    for (let i = 0; i < opts.messages; i++) {
      const turn = i % 20;
      const scoreMilli = Math.floor(r() * 2000) - 1000;
      totals.intSum += turn;
      totals.decimalSumMilli += scoreMilli;
      const rec = {
        conversation_id: `t_${Math.floor(i / 20)}`,
        turn,
        agent: turn % 2 ? 'agent_2' : 'agent_1',
        message: pick(r, texts),
        sent_at: new Date(Date.UTC(2023, 0, 1) + i * 60_000).toISOString(),
        sentiment: { label: scoreMilli < 0 ? 'Negative' : 'Positive', score: scoreMilli / 1000 },
        knowledge: ['FS1', 'FS2'].slice(0, 1 + (i % 2)),
      };
      await write(`${JSON.stringify(rec)}\n`);
    }
  });
  return totals;
}
