// Shared set-up for the end-to-end suites: a pg pool on the test database, a scratch
// directory, and an environment that isolates a test's queues and reports.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, testServices, uniqueName } from '@copyfleet/testing';
import pg from 'pg';

export interface E2E {
  pool: pg.Pool;
  dir: string;
  /** Environment for CLI processes: own queue prefix and reports dir, short locks. */
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

export function e2e(overrides: NodeJS.ProcessEnv = {}): E2E {
  const { databaseUrl } = testServices();
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
  // A PostgreSQL restart (the chaos suites) closes idle connections: not a test failure.
  pool.on('error', () => undefined);
  const dir = mkdtempSync(join(tmpdir(), 'cf-e2e-'));
  const env: NodeJS.ProcessEnv = {
    QUEUE_PREFIX: uniqueName('cftest'),
    REPORTS_DIR: join(dir, 'reports'),
    LOG_LEVEL: 'warn',
    ...overrides,
  };
  return {
    pool,
    dir,
    env,
    async close() {
      await pool.end();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function one<T extends pg.QueryResultRow>(pool: pg.Pool, sql: string, params: unknown[] = []): Promise<T> {
  const { rows } = await pool.query<T>(sql, params);
  return rows[0]!;
}

/** The run id from the CLI's summary line ("copyfleet: run 12 done: ..."). */
export function runIdOf(stdout: string): string {
  const m = /run (\d+) (done|FAILED)/.exec(stdout);
  if (!m) throw new Error(`no run summary in output:\n${stdout}`);
  return m[1]!;
}

/** `copyfleet load FILE --table T --workers 2 --chunk C`, which must succeed: its output and run id. */
export async function loadOk(t: E2E, file: string, table: string, chunk: string) {
  const res = await runCli(['load', file, '--table', table, '--workers', '2', '--chunk', chunk], t.env);
  if (res.code !== 0) throw new Error(`load failed (${res.code}):\n${res.stdout}\n${res.stderr}`);
  return { ...res, runId: runIdOf(res.stdout) };
}

/** A table's columns and their types, in order. */
export async function columnTypes(pool: pg.Pool, table: string): Promise<Record<string, string>> {
  const { rows } = await pool.query<{ column_name: string; data_type: string }>(
    'SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position',
    [table],
  );
  return Object.fromEntries(rows.map((r) => [r.column_name, r.data_type]));
}
