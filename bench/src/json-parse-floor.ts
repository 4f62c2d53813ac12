/**
 * The floor for JSON in Node (issue 15, target 4): what parsing the chat JSONL costs with
 * nothing else — no typing, no encoding, no COPY, no database. Two passes over the file,
 * each timed by its own CPU (process.cpuUsage):
 *
 *   1. readline + JSON.parse of each line (the obvious script);
 *   2. newlines found with Buffer.indexOf, each line decoded (toString) and JSON.parse'd
 *      (readline's own cost left out: PITFALLS.md measured it above JSON.parse's).
 *
 * Each pass adds up the row count, sum(turn) and sum(sentiment.score) × 1000, which the
 * harness checks against the generator's totals like a table. Prints one JSON line (a FloorReport).
 * Usage: node bench/dist/json-parse-floor.js FILE
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

export interface FloorReport {
  rows: number;
  intSum: number;
  decimalSumMilli: number;
  /** CPU seconds of pass 1 (readline + JSON.parse). */
  readlineParseCpuSeconds: number;
  /** CPU seconds of pass 2 (Buffer.indexOf + toString + JSON.parse). */
  splitParseCpuSeconds: number;
}

interface Sums {
  rows: number;
  intSum: number;
  decimalSumMilli: number;
}

function add(sums: Sums, line: string): void {
  const rec = JSON.parse(line) as { turn: number; sentiment: { score: number } };
  sums.rows++;
  sums.intSum += rec.turn;
  sums.decimalSumMilli += Math.round(rec.sentiment.score * 1000);
}

const cpuSeconds = (since: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
};

async function readlinePass(file: string): Promise<Sums> {
  const sums = { rows: 0, intSum: 0, decimalSumMilli: 0 };
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) if (line) add(sums, line);
  return sums;
}

async function splitPass(file: string): Promise<Sums> {
  const sums = { rows: 0, intSum: 0, decimalSumMilli: 0 };
  let rest: Buffer = Buffer.alloc(0);
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    const buf = rest.length ? Buffer.concat([rest, chunk]) : chunk;
    let start = 0;
    for (let nl = buf.indexOf(10, start); nl >= 0; nl = buf.indexOf(10, start)) {
      if (nl > start) add(sums, buf.toString('utf8', start, nl));
      start = nl + 1;
    }
    rest = buf.subarray(start);
  }
  if (rest.length) add(sums, rest.toString('utf8'));
  return sums;
}

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: json-parse-floor.js FILE\n');
  process.exit(2);
}
let t = process.cpuUsage();
const a = await readlinePass(file);
const readlineParseCpuSeconds = cpuSeconds(t);
t = process.cpuUsage();
const b = await splitPass(file);
const splitParseCpuSeconds = cpuSeconds(t);
if (a.rows !== b.rows || a.intSum !== b.intSum || a.decimalSumMilli !== b.decimalSumMilli) {
  process.stderr.write(`json-parse-floor: the two passes disagree: ${JSON.stringify(a)} vs ${JSON.stringify(b)}\n`);
  process.exit(1);
}
const report: FloorReport = { ...a, readlineParseCpuSeconds, splitParseCpuSeconds };
process.stdout.write(`${JSON.stringify(report)}\n`);
