/**
 * `copyfleet dashboard`: an Express app with copyfleet's pages (Eta templates, which
 * escape every value unless a template says otherwise — only included partials are
 * written raw), their JSON API, and bull-board at /queues. Pages poll an HTML fragment
 * every 2 s with htmx while the run can still change and the tab is visible; the fragment
 * is rendered by the same templates, from the same ledger queries as the JSON.
 *
 *   GET  /runs  /runs/:id  /runs/:id/rejects  (+ /fragment variants the pages poll)
 *   GET  /api/runs /api/runs/:id /api/runs/:id/{chunks,files,rejects,throughput}
 *   POST /api/runs/:id/{resume,cancel}  /api/runs/:id/chunks/:n/retry   (operator)
 *   GET  /healthz /readyz
 */
import { createRequire } from 'node:module';
import { createServer, type Server } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { RUN_STATUSES, runFiles, runTables, type AnyRunStatus } from '@copyfleet/db';
import { LoadRequestError } from '@copyfleet/design';
import { exportRejects } from '@copyfleet/inspect';
import { cancelRun, resumeRun, retryChunk, type Context } from '@copyfleet/run';
import { Eta } from 'eta';
import express, { type NextFunction, type Request, type Response } from 'express';
import { Auth, authMiddleware, SESSION_COOKIE, wantsHtml, type DashboardRole } from '@copyfleet/http-auth';
import { formatBytes, formatCount, formatDuration, formatRate, formatTime } from './format.js';
import {
  isLive, parseAfter, partitionsOf, reportFiles, reportsDirOf, rejectsView, runDetail, runsPage, runSummary, throughput, timeline,
} from './model.js';

export interface DashboardOptions {
  ctx: Context;
  host: string;
  port: number;
  token?: string;
  operatorToken?: string;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

export interface Dashboard {
  server: Server;
  url: string;
  close(): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const require = createRequire(import.meta.url);

const fmt = { bytes: formatBytes, count: formatCount, duration: formatDuration, rate: formatRate, time: formatTime };

export function createApp(opts: DashboardOptions): express.Express {
  const { ctx } = opts;
  const auth = new Auth({ host: opts.host, token: opts.token ?? '', operatorToken: opts.operatorToken ?? '' });
  const eta = new Eta({ views: join(root, 'views'), cache: true, autoEscape: true });
  const render = (view: string, data: Record<string, unknown>, res: Response): string =>
    eta.render(view, { ...data, fmt, role: res.locals.role as DashboardRole | undefined, open: auth.isOpen, statuses: RUN_STATUSES });

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use((_req, res, next) => {
    // No inline script anywhere: a value that slipped past escaping still cannot run.
    res.set('Content-Security-Policy', "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'");
    res.set('X-Content-Type-Options', 'nosniff');
    res.set('Referrer-Policy', 'same-origin');
    next();
  });
  app.use(authMiddleware(auth, (req) => eta.render('login', { error: null, next: req.originalUrl, fmt, role: undefined, open: false })));

  // --- assets: htmx and uPlot from node_modules, our own script and styles
  const assets: Record<string, string> = {
    'htmx.js': require.resolve('htmx.org/dist/htmx.min.js'),
    'uplot.js': require.resolve('uplot/dist/uPlot.iife.min.js'),
    'uplot.css': require.resolve('uplot/dist/uPlot.min.css'),
    'app.js': join(root, 'public/app.js'),
    'app.css': join(root, 'public/app.css'),
  };
  app.get('/assets/:name', (req, res) => {
    const file = assets[param(req, 'name')];
    if (!file) return void res.status(404).end();
    res.sendFile(file, { maxAge: '1h' });
  });

  // --- health
  app.get('/healthz', (_req, res) => void res.json({ ok: true }));
  app.get('/readyz', async (_req, res) => {
    const checks = await Promise.allSettled([ctx.pool.query('SELECT 1'), ctx.queues.connection.ping()]);
    const [pg, redis] = checks.map((c) => (c.status === 'fulfilled' ? 'ok' : (c.reason as Error).message));
    res.status(pg === 'ok' && redis === 'ok' ? 200 : 503).json({ postgres: pg, redis });
  });

  // --- login (a form for browsers; the cookie holds an HMAC, never the token)
  app.get('/login', (req, res) => void res.type('html').send(render('login', { error: null, next: safeNext(req.query.next) }, res)));
  app.post('/login', express.urlencoded({ extended: false, limit: '4kb' }), (req, res) => {
    const token = typeof req.body?.token === 'string' ? req.body.token : '';
    const role = auth.roleOfToken(token);
    if (!role) return void res.status(401).type('html').send(render('login', { error: 'That token is not valid.', next: safeNext(req.body?.next) }, res));
    res.cookie(SESSION_COOKIE, auth.sessionValue(role), { httpOnly: true, sameSite: 'lax', secure: req.secure, path: '/' });
    res.redirect(303, safeNext(req.body?.next));
  });
  app.post('/logout', (_req, res) => {
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    res.redirect(303, '/login');
  });

  // --- bull-board, read-only for viewers
  app.use('/queues', bullBoards(ctx));

  app.param('id', (req, res, next, id: string) => (/^\d{1,18}$/.test(id) ? next() : void notFound(req, res, `no run ${id}`)));

  // --- pages
  app.get('/', (_req, res) => res.redirect(302, '/runs'));
  const runsData = async (req: Request) => {
    const filter = runsFilter(req);
    const [page, tables] = await Promise.all([runsPage(ctx, filter), runTables(ctx.pool)]);
    const query = new URLSearchParams({ ...(filter.status ? { status: filter.status } : {}), ...(filter.table ? { table: filter.table } : {}) });
    return { ...page, tables, filter, query: query.toString(), live: !filter.before };
  };
  app.get('/runs', async (req, res) => void res.type('html').send(render('runs', await runsData(req), res)));
  app.get('/runs/fragment', async (req, res) => void res.type('html').send(render('runs-table', await runsData(req), res)));

  const runData = async (req: Request, res: Response) => {
    const detail = await runDetail(ctx, param(req, 'id'));
    if (!detail) return null;
    const [partitions, reports] = await Promise.all([partitionsOf(ctx, detail.run.target_table), reportFiles(ctx, detail.run)]);
    const moving = detail.chunks.some((k) => k.state === 'waiting' || k.state === 'active' || k.state === 'retrying');
    return { ...detail, partitions, reports, timeline: timeline(detail.chunks), live: isLive(detail.run.status) || moving, canAct: res.locals.role === 'operator' };
  };
  app.get('/runs/:id', async (req, res) => {
    const data = await runData(req, res);
    if (!data) return notFound(req, res, `no run ${param(req, 'id')}`);
    res.type('html').send(render('run', data, res));
  });
  app.get('/runs/:id/fragment', async (req, res) => {
    const data = await runData(req, res);
    if (!data) return notFound(req, res, `no run ${param(req, 'id')}`);
    res.type('html').send(render('run-live', data, res));
  });

  app.get('/runs/:id/rejects', async (req, res) => {
    const summary = await runSummary(ctx, param(req, 'id'));
    if (!summary) return notFound(req, res, `no run ${param(req, 'id')}`);
    const reason = typeof req.query.reason === 'string' && req.query.reason ? req.query.reason : undefined;
    const view = await rejectsView(ctx, param(req, 'id'), { after: parseAfter(req.query.after), reason });
    const nextQuery = view.next ? new URLSearchParams({ after: view.next, ...(reason ? { reason } : {}) }).toString() : null;
    // File numbers as names where the run has file rows (runs without them show the number).
    const fileNames = Object.fromEntries((await runFiles(ctx.pool, summary.runId)).map((f) => [f.file_no, f.uri.split('/').pop() ?? f.uri]));
    res.type('html').send(render('rejects', { summary, ...view, reason, nextQuery, fileNames }, res));
  });
  app.get('/runs/:id/rejects/download', async (req, res) => {
    const run = await runSummary(ctx, param(req, 'id'));
    if (!run) return notFound(req, res, `no run ${param(req, 'id')}`);
    // exportRejects checks the format against the run's input; ask it for the run's own.
    const ext = /\.(jsonl?|ndjson)(\.(gz|zst))?$/i.test(run.source) ? 'jsonl' : 'csv';
    res.attachment(`run-${run.runId}-rejects.${ext}`);
    await exportRejects(ctx.pool, run.runId, { out: res });
    res.end();
  });
  app.get('/runs/:id/reports/:name', async (req, res) => {
    const detail = await runDetail(ctx, param(req, 'id'));
    if (!detail) return notFound(req, res, `no run ${param(req, 'id')}`);
    const files = await reportFiles(ctx, detail.run);
    const name = param(req, 'name');
    if (!files.some((f) => f.name === name)) return notFound(req, res, `run ${param(req, 'id')} has no report ${name}`);
    res.download(join(reportsDirOf(ctx, detail.run), name), name);
  });

  // --- JSON API
  app.get('/api/runs', async (req, res) => void res.json(await runsPage(ctx, runsFilter(req))));
  app.get('/api/runs/:id', async (req, res) => {
    const d = await runDetail(ctx, param(req, 'id'));
    if (!d) return notFound(req, res, `no run ${param(req, 'id')}`);
    res.json({ ...d.summary, status: d.run.status, report: d.report, spec: d.run.spec, traceId: d.traceId, traceUrl: d.traceUrl, advice: d.advice, reports: await reportFiles(ctx, d.run) });
  });
  app.get('/api/runs/:id/chunks', async (req, res) => {
    const d = await runDetail(ctx, param(req, 'id'));
    if (!d) return notFound(req, res, `no run ${param(req, 'id')}`);
    res.json({ runId: d.run.run_id, chunks: d.chunks });
  });
  app.get('/api/runs/:id/throughput', async (req, res) => {
    const d = await runDetail(ctx, param(req, 'id'));
    if (!d) return notFound(req, res, `no run ${param(req, 'id')}`);
    res.json(throughput(d.chunks));
  });
  app.get('/api/runs/:id/files', async (req, res) => {
    const d = await runDetail(ctx, param(req, 'id'));
    if (!d) return notFound(req, res, `no run ${param(req, 'id')}`);
    res.json({ runId: d.run.run_id, files: d.files.map((f) => ({ ...f, bytes: Number(f.bytes), chunks_total: Number(f.chunks_total), chunks_done: Number(f.chunks_done), bytes_done: Number(f.bytes_done), rows_loaded: Number(f.rows_loaded), rows_rejected: Number(f.rows_rejected) })) });
  });
  app.get('/api/runs/:id/rejects', async (req, res) => {
    if (!(await runSummary(ctx, param(req, 'id')))) return notFound(req, res, `no run ${param(req, 'id')}`);
    const reason = typeof req.query.reason === 'string' && req.query.reason ? req.query.reason : undefined;
    res.json(await rejectsView(ctx, param(req, 'id'), { after: parseAfter(req.query.after), reason }));
  });
  app.post('/api/runs/:id/resume', async (req, res) => {
    const run = await resumeRun(ctx, param(req, 'id'));
    opts.log?.('run resumed from the dashboard', { run: run.run_id });
    res.json({ ok: true, runId: run.run_id, status: run.status, message: `run ${run.run_id} resumed: its chunks are queued again` });
  });
  app.post('/api/runs/:id/cancel', async (req, res) => {
    const r = await cancelRun(ctx, param(req, 'id'), 'an operator on the dashboard');
    opts.log?.('run cancelled from the dashboard', { run: r.run.run_id, removedJobs: r.removedJobs, inFlight: r.inFlight });
    res.json({ ok: true, runId: r.run.run_id, status: r.run.status, removedJobs: r.removedJobs, inFlight: r.inFlight, message: `run ${r.run.run_id} cancelled: ${r.removedJobs} queued chunk(s) removed, ${r.inFlight} in flight finish or roll back` });
  });
  app.post('/api/runs/:id/chunks/:n/retry', async (req, res) => {
    const n = param(req, 'n');
    if (!/^\d{1,9}$/.test(n)) return notFound(req, res, `no chunk ${n}`);
    const run = await retryChunk(ctx, param(req, 'id'), Number(n));
    opts.log?.('chunk retried from the dashboard', { run: run.run_id, chunk: Number(n) });
    res.json({ ok: true, runId: run.run_id, status: run.status, message: `chunk ${n} of run ${run.run_id} is queued again with all its attempts` });
  });

  app.use((req: Request, res: Response) => notFound(req, res, `no page ${req.path}`));
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) return void res.destroy();
    if (err instanceof LoadRequestError) return void sendError(req, res, 409, err.message);
    opts.log?.('dashboard request failed', { path: req.path, error: (err as Error).message });
    sendError(req, res, 500, 'the dashboard could not answer this request: see its log');
  });
  return app;
}

/** Start listening; refuses (DashboardConfigError) to listen off localhost without a token. */
export async function startDashboard(opts: DashboardOptions): Promise<Dashboard> {
  const app = createApp(opts);
  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    server,
    url: `http://${host}:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

function bullBoards(ctx: Context): express.RequestHandler {
  const make = (readOnlyMode: boolean) => {
    const adapter = new ExpressAdapter();
    adapter.setBasePath('/queues');
    createBullBoard({
      queues: [ctx.queues.chunks, ctx.queues.compact, ctx.queues.report].map((q) => new BullMQAdapter(q, { readOnlyMode })),
      serverAdapter: adapter,
      options: { uiConfig: { boardTitle: readOnlyMode ? 'copyfleet (read-only)' : 'copyfleet' } },
    });
    return adapter.getRouter() as express.RequestHandler;
  };
  const viewer = make(true);
  const operator = make(false);
  return (req, res, next) => (res.locals.role === 'operator' ? operator : viewer)(req, res, next);
}

function runsFilter(req: Request): { status?: AnyRunStatus; table?: string; before?: string } {
  const status = typeof req.query.status === 'string' && (RUN_STATUSES as readonly string[]).includes(req.query.status) ? (req.query.status as AnyRunStatus) : undefined;
  const table = typeof req.query.table === 'string' && req.query.table.trim() ? req.query.table.trim() : undefined;
  const before = typeof req.query.before === 'string' && /^\d{1,18}$/.test(req.query.before) ? req.query.before : undefined;
  return { ...(status ? { status } : {}), ...(table ? { table } : {}), ...(before ? { before } : {}) };
}

/** Only a path on this dashboard (no open redirect). */
function safeNext(v: unknown): string {
  return typeof v === 'string' && v.startsWith('/') && !v.startsWith('//') && !v.startsWith('/login') ? v : '/runs';
}

function notFound(req: Request, res: Response, error: string): void {
  sendError(req, res, 404, error);
}

function sendError(req: Request, res: Response, status: number, error: string): void {
  if (wantsHtml(req)) res.status(status).type('text').send(error);
  else res.status(status).json({ error });
}

/** A route parameter as one string (Express 5 types allow arrays for wildcards). */
function param(req: Request, name: string): string {
  const v = req.params[name];
  return Array.isArray(v) ? v.join('/') : (v ?? '');
}
