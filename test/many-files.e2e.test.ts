// Many files, one run (issue #10), through the real CLI, PostgreSQL and Redis: a directory
// of plain and gzip CSV files, a glob, incremental loads (only new and changed files), a
// bad file among good ones, inputs that name nothing, a symbolic link loop, and a worker
// SIGKILLed mid-run. Every check is against what the generator wrote, per file.
import { mkdirSync, readFileSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { runCli, startCli, uniqueName, writeTripsCsv, type Totals } from '@copyfleet/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { e2e, one, runIdOf } from './helpers.js';

const t = e2e();
afterAll(() => t.close());

/** `n` trips files under `dir` (file i has 40 + 7i rows), some gzip-compressed; returns each file's totals by path. */
async function writeFiles(dir: string, n: number, opts: { gzipEvery?: number; seed?: number; nested?: boolean } = {}): Promise<Map<string, Totals>> {
  mkdirSync(dir, { recursive: true });
  const files = new Map<string, Totals>();
  for (let i = 0; i < n; i++) {
    const sub = opts.nested && i % 3 === 2 ? join(dir, `day-${i}`) : dir;
    mkdirSync(sub, { recursive: true });
    const path = join(sub, `trips-${String(i).padStart(3, '0')}.csv`);
    if (opts.gzipEvery && i % opts.gzipEvery === 0) {
      const plain = join(dir, '..', `${uniqueName('plain')}.csv`);
      const totals = await writeTripsCsv(plain, { rows: 40 + 7 * i, quotedNewlineEvery: 5, seed: (opts.seed ?? 1) * 1000 + i });
      writeFileSync(`${path}.gz`, gzipSync(readFileSync(plain)));
      unlinkSync(plain);
      files.set(`${path}.gz`, totals);
    } else files.set(path, await writeTripsCsv(path, { rows: 40 + 7 * i, quotedNewlineEvery: 5, seed: (opts.seed ?? 1) * 1000 + i }));
  }
  return files;
}

const sum = (ts: Iterable<Totals>): { rows: number; ints: number; milli: number } => {
  let rows = 0;
  let ints = 0;
  let milli = 0;
  for (const x of ts) {
    rows += x.rows;
    ints += x.intSum;
    milli += x.decimalSumMilli;
  }
  return { rows, ints, milli };
};

async function tableSums(table: string): Promise<{ rows: number; ints: number; milli: number }> {
  const r = await one<{ n: number; p: number; f: string }>(t.pool, `SELECT count(*)::int AS n, coalesce(sum(passengers), 0)::int AS p, coalesce(sum(fare) * 1000, 0)::bigint::text AS f FROM ${table}`);
  return { rows: r.n, ints: r.p, milli: Number(r.f) };
}

async function filesOfRun(runId: string): Promise<{ uri: string; status: string; rows_loaded: number; rows_rejected: number; message: string | null }[]> {
  const { rows } = await t.pool.query('SELECT uri, status, rows_loaded::int, rows_rejected::int, message FROM copyfleet.files WHERE run_id = $1 ORDER BY file_no', [runId]);
  return rows;
}

const load = (inputs: string[], table: string, extra: string[] = []) =>
  runCli(['load', ...inputs, '--table', table, '--workers', '2', '--chunk', '16KiB', ...extra], t.env);

describe('many files, one run', () => {
  it('a directory of plain and gzip CSV files, nested, with hidden files: every file once, a status line per file', async () => {
    const dir = join(t.dir, 'landing');
    const files = await writeFiles(dir, 12, { gzipEvery: 4, nested: true });
    // Hidden and _-prefixed entries are not data (Spark's rule): they must not load.
    writeFileSync(join(dir, '_SUCCESS'), '');
    mkdirSync(join(dir, '_temporary'));
    writeFileSync(join(dir, '_temporary', 'part-0.csv'), 'region\nnot data\n');
    const table = uniqueName('dir_trips');
    const res = await load([`${dir}/`], table);
    expect(res.code, `${res.stdout}\n${res.stderr}`).toBe(0);
    const runId = runIdOf(res.stdout);
    expect(await tableSums(table)).toEqual(sum(files.values()));

    const listed = await filesOfRun(runId);
    expect(listed.map((f) => f.uri).sort()).toEqual([...files.keys()].sort());
    for (const f of listed) expect(f, f.uri).toMatchObject({ status: 'done', rows_loaded: files.get(f.uri)!.rows, rows_rejected: 0 });
    expect(listed.some((f) => f.uri.includes('_temporary') || f.uri.includes('_SUCCESS') || f.uri.includes('/.'))).toBe(false);

    const csv = readFileSync(join(t.env.REPORTS_DIR!, runId, 'files.csv'), 'utf8').trim().split(/\r?\n/);
    expect(csv[0]).toBe('file_no,uri,bytes,format,status,rows_loaded,rows_rejected,chunks,seconds,message');
    expect(csv).toHaveLength(listed.length + 1);
    const run = await one(t.pool, 'SELECT status, rows_loaded::int AS n FROM copyfleet.runs WHERE run_id = $1', [runId]);
    expect(run).toEqual({ status: 'done', n: sum(files.values()).rows });
  });

  it('a glob, then again after adding two files and changing one: only those, said so; a changed file without a key is refused', async () => {
    const dir = join(t.dir, 'glob');
    const files = await writeFiles(dir, 5, { seed: 2 });
    writeFileSync(join(dir, 'notes.txt'), 'not matched by the glob\n');
    const table = uniqueName('glob_trips');
    const first = await load([`${dir}/*.csv`], table);
    expect(first.code, first.stderr).toBe(0);
    expect(await tableSums(table)).toEqual(sum(files.values()));

    // Two new files; one old file changed (more rows).
    const added = new Map<string, Totals>();
    for (const i of [7, 8]) {
      const p = join(dir, `new-${i}.csv`);
      added.set(p, await writeTripsCsv(p, { rows: 30 + i, seed: 77 + i }));
    }
    const changed = [...files.keys()][1]!;
    await writeTripsCsv(changed, { rows: 99, seed: 555 });
    const second = await load([`${dir}/*.csv`], table);
    expect(second.code, `${second.stdout}\n${second.stderr}`).toBe(2); // done, but one file refused
    expect(second.stderr).toMatch(/2 new file\(s\), 1 changed, 4 already loaded/);
    expect(second.stdout).toMatch(/changed since run \d+ loaded it/);
    const runId = runIdOf(second.stdout);
    const listed = await filesOfRun(runId);
    expect(listed.map((f) => [f.uri, f.status])).toEqual([...[...added.keys()].map((k) => [k, 'done']), [changed, 'skipped']]);
    expect(await tableSums(table)).toEqual(sum([...files.values(), ...added.values()]));

    // Nothing new: a run that says so, and the table unchanged.
    const third = await load([`${dir}/*.csv`], table);
    expect(third.code).toBe(2); // the changed file is still refused
    expect(third.stderr).toMatch(/0 new file\(s\), 1 changed, 6 already loaded/);
    expect(await tableSums(table)).toEqual(sum([...files.values(), ...added.values()]));

    // The table dropped: nothing of it is loaded any more, so every file is new again.
    await t.pool.query(`DROP TABLE ${table}`);
    const fourth = await load([`${dir}/*.csv`], table);
    expect(fourth.code, `${fourth.stdout}\n${fourth.stderr}`).toBe(0);
    expect(fourth.stderr).toMatch(/7 new file\(s\)/);
    expect((await tableSums(table)).rows).toBe(sum([...files.values(), ...added.values()]).rows - files.get(changed)!.rows + 99);
  });

  it('with --reload every file loads again (appended, and said)', async () => {
    const dir = join(t.dir, 'reload');
    const files = await writeFiles(dir, 3, { seed: 3 });
    const table = uniqueName('reload_trips');
    expect((await load([dir], table)).code).toBe(0);
    const again = await load([dir], table, ['--reload']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/appended: the table had \d+ rows before/);
    const once = sum(files.values());
    expect(await tableSums(table)).toEqual({ rows: 2 * once.rows, ints: 2 * once.ints, milli: 2 * once.milli });
  });

  it('bad files among good ones fail alone, named, and the run says it was not clean', async () => {
    const dir = join(t.dir, 'bad');
    const files = await writeFiles(dir, 4, { seed: 4 });
    writeFileSync(join(dir, 'broken.csv.gz'), Buffer.concat([gzipSync(readFileSync([...files.keys()][0]!)).subarray(0, 200)]));
    // Sorted after the trips files: the table comes from the first file of the common kind (README "Many files").
    writeFileSync(join(dir, 'x-extra-column.csv'), 'region,origin_coord,destination_coord,datetime,datasource,passengers,fare,note,tip\nx,,,2023-01-01 00:00:00,a,1,1.00,,9\n');
    writeFileSync(join(dir, 'README.txt'), 'These are the trips.\nLoad them with copyfleet.\n');
    const table = uniqueName('bad_trips');
    const res = await load([dir], table);
    expect(res.code, `${res.stdout}\n${res.stderr}`).toBe(2);
    const runId = runIdOf(res.stdout);
    const byName = new Map((await filesOfRun(runId)).map((f) => [f.uri.split('/').at(-1)!, f]));
    expect(byName.get('broken.csv.gz')!.status).toBe('failed');
    expect(byName.get('broken.csv.gz')!.message).toBeTruthy();
    expect(byName.get('x-extra-column.csv')).toMatchObject({ status: 'failed', message: expect.stringMatching(/column\(s\) "tip" are not in the table/) });
    expect(byName.get('README.txt')!.status).toBe('failed');
    for (const [path, totals] of files) expect(byName.get(path.split('/').at(-1)!)).toMatchObject({ status: 'done', rows_loaded: totals.rows });
    expect(await tableSums(table)).toEqual(sum(files.values()));
    expect(res.stdout).toMatch(/7 file\(s\): 4 loaded, 3 failed/);
  });

  it('small files load in packs; a value PostgreSQL refuses unparsed unpacks its pack, and every file stays exact', async () => {
    const dir = join(t.dir, 'packs');
    const files = await writeFiles(dir, 8, { seed: 8 });
    // Sorted between trips-000 (the table's design file) and trips-001: packed with its neighbours (16 KiB packs, files of 4-10 KiB).
    const bad = join(dir, 'trips-001-bad.csv');
    const badTotals = await writeTripsCsv(bad, { rows: 20, seed: 81 });
    writeFileSync(bad, `${readFileSync(bad, 'utf8')}x,,,2023-02-03 10:00:00,app,many,1.00,\n`);
    const table = uniqueName('packed_trips');
    const res = await load([dir], table);
    expect(res.code, `${res.stdout}\n${res.stderr}`).toBe(0);
    const runId = runIdOf(res.stdout);
    const byName = new Map((await filesOfRun(runId)).map((f) => [f.uri.split('/').at(-1)!, f]));
    for (const [path, totals] of files) expect(byName.get(path.split('/').at(-1)!)).toMatchObject({ status: 'done', rows_loaded: totals.rows, rows_rejected: 0 });
    expect(byName.get('trips-001-bad.csv')).toMatchObject({ status: 'done', rows_loaded: badTotals.rows, rows_rejected: 1 });
    expect(await tableSums(table)).toEqual(sum([...files.values(), badTotals]));
    const reject = await one<{ line_no: number; reason: string }>(t.pool, 'SELECT line_no::int, reason FROM copyfleet.rejects WHERE run_id = $1', [runId]);
    expect(reject).toEqual({ line_no: 22, reason: expect.stringMatching(/passengers/) });
    // The bad file's pack was tried once whole, then its chunks one by one: they alone took two attempts.
    const { rows } = await t.pool.query<{ uri: string; attempts: number }>(
      'SELECT f.uri, c.attempts FROM copyfleet.chunks c JOIN copyfleet.files f USING (run_id, file_no) WHERE c.run_id = $1 ORDER BY c.chunk_no',
      [runId],
    );
    const twice = rows.filter((r) => r.attempts === 2).map((r) => r.uri.split('/').at(-1));
    expect(twice).toContain('trips-001-bad.csv');
    expect(twice.length).toBeGreaterThan(1); // its pack-mates
    expect(rows.filter((r) => r.attempts === 1).length).toBeGreaterThan(0); // the other packs loaded whole
  });

  it('columns matched by name: reordered columns load right, a missing column is NULL', async () => {
    const dir = join(t.dir, 'order');
    mkdirSync(dir);
    writeFileSync(join(dir, 'a.csv'), 'id,city,amount\n1,Prague,1.5\n2,Brno,2.5\n');
    writeFileSync(join(dir, 'b.csv'), 'amount,id,city\n3.5,3,Ostrava\n');
    writeFileSync(join(dir, 'c.csv'), 'city,id\nPlzen,4\n');
    const table = uniqueName('by_name');
    const res = await load([dir], table);
    expect(res.code, `${res.stdout}\n${res.stderr}`).toBe(0);
    const { rows } = await t.pool.query(`SELECT id::int, city, amount::text FROM ${table} ORDER BY id`);
    expect(rows).toEqual([
      { id: 1, city: 'Prague', amount: '1.5' },
      { id: 2, city: 'Brno', amount: '2.5' },
      { id: 3, city: 'Ostrava', amount: '3.5' },
      { id: 4, city: 'Plzen', amount: null },
    ]);
  });

  it('inputs that name nothing end with a clear message and no run; a symbolic link loop ends', async () => {
    const empty = join(t.dir, 'empty');
    mkdirSync(join(empty, '.git'), { recursive: true });
    writeFileSync(join(empty, '.git', 'x.csv'), 'a\n1\n');
    const e = await load([empty], uniqueName('nothing'));
    expect(e.code).toBe(1);
    expect(e.stderr).toMatch(/the directory holds no files to load/);
    const g = await load([`${t.dir}/nowhere-*.csv`], uniqueName('nothing'));
    expect(g.code).toBe(1);
    expect(g.stderr).toMatch(/the pattern matches no file/);

    const loop = join(t.dir, 'loop');
    mkdirSync(loop);
    writeFileSync(join(loop, 'one.csv'), 'id\n1\n2\n');
    symlinkSync(loop, join(loop, 'again'));
    const table = uniqueName('loop');
    const res = await load([loop], table);
    expect(res.code, res.stderr).toBe(0);
    expect((await one(t.pool, `SELECT count(*)::int AS n FROM ${table}`)).n).toBe(2);
  });
});

describe('many files and a worker killed', () => {
  const k = e2e({ COPYFLEET_FAILPOINTS: 'before-commit=700', LOCK_DURATION_MS: '3000', STALLED_INTERVAL_MS: '1000' });
  afterAll(() => k.close());

  it('SIGKILL of a worker between COPY and COMMIT over many files: every file exact', async () => {
    const dir = join(k.dir, 'kill');
    const files = await writeFiles(dir, 10, { seed: 5 });
    const table = uniqueName('kill_many');
    const run = startCli(['load', dir, '--table', table, '--workers', '2', '--chunk', '16KiB'], k.env);
    let killed = 0;
    const deadline = Date.now() + 60_000;
    while (killed < 2 && Date.now() < deadline && run.child.exitCode === null) {
      const { rows } = await k.pool.query<{ app: string }>(
        `SELECT application_name AS app FROM pg_stat_activity WHERE application_name LIKE 'copyfleet-worker-%' AND state = 'idle in transaction'`,
      );
      const pid = Number(rows[0]?.app.split('-').at(-1));
      if (Number.isInteger(pid) && pid > 0) {
        process.kill(pid, 'SIGKILL');
        killed++;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const res = await run.done;
    expect(killed).toBeGreaterThan(0);
    expect(res.code, res.stderr).toBe(0);
    const runId = runIdOf(res.stdout);
    for (const f of await filesOfRun(runId)) expect(f, f.uri).toMatchObject({ status: 'done', rows_loaded: files.get(f.uri)!.rows, rows_rejected: 0 });
    const r = await one<{ n: number; p: number }>(k.pool, `SELECT count(*)::int AS n, sum(passengers)::int AS p FROM ${table}`);
    expect(r).toEqual({ n: sum(files.values()).rows, p: sum(files.values()).ints });
  });
});
