/** The bytes a file's chunks refer to: the file itself, or its decompressed copy; and what a worker loads it with. */
import { getFile, getRun, type FileRow, type Queryable } from '@copyfleet/db';
import { LoadRequestError } from '@copyfleet/design';
import { fileLoadSpec, type FileSpec, type LoadSpec, type RunSpec } from '@copyfleet/loader';
import { openSource, type Source } from '@copyfleet/source';

export async function chunkSourceOf(file: FileRow): Promise<{ source: Source; version: string }> {
  const staged = (file.spec as FileSpec | null)?.staged;
  return staged ? { source: await openSource(staged.path), version: staged.version } : { source: await openSource(file.uri), version: file.version };
}

/** A file of a run, with the spec its chunks load with (the run's table, the file's reading). */
export async function runFile(db: Queryable, runId: string, fileNo: number): Promise<{ file: FileRow; spec: LoadSpec }> {
  const [run, file] = await Promise.all([getRun(db, runId), getFile(db, runId, fileNo)]);
  if (!run || !file) throw new LoadRequestError(`run ${runId} has no file ${fileNo} (the run was deleted?)`);
  if (file.spec === null) throw new LoadRequestError(`file ${fileNo} of run ${runId} is not planned yet`);
  return { file, spec: fileLoadSpec(run.spec as RunSpec, file.spec as FileSpec) };
}
