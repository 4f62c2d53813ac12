/**
 * The plain Node baseline: readline + JSON.parse + pg-copy-streams, writing COPY text
 * into the table's flat columns (nested fields by path, arrays and objects as JSON).
 * Usage: DATABASE_URL=… node bench/dist/node-jsonl-copy.js FILE TABLE
 */
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { finished } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { CHAT } from './datasets.js';

const [file, table] = process.argv.slice(2);
if (!file || !table || !process.env.DATABASE_URL) {
  process.stderr.write('usage: DATABASE_URL=… node-jsonl-copy.js FILE TABLE\n');
  process.exit(2);
}
const fields = CHAT.fields!;
const ident = (s: string): string => `"${s.replace(/"/g, '""')}"`;

/** One value in COPY text format. */
function encode(v: unknown): string {
  if (v === null || v === undefined) return '\\N';
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return s.replace(/[\\\n\r\t]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t'));
}

function pick(rec: unknown, path: string[]): unknown {
  let v = rec;
  for (const k of path) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
await client.connect();
const copy = client.query(copyFrom(`COPY ${ident(table)} (${fields.map((f) => ident(f.column)).join(', ')}) FROM STDIN`));
let batch = '';
for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
  if (!line) continue;
  const rec: unknown = JSON.parse(line);
  batch += `${fields.map((f) => encode(pick(rec, f.path))).join('\t')}\n`;
  if (batch.length >= 1 << 16) {
    if (!copy.write(batch)) await once(copy, 'drain');
    batch = '';
  }
}
copy.end(batch);
await finished(copy);
await client.end();
