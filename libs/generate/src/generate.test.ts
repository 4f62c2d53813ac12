// The example generators: deterministic for a seed, never past the byte budget, every file
// ending with a whole record, and a manifest whose record counts are the files' own.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SCENARIOS, generateExample } from './index.js';

const root = await mkdtemp(join(tmpdir(), 'generate-test-'));
afterAll(() => rm(root, { recursive: true, force: true }));
const BYTES = 1 << 20;

/** Records in a file as its readers count them: lines, minus a CSV header; weather objects end with "},". */
function countRecords(name: string, text: string): number {
  if (name === 'weather.json') return text.split('},').length - 1;
  const lines = text.split('\n').filter((l) => l.length > 0).length;
  return name.endsWith('.csv') ? lines - 1 : lines;
}

describe.each(Object.keys(SCENARIOS))('%s', (name) => {
  it('fills the budget with whole records, counted exactly, the same for the same seed', async () => {
    const a = await generateExample(name, { bytes: BYTES, seed: 7, dir: join(root, name, 'a') });
    expect(a.bytes).toBeLessThanOrEqual(BYTES);
    expect(a.bytes).toBeGreaterThan(BYTES - 64 * 1024);
    const hashes: string[] = [];
    for (const f of a.files) {
      const data = await readFile(join(root, name, 'a', f.path));
      expect(data.length, f.path).toBe(f.bytes);
      const text = data.toString('utf8');
      expect(countRecords(f.path, text), f.path).toBe(f.records);
      expect(text.endsWith(f.path === 'weather.json' ? '},' : '\n'), f.path).toBe(true);
      hashes.push(createHash('sha256').update(data).digest('hex'));
    }
    const b = await generateExample(name, { bytes: BYTES, seed: 7, dir: join(root, name, 'b') });
    const again = await Promise.all(b.files.map(async (f) => createHash('sha256').update(await readFile(join(root, name, 'b', f.path))).digest('hex')));
    expect(again).toEqual(hashes);
    const c = await generateExample(name, { bytes: BYTES, seed: 8, dir: join(root, name, 'c') });
    const other = await Promise.all(c.files.map(async (f) => createHash('sha256').update(await readFile(join(root, name, 'c', f.path))).digest('hex')));
    expect(other).not.toEqual(hashes);
  });
});
