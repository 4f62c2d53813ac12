// The quick network case (`make test` runs it where root and network namespaces are
// available; `make chaos` runs it with the others): a worker cut off from everything
// between its COPY and its COMMIT and never healed — its pod is gone, but to PostgreSQL its
// session is only silent, holding the chunk's ledger row lock. The server must drop that
// session within PG_DEAD_PEER_MS (the keepalive and tcp_user_timeout copyfleet sets for its
// sessions), so that the worker the chunk is handed to next, waiting on that lock, loads it:
// the run ends exact within a bound. Without those settings the lock is held until the
// workers' idle-in-transaction timeout (60 s) or, for a session mid-COPY, the kernel's
// keepalive (2 h).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { uniqueName } from '@copyfleet/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectExactTable, expectLedger, recordResult, runOf, waitFor, writeKeyedCsv } from '../harness.js';
import { deploy, loadingSession, startCluster, type Cluster } from './cluster.js';
import { netnsUnavailable, ourNamespaces, sweepStale } from './netns.js';

const why = netnsUnavailable();
if (why) console.warn(`network fault suite skipped: ${why}`);

describe.skipIf(why !== null)('network test hosts', () => {
  it('a start-up sweep removes the namespaces and links a killed run left, and nothing of a live run', () => {
    const dead = spawnSync('true').pid!; // a process id that has ended
    const ns = `cfnet-${dead}-w1`;
    execFileSync('ip', ['netns', 'add', ns]);
    execFileSync('ip', ['link', 'add', `cf${dead}h9`, 'type', 'veth', 'peer', 'name', `cf${dead}i9`]);
    const live = `cfnet-${process.pid}-keep`;
    execFileSync('ip', ['netns', 'add', live]);
    try {
      expect(sweepStale()).toEqual(expect.arrayContaining([ns, `cf${dead}h9`]));
      expect(existsSync(`/run/netns/${ns}`)).toBe(false);
      expect(existsSync(`/sys/class/net/cf${dead}h9`)).toBe(false);
      expect(existsSync(`/sys/class/net/cf${dead}i9`)).toBe(false);
      expect(ourNamespaces()).toEqual([live]);
    } finally {
      execFileSync('ip', ['netns', 'del', live]);
    }
  });
});

describe.skipIf(why !== null)('network faults: a worker partitioned mid-chunk, never healed', () => {
  let c: Cluster;
  beforeAll(async () => {
    c = await startCluster({ workers: 2 });
  });
  afterAll(async () => {
    await c?.close();
    expect(ourNamespaces()).toEqual([]);
  });

  it('another worker finishes its chunk once PostgreSQL drops the silent session (within PG_DEAD_PEER_MS)', async () => {
    const t0 = Date.now();
    const file = join(c.dir, 'gone.csv');
    const totals = await writeKeyedCsv(file, { rows: 6000, seed: 61 });
    const table = uniqueName('net_gone');
    const bounds = { TCP_KEEPALIVE_MS: '1000', PG_DEAD_PEER_MS: '6000', LOCK_DURATION_MS: '2000', STALLED_INTERVAL_MS: '500' };
    const env = c.env({ ...bounds, CHUNK: '16KiB' });
    // w1 pauses 4 s between COPY and COMMIT, so the cut lands inside its transaction.
    const d = deploy(c, [file], table, env, (i) => (i === 1 ? { COPYFLEET_FAILPOINTS: 'before-commit=4000' } : {}));
    try {
      const runId = await runOf(c.pool, table);
      const w1 = d.workers[0]!.pid;
      const victim = await waitFor('w1 between its COPY and its COMMIT', async () => {
        const s = await loadingSession(c.pool);
        return s && s.pid === w1 ? s : null;
      }, 60_000, 50);
      c.net.cut('w1');
      const cutAt = Date.now();
      const gone = await waitFor('PostgreSQL to drop the partitioned session', async () => {
        const { rows } = await c.pool.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [victim.backend]);
        return rows.length === 0 ? Date.now() - cutAt : null;
      }, 30_000, 100);
      // Keepalive after 1 s idle, 4 probes 1 s apart, tcp_user_timeout 6 s: gone in about 5–6 s, not 60 s.
      expect(gone).toBeLessThan(8000);
      const bound = 30_000;
      await d.finished(bound);
      const seconds = (Date.now() - t0) / 1000;
      expect(c.net.dropped('w1')).toBeGreaterThan(0);
      await expectExactTable(c.pool, table, totals);
      const ledger = await expectLedger(c.pool, runId, totals.rows);
      expect(ledger.attempts).toBeGreaterThan(ledger.chunks); // the victim's chunk was done again, by w2
      recordResult({ case: 'network: worker cut off from everything between COPY and COMMIT, never healed', seconds, exact: true,
        cut: 'w1 ↔ all', for: 'ever', sessionDroppedMs: gone, boundS: bound / 1000, extraAttempts: ledger.attempts - ledger.chunks,
        settings: 'TCP_KEEPALIVE_MS=1000 PG_DEAD_PEER_MS=6000 LOCK_DURATION_MS=2000' });
    } finally {
      await d.stop();
    }
  });
});
