-- Dead chunks are given another chance by the code that resumes a run (reviveDeadChunks in
-- libs/db/src/sql/dead-letters.ts, called by start-run.ts), beside the files they belong to,
-- not by a trigger that no TypeScript file shows.
DROP TRIGGER runs_revive_dead_chunks ON copyfleet.runs;
DROP FUNCTION copyfleet.revive_dead_chunks();
