-- copyfleet's own tables: one row per run, the chunk ledger, and rejected records.
CREATE SCHEMA IF NOT EXISTS copyfleet;

CREATE TABLE copyfleet.runs (
  run_id        bigserial PRIMARY KEY,
  source        text        NOT NULL,              -- what the user named (path or URI)
  source_version text       NOT NULL,              -- size:mtime (or ETag); a changed file is a new input
  target_table  text        NOT NULL,              -- schema.table, unquoted names
  status        text        NOT NULL DEFAULT 'planning'
                CHECK (status IN ('planning', 'running', 'compacting', 'reporting', 'done', 'failed')),
  message       text,                              -- what happened and what to do, for humans
  spec          jsonb       NOT NULL,              -- format, dialect and table spec the workers use
  bytes_total   bigint      NOT NULL DEFAULT 0,
  chunks_total  integer     NOT NULL DEFAULT 0,
  rows_loaded   bigint      NOT NULL DEFAULT 0,    -- summed from the ledger when the run finishes
  rows_rejected bigint      NOT NULL DEFAULT 0,
  rows_replaced bigint      NOT NULL DEFAULT 0,    -- older rows removed by the dedupe key (newest wins)
  reports_dir   text,
  trace_parent  text,                              -- W3C traceparent of the run's root span
  started_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
  planned_at    timestamptz,
  finished_at   timestamptz
);

-- At most one unfinished run per (source, version, table): running the same command again resumes it.
CREATE UNIQUE INDEX runs_one_active ON copyfleet.runs (source, source_version, target_table)
  WHERE status NOT IN ('done', 'failed');

-- The ledger. A chunk is loaded exactly when loaded_at is set, and that happens in the
-- same transaction as its COPY: PostgreSQL, not the queue, is the truth.
CREATE TABLE copyfleet.chunks (
  run_id        bigint      NOT NULL REFERENCES copyfleet.runs ON DELETE CASCADE,
  chunk_no      integer     NOT NULL,
  byte_start    bigint      NOT NULL,
  byte_end      bigint      NOT NULL,
  rows_loaded   bigint,
  rows_rejected bigint,
  lines         bigint,                            -- physical lines in the chunk (for file line numbers)
  attempts      integer     NOT NULL DEFAULT 0,
  last_error    text,
  started_at    timestamptz,
  loaded_at     timestamptz,
  PRIMARY KEY (run_id, chunk_no)
);

CREATE TABLE copyfleet.rejects (
  run_id        bigint      NOT NULL REFERENCES copyfleet.runs ON DELETE CASCADE,
  chunk_no      integer     NOT NULL,
  byte_offset   bigint      NOT NULL,              -- offset of the record's first byte in the source
  line_no       bigint,                            -- line in the file; set when the run finishes
  chunk_line    bigint      NOT NULL,              -- line within the chunk, 1-based
  reason        text        NOT NULL,
  raw           text,                              -- the record as text (NULL if it is not valid UTF-8)
  raw_bytes     bytea,                             -- the record's bytes when it is not valid text
  created_at    timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX rejects_run ON copyfleet.rejects (run_id, chunk_no);
