#!/usr/bin/env node
/**
 * The copyfleet command. `load` runs the whole pipeline locally; `split`, `worker`,
 * `compactor` and `reporter` are the processes it is made of (and the container
 * entry points on a cluster); `status` tells where a run is; `resume` and `retry`
 * continue a run after the cause of its failure is fixed.
 */
import { ConfigError, loadConfig, parseSize, type ConfigInput } from '@copyfleet/config';
import { inferSpec, LoadRequestError, type LoadRequest } from '@copyfleet/design';
import { serve } from '@copyfleet/host';
import { describeRun, exportRejects, formatRunStatus, type RejectsFormat } from '@copyfleet/inspect';
import { assertReachable, cancelRun, createLogger, openContext, openContextPatiently, startRun, superviseRun, UnreachableError, type RunRequest } from '@copyfleet/run';
import { createWriteStream, openSync, type WriteStream } from 'node:fs';
import { createPool } from '@copyfleet/db';
import { Command, InvalidArgumentError, Option } from 'commander';
import { continueCommand } from './continue.js';
import { currentTelemetry } from '@copyfleet/telemetry';
import { loadCommand } from './load.js';
import type { ClusterOptions } from './cluster.js';

const program = new Command('copyfleet').description('Load very large CSV and JSONL files into partitioned PostgreSQL, exactly once.');

const intervalOption = new Option('--partition <interval>', 'range partitions on the first date/timestamp column').choices(['day', 'week', 'month', 'year', 'none']);
const keyList = (v: string): string[] => v.split(',').map((s) => s.trim()).filter(Boolean);

function requestFrom(inputs: string[], o: { table?: string; key?: string[]; partition?: LoadRequest['partition']; dataset?: string; data?: string; reload?: boolean }): RunRequest {
  return {
    inputs,
    ...(o.data !== undefined ? { data: o.data } : {}),
    ...(o.reload ? { reload: true } : {}),
    ...(o.table ? { table: o.table } : {}),
    ...(o.key ? { key: o.key } : {}),
    ...(o.partition ? { partition: o.partition } : {}),
    ...(o.dataset ? { dataset: o.dataset } : {}),
  };
}

const datasetOption = (): Option => new Option('--dataset <spec.yaml>', 'dataset spec: format options, columns, partitioning, dedupe, bronze, reports; with sources: a dataset of several tables, loaded without inputs');
const dataOption = (): Option => new Option('--data <dir>', "a dataset's data directory: where the relative paths of its sources start (default: the spec's folder)");

/** --cluster and where in the kube context the splitter service is. */
function addClusterOptions(cmd: Command, what: string): Command {
  return cmd
    .option('--cluster', `${what} through the splitter service in the current kube context (KUBECONFIG), not on this machine; SPLITTER_TOKEN is its token`)
    .option('--namespace <ns>', "with --cluster: the release's namespace (default: the context's)")
    .option('--release <name>', 'with --cluster: the Helm release (default: copyfleet, whose service is copyfleet-splitter)');
}
const clusterOf = (o: { namespace?: string; release?: string }): ClusterOptions => ({ ...(o.namespace ? { namespace: o.namespace } : {}), ...(o.release ? { release: o.release } : {}) });
// Cluster mode, the splitter service and the dashboard are imported by their commands only: Express,
// bull-board and @kubernetes/client-node cost every other process (worker, split, …) ~0.5 s of CPU at start-up.
const cluster = () => import('./cluster.js');

const inputsHelp = 'files, directories, quoted globs (\'landing/*.csv\'), s3:// objects or prefixes';
const reloadOption = (): Option => new Option('--reload', 'load files an earlier run already loaded into the table again (default: only new and changed files)');

addClusterOptions(program.command('load'), 'submit the load and follow it')
  .argument('[inputs...]', `${inputsHelp}; none with a --dataset spec that has sources:`)
  .option('--table <name>', 'target table (name or schema.name); default: the file name')
  .option('--workers <n>', 'worker processes (default WORKERS, or the cores; without it an input of one job loads in this process)', (v) => positive(v))
  .option('--chunk <size>', 'chunk size, e.g. 64MiB', (v) => String(parseSizeArg(v)))
  .option('--key <cols>', 'dedupe key columns, comma-separated: newest record per key wins', keyList)
  .addOption(intervalOption)
  .addOption(datasetOption())
  .addOption(dataOption())
  .addOption(reloadOption())
  .action(async (inputs: string[], o) => {
    if (o.cluster) {
      if (o.workers || o.chunk) throw new LoadRequestError('--workers and --chunk do not apply with --cluster: the cluster scales its workers (KEDA or the splitter), and its chunk size is the chart\'s config.chunk');
      return void (process.exitCode = await (await cluster()).clusterLoad(requestFrom(inputs, o), clusterOf(o)));
    }
    const explicit: ConfigInput = {};
    if (o.workers) explicit.workers = o.workers;
    if (o.chunk) explicit.chunkBytes = o.chunk;
    const config = loadConfig(explicit);
    await assertReachable(config);
    process.exitCode = await loadCommand(config, requestFrom(inputs, o), { workersGiven: o.workers !== undefined });
  });

program
  .command('split')
  .description('plan the inputs into chunks and queue them (or resume their unfinished run); prints the run as JSON')
  .argument('[inputs...]', inputsHelp)
  .option('--table <name>')
  .option('--key <cols>', 'dedupe key columns', keyList)
  .addOption(intervalOption)
  .addOption(datasetOption())
  .addOption(dataOption())
  .addOption(reloadOption())
  .option('--wait', 'watch the run until it is done or failed')
  .action(async (inputs: string[], o) => {
    const log = createLogger('splitter');
    const ctx = await openContextPatiently(loadConfig(), 'splitter', log);
    if (!ctx) return;
    try {
      const started = await startRun(ctx, requestFrom(inputs, o));
      await currentTelemetry()?.shutdown(5000);
      process.stdout.write(`${JSON.stringify(started)}\n`);
      if (o.wait) {
        const run = await superviseRun(ctx, started.runId);
        process.stdout.write(`${JSON.stringify({ runId: run.run_id, status: run.status, message: run.message })}\n`);
        process.exitCode = run.status === 'done' ? 0 : 1;
      }
    } finally {
      await ctx.close();
    }
  });

program
  .command('infer')
  .description('print the dataset spec a load of the inputs would use (YAML; designed from the first file), to edit and pass back with --dataset')
  .argument('<inputs...>', inputsHelp)
  .option('--table <name>')
  .addOption(datasetOption())
  .action(async (inputs: string[], o) => {
    process.stdout.write(await inferSpec(loadConfig({ databaseUrl: 'unused', redisUrl: 'unused' }), requestFrom(inputs, o)));
  });

for (const role of ['worker', 'compactor', 'reporter'] as const) {
  program
    .command(role)
    .description(`run a ${role} process until SIGTERM`)
    .addOption(new Option('--until-stdin-ends', 'also stop when stdin ends (how `copyfleet load` stops its worker processes if it dies)').hideHelp())
    .action(async (o: { untilStdinEnds?: boolean }) => serve(loadConfig(), role, { untilStdinEnds: o.untilStdinEnds === true }));
}

addClusterOptions(program.command('status'), 'ask')
  .argument('<run_id>')
  .description('where a run is: chunks done/running/retrying/waiting/dead, rows, rejects, throughput, ETA')
  .option('--json', 'one JSON object, for machines')
  .action(async (runId: string, o: { json?: boolean; cluster?: boolean; namespace?: string; release?: string }) => {
    if (o.cluster) return (await cluster()).clusterStatus(runId, { ...clusterOf(o), ...(o.json ? { json: true } : {}) });
    const config = loadConfig();
    await assertReachable(config);
    const ctx = await openContext(config, 'cli');
    try {
      const report = await describeRun(ctx, runId);
      process.stdout.write(o.json ? `${JSON.stringify(report, null, 2)}\n` : formatRunStatus(report));
    } finally {
      await ctx.close();
    }
  });

const detachOption = new Option('--detach', 'only queue the work (workers run elsewhere, e.g. on a cluster); do not start local workers');

addClusterOptions(program.command('resume'), 'resume the run and follow it')
  .argument('<run_id>')
  .description('continue a failed or interrupted run: dead chunks get all their attempts again; runs local workers until it ends')
  .option('--workers <n>', 'worker processes', (v) => positive(v))
  .addOption(detachOption)
  .action(async (runId: string, o: { workers?: number; detach?: boolean; cluster?: boolean; namespace?: string; release?: string }) => {
    if (o.cluster) {
      if (o.workers || o.detach) throw new LoadRequestError('--workers and --detach do not apply with --cluster: the cluster runs the workers, and Ctrl-C stops only the following');
      return void (process.exitCode = await (await cluster()).clusterResume(runId, clusterOf(o)));
    }
    process.exitCode = await continueCommand(loadConfig(o.workers ? { workers: o.workers } : {}), runId, { detach: o.detach === true });
  });

program
  .command('retry')
  .argument('<run_id>')
  .requiredOption('--chunk <n>', 'the chunk to retry (copyfleet status shows dead chunks)', (v) => nonNegative(v))
  .description('give one chunk of a run another chance with all its attempts; runs local workers until it is loaded or dead again')
  .option('--workers <n>', 'worker processes', (v) => positive(v))
  .addOption(detachOption)
  .action(async (runId: string, o: { chunk: number; workers?: number; detach?: boolean }) => {
    process.exitCode = await continueCommand(loadConfig(o.workers ? { workers: o.workers } : {}), runId, { detach: o.detach === true, chunk: o.chunk });
  });

program
  .command('rejects')
  .argument('<run_id>')
  .description("a run's rejected records as they were in the file (CSV/TSV with the header, or JSON Lines), to fix and load again")
  .addOption(new Option('--format <format>', 'csv for CSV/TSV runs, jsonl for JSON runs (default: the run\'s)').choices(['csv', 'jsonl']))
  .option('--out <file>', 'write to FILE instead of stdout')
  .option('--with-reasons', 'also write FILE.reasons.csv: record, line_no, byte_offset, reason (needs --out)')
  .option('--file <n>', 'the file of a multi-file run (copyfleet status lists them)', (v) => nonNegative(v))
  .action(async (runId: string, o: { format?: RejectsFormat; out?: string; withReasons?: boolean; file?: number }) => {
    if (o.withReasons && !o.out) throw new LoadRequestError('--with-reasons writes FILE.reasons.csv beside --out FILE: give --out');
    const config = loadConfig();
    const out = o.out ? openOut(o.out) : process.stdout;
    const reasons = o.out && o.withReasons ? openOut(`${o.out}.reasons.csv`) : undefined;
    const pool = createPool(config.databaseUrl, { max: 1, applicationName: `copyfleet-cli-${process.pid}` });
    try {
      const r = await exportRejects(pool, runId, { ...(o.format ? { format: o.format } : {}), ...(o.file !== undefined ? { file: o.file } : {}), out, ...(reasons ? { reasons } : {}) });
      const where = r.fromTable === 0 ? 'read from the source file' : `${r.fromSource} read from the source file, ${r.fromTable} from copyfleet.rejects${r.sourceNote ? ` (${r.sourceNote})` : ''}`;
      process.stderr.write(`copyfleet: ${r.records} rejected record(s) of run ${runId} as ${r.format}${o.out ? ` in ${o.out}` : ''}: ${where}\n`);
      if (r.truncated > 0) process.stderr.write(`copyfleet: ${r.truncated} record(s) are cut at 64 KiB (copyfleet.rejects keeps no more): fix those from the original file\n`);
    } finally {
      for (const file of [out, reasons]) if (file && file !== process.stdout) await new Promise<void>((resolve) => file.end(() => resolve()));
      await pool.end();
    }
  });

/** A file to write, opened now so a bad path is an error message before any work. */
function openOut(path: string): WriteStream {
  try {
    return createWriteStream('', { fd: openSync(path, 'w') });
  } catch (err) {
    throw new LoadRequestError(`${path}: cannot write (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

program
  .command('dashboard')
  .description('serve the web dashboard (runs, chunks, rejects; bull-board at /queues) on DASHBOARD_HOST:DASHBOARD_PORT until Ctrl-C')
  .action(async () => (await import('@copyfleet/dashboard')).serveDashboard(loadConfig()));

addClusterOptions(program.command('cancel'), 'cancel')
  .argument('<run_id>')
  .description('stop a planning or running run: chunks not started are not loaded, chunks in flight commit or roll back; the run ends cancelled')
  .action(async (runId: string, o: { cluster?: boolean; namespace?: string; release?: string }) => {
    if (o.cluster) return (await cluster()).clusterCancel(runId, clusterOf(o));
    const ctx = await openContext(loadConfig(), 'cli');
    try {
      const r = await cancelRun(ctx, runId, 'copyfleet cancel');
      process.stdout.write(`copyfleet: run ${runId} cancelled: ${r.removedJobs} queued chunk job(s) removed, ${r.inFlight} in flight finish or roll back\n`);
    } finally {
      await ctx.close();
    }
  });

program
  .command('splitter-service')
  .description('serve the splitter HTTP API (POST /api/loads, GET /api/runs/:id, …) on SPLITTER_HOST:SPLITTER_PORT and finalize runs, until SIGTERM; docs/cluster-mode.md')
  .action(async () => (await import('@copyfleet/splitter-service')).serveSplitter(loadConfig()));

program
  .command('migrate')
  .description('create or upgrade the copyfleet schema')
  .action(async () => {
    const ctx = await openContext(loadConfig(), 'cli');
    await ctx.close();
  });

function positive(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a whole number of at least 1');
  return n;
}

function nonNegative(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('a whole number, 0 or more');
  return n;
}

function parseSizeArg(v: string): number {
  try {
    return parseSize(v);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

try {
  await program.parseAsync();
} catch (err) {
  // Errors users can act on get their message only; anything else also its stack.
  const known =
    err instanceof ConfigError || err instanceof LoadRequestError || err instanceof UnreachableError || ['SourceError', 'PlanError', 'DatasetSpecError', 'DashboardConfigError', 'ClusterError'].includes((err as Error).name);
  process.stderr.write(`copyfleet: ${known ? (err as Error).message : ((err as Error).stack ?? String(err))}\n`);
  process.exitCode = 1;
}
