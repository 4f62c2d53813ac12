/** The connection and transaction shapes every statement family uses, written once. */
import type pg from 'pg';

/** Run `fn` with a client from the pool, always giving it back. */
export async function withClient<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    return await fn(client);
  } finally {
    client.release();
  }
}

/** BEGIN (or `begin`), `fn`, COMMIT; ROLLBACK and rethrow when anything fails. */
export async function inTransaction<T>(client: pg.PoolClient, fn: () => Promise<T>, begin = 'BEGIN'): Promise<T> {
  await client.query(begin);
  try {
    const result = await fn();
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/**
 * `fn` under a savepoint inside the caller's transaction: on failure roll back to it and
 * return the error (the transaction goes on), on success return null.
 */
export async function underSavepoint(client: pg.PoolClient, fn: () => Promise<unknown>): Promise<Error | null> {
  await client.query('SAVEPOINT cf_step');
  try {
    await fn();
    await client.query('RELEASE SAVEPOINT cf_step');
    return null;
  } catch (err) {
    await client.query('ROLLBACK TO SAVEPOINT cf_step');
    return err as Error;
  }
}
