/**
 * The run finalizer of the splitter service: every run it started, and at start-up (and
 * every `rescanMs` after) every unfinished run in the ledger, is followed to its end by
 * superviseRun (libs/run supervise.ts), which reconciles ledger and queue when progress
 * stops, settles the run, queues compaction or reporting again when their job was lost.
 * At the end it logs the run's summary line — what `copyfleet load` prints locally.
 *
 *   unfinished run ──tryRunLock(finalize, run)──▶ followed by this replica ──end──▶ summary, unlock
 *                      │ taken
 *                      ▼
 *               followed by another replica; tried again at the next rescan (a replica that
 *               dies ends its session, which frees its locks)
 *
 * Two replicas never follow one run at once: the locks are session-level advisory locks
 * held by one dedicated connection (a pooled connection could be closed when idle and
 * drop them). The steps themselves are guarded in PostgreSQL (settle.ts), so even a run
 * followed twice — the lock connection lost and re-made — changes nothing twice.
 */
import { createPool, describeError, LOCK_SPACE, releaseRunLock, tryRunLock, unfinishedRunIds } from '@copyfleet/db';
import { filesNote, summaryLine, superviseRun, type Context, type Logger } from '@copyfleet/run';
import type pg from 'pg';

export interface FinalizerOptions {
  /** How often a followed run is polled. @defaultValue 1000 */
  pollMs?: number;
  /** How often the ledger is scanned for unfinished runs nobody follows. @defaultValue 30000 */
  rescanMs?: number;
}

export class Finalizer {
  /** Runs this replica follows now, with the signal that stops following. */
  private readonly followed = new Map<string, AbortController>();
  /** Summary lines of the runs this replica finalized, newest last (tests read them). */
  readonly finalized: { runId: string; summary: string }[] = [];
  private lockPool: pg.Pool | null = null;
  private lockClient: Promise<pg.PoolClient> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly ctx: Context,
    private readonly log: Logger,
    private readonly opts: FinalizerOptions = {},
  ) {}

  /** Follow the unfinished runs of the ledger now and every rescanMs. */
  async start(): Promise<void> {
    await this.rescan();
    this.timer = setInterval(() => void this.rescan(), this.opts.rescanMs ?? 30_000);
    this.timer.unref();
  }

  /** The runs this replica follows. */
  get following(): string[] {
    return [...this.followed.keys()];
  }

  /**
   * Follow `runId` to its end unless this or another replica does. Resolves once the claim
   * is decided (true: this replica follows it); the following goes on in the background.
   */
  async follow(runId: string): Promise<boolean> {
    if (this.stopped || this.followed.has(runId)) return this.followed.has(runId);
    const abort = new AbortController();
    this.followed.set(runId, abort); // before the await: a second follow() of the same run waits for nothing
    let claimed = false;
    try {
      claimed = await tryRunLock(await this.session(), LOCK_SPACE.finalize, runId);
    } catch (err) {
      this.log.warn('cannot claim a run to finalize; trying again at the next scan', { run: runId, error: describeError(err) });
      this.dropSession();
    }
    if (!claimed) {
      this.followed.delete(runId);
      return false;
    }
    void this.supervise(runId, abort.signal);
    return true;
  }

  private async supervise(runId: string, signal: AbortSignal): Promise<void> {
    try {
      const run = await superviseRun(this.ctx, runId, {
        pollMs: this.opts.pollMs ?? 1000,
        signal,
        onTrouble: (err, retryInMs) => this.log.warn('cannot see a run; trying again', { run: runId, error: describeError(err), retryInMs }),
      });
      if (!signal.aborted) {
        const secs = ((run.finished_at ?? new Date()).getTime() - run.started_at.getTime()) / 1000;
        const summary = summaryLine(run, await filesNote(this.ctx, runId), secs);
        this.finalized.push({ runId, summary });
        this.log.info(summary.replace(/^copyfleet: /, ''), { run: runId, status: run.status });
      }
    } catch (err) {
      this.log.warn('stopped following a run', { run: runId, error: describeError(err) });
    } finally {
      this.followed.delete(runId);
      if (this.lockClient) await releaseRunLock(await this.lockClient, LOCK_SPACE.finalize, runId).catch(() => undefined);
    }
  }

  private async rescan(): Promise<void> {
    if (this.stopped) return;
    try {
      for (const runId of await unfinishedRunIds(this.ctx.pool)) await this.follow(runId);
    } catch (err) {
      this.log.warn('cannot scan the ledger for unfinished runs; trying again', { error: describeError(err) });
    }
  }

  /** The connection that holds this replica's run locks. */
  private session(): Promise<pg.PoolClient> {
    if (!this.lockClient) {
      this.lockPool = createPool(this.ctx.config.databaseUrl, { max: 1, applicationName: `copyfleet-finalizer-${process.pid}` });
      const pool = this.lockPool;
      this.lockClient = pool.connect().then((client) => {
        // Its locks are gone with it: stop following, so the next scan claims the runs again.
        client.on('error', (err) => {
          this.log.warn('lost the connection holding the run locks; claiming the runs again', { error: describeError(err) });
          this.dropSession();
        });
        return client;
      });
      this.lockClient.catch(() => this.dropSession());
    }
    return this.lockClient;
  }

  private dropSession(): void {
    for (const abort of this.followed.values()) abort.abort();
    const pool = this.lockPool;
    this.lockClient = null;
    this.lockPool = null;
    void pool?.end().catch(() => undefined);
  }

  /** Stop following (the runs go on; another replica or the next start follows them). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const abort of this.followed.values()) abort.abort();
    while (this.followed.size > 0) await new Promise((r) => setTimeout(r, 20));
    const client = this.lockClient;
    const pool = this.lockPool;
    this.lockClient = null;
    this.lockPool = null;
    if (client) (await client.catch(() => null))?.release();
    await pool?.end().catch(() => undefined);
  }
}

