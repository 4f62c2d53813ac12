-- Dead letters and appends (RELIABILITY.md).

-- A chunk whose retries are exhausted is dead: it stays out of the table until
-- `copyfleet resume RUN` or `copyfleet retry RUN --chunk N` gives it another chance.
-- loaded_at still decides whether a chunk is in the table; dead_at only says why it is not.
ALTER TABLE copyfleet.chunks ADD COLUMN dead_at timestamptz;

-- Rows the target table held before this run's rows went in, counted when the run
-- compacts: a reload without a dedupe key appends, and the run says so.
ALTER TABLE copyfleet.runs ADD COLUMN rows_before bigint;

-- A failed run that goes back to running (copyfleet resume, or the same load command
-- again) gives every dead chunk of it another chance.
CREATE FUNCTION copyfleet.revive_dead_chunks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE copyfleet.chunks SET dead_at = NULL WHERE run_id = NEW.run_id AND dead_at IS NOT NULL;
  RETURN NULL;
END
$$;

CREATE TRIGGER runs_revive_dead_chunks
  AFTER UPDATE OF status ON copyfleet.runs
  FOR EACH ROW WHEN (OLD.status = 'failed' AND NEW.status = 'running')
  EXECUTE FUNCTION copyfleet.revive_dead_chunks();
