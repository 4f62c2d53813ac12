// The bounds every session of ours carries (RELIABILITY.md, "Network faults"), as the real
// PostgreSQL reports them, and a stuck loading transaction ended by the server.
import { setTimeout as sleep } from 'node:timers/promises';
import { testServices } from '@copyfleet/testing';
import { describe, expect, it } from 'vitest';
import { createPool, sessionOptions } from './pool.js';

describe('createPool', () => {
  it('keepalive probes fit in the dead-peer bound: idle + 4 × interval <= tcp_user_timeout', () => {
    expect(sessionOptions({ keepaliveMs: 5000, deadPeerMs: 30_000 })).toBe(
      '-c TimeZone=UTC -c tcp_keepalives_idle=5 -c tcp_keepalives_interval=6 -c tcp_keepalives_count=4 -c tcp_user_timeout=29000',
    );
  });

  it('sets the dead-peer bound on every session and the loading timeouts on workers\' only', async () => {
    const show = async (session?: { idleInTxMs: number; statementMs: number }) => {
      const pool = createPool(testServices().databaseUrl, { max: 1, applicationName: 'copyfleet-test', net: { keepaliveMs: 3000, deadPeerMs: 20_000 }, ...(session ? { session } : {}) });
      try {
        const { rows } = await pool.query(`SELECT current_setting('tcp_user_timeout') AS user_timeout, current_setting('TimeZone') AS tz,
          current_setting('idle_in_transaction_session_timeout') AS idle_tx, current_setting('statement_timeout') AS stmt, current_setting('lock_timeout') AS lock`);
        return rows[0];
      } finally {
        await pool.end();
      }
    };
    expect(await show()).toEqual({ user_timeout: '19000', tz: 'UTC', idle_tx: '0', stmt: '0', lock: '0' });
    expect(await show({ idleInTxMs: 64_000, statementMs: 300_000 })).toEqual({ user_timeout: '19000', tz: 'UTC', idle_tx: '64s', stmt: '5min', lock: '5min' });
  });

  it('a loading transaction left idle past its bound is ended by the server (its row locks go with it)', async () => {
    const pool = createPool(testServices().databaseUrl, { max: 1, applicationName: 'copyfleet-test', session: { idleInTxMs: 1000, statementMs: 60_000 } });
    const other = createPool(testServices().databaseUrl, { max: 1, applicationName: 'copyfleet-test' });
    try {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
        await sleep(1800);
        await expect(client.query('SELECT 1')).rejects.toThrow(/idle-in-transaction timeout|not queryable|terminated/);
        const { rows } = await other.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1', [pid]);
        expect(rows[0]).toEqual({ n: 0 });
      } finally {
        client.release(true);
      }
    } finally {
      await Promise.all([pool.end(), other.end()]);
    }
  });
});
