/** The bytes a run's chunks refer to: the source itself, or its decompressed copy. */
import type { RunRow } from '@copyfleet/db';
import type { LoadSpec } from '@copyfleet/loader';
import { openSource, type Source } from '@copyfleet/source';

export async function chunkSourceOf(run: RunRow): Promise<{ source: Source; version: string }> {
  const staged = (run.spec as LoadSpec).staged;
  return staged ? { source: await openSource(staged.path), version: staged.version } : { source: await openSource(run.source), version: run.source_version };
}
