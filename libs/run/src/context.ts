/** The connections a copyfleet process holds, made from the validated config. */
import type { Config } from '@copyfleet/config';
import { createPool, migrate } from '@copyfleet/db';
import { createRedis, Queues } from '@copyfleet/queue';
import type pg from 'pg';

export interface Context {
  config: Config;
  pool: pg.Pool;
  queues: Queues;
  close(): Promise<void>;
}

export async function openContext(config: Config, role: string): Promise<Context> {
  const pool = createPool(config.databaseUrl, { max: config.pgPoolMax, applicationName: `copyfleet-${role}-${process.pid}` });
  await migrate(pool);
  const queues = new Queues(createRedis(config.redisUrl, { blocking: false }), {
    prefix: config.queuePrefix,
    attempts: config.attempts,
    backoffMs: config.backoffMs,
  });
  return {
    config,
    pool,
    queues,
    async close() {
      await queues.close();
      queues.connection.disconnect();
      await pool.end();
    },
  };
}
