/**
 * The harness's own PostgreSQL work, outside every measurement: dropping and creating the
 * target tables, CHECKPOINT, reading copyfleet's run timings, checking loads, describing
 * the server.
 */
import pg from 'pg';
import type { Dataset } from './datasets.js';

export const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** A table as copyfleet created it: what the baselines' table must repeat. */
export interface TableShape {
  columns: { name: string; type: string }[];
  /** e.g. "RANGE (datetime)"; null when the table is not partitioned. */
  partitionKey: string | null;
  /** Partition name suffixes (after "<table>_") and their bounds, e.g. "FOR VALUES FROM (…) TO (…)" or "DEFAULT". */
  partitions: { suffix: string; bound: string }[];
  unlogged: boolean;
  indexes: number;
}

export interface RunTimings {
  runId: string;
  status: string;
  rowsLoaded: number;
  rowsRejected: number;
  chunks: number;
  /** Chunks streamed to COPY unparsed (chunks.lines is null): the CSV pass-through. */
  unparsedChunks: number;
  /** max(chunks.loaded_at) - runs.started_at: the rows are in the table. */
  ingestSeconds: number;
  /** planned_at - started_at. */
  planSeconds: number;
  /** finished_at - started_at: ingest plus compaction (ANALYZE) and reports. */
  runSeconds: number;
  /** Mean chunks.loaded_at - chunks.started_at: one chunk's claim, load and commit. */
  chunkSeconds: number;
  /**
   * Share of the workers' time during ingest (first chunk start to last commit, times the
   * workers) spent outside any chunk: taking the next job from Redis, and the wait at the
   * end when one worker finishes before the other. The queue's overhead is at most this.
   */
  betweenChunksShare: number;
  /** min(chunks.started_at) - runs.started_at: listing, designing the table and planning the first file(s). */
  firstChunkSeconds: number;
  /** runs.started_at and finished_at, epoch milliseconds (the harness's clock: same machine). */
  startedAtMs: number;
  finishedAtMs: number;
}

/** A many-files run's files, from copyfleet.files (started_at is when the splitter planned the file). */
export interface FileTimings {
  files: number;
  filesDone: number;
  /** Seconds after runs.started_at that the first and the last file were planned. */
  firstPlannedSeconds: number;
  lastPlannedSeconds: number;
  /** Mean seconds from a file planned to its last chunk loaded. */
  fileSeconds: number;
}

export class Db {
  private constructor(private readonly client: pg.Client) {}

  static async connect(url: string): Promise<Db> {
    const client = new pg.Client({ connectionString: url, application_name: 'copyfleet-bench' });
    await client.connect();
    return new Db(client);
  }

  close(): Promise<void> {
    return this.client.end();
  }

  async query<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.client.query<T>(sql, params)).rows;
  }

  async dropTables(names: string[]): Promise<void> {
    for (const n of names) await this.query(`DROP TABLE IF EXISTS ${quoteIdent(n)} CASCADE`);
  }

  /** This connection's backend pid (its parent is the postmaster: the server runs on this machine). */
  async backendPid(): Promise<number> {
    const [r] = await this.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    return r!.pid;
  }

  async checkpoint(): Promise<void> {
    await this.query('CHECKPOINT');
  }

  async shape(table: string): Promise<TableShape> {
    const [rel] = await this.query<{ oid: number; unlogged: boolean; partkey: string | null; indexes: number }>(
      `SELECT c.oid, c.relpersistence = 'u' AS unlogged,
              CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partkey,
              (SELECT count(*)::int FROM pg_index i WHERE i.indrelid = c.oid) AS indexes
         FROM pg_class c WHERE c.oid = $1::regclass`,
      [table],
    );
    if (!rel) throw new Error(`table ${table} does not exist`);
    const columns = await this.query<{ name: string; type: string }>(
      `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
        WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
      [rel.oid],
    );
    const parts = await this.query<{ name: string; bound: string }>(
      `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1 ORDER BY c.relname`,
      [rel.oid],
    );
    const prefix = `${table}_`;
    return {
      columns,
      partitionKey: rel.partkey,
      partitions: parts.map((p) => ({ suffix: p.name.startsWith(prefix) ? p.name.slice(prefix.length) : p.name, bound: p.bound })),
      unlogged: rel.unlogged,
      indexes: rel.indexes,
    };
  }

  /** Create `table` with the columns, partitioning and partitions of `shape` (no indexes: copyfleet's have none without KEY). */
  async createLike(table: string, shape: TableShape): Promise<void> {
    const cols = shape.columns.map((c) => `${quoteIdent(c.name)} ${c.type}`).join(', ');
    const unlogged = shape.unlogged ? 'UNLOGGED ' : '';
    await this.query(`CREATE ${unlogged}TABLE ${quoteIdent(table)} (${cols})${shape.partitionKey ? ` PARTITION BY ${shape.partitionKey}` : ''}`);
    for (const p of shape.partitions) {
      await this.query(`CREATE ${unlogged}TABLE ${quoteIdent(`${table}_${p.suffix}`)} PARTITION OF ${quoteIdent(table)} ${p.bound}`);
    }
  }

  /** Row count and the two sums, exactly; throws when anything differs from the generator's totals. */
  async verify(table: string, ds: Dataset, want: { rows: number; intSum: number; decimalSumMilli: number }): Promise<number> {
    const [got] = await this.query<{ rows: string; int_sum: string | null; dec_milli: string | null }>(
      `SELECT count(*) AS rows, sum(${quoteIdent(ds.intColumn)}) AS int_sum, (sum(${quoteIdent(ds.decimalColumn)}) * 1000)::bigint AS dec_milli
         FROM ${quoteIdent(table)}`,
    );
    const rows = Number(got!.rows);
    const problems: string[] = [];
    if (rows !== want.rows) problems.push(`${rows} rows instead of ${want.rows}`);
    if (Number(got!.int_sum ?? 0) !== want.intSum) problems.push(`sum(${ds.intColumn}) = ${got!.int_sum} instead of ${want.intSum}`);
    if (Number(got!.dec_milli ?? 0) !== want.decimalSumMilli) {
      problems.push(`sum(${ds.decimalColumn})*1000 = ${got!.dec_milli} instead of ${want.decimalSumMilli}`);
    }
    if (problems.length) throw new Error(`load into ${table} is wrong: ${problems.join('; ')}`);
    return rows;
  }

  async runTimings(runId: string, workers: number): Promise<RunTimings> {
    const [r] = await this.query<{
      status: string; rows_loaded: string; rows_rejected: string; chunks: number; unparsed: number; ingest: number | null; plan: number | null; run: number | null;
      chunk: number | null; busy: number | null; span: number | null; first: number | null; started_ms: number; finished_ms: number | null;
    }>(
      `SELECT r.status, r.rows_loaded, r.rows_rejected, count(c.chunk_no)::int AS chunks,
              count(c.chunk_no) FILTER (WHERE c.loaded_at IS NOT NULL AND c.lines IS NULL)::int AS unparsed,
              extract(epoch FROM max(c.loaded_at) - r.started_at)::float8 AS ingest,
              extract(epoch FROM r.planned_at - r.started_at)::float8 AS plan,
              extract(epoch FROM r.finished_at - r.started_at)::float8 AS run,
              extract(epoch FROM avg(c.loaded_at - c.started_at))::float8 AS chunk,
              extract(epoch FROM sum(c.loaded_at - c.started_at))::float8 AS busy,
              extract(epoch FROM max(c.loaded_at) - min(c.started_at))::float8 AS span,
              extract(epoch FROM min(c.started_at) - r.started_at)::float8 AS first,
              (extract(epoch FROM r.started_at) * 1000)::float8 AS started_ms,
              (extract(epoch FROM r.finished_at) * 1000)::float8 AS finished_ms
         FROM copyfleet.runs r LEFT JOIN copyfleet.chunks c USING (run_id)
        WHERE r.run_id = $1 GROUP BY r.run_id`,
      [runId],
    );
    if (!r) throw new Error(`copyfleet.runs has no run ${runId}`);
    return {
      runId,
      status: r.status,
      rowsLoaded: Number(r.rows_loaded),
      rowsRejected: Number(r.rows_rejected),
      chunks: r.chunks,
      unparsedChunks: r.unparsed,
      ingestSeconds: r.ingest ?? NaN,
      planSeconds: r.plan ?? NaN,
      runSeconds: r.run ?? NaN,
      chunkSeconds: r.chunk ?? NaN,
      betweenChunksShare: r.busy !== null && r.span ? Math.max(0, 1 - r.busy / (workers * r.span)) : NaN,
      firstChunkSeconds: r.first ?? NaN,
      startedAtMs: r.started_ms,
      finishedAtMs: r.finished_ms ?? NaN,
    };
  }

  async fileTimings(runId: string): Promise<FileTimings> {
    const [r] = await this.query<{ files: number; done: number; first: number | null; last: number | null; per_file: number | null }>(
      `SELECT count(*)::int AS files, count(*) FILTER (WHERE f.status = 'done')::int AS done,
              extract(epoch FROM min(f.started_at) - r.started_at)::float8 AS first,
              extract(epoch FROM max(f.started_at) - r.started_at)::float8 AS last,
              extract(epoch FROM avg((SELECT max(c.loaded_at) FROM copyfleet.chunks c WHERE c.run_id = f.run_id AND c.file_no = f.file_no) - f.started_at))::float8 AS per_file
         FROM copyfleet.files f JOIN copyfleet.runs r USING (run_id)
        WHERE f.run_id = $1 GROUP BY r.run_id`,
      [runId],
    );
    if (!r) throw new Error(`copyfleet.files has no files of run ${runId}`);
    return { files: r.files, filesDone: r.done, firstPlannedSeconds: r.first ?? NaN, lastPlannedSeconds: r.last ?? NaN, fileSeconds: r.per_file ?? NaN };
  }

  async server(): Promise<{ version: string; settings: { name: string; setting: string; unit: string | null; source: string }[] }> {
    const [v] = await this.query<{ version: string }>('SELECT version()');
    const settings = await this.query<{ name: string; setting: string; unit: string | null; source: string }>(
      // Leave out what this session set (application_name, client_encoding): the server's settings only.
      `SELECT name, setting, unit, source FROM pg_settings WHERE source NOT IN ('default', 'client', 'session')
        AND name NOT IN ('config_file', 'data_directory', 'hba_file', 'ident_file', 'unix_socket_directories', 'external_pid_file') ORDER BY name`,
    );
    return { version: v!.version, settings };
  }
}
