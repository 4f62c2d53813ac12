/** The bytes a file's chunks refer to: the file itself, or its decompressed copy; and what a worker loads it with. */
import { getFiles, getRun, type FileRow, type Queryable, type RunRow } from '@copyfleet/db';
import { LoadRequestError } from '@copyfleet/design';
import { fileLoadSpec, type FileSpec, type LoadSpec, type RunSpec } from '@copyfleet/loader';
import { openSource, type Source } from '@copyfleet/source';

export async function chunkSourceOf(file: FileRow): Promise<{ source: Source; version: string }> {
  const staged = (file.spec as FileSpec | null)?.staged;
  return staged ? { source: await openSource(staged.path), version: staged.version } : { source: await openSource(file.uri), version: file.version };
}

/**
 * Files of a run, with the spec their chunks load with (the run's table, the file's
 * reading): one query for the files, and the run's row unless `run` is given (it never
 * changes after the run is started, so a worker reads it once).
 */
export async function runFiles(db: Queryable, runId: string, fileNos: number[], run?: RunRow): Promise<{ run: RunRow; files: Map<number, { file: FileRow; spec: LoadSpec }> }> {
  const [row, rows] = await Promise.all([run ?? getRun(db, runId), getFiles(db, runId, fileNos)]);
  if (!row) throw new LoadRequestError(`run ${runId} does not exist (it was deleted?)`);
  const files = new Map<number, { file: FileRow; spec: LoadSpec }>();
  for (const fileNo of fileNos) {
    const file = rows.find((f) => f.file_no === fileNo);
    if (!file) throw new LoadRequestError(`run ${runId} has no file ${fileNo} (the run was deleted?)`);
    if (file.spec === null) throw new LoadRequestError(`file ${fileNo} of run ${runId} is not planned yet`);
    files.set(fileNo, { file, spec: fileLoadSpec(row.spec as RunSpec, file.spec as FileSpec) });
  }
  return { run: row, files };
}
