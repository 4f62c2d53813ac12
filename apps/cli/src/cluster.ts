/**
 * `copyfleet load|status|resume|cancel --cluster`: the same commands against the splitter
 * service in the current kube context (libs/splitter-service client.ts) instead of
 * processes on this machine. A load is followed with the same progress line and summary
 * as a local one, and exits with the same codes (0 done, 1 failed, 2 some files failed);
 * Ctrl-C stops following, not the run.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { formatBytes, loadConfig } from '@copyfleet/config';
import { LoadRequestError } from '@copyfleet/design';
import { formatRunStatus } from '@copyfleet/inspect';
import { cappedBackoff, summaryLine, type RunRequest } from '@copyfleet/run';
import { SplitterClient, type LoadBody, type RunView } from '@copyfleet/splitter-service';
import { ProgressLine } from './progress.js';

export interface ClusterOptions {
  namespace?: string;
  release?: string;
}

function client(o: ClusterOptions): SplitterClient {
  // Only the token is needed from the config here: no database or Redis on this side.
  const { splitterToken } = loadConfig({ databaseUrl: 'unused', redisUrl: 'unused' });
  return new SplitterClient({ token: splitterToken, ...(o.namespace ? { namespace: o.namespace } : {}), ...(o.release ? { release: o.release } : {}) });
}

/** What the pods can read: s3:// URIs, or absolute paths (of a volume they mount). */
function podInput(input: string): string {
  if (/^s3:\/\//i.test(input) || isAbsolute(input)) return input;
  throw new LoadRequestError(
    `${input} is a path on this machine: with --cluster the splitter and the workers read the inputs in the cluster. ` +
      'Give s3:// URIs (upload the files first), or absolute paths of a volume the pods mount.',
  );
}

/** A local spec file is sent as its text; an absolute path that is not here is read by the splitter (a mounted ConfigMap). */
function specOf(dataset: string): Pick<LoadBody, 'spec' | 'dataset'> {
  if (existsSync(dataset)) return { spec: readFileSync(dataset, 'utf8') };
  if (isAbsolute(dataset)) return { dataset };
  throw new LoadRequestError(`${dataset}: no such dataset spec here (an absolute path is read by the splitter, e.g. a mounted ConfigMap)`);
}

export async function clusterLoad(req: RunRequest, o: ClusterOptions): Promise<number> {
  const body: LoadBody = {
    inputs: req.inputs.map(podInput),
    ...(req.dataset ? specOf(req.dataset) : {}),
    ...(req.data !== undefined ? { data: podInput(req.data) } : {}),
    ...(req.table ? { table: req.table } : {}),
    ...(req.key?.length ? { key: req.key } : {}),
    ...(req.partition ? { partition: req.partition } : {}),
    ...(req.reload ? { reload: true } : {}),
  };
  const c = client(o);
  const started = await c.startLoad(body);
  const fileCount = started.files > 1 ? `${started.files} files, ` : '';
  const headline =
    `copyfleet: run ${started.runId} ${started.resumed ? 'resumed' : 'started'}: ${req.inputs.length > 0 ? req.inputs.join(' ') : req.dataset} → ${started.table}, ` +
    `${fileCount}${formatBytes(started.bytes)} in ${started.chunks} chunk(s), on the cluster (${c.where})` +
    (started.note ? ` (${started.note})` : '');
  return follow(c, started.runId, headline);
}

export async function clusterResume(runId: string, o: ClusterOptions): Promise<number> {
  const c = client(o);
  const r = await c.resume(runId);
  return follow(c, runId, `copyfleet: run ${runId} resumed: ${r.source} → ${r.table}, on the cluster (${c.where})`);
}

export async function clusterStatus(runId: string, o: ClusterOptions & { json?: boolean }): Promise<void> {
  const { report } = await client(o).run(runId);
  if (!report) throw new LoadRequestError(`the splitter sent no status report for run ${runId}`);
  process.stdout.write(o.json ? `${JSON.stringify(report, null, 2)}\n` : formatRunStatus(report));
}

export async function clusterCancel(runId: string, o: ClusterOptions): Promise<void> {
  const r = await client(o).cancel(runId);
  process.stdout.write(`copyfleet: run ${runId} cancelled: ${r.removedJobs} queued chunk job(s) removed, ${r.inFlight} in flight finish or roll back\n`);
}

/** Poll the run until it ends; the summary and exit code of a local load. */
async function follow(c: SplitterClient, runId: string, headline: string): Promise<number> {
  const t0 = performance.timeOrigin;
  const progress = new ProgressLine(t0);
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    progress.print(headline);
    let troubles = 0;
    while (!abort.signal.aborted) {
      let view: RunView | null = null;
      try {
        view = await c.run(runId, false);
        troubles = 0;
      } catch (err) {
        // The run goes on in the cluster whatever happens here: keep asking, then give up saying how to look later.
        if (++troubles > 20) throw err;
        progress.print(`copyfleet: cannot see run ${runId} (${(err as Error).message}); trying again`);
      }
      if (view) {
        progress.update(view.run, view.progress);
        if (view.ended) {
          progress.done();
          process.stdout.write(`${summaryLine(view.run, view.filesNote, (Date.now() - t0) / 1000)}\n`);
          return view.exitCode ?? 1;
        }
      }
      await sleep(troubles > 0 ? cappedBackoff(troubles, 1000, 10_000) : 1000, undefined, { signal: abort.signal }).catch(() => undefined);
    }
    progress.done();
    process.stderr.write(`copyfleet: stopped following; run ${runId} goes on in the cluster: follow it with \`copyfleet status --cluster ${runId}\`, stop it with \`copyfleet cancel --cluster ${runId}\`\n`);
    return 130;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
