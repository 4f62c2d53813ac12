/**
 * The splitter service's HTTP API (Express 5), what `copyfleet load --cluster` talks to:
 *
 *   POST /api/loads               plan a load (startRun) → 202 with the started run
 *   GET  /api/runs/:id            the run row, its progress and status report (not with
 *                                 ?report=false: the report asks Redis about every chunk);
 *                                 once it has ended also its files note and the exit code a CLI gives
 *   POST /api/runs/:id/cancel     cancelRun
 *   POST /api/runs/:id/resume     resumeRun → 202; followed to its end again
 *   GET  /healthz /readyz         alive; ready when PostgreSQL answers at the expected schema
 *
 * Access (libs/http-auth, the dashboard's rule): bound to localhost without SPLITTER_TOKEN it
 * is open to this machine; otherwise every /api request needs the token, as `Authorization:
 * Bearer TOKEN` or — through the Kubernetes API server's service proxy, which consumes
 * Authorization — `X-Copyfleet-Token: TOKEN`. Off localhost without a token it refuses to start.
 *
 * Errors: a request that cannot be carried out as written is a 4xx with the message the CLI
 * would print (400 bad request or input, 404 no such run, 409 not in a state for that); 503
 * when PostgreSQL or Redis cannot be reached; anything else 500, with the details in the log.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { classifyDbError, getRun, runProgress, schemaStatus } from '@copyfleet/db';
import { LoadRequestError } from '@copyfleet/design';
import { Auth, changesState, crossSiteReason } from '@copyfleet/http-auth';
import { describeRun } from '@copyfleet/inspect';
import { datasetSources, parseDatasetSpec } from '@copyfleet/spec';
import { cancelRun, filesNote, resumeRun, runExitCode, startRun, UnreachableError, type Context, type Logger, type RunRequest } from '@copyfleet/run';
import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Finalizer } from './finalizer.js';

/** The header that carries the token through the API server's service proxy. */
export const TOKEN_HEADER = 'x-copyfleet-token';

export interface SplitterAppOptions {
  ctx: Context;
  /** The address it listens on: decides whether a token is required (libs/http-auth). */
  host: string;
  token: string;
  finalizer: Finalizer;
  log: Logger;
}

const loadSchema = z
  .object({
    inputs: z.array(z.string().min(1, 'inputs: an input is an empty string')).max(10_000).default([]),
    /** A dataset spec the pod can read (a mounted ConfigMap). */
    dataset: z.string().min(1).optional(),
    /** A dataset spec's text, YAML or JSON. */
    spec: z.string().min(1).max(1024 * 1024).optional(),
    data: z.string().min(1).optional(),
    table: z.string().min(1).optional(),
    key: z.array(z.string().min(1)).optional(),
    partition: z.enum(['day', 'week', 'month', 'year', 'none']).optional(),
    reload: z.boolean().optional(),
  })
  .strict()
  .refine((b) => !(b.dataset && b.spec), { message: 'give the dataset spec as dataset (a path the splitter can read) or as spec (its text), not both' });

export type LoadBody = z.input<typeof loadSchema>;

export function createSplitterApp(opts: SplitterAppOptions): express.Express {
  const { ctx, finalizer, log } = opts;
  const auth = new Auth({
    host: opts.host,
    token: '',
    operatorToken: opts.token,
    tokenHeader: TOKEN_HEADER,
    service: { name: 'the splitter service', fix: 'set SPLITTER_TOKEN (a Secret; the chart reads secretKeys.splitterToken), or SPLITTER_HOST=127.0.0.1' },
  });
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);

  app.get('/healthz', (_req, res) => void res.json({ ok: true }));
  app.get('/readyz', async (_req, res) => {
    const r = await readiness(ctx);
    res.status(r.ready ? 200 : 503).json(r);
  });

  app.use((req, res, next) => {
    if (changesState(req)) {
      const why = crossSiteReason(req);
      if (why) return void res.status(403).json({ error: `cross-site request refused (${why})` });
    }
    if (!auth.roleOf(req)) {
      res.set('WWW-Authenticate', 'Bearer realm="copyfleet splitter"');
      return void res.status(401).json({ error: `authentication required: send Authorization: Bearer <SPLITTER_TOKEN>, or the token in ${TOKEN_HEADER} through the Kubernetes API proxy` });
    }
    next();
  });

  app.post('/api/loads', express.json({ limit: '2mb' }), async (req, res) => {
    const parsed = loadSchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      const why = parsed.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
      return void res.status(400).json({ error: `bad load request: ${why}` });
    }
    const body = parsed.data;
    const noFolder = body.spec !== undefined && !body.data ? relativeSources(body.spec) : [];
    if (noFolder.length > 0) {
      return void res.status(400).json({
        error: `bad load request: a spec sent as text has no folder for its relative source paths (${noFolder.join(', ')}): give data (a directory the splitter and workers can read), or s3:// or absolute paths in the spec`,
      });
    }
    const started = await withSpecFile(body.spec, (specPath) => startRun(ctx, requestOf(body, specPath)));
    void finalizer.follow(started.runId);
    log.info('load started', { run: started.runId, table: started.table, files: started.files, chunks: started.chunks, resumed: started.resumed });
    res.status(202).json(started);
  });

  app.param('id', (req, res, next, id: string) => (/^\d{1,18}$/.test(id) ? next() : void res.status(404).json({ error: `no run ${id}: a run id is a number` })));

  app.get('/api/runs/:id', async (req, res) => {
    const id = param(req, 'id');
    const run = await getRun(ctx.pool, id);
    if (!run) return void res.status(404).json({ error: `run ${id} does not exist` });
    const [progress, report] = await Promise.all([runProgress(ctx.pool, id), req.query.report === 'false' ? null : describeRun(ctx, id)]);
    const ended = run.status === 'done' || run.status === 'failed' || run.status === 'cancelled';
    res.json({
      run,
      progress,
      report,
      ended,
      filesNote: ended ? await filesNote(ctx, id) : null,
      exitCode: ended ? await runExitCode(ctx, run) : null,
    });
  });

  app.post('/api/runs/:id/cancel', async (req, res) => {
    const id = param(req, 'id');
    if (!(await getRun(ctx.pool, id))) return void res.status(404).json({ error: `run ${id} does not exist` });
    const r = await cancelRun(ctx, id, 'copyfleet cancel --cluster');
    log.info('run cancelled', { run: id, removedJobs: r.removedJobs, inFlight: r.inFlight });
    res.json({ runId: id, status: r.run.status, removedJobs: r.removedJobs, inFlight: r.inFlight });
  });

  app.post('/api/runs/:id/resume', async (req, res) => {
    const id = param(req, 'id');
    if (!(await getRun(ctx.pool, id))) return void res.status(404).json({ error: `run ${id} does not exist` });
    const run = await resumeRun(ctx, id);
    void finalizer.follow(id);
    log.info('run resumed', { run: id });
    res.status(202).json({ runId: id, status: run.status, source: run.source, table: run.target_table });
  });

  app.use((req: Request, res: Response) => void res.status(404).json({ error: `no such endpoint: ${req.method} ${req.path}` }));
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) return void res.destroy();
    const [status, message] = errorResponse(err);
    if (status >= 500) log.warn('request failed', { path: req.path, error: (err as Error).message });
    res.status(status).json({ error: message });
  });
  return app;
}

/** Ready: PostgreSQL answers and its copyfleet schema is at this build's newest migration. */
export async function readiness(ctx: Context): Promise<{ ready: boolean; postgres: string; schema: { current: number; expected: number } | null }> {
  try {
    const schema = await schemaStatus(ctx.pool);
    const ok = schema.current === schema.expected;
    return { ready: ok, postgres: 'ok', schema, ...(ok ? {} : { why: `schema at migration ${schema.current}, this copyfleet expects ${schema.expected}: run copyfleet migrate` }) };
  } catch (err) {
    return { ready: false, postgres: (err as Error).message, schema: null };
  }
}

/** The error classes whose message is meant for the one who asked (the CLI prints them alone too). */
const USER_ERRORS = ['SourceError', 'PlanError', 'DatasetSpecError'];

function errorResponse(err: unknown): [number, string] {
  const e = err as Error & { status?: number; type?: string };
  if (e.type === 'entity.parse.failed') return [400, `bad load request: the body is not JSON (${e.message})`];
  if (e.type === 'entity.too.large') return [413, 'bad load request: the body is over 2 MB; mount a large dataset spec and give its path as dataset'];
  if (err instanceof UnreachableError || classifyDbError(err) === 'unavailable') return [503, `the splitter cannot reach its database or queue: ${e.message}`];
  if (err instanceof LoadRequestError) return [/does not exist/.test(e.message) ? 404 : /^run \d+ is /.test(e.message) ? 409 : 400, e.message];
  if (USER_ERRORS.includes(e.name)) return [400, e.message];
  return [500, 'the splitter service could not carry out this request: see its log'];
}

/** Source paths of a multi-source spec that are relative (empty when it does not parse: startRun then says why). */
function relativeSources(text: string): string[] {
  try {
    return (datasetSources(parseDatasetSpec(text, 'spec')) ?? []).map((s) => s.path).filter((p) => !/^s3:\/\//i.test(p) && !isAbsolute(p));
  } catch {
    return [];
  }
}

/** A spec given as text is read from a private temporary file (the spec reader reads files); its name in messages is "spec". */
async function withSpecFile<T>(text: string | undefined, f: (path: string | undefined) => Promise<T>): Promise<T> {
  if (text === undefined) return f(undefined);
  const dir = await mkdtemp(join(tmpdir(), 'copyfleet-spec-'));
  const path = join(dir, 'spec.yaml');
  try {
    await writeFile(path, text, { mode: 0o600 });
    return await f(path);
  } catch (err) {
    if (err instanceof Error) err.message = err.message.split(path).join('spec').split(dir).join('.');
    throw err;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function requestOf(b: z.output<typeof loadSchema>, specPath: string | undefined): RunRequest {
  const dataset = specPath ?? b.dataset;
  return {
    inputs: b.inputs,
    ...(dataset ? { dataset } : {}),
    ...(b.data ? { data: b.data } : {}),
    ...(b.table ? { table: b.table } : {}),
    ...(b.key?.length ? { key: b.key } : {}),
    ...(b.partition ? { partition: b.partition } : {}),
    ...(b.reload ? { reload: true } : {}),
  };
}

function param(req: Request, name: string): string {
  const v = req.params[name];
  return Array.isArray(v) ? v.join('/') : (v ?? '');
}
