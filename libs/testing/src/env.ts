/**
 * Where the test services are: DATABASE_URL and REDIS_URL from the environment or the
 * repo's .env, which `make setup` writes. A missing service is a set-up bug, so this
 * fails loudly instead of skipping.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { readDotEnv } from '@copyfleet/config';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export function testServices(): { databaseUrl: string; redisUrl: string } {
  const file = readDotEnv(REPO_ROOT);
  const databaseUrl = process.env.DATABASE_URL || file.DATABASE_URL;
  const redisUrl = process.env.REDIS_URL || file.REDIS_URL;
  if (!databaseUrl || !redisUrl) {
    throw new Error('DATABASE_URL / REDIS_URL are not set and there is no .env: run `make setup` (make test does it for you)');
  }
  return { databaseUrl, redisUrl };
}

/** A short unique name for tables, queue prefixes and temp dirs. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
}
