SELECT count(*) FROM copyfleet.chunks c JOIN copyfleet.runs r ON r.run_id = c.run_id WHERE r.status IN ('planning', 'running') AND c.loaded_at IS NULL AND c.dead_at IS NULL
