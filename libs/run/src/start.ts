/**
 * The splitter's entry: a load request becomes a run (or resumes its unfinished one). A
 * dataset spec with `sources:` loads its tables in one run (dataset-run.ts); anything else
 * loads the inputs into one table (start-run.ts).
 */
import { LoadRequestError } from '@copyfleet/design';
import { readLocatedSpec } from '@copyfleet/spec';
import { Attr, SpanName, withSpan } from '@copyfleet/telemetry';
import type { Context } from './context.js';
import { startDatasetRun } from './dataset-run.js';
import { startTableRun, type RunRequest, type StartedRun } from './start-run.js';

/** Start the run; its root span (the run's trace: docs/observability.md) holds the planning. */
export function startRun(ctx: Context, req: RunRequest): Promise<StartedRun> {
  return withSpan(SpanName.Run, { [Attr.File]: req.inputs.join(' ') }, async (span) => {
    const started = await planRun(ctx, req);
    span.setAttributes({ [Attr.RunId]: started.runId });
    return started;
  });
}

async function planRun(ctx: Context, req: RunRequest): Promise<StartedRun> {
  // The run starts now, before planning: ingest time is measured from here.
  const startedAt = new Date();
  const located = req.dataset ? await readLocatedSpec(req.dataset) : null;
  if (located?.spec.sources) return startDatasetRun(ctx, req, located, startedAt);
  if (req.data !== undefined) {
    throw new LoadRequestError(`--data (DATA=) says where a dataset spec's sources are; ${req.dataset ? `${req.dataset} has no sources:` : 'give --dataset spec.yaml with sources:'}`);
  }
  if (req.inputs.length === 0) {
    throw new LoadRequestError('no input given: name a file, a directory, a glob or an s3:// URI, or --dataset spec.yaml for a spec with sources:');
  }
  return startTableRun(ctx, req, located?.spec ?? null, startedAt);
}

