import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeChatJsonlSized, writeTripsCsvSized } from './fast-generate.js';

const dir = mkdtempSync(join(tmpdir(), 'cf-fastgen-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Sizes that cross the generator's 8 MiB buffer, and tiny ones. */
const SIZES = [1, 300, 100_000, 9 << 20];

describe('writeTripsCsvSized', () => {
  it.each(SIZES)('writes at least %i bytes, stops at the row that reaches it, and its totals are the file\'s', (bytes) => {
    const path = join(dir, `t${bytes}.csv`);
    const t = writeTripsCsvSized(path, { bytes, seed: 5 });
    const text = readFileSync(path, 'utf8');
    expect(statSync(path).size).toBe(t.bytes);
    expect(t.bytes).toBeGreaterThanOrEqual(bytes);
    const lines = text.split('\n').slice(1, -1);
    expect(lines).toHaveLength(t.rows);
    // Without its last row the file would be short of the target (or have no row at all).
    expect(t.bytes - Buffer.byteLength(`${lines.at(-1)}\n`) < bytes || t.rows === 1).toBe(true);
    let passengers = 0;
    let fareMilli = 0;
    const bad: string[] = [];
    for (const line of lines) {
      const m = /^[^,]+,"POINT \(14\.\d{6} 50\.\d{6}\)","POINT \(7\.\d{6} 45\.\d{6}\)",(2023-\d\d-\d\d \d\d:\d\d:\d\d),[a-z_]+,([1-6]),(\d+)\.(\d\d),(plain)?$/.exec(line);
      if (!m || Number.isNaN(Date.parse(`${m[1]!.replace(' ', 'T')}Z`))) {
        bad.push(line);
        continue;
      }
      passengers += Number(m[2]);
      fareMilli += (Number(m[3]) * 100 + Number(m[4])) * 10;
    }
    expect(bad.slice(0, 3)).toEqual([]);
    expect(passengers).toBe(t.intSum);
    expect(fareMilli).toBe(t.decimalSumMilli);
  });

  it('is deterministic and follows the seed; quoted newlines on request', () => {
    const a = join(dir, 'a.csv');
    const b = join(dir, 'b.csv');
    const c = join(dir, 'c.csv');
    writeTripsCsvSized(a, { bytes: 50_000, seed: 9 });
    writeTripsCsvSized(b, { bytes: 50_000, seed: 9 });
    writeTripsCsvSized(c, { bytes: 50_000, seed: 10 });
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
    expect(readFileSync(a).equals(readFileSync(c))).toBe(false);
    const q = join(dir, 'q.csv');
    const t = writeTripsCsvSized(q, { bytes: 20_000, seed: 9, quotedNewlineEvery: 10 });
    const text = readFileSync(q, 'utf8');
    expect(text.split('"line one\nline ""two"", with comma"').length - 1).toBe(Math.ceil(t.rows / 10));
  });
});

describe('writeChatJsonlSized', () => {
  it.each(SIZES)('writes at least %i bytes of valid JSON Lines whose totals are the file\'s', (bytes) => {
    const path = join(dir, `c${bytes}.jsonl`);
    const t = writeChatJsonlSized(path, { bytes, seed: 3 });
    expect(statSync(path).size).toBe(t.bytes);
    expect(t.bytes).toBeGreaterThanOrEqual(bytes);
    const lines = readFileSync(path, 'utf8').split('\n').slice(0, -1);
    expect(lines).toHaveLength(t.rows);
    let turns = 0;
    let milli = 0;
    const bad: string[] = [];
    lines.forEach((line, i) => {
      const r = JSON.parse(line) as { conversation_id: string; turn: number; sent_at: string; sentiment: { label: string; score: number }; knowledge: string[] };
      const ok =
        r.conversation_id === `t_${Math.floor(i / 20)}` &&
        r.turn === i % 20 &&
        new Date(r.sent_at).toISOString() === r.sent_at &&
        r.sentiment.label === (r.sentiment.score < 0 ? 'Negative' : 'Positive') &&
        r.knowledge.join() === (i % 2 ? 'FS1,FS2' : 'FS1');
      if (!ok) bad.push(line);
      turns += r.turn;
      milli += Math.round(r.sentiment.score * 1000);
    });
    expect(bad.slice(0, 3)).toEqual([]);
    expect(turns).toBe(t.intSum);
    expect(milli).toBe(t.decimalSumMilli);
  });
});
