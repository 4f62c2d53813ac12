/**
 * Run-end webhooks: each NOTIFY_URL gets one POST of the run's summary (summary.ts).
 *
 * Fire and forget: notifyRunEnd() starts the deliveries and returns at once; the promise
 * it returns never rejects (outcomes, for tests and logs). A run never waits for a
 * webhook and never fails because of one. Each URL is tried until it answers 2xx, with
 * capped exponential backoff and jitter (the queue's cappedBackoff) on network errors,
 * timeouts, 429 and 5xx; another 4xx is final (the URL or payload is wrong: retrying will
 * not help). Everything, retries included, ends within `totalMs`; each attempt within
 * `attemptMs`. A process about to exit may await settleNotifications(), which is bounded
 * the same way. Logs name a webhook by its host only: its path is the token.
 */
import { cappedBackoff } from '@copyfleet/queue';
import { redactUrl } from '@copyfleet/telemetry';
import { webhookPayload, type RunSummary } from './summary.js';

export interface NotifyOptions {
  urls: string[];
  /** Public dashboard address for the run's link (DASHBOARD_URL). */
  dashboardUrl?: string | null;
  /** @defaultValue 5000 */
  attemptMs?: number;
  /** All attempts of all URLs end within this. @defaultValue 30000 */
  totalMs?: number;
  /** @defaultValue 6 */
  attempts?: number;
  /** First retry delay, doubling, at most capMs, with jitter. @defaultValue 500 */
  baseDelayMs?: number;
  /** @defaultValue 8000 */
  capMs?: number;
  log?: (msg: string, fields: Record<string, unknown>) => void;
}

export interface Delivery {
  /** The webhook as it may be logged (host only). */
  webhook: string;
  outcome: 'delivered' | 'refused' | 'gave-up';
  attempts: number;
  /** Last HTTP status, if any answer came. */
  status?: number;
  error?: string;
}

const inFlight = new Set<Promise<unknown>>();

export function notifyRunEnd(summary: RunSummary, opts: NotifyOptions): Promise<Delivery[]> {
  if (opts.urls.length === 0) return Promise.resolve([]);
  const body = JSON.stringify(webhookPayload(summary, opts.dashboardUrl ?? null));
  const deadline = Date.now() + (opts.totalMs ?? 30_000);
  const all = Promise.all(opts.urls.map((url) => deliver(url, body, deadline, opts))).then((results) => {
    for (const r of results) {
      if (r.outcome !== 'delivered') opts.log?.('run notification not delivered', { run: summary.runId, ...r });
    }
    return results;
  });
  inFlight.add(all);
  void all.finally(() => inFlight.delete(all));
  return all;
}

/** Wait for the notifications still being delivered (each bounded by its totalMs). */
export async function settleNotifications(): Promise<void> {
  await Promise.allSettled([...inFlight]);
}

async function deliver(url: string, body: string, deadline: number, opts: NotifyOptions): Promise<Delivery> {
  const webhook = redactUrl(url);
  const attempts = opts.attempts ?? 6;
  let last: Pick<Delivery, 'status' | 'error'> = {};
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'copyfleet' },
        body,
        signal: AbortSignal.timeout(Math.min(opts.attemptMs ?? 5000, left)),
        redirect: 'error',
      });
      await res.body?.cancel().catch(() => undefined);
      if (res.ok) return { webhook, outcome: 'delivered', attempts: attempt, status: res.status };
      last = { status: res.status };
      if (res.status < 500 && res.status !== 429 && res.status !== 408) return { webhook, outcome: 'refused', attempts: attempt, ...last };
    } catch (err) {
      // fetch's TypeError says "fetch failed"; the cause says why (ECONNREFUSED, bad port, …).
      const e = err as Error & { cause?: { code?: string; message?: string } };
      last = { error: e.name === 'TimeoutError' ? 'timed out' : (e.cause?.code ?? e.cause?.message ?? e.message) };
    }
    if (attempt < attempts) {
      const delay = cappedBackoff(attempt, opts.baseDelayMs ?? 500, opts.capMs ?? 8000);
      if (Date.now() + delay >= deadline) break;
      await new Promise((r) => setTimeout(r, delay).unref());
    }
  }
  return { webhook, outcome: 'gave-up', attempts, ...last };
}
