-- Many files, one run: every run has files, and chunks and rejects belong to one file.
-- A single-file run is a run with one file (file_no 0); runs made before this migration
-- get that file row from their own columns.

CREATE TABLE copyfleet.files (
  run_id        bigint      NOT NULL REFERENCES copyfleet.runs ON DELETE CASCADE,
  file_no       integer     NOT NULL,                -- 0-based, in the order the input was listed
  uri           text        NOT NULL,                -- absolute path or s3://bucket/key
  version       text        NOT NULL,                -- size:mtime (local) or the ETag (S3): uri + version is the file's identity
  target_table  text        NOT NULL,                -- schema.table, unquoted names (datasets load several tables)
  source_name   text,                                -- the dataset spec's source this file came from (null: no spec)
  bytes         bigint      NOT NULL DEFAULT 0,
  format        text,                                -- csv, jsonl, json, arrow (null until planned)
  status        text        NOT NULL DEFAULT 'listed'
                CHECK (status IN ('listed', 'loading', 'done', 'failed', 'skipped')),
  spec          jsonb,                               -- what a worker needs to read this file (dialect, header, columns, staged copy)
  chunks        integer     NOT NULL DEFAULT 0,
  rows_loaded   bigint      NOT NULL DEFAULT 0,
  rows_rejected bigint      NOT NULL DEFAULT 0,
  message       text,                                -- why it failed or was skipped, and what to do
  started_at    timestamptz,
  finished_at   timestamptz,
  PRIMARY KEY (run_id, file_no)
);
-- Incremental loads: was this file (uri + version) already loaded into this table?
CREATE INDEX files_identity ON copyfleet.files (target_table, uri, version);

ALTER TABLE copyfleet.chunks ADD COLUMN file_no integer NOT NULL DEFAULT 0;
ALTER TABLE copyfleet.rejects ADD COLUMN file_no integer NOT NULL DEFAULT 0;
CREATE INDEX chunks_file ON copyfleet.chunks (run_id, file_no);

-- The runs made before: one file each, with the run's own figures.
INSERT INTO copyfleet.files (run_id, file_no, uri, version, target_table, bytes, format, status, spec, chunks,
                             rows_loaded, rows_rejected, message, started_at, finished_at)
SELECT r.run_id, 0, r.source, r.source_version, r.target_table, r.bytes_total, r.spec->>'format',
       CASE r.status WHEN 'done' THEN 'done' WHEN 'failed' THEN 'failed' WHEN 'planning' THEN 'listed' ELSE 'loading' END,
       r.spec, r.chunks_total, r.rows_loaded, r.rows_rejected, NULL, r.started_at, r.finished_at
  FROM copyfleet.runs r;

-- A run that is stopped on purpose ends 'cancelled' (copyfleet cancel): chunks not yet
-- started are not loaded, chunks in flight commit or roll back.
ALTER TABLE copyfleet.runs DROP CONSTRAINT runs_status_check;
ALTER TABLE copyfleet.runs ADD CONSTRAINT runs_status_check
  CHECK (status IN ('planning', 'running', 'compacting', 'reporting', 'done', 'failed', 'cancelled'));
DROP INDEX copyfleet.runs_one_active;
CREATE UNIQUE INDEX runs_one_active ON copyfleet.runs (source, source_version, target_table)
  WHERE status NOT IN ('done', 'failed', 'cancelled');
