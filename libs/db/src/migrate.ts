/**
 * Versioned migrations: numbered .sql files in libs/db/migrations, applied in
 * order, once, under an advisory lock so concurrent processes can all call
 * migrate() at start-up. Only add new files; never edit an applied one.
 */
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';

const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/', import.meta.url));
const LOCK_KEY = 'copyfleet.migrate';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export async function listMigrations(): Promise<Migration[]> {
  const files = (await readdir(MIGRATIONS_DIR)).filter((f) => /^\d{4}_.+\.sql$/.test(f)).sort();
  return Promise.all(
    files.map(async (f) => ({ version: Number(f.slice(0, 4)), name: f, sql: await readFile(MIGRATIONS_DIR + f, 'utf8') })),
  );
}

/** Apply pending migrations; returns the versions applied by this call. */
export async function migrate(pool: pg.Pool): Promise<number[]> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [LOCK_KEY]);
    await client.query('CREATE SCHEMA IF NOT EXISTS copyfleet');
    await client.query(
      'CREATE TABLE IF NOT EXISTS copyfleet.migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const { rows } = await client.query<{ version: number }>('SELECT version FROM copyfleet.migrations');
    const done = new Set(rows.map((r) => r.version));
    const all = await listMigrations();
    const newest = Math.max(0, ...all.map((m) => m.version));
    const unknown = [...done].filter((v) => v > newest);
    if (unknown.length > 0) {
      throw new Error(`the database has copyfleet migration ${Math.max(...unknown)} but this copyfleet knows only up to ${newest}: upgrade copyfleet before running it against this database`);
    }
    const applied: number[] = [];
    for (const m of all) {
      if (done.has(m.version)) continue;
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('INSERT INTO copyfleet.migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${m.name} failed: ${(err as Error).message}`, { cause: err });
      }
      applied.push(m.version);
    }
    return applied;
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', [LOCK_KEY]).catch(() => undefined);
    client.release();
  }
}

/** The schema version the database is at, and the one this copyfleet expects (its newest migration). */
export async function schemaStatus(pool: pg.Pool): Promise<{ current: number; expected: number }> {
  const expected = Math.max(0, ...(await listMigrations()).map((m) => m.version));
  const exists = await pool.query<{ t: string | null }>(`SELECT to_regclass('copyfleet.migrations')::text AS t`);
  if (!exists.rows[0]?.t) return { current: 0, expected };
  const { rows } = await pool.query<{ v: number | null }>('SELECT max(version) AS v FROM copyfleet.migrations');
  return { current: rows[0]?.v ?? 0, expected };
}
