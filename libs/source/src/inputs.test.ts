// listInputs against a real filesystem and a real S3-compatible server (s3rver on 127.0.0.1):
// directories walked in path order, hidden and _-prefixed names skipped, globs, link loops,
// S3 prefixes listed page by page (more keys than one page), S3 globs, and inputs that name
// nothing.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inputBaseName, isPattern, listInputs } from './inputs.js';
import { startLocalS3, type LocalS3 } from './s3.fixture.js';

let dir: string;
let s3: LocalS3;
const savedEnv = { ...process.env };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cf-inputs-'));
  for (const p of ['b.csv', 'a.csv', 'sub/c.csv.gz', 'sub/deeper/d.jsonl', '.hidden.csv', '_SUCCESS', '_tmp/e.csv', 'sub/.git/f.csv']) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), `${p}\n`);
  }
  symlinkSync(join(dir, 'sub'), join(dir, 'sub', 'loop')); // a link back up: must not loop
  s3 = await startLocalS3();
  Object.assign(process.env, s3.env);
  await s3.createBucket('land');
  for (let i = 0; i < 25; i++) await s3.put('land', `events/2026/11/part-${String(i).padStart(2, '0')}.jsonl`, `{"i":${i}}\n`);
  await s3.put('land', 'events/2026/11/_SUCCESS', '');
  await s3.put('land', 'events/2026/12/part-00.jsonl', '{"i":99}\n');
  await s3.put('land', 'other/x.csv', 'a\n1\n');
}, 60_000);

afterAll(async () => {
  process.env = savedEnv;
  await s3?.close();
  rmSync(dir, { recursive: true, force: true });
});

const rel = (uris: string[]): string[] => uris.map((u) => u.slice(dir.length + 1));

describe('local inputs', () => {
  it('a directory: recursive, in path order, hidden and _-prefixed names skipped, each directory once', async () => {
    const { files, problems } = await listInputs([dir]);
    expect(rel(files.map((f) => f.uri))).toEqual(['a.csv', 'b.csv', 'sub/c.csv.gz', 'sub/deeper/d.jsonl']);
    expect(problems).toEqual([]);
    expect(files[0]).toMatchObject({ size: 6, version: expect.stringMatching(/^6:\d+$/) });
  });

  it('a glob, and a file named twice is listed once', async () => {
    const { files } = await listInputs([join(dir, '**/*.csv*'), join(dir, 'a.csv')]);
    expect(rel(files.map((f) => f.uri))).toEqual(['a.csv', 'b.csv', 'sub/c.csv.gz']);
  });

  it('names nothing: a clear error', async () => {
    await expect(listInputs([join(dir, '*.parquet')])).rejects.toThrow(/the pattern matches no file/);
    await expect(listInputs([join(dir, 'nope.csv')])).rejects.toThrow(/no such file or directory/);
    mkdirSync(join(dir, 'empty'));
    await expect(listInputs([join(dir, 'empty')])).rejects.toThrow(/holds no files to load/);
  });

  it('patterns and table names', () => {
    expect(isPattern('landing/')).toBe(true);
    expect(isPattern("landing/2026-*/*.jsonl.gz")).toBe(true);
    expect(isPattern('landing/a.csv')).toBe(false);
    expect(inputBaseName('landing/2026-*/*.jsonl.gz')).toBe('landing');
    expect(inputBaseName('s3://bucket/events/2026/')).toBe('2026');
    expect(inputBaseName('data/trips.csv')).toBe('trips.csv');
  });
});

describe('S3 inputs', () => {
  it('a prefix: every key, over several ListObjectsV2 pages, _SUCCESS skipped, with sizes and ETags', async () => {
    const { files } = await listInputs(['s3://land/events/2026/11/'], { s3PageSize: 10 });
    expect(files.map((f) => f.uri)).toEqual(Array.from({ length: 25 }, (_, i) => `s3://land/events/2026/11/part-${String(i).padStart(2, '0')}.jsonl`));
    expect(files[3]).toMatchObject({ size: 8, version: expect.stringMatching(/^[0-9a-f]{32}$/) });
  });

  it('a prefix named without its slash, a glob, and one object', async () => {
    expect((await listInputs(['s3://land/events/2026'], { s3PageSize: 7 })).files).toHaveLength(26);
    expect((await listInputs(['s3://land/events/*/12/*.jsonl'])).files.map((f) => f.uri)).toEqual(['s3://land/events/2026/12/part-00.jsonl']);
    expect((await listInputs(['s3://land/other/x.csv'])).files).toEqual([{ uri: 's3://land/other/x.csv', size: 4, version: expect.any(String) }]);
  });

  it('names nothing, or a bucket that does not exist: a clear error', async () => {
    await expect(listInputs(['s3://land/nothing/'])).rejects.toThrow(/no objects match/);
    await expect(listInputs(['s3://no-such-bucket/x/'])).rejects.toThrow(/no-such-bucket/);
  });
});
