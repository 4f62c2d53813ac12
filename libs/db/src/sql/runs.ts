/** Statements on copyfleet.runs. Status changes are guarded by the expected old status. */
import { tableExists, type Queryable } from './queryable.js';

export type RunStatus = 'planning' | 'running' | 'compacting' | 'reporting' | 'done' | 'failed' | 'cancelled';

export interface RunRow {
  run_id: string;
  source: string;
  source_version: string;
  target_table: string;
  status: RunStatus;
  message: string | null;
  spec: unknown;
  bytes_total: string;
  chunks_total: number;
  rows_loaded: string;
  rows_rejected: string;
  rows_replaced: string;
  /** Rows the target table held before this run's rows (set when it compacts); null before. */
  rows_before: string | null;
  reports_dir: string | null;
  trace_parent: string | null;
  started_at: Date;
  planned_at: Date | null;
  finished_at: Date | null;
}

export async function getRun(db: Queryable, runId: string | number): Promise<RunRow | null> {
  const { rows } = await db.query<RunRow>('SELECT * FROM copyfleet.runs WHERE run_id = $1', [runId]);
  return rows[0] ?? null;
}


/**
 * The latest run of these inputs into this table if it is not finished (planning,
 * running, compacting, reporting, or failed and waiting for its cause to be fixed).
 */
export async function findUnfinishedRun(db: Queryable, source: string, table: string): Promise<RunRow | null> {
  const { rows } = await db.query<RunRow>(
    `SELECT * FROM copyfleet.runs
      WHERE run_id = (SELECT max(run_id) FROM copyfleet.runs WHERE source = $1 AND target_table = $2)
        AND status NOT IN ('done', 'cancelled')`,
    [source, table],
  );
  return rows[0] ?? null;
}

/** Runs not yet at an end (done, failed or cancelled), oldest first: what a splitter service supervises at start-up. */
export async function unfinishedRunIds(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ run_id: string }>(
    `SELECT run_id FROM copyfleet.runs WHERE status IN ('planning', 'running', 'compacting', 'reporting') ORDER BY run_id`,
  );
  return rows.map((r) => r.run_id);
}

/** The table spec of the latest planned run into `table`, so reloads keep its columns. */
/** The spec of the latest planned run into `table`, while the table exists (one dropped since starts afresh). */
export async function latestSpecFor(db: Queryable, table: string): Promise<unknown | null> {
  const { rows } = await db.query<{ spec: unknown }>(
    `SELECT spec FROM copyfleet.runs WHERE target_table = $1 AND planned_at IS NOT NULL AND spec ? 'table' AND ${tableExists('$1')}
      ORDER BY run_id DESC LIMIT 1`,
    [table],
  );
  return rows[0]?.spec ?? null;
}

export async function insertRun(
  db: Queryable,
  r: { source: string; version: string; table: string; spec: unknown; bytesTotal: number; traceParent: string | null; startedAt?: Date },
): Promise<string> {
  const { rows } = await db.query<{ run_id: string }>(
    `INSERT INTO copyfleet.runs (source, source_version, target_table, spec, bytes_total, trace_parent, started_at)
     VALUES ($1, $2, $3, $4, $5, $6, coalesce($7, clock_timestamp())) RETURNING run_id`,
    [r.source, r.version, r.table, JSON.stringify(r.spec), r.bytesTotal, r.traceParent, r.startedAt ?? null],
  );
  return rows[0]!.run_id;
}

/** Move a run from one of `from` to `to`; false if it was not in one of them. */
export async function transitionRun(db: Queryable, runId: string | number, from: RunStatus[], to: RunStatus, message?: string | null): Promise<boolean> {
  const res = await db.query(
    `UPDATE copyfleet.runs
        SET status = $3,
            message = CASE WHEN $4::boolean THEN $5 ELSE message END,
            planned_at = CASE WHEN $3 = 'running' THEN coalesce(planned_at, clock_timestamp()) ELSE planned_at END,
            finished_at = CASE WHEN $3 IN ('done', 'failed', 'cancelled') THEN clock_timestamp() ELSE NULL END,
            -- A finished run, failed ones included, states what its committed chunks put in the table.
            rows_loaded = CASE WHEN $3 IN ('done', 'failed', 'cancelled')
                               THEN (SELECT coalesce(sum(c.rows_loaded), 0) FROM copyfleet.chunks c WHERE c.run_id = $1) ELSE rows_loaded END,
            rows_rejected = CASE WHEN $3 IN ('done', 'failed', 'cancelled')
                                 THEN (SELECT coalesce(sum(c.rows_rejected), 0) FROM copyfleet.chunks c WHERE c.run_id = $1) ELSE rows_rejected END
      WHERE run_id = $1 AND status = ANY($2::text[])`,
    [runId, from, to, message !== undefined, message ?? null],
  );
  return (res.rowCount ?? 0) > 0;
}

/**
 * Planned so far (while the splitter plans file after file): the run's bytes and chunks, from
 * the ledger. `wait: false` skips the update while load transactions hold the run row (each
 * share-locks it, the barrier a cancel waits at): a progress figure is not worth stalling
 * planning behind the chunks being committed.
 */
export async function recordPlannedTotals(db: Queryable, runId: string | number, opts: { wait: boolean } = { wait: true }): Promise<void> {
  await db.query(
    `UPDATE copyfleet.runs r
        SET bytes_total = s.bytes, chunks_total = s.chunks
       FROM (SELECT coalesce(sum(byte_end - byte_start), 0) AS bytes, count(*)::int AS chunks FROM copyfleet.chunks WHERE run_id = $1) s
      WHERE r.run_id = $1${opts.wait ? '' : ' AND r.run_id IN (SELECT run_id FROM copyfleet.runs WHERE run_id = $1 FOR NO KEY UPDATE SKIP LOCKED)'}`,
    [runId],
  );
}


/** Copy the ledger's totals onto the run row. */
export async function summarizeRun(db: Queryable, runId: string | number): Promise<void> {
  await db.query(
    `UPDATE copyfleet.runs r
        SET rows_loaded = s.loaded, rows_rejected = s.rejected
       FROM (SELECT coalesce(sum(rows_loaded), 0) AS loaded, coalesce(sum(rows_rejected), 0) AS rejected
               FROM copyfleet.chunks WHERE run_id = $1) s
      WHERE r.run_id = $1`,
    [runId],
  );
}

export async function setRowsReplaced(db: Queryable, runId: string | number, replaced: number): Promise<void> {
  await db.query('UPDATE copyfleet.runs SET rows_replaced = $2 WHERE run_id = $1', [runId, replaced]);
}

export async function setReportsDir(db: Queryable, runId: string | number, dir: string): Promise<void> {
  await db.query('UPDATE copyfleet.runs SET reports_dir = $2 WHERE run_id = $1', [runId, dir]);
}
