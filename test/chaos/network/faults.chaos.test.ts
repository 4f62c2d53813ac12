// Faults across a network (`make chaos`; RELIABILITY.md, "Network faults"): PostgreSQL,
// Redis, the S3-compatible store, the splitter, the compactor/reporter and each worker on a
// test host of its own (netns.ts, cluster.ts); links cut by dropping packets, so connections
// hang as across a real partition instead of being refused. Each case ends with the table
// exact (rows, keys, column checksum), the ledger matching, and the run done within a stated
// bound. The bounds are copyfleet's defaults (TCP_KEEPALIVE_MS 5 s, PG_DEAD_PEER_MS 30 s,
// the workers' session timeouts from CHUNK); only BullMQ's lock is shortened (5 s) where the
// case is not about it, so that the cases stay short.
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readFileSync } from 'node:fs';
import { createRedis, Queues } from '@copyfleet/queue';
import { uniqueName } from '@copyfleet/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { one } from '../../helpers.js';
import { expectExactTable, expectLedger, recordResult, runOf, waitFor, writeKeyedCsv } from '../harness.js';
import { deploy, loadingSession, startCluster, type Cluster, type Deployment } from './cluster.js';
import { netnsUnavailable, ourNamespaces } from './netns.js';

const why = netnsUnavailable();
if (why) console.warn(`network fault suite skipped: ${why}`);

const QUICK_LOCK = { LOCK_DURATION_MS: '5000', STALLED_INTERVAL_MS: '1000' };

describe.skipIf(why !== null)('network faults', () => {
  let c: Cluster;
  beforeAll(async () => {
    c = await startCluster({ workers: 2, s3: true });
    await c.s3!.createBucket('cfnet');
  }, 120_000);
  afterAll(async () => {
    await c?.close();
    expect(ourNamespaces()).toEqual([]);
  });

  const queues = (env: NodeJS.ProcessEnv) =>
    new Queues(createRedis(c.redisUrl, { blocking: false }), { prefix: env.QUEUE_PREFIX!, attempts: 1, backoffMs: 1, onError: () => undefined });

  /** Load `rows` keyed rows under `fault`; checks exactness and the bound, records the row. */
  async function underFault(name: string, o: {
    rows: number; seed: number; chunk: string; boundMs: number; env?: NodeJS.ProcessEnv; workerEnv?: (i: number) => NodeJS.ProcessEnv; s3?: boolean;
    fault: (d: Deployment, runId: string, env: NodeJS.ProcessEnv) => Promise<Record<string, unknown>>;
  }): Promise<{ attempts: number; chunks: number; numbers: Record<string, unknown> }> {
    const t0 = Date.now();
    const file = join(c.dir, `${uniqueName('in')}.csv`);
    const totals = await writeKeyedCsv(file, { rows: o.rows, seed: o.seed, quotedNewlineEvery: 97 });
    let input = file;
    if (o.s3) {
      const key = `${uniqueName('in')}.csv`;
      await c.s3!.put('cfnet', key, readFileSync(file));
      input = `s3://cfnet/${key}`;
    }
    const table = uniqueName('net');
    const env = c.env({ CHUNK: o.chunk, ...QUICK_LOCK, ...o.env });
    const d = deploy(c, [input], table, env, o.workerEnv);
    try {
      const runId = await runOf(c.pool, table);
      const numbers = await o.fault(d, runId, env);
      const ms = await d.finished(o.boundMs);
      await expectExactTable(c.pool, table, totals);
      const ledger = await expectLedger(c.pool, runId, totals.rows);
      expect(d.workers.every((w) => w.child.exitCode === null)).toBe(true); // no worker died of it
      recordResult({ case: `network: ${name}`, seconds: (Date.now() - t0) / 1000, exact: true, ...numbers,
        runS: Math.round(ms / 100) / 10, boundS: o.boundMs / 1000, chunks: ledger.chunks, extraAttempts: ledger.attempts - ledger.chunks });
      return { attempts: ledger.attempts, chunks: ledger.chunks, numbers };
    } finally {
      await d.stop();
      for (const h of c.net.hosts.keys()) c.net.heal(h); // a failed case leaves no cut for the next
    }
  }

  const victimOf = async (d: Deployment) => {
    const w1 = d.workers[0]!.pid;
    return waitFor('w1 between its COPY and its COMMIT', async () => {
      const s = await loadingSession(c.pool);
      return s && s.pid === w1 ? s : null;
    }, 90_000, 50);
  };
  const sessionGone = (backend: number, since: number, timeoutMs: number) =>
    waitFor(`PostgreSQL to drop session ${backend}`, async () => {
      const { rows } = await c.pool.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [backend]);
      return rows.length === 0 ? Date.now() - since : null;
    }, timeoutMs, 200);

  /**
   * Cut w1 off from `peers` (none: everything) while it is between its COPY and its COMMIT;
   * returns once PostgreSQL has dropped its session. Keepalive after 5 s idle, 4 probes 6 s
   * apart: about 29 s after the cut.
   */
  const cutInTransaction = async (d: Deployment, peers: string[]) => {
    const v = await victimOf(d);
    c.net.cut('w1', peers);
    const at = Date.now();
    const dropped = await sessionGone(v.backend, at, 40_000);
    expect(dropped).toBeLessThan(31_000); // PG_DEAD_PEER_MS, and the poll
    return { at, dropped };
  };

  it('1. a worker cut off from PostgreSQL between COPY and COMMIT, healed after 30 s: its session is dropped, the chunk done again, exact', async () => {
    const r = await underFault('worker ↔ PostgreSQL cut between COPY and COMMIT, healed after 30 s', {
      rows: 20_000, seed: 71, chunk: '32KiB', boundMs: 150_000,
      workerEnv: (i) => (i === 1 ? { COPYFLEET_FAILPOINTS: 'before-commit=3000' } : {}),
      fault: async (d) => {
        const { at, dropped } = await cutInTransaction(d, ['pg']);
        await sleep(Math.max(0, 30_000 - (Date.now() - at)));
        c.net.heal('w1');
        return { cut: 'w1 ↔ PostgreSQL', cutS: Math.round((Date.now() - at) / 100) / 10, sessionDroppedS: dropped / 1000 };
      },
    });
    expect(r.attempts).toBeGreaterThan(r.chunks); // the cut chunk was done again
  });

  it('1b. a worker cut off from everything between COPY and COMMIT, never healed (its pod is gone): the other worker loads the chunk within the default bounds', async () => {
    const r = await underFault('worker cut off from everything between COPY and COMMIT, never healed (default bounds)', {
      rows: 20_000, seed: 70, chunk: '32KiB', boundMs: 90_000,
      workerEnv: (i) => (i === 1 ? { COPYFLEET_FAILPOINTS: 'before-commit=3000' } : {}),
      fault: async (d) => {
        const { dropped } = await cutInTransaction(d, []);
        // w1 stays cut (and running) to the end: only its lost lock and its dropped session free the chunk.
        return { cut: 'w1 ↔ everything', cutS: 'for ever', sessionDroppedS: dropped / 1000 };
      },
    });
    expect(r.attempts).toBeGreaterThan(r.chunks);
  });

  it('2. a worker cut off from Redis mid-chunk: its lock expires, the chunk goes to the other worker, the first commits; one copy, the second attempt a no-op', async () => {
    let victim = -1;
    let runIdSeen = '';
    await underFault('worker ↔ Redis cut mid-chunk (lock expires, chunk handed over), worker still commits', {
      rows: 20_000, seed: 72, chunk: '32KiB', boundMs: 120_000, env: { LOCK_DURATION_MS: '3000', STALLED_INTERVAL_MS: '1000' },
      workerEnv: (i) => (i === 1 ? { COPYFLEET_FAILPOINTS: 'before-commit=10000' } : {}),
      fault: async (d, runId, env) => {
        runIdSeen = runId;
        const v = await victimOf(d);
        const q = queues(env);
        try {
          const held = (await q.activeChunkJobs(runId)).find((j) => j.worker?.endsWith(`/${v.pid}`));
          expect(held).toBeDefined();
          victim = held!.chunkNo;
          c.net.cut('w1', ['redis']);
          const at = Date.now();
          // The other worker takes the chunk over (the lock expired) while w1 still holds its row.
          const w2 = d.workers[1]!.pid;
          await waitFor('w2 to take the chunk over', async () =>
            (await q.activeChunkJobs(runId)).some((j) => j.chunkNo === victim && j.worker?.endsWith(`/${w2}`)), 30_000, 200);
          const takenS = (Date.now() - at) / 1000;
          await waitFor('w1 to commit the chunk', async () =>
            (await one(c.pool, 'SELECT loaded_at IS NOT NULL AS done FROM copyfleet.chunks WHERE run_id = $1 AND chunk_no = $2', [runId, victim])).done, 30_000, 200);
          await sleep(Math.max(0, 20_000 - (Date.now() - at)));
          c.net.heal('w1');
          return { cut: 'w1 ↔ Redis', cutS: Math.round((Date.now() - at) / 100) / 10, takenOverAfterS: takenS };
        } finally {
          await q.close();
          q.connection.disconnect();
        }
      },
    });
    // The chunk was started twice (w1, then w2) and is in the table once (exact above).
    const row = await one(c.pool, 'SELECT attempts FROM copyfleet.chunks WHERE run_id = $1 AND chunk_no = $2', [runIdSeen, victim]);
    expect(row.attempts).toBeGreaterThanOrEqual(2);
  });

  it('3a. the splitter cut off from Redis half-way through queueing, for 30 s', async () => {
    await underFault('splitter ↔ Redis cut half-way through queueing, 30 s', {
      rows: 90_000, seed: 73, chunk: '2KiB', boundMs: 240_000, env: { COPYFLEET_FAILPOINTS: 'after-enqueue-batch=2000' },
      fault: async (_d, runId, env) => {
        const q = queues(env);
        let queued = 0;
        try {
          queued = await waitFor('the first batch queued', async () => {
            const n = (await q.chunkJobStates(runId)).size;
            return n >= 1000 ? n : null;
          }, 120_000, 100);
        } finally {
          await q.close();
          q.connection.disconnect();
        }
        const planned = (await one(c.pool, 'SELECT chunks_total FROM copyfleet.runs WHERE run_id = $1', [runId])).chunks_total as number;
        expect(queued).toBeLessThan(planned);
        c.net.cut('split', ['redis']);
        await sleep(30_000);
        c.net.heal('split');
        return { cut: 'splitter ↔ Redis', cutS: 30, queuedAtCut: `${queued}/${planned}` };
      },
    });
  });

  it('3b. the splitter cut off from PostgreSQL after planning, for 30 s', async () => {
    await underFault('splitter ↔ PostgreSQL cut after planning, 30 s', {
      rows: 20_000, seed: 74, chunk: '16KiB', boundMs: 180_000,
      fault: async (_d, runId) => {
        await waitFor('the plan in the ledger', async () => (await one(c.pool, "SELECT status <> 'planning' AS planned FROM copyfleet.runs WHERE run_id = $1", [runId])).planned, 60_000, 100);
        c.net.cut('split', ['pg']);
        await sleep(30_000);
        c.net.heal('split');
        return { cut: 'splitter ↔ PostgreSQL', cutS: 30 };
      },
    });
  });

  /** Once `minLoaded` chunks are in, cut every worker off from `peer` for `ms`; `during` runs at the end of the cut. */
  const cutWorkers = async (runId: string, peer: string, ms: number, minLoaded: number, during?: () => Promise<Record<string, unknown>>) => {
    await waitFor('a few chunks loaded', async () => (await one(c.pool, 'SELECT count(loaded_at)::int AS n FROM copyfleet.chunks WHERE run_id = $1', [runId])).n >= minLoaded, 60_000);
    for (const w of ['w1', 'w2']) c.net.cut(w, [peer]);
    const at = Date.now();
    await sleep(ms);
    const seen = (await during?.()) ?? {};
    for (const w of ['w1', 'w2']) c.net.heal(w);
    return { cut: `w1, w2 ↔ ${peer}`, cutS: Math.round((Date.now() - at) / 1000), ...seen };
  };
  const workerSessions = async () =>
    (await one(c.pool, "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE 'copyfleet-worker-%'")).n as number;

  it('4a. Redis unreachable from every worker for 60 s (connections hang)', async () => {
    await underFault('Redis unreachable from every worker, 60 s', {
      rows: 30_000, seed: 75, chunk: '8KiB', boundMs: 240_000, env: { COPYFLEET_FAILPOINTS: 'before-commit=200' },
      fault: (_d, runId) => cutWorkers(runId, 'redis', 60_000, 5),
    });
  });

  it('4b. PostgreSQL unreachable from every worker for 60 s (connections hang, not refused)', async () => {
    await underFault('PostgreSQL unreachable from every worker, 60 s', {
      rows: 30_000, seed: 76, chunk: '8KiB', boundMs: 300_000, env: { COPYFLEET_FAILPOINTS: 'before-commit=200' },
      fault: async (_d, runId) => {
        const before = await workerSessions();
        // By the end of the cut the server has dropped every worker session (PG_DEAD_PEER_MS, 30 s).
        return cutWorkers(runId, 'pg', 60_000, 5, async () => ({ workerSessions: `${before} before, ${await workerSessions()} after 60 s` }));
      },
    });
  });

  it('5. a worker behind a NAT that forgets connections idle for 10 s, its transactions idle 12 s before COMMIT: keepalives keep them, exact', async () => {
    let nat: { forgotten: string[]; stop(): void } | null = null;
    try {
      await underFault('worker behind a NAT dropping connections idle > 10 s (each chunk idle 12 s before COMMIT)', {
        rows: 10_000, seed: 78, chunk: '32KiB', boundMs: 150_000,
        workerEnv: (i) => (i === 1 ? { COPYFLEET_FAILPOINTS: 'before-commit=12000' } : {}),
        fault: async (d) => {
          nat = c.net.forgetIdleFlows('w1', 10_000);
          await victimOf(d);
          return { cut: 'w1: connections idle > 10 s forgotten', cutS: 'whole run' };
        },
      });
      // TCP_KEEPALIVE_MS (5 s) keeps every connection busier than the NAT's timeout: none forgotten.
      expect(nat!.forgotten).toEqual([]);
    } finally {
      nat?.stop();
    }
  });

  it('6. the S3-compatible store unreachable from every worker for 60 s while they read their ranges: chunks wait, none dies', async () => {
    await underFault('S3 unreachable from every worker, 60 s', {
      rows: 30_000, seed: 77, chunk: '16KiB', boundMs: 300_000, s3: true, env: { COPYFLEET_FAILPOINTS: 'before-commit=200' },
      fault: (d, runId) =>
        cutWorkers(runId, 's3', 60_000, 3, async () => {
          expect(d.workers.some((w) => /input store unavailable; the job waits for it/.test(w.stderr))).toBe(true);
          return {};
        }),
    });
  });

  it('6b. the S3-compatible store answering slowly (16 kbit/s to every worker) for 60 s: reads crawl, nothing fails, exact', async () => {
    await underFault('S3 answering slowly (16 kbit/s to every worker), 60 s', {
      rows: 30_000, seed: 79, chunk: '16KiB', boundMs: 300_000, s3: true,
      fault: async (_d, runId) => {
        await waitFor('a few chunks loaded', async () => (await one(c.pool, 'SELECT count(loaded_at)::int AS n FROM copyfleet.chunks WHERE run_id = $1', [runId])).n >= 3, 60_000);
        const loaded = async () => (await one(c.pool, 'SELECT count(loaded_at)::int AS n FROM copyfleet.chunks WHERE run_id = $1', [runId])).n as number;
        const before = await loaded();
        for (const w of ['w1', 'w2']) c.net.slow(w, 's3', '16kbit');
        await sleep(60_000);
        const during = (await loaded()) - before;
        for (const w of ['w1', 'w2']) c.net.heal(w);
        return { cut: 'S3 → w1, w2 at 16 kbit/s', cutS: 60, chunksLoadedWhileSlow: during };
      },
    });
  });
});
