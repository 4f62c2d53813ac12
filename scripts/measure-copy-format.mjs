#!/usr/bin/env node
// PostgreSQL CPU-seconds per GiB of input for the rows copyfleet parses, COPY_FORMAT=text
// vs binary, against psql `\copy` of the same rows as text (docs/copy-format.md).
//
//   node scripts/measure-copy-format.mjs [BYTES (default 256MiB)] [ROUNDS (default 3)]
//
// Needs a built tree (tsc -b) and .env (make setup). Generates the bench's chat JSONL and
// trips CSV, lets `copyfleet load` plan and type them once, then per round and format
// (alternating) replays the planned chunks through loadChunk into a fresh unpartitioned
// table (trips forced onto the parse path), one chunk at a time; `\copy` loads the same rows
// (trips: the CSV itself; chat: the first load's rows dumped as COPY text). PostgreSQL's CPU
// is utime+stime of every server process plus the postmaster's reaped children
// (/proc/<pid>/stat, so backends that exited count), before and after. Prints medians.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readDotEnv, parseSize } from '@copyfleet/config';
import { createPool, insertChunks, insertRun, PartitionCache } from '@copyfleet/db';
import { fileLoadSpec, loadChunk } from '@copyfleet/loader';
import { createTableSql } from '@copyfleet/schema';
import { LocalFileSource } from '@copyfleet/source';
import { writeChatJsonlSized, writeTripsCsvSized } from '@copyfleet/testing';

const bytes = parseSize(process.argv[2] ?? '256MiB');
const rounds = Number(process.argv[3] ?? 3);
const env = { ...readDotEnv(), ...process.env };
const url = env.DATABASE_URL;
const dir = resolve('.data/measure-copy-format');
mkdirSync(dir, { recursive: true });
const pool = createPool(url, { max: 3, applicationName: 'measure-copy-format' });
const TICK = Number(execFileSync('getconf', ['CLK_TCK']).toString());

/** The postmaster: the parent of a backend. */
const backend = (await pool.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
const pgPid = Number(readFileSync(`/proc/${backend}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
/** CPU seconds of the server: its live processes plus what the postmaster reaped. */
function pgCpu() {
  let ticks = 0;
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${p}/stat`, 'utf8');
    } catch {
      continue;
    }
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(f[1]);
    const pid = Number(p);
    if (pid === pgPid) ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    else if (ppid === pgPid) ticks += Number(f[11]) + Number(f[12]);
  }
  return ticks / TICK;
}

const cli = (args, extra = {}) => execFileSync('node', ['apps/cli/dist/main.js', ...args], { env: { ...process.env, ...extra }, stdio: ['ignore', 'pipe', 'inherit'] }).toString();
const psql = (sql) => execFileSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-Atqc', sql]).toString().trim();

async function planned(table) {
  const run = (await pool.query('SELECT run_id, spec FROM copyfleet.runs WHERE target_table = $1 ORDER BY run_id DESC LIMIT 1', [`public.${table}`])).rows[0];
  const file = (await pool.query('SELECT file_no, spec FROM copyfleet.files WHERE run_id = $1', [run.run_id])).rows[0];
  const chunks = (await pool.query('SELECT byte_start::float8 AS s, byte_end::float8 AS e FROM copyfleet.chunks WHERE run_id = $1 ORDER BY chunk_no', [run.run_id])).rows;
  return { spec: fileLoadSpec(run.spec, file.spec), chunks };
}

async function replay(name, base, path, chunks, copyFormat) {
  const table = `${name}_${copyFormat}`;
  const spec = { ...base, strayQuotes: 1, table: { ...base.table, table, partition: null } }; // strayQuotes: always the parse path
  psql(`DROP TABLE IF EXISTS ${table}`);
  await pool.query('DELETE FROM copyfleet.runs WHERE target_table = $1', [`public.${table}`]);
  for (const stmt of createTableSql(spec.table)) await pool.query(stmt);
  const source = new LocalFileSource(path);
  const { size, version } = await source.stat();
  const runId = await insertRun(pool, { source: path, version, table: `public.${table}`, spec, bytesTotal: size, traceParent: null });
  await insertChunks(pool, runId, chunks.map((c, i) => ({ chunkNo: i, start: c.s, end: c.e })));
  const deps = { pool, partitions: new PartitionCache(), copyFormat };
  const cpu0 = pgCpu();
  const node0 = process.cpuUsage();
  const t0 = performance.now();
  let rows = 0;
  let binaryChunks = 0;
  for (const [i, c] of chunks.entries()) {
    const r = await loadChunk(deps, { spec, source, sourceVersion: version }, { runId, chunkNo: i, start: c.s, end: c.e });
    rows += r.rowsLoaded;
    if (r.binary) binaryChunks++;
  }
  const n = process.cpuUsage(node0);
  const out = { cpu: pgCpu() - cpu0, node: (n.user + n.system) / 1e6, wall: (performance.now() - t0) / 1000, rows, binaryChunks };
  psql(`DROP TABLE ${table}`);
  return out;
}

function copyText(name, ddlTable, file, options) {
  const table = `${name}_copy`;
  psql(`DROP TABLE IF EXISTS ${table}; CREATE TABLE ${table} (LIKE ${ddlTable})`);
  const cpu0 = pgCpu();
  const t0 = performance.now();
  execFileSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-qc', `\\copy ${table} FROM '${file}' ${options}`]);
  // psql has exited; its backend may still be exiting: its CPU counts once the postmaster has reaped it.
  execFileSync('sleep', ['0.5']);
  const out = { cpu: pgCpu() - cpu0, node: 0, wall: (performance.now() - t0) / 1000 };
  psql(`DROP TABLE ${table}`);
  return out;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const GiB = 1024 ** 3;

const inputs = [
  { name: 'mcf_chat', path: join(dir, 'chat.jsonl'), gen: writeChatJsonlSized },
  { name: 'mcf_trips', path: join(dir, 'trips.csv'), gen: writeTripsCsvSized },
];
for (const inp of inputs) {
  if (!statSync(inp.path, { throwIfNoEntry: false }) || statSync(inp.path).size < bytes) inp.gen(inp.path, { bytes, seed: 1 });
  psql(`DROP TABLE IF EXISTS ${inp.name} CASCADE`);
  cli(['load', inp.path, '--table', inp.name, '--workers', '2', '--partition', 'none'], { COPY_FORMAT: 'text' });
  inp.plan = await planned(inp.name);
  inp.size = statSync(inp.path).size;
  if (inp.name === 'mcf_chat') {
    // The same rows as COPY text, for \copy.
    inp.dump = join(dir, 'chat.copy');
    execFileSync('psql', [url, '-qc', `\\copy (SELECT ${inp.plan.spec.table.columns.map((c) => `"${c.name}"`).join(', ')} FROM ${inp.name}) TO '${inp.dump}'`]);
  }
}

const results = {};
for (let r = 0; r < rounds; r++) {
  for (const inp of inputs) {
    // Alternate the order each round: the machine is shared and noisy.
    const order = r % 2 === 0 ? ['text', 'binary'] : ['binary', 'text'];
    for (const fmt of order) {
      const m = await replay(inp.name, inp.plan.spec, inp.path, inp.plan.chunks, fmt);
      (results[`${inp.name} ${fmt}`] ??= []).push(m);
      console.error(`round ${r + 1} ${inp.name} ${fmt}: ${m.cpu.toFixed(2)} PG CPU-s, ${m.node.toFixed(2)} Node CPU-s, ${m.wall.toFixed(1)} s, ${m.rows} rows, ${m.binaryChunks}/${inp.plan.chunks.length} chunks binary`);
    }
    const opts = inp.name === 'mcf_chat' ? '' : "WITH (FORMAT csv, HEADER true)";
    const m = copyText(inp.name, inp.name, inp.name === 'mcf_chat' ? inp.dump : inp.path, opts);
    (results[`${inp.name} \\copy`] ??= []).push(m);
    console.error(`round ${r + 1} ${inp.name} \\copy: ${m.cpu.toFixed(2)} PG CPU-s, ${m.wall.toFixed(1)} s`);
  }
}
console.log(`input bytes: ${bytes}; rounds: ${rounds}; medians`);
console.log('| input | how | PG CPU-s | PG CPU-s per GiB | vs \\copy | loader (Node) CPU-s per GiB | wall s |');
console.log('|---|---|---|---|---|---|---|');
for (const inp of inputs) {
  const base = median(results[`${inp.name} \\copy`].map((m) => m.cpu));
  for (const how of ['\\copy', 'text', 'binary']) {
    const ms = results[`${inp.name} ${how}`];
    const cpu = median(ms.map((m) => m.cpu));
    const node = median(ms.map((m) => m.node));
    console.log(`| ${inp.name} | ${how} | ${cpu.toFixed(2)} | ${((cpu / inp.size) * GiB).toFixed(2)} | ${(cpu / base).toFixed(2)} | ${how === '\\copy' ? '-' : ((node / inp.size) * GiB).toFixed(2)} | ${median(ms.map((m) => m.wall)).toFixed(1)} |`);
  }
}
await pool.end();
