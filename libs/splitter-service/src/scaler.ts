/**
 * Worker scaling without KEDA (SCALE_WORKERS=true): every `intervalMs` the splitter service
 * counts the chunks waiting or being loaded (the KEDA trigger's query, libs/db
 * pendingChunkCount) and sets the worker Deployment's scale subresource to
 *
 *   pending > 0:  min(max, max(1, min, ceil(pending ÷ chunksPerWorker)))
 *   pending = 0:  min                                   (SCALE_WORKERS_MIN, default 0)
 *
 * through apps/v1 deployments/{name}/scale — GET, then a merge PATCH of spec.replicas only
 * when it differs: exactly what the chart's Role grants (get, patch on that one resource).
 * The API client is @kubernetes/client-node 1.4 with the pod's in-cluster config (or
 * KUBECONFIG). Scaling down mid-chunk is safe: a worker finishes or releases its chunk on
 * SIGTERM (libs/host serve.ts), and the ledger makes a redo harmless.
 */
import { AppsV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { describeError, pendingChunkCount, type Queryable } from '@copyfleet/db';
import type { Logger } from '@copyfleet/run';

export interface ScalerOptions {
  db: Queryable;
  namespace: string;
  deployment: string;
  min: number;
  max: number;
  chunksPerWorker: number;
  log: Logger;
  /** @defaultValue 5000 */
  intervalMs?: number;
  /** @defaultValue KubeConfig.loadFromDefault() (KUBECONFIG, ~/.kube/config, or the pod's service account) */
  kubeConfig?: KubeConfig;
}

/** The worker count for this many pending chunks. */
export function desiredWorkers(pending: number, o: Pick<ScalerOptions, 'min' | 'max' | 'chunksPerWorker'>): number {
  if (pending <= 0) return o.min;
  return Math.min(o.max, Math.max(1, o.min, Math.ceil(pending / o.chunksPerWorker)));
}

export class WorkerScaler {
  private readonly api: AppsV1Api;
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  /** The scale this service last set (null: none yet). */
  lastSet: number | null = null;

  constructor(private readonly o: ScalerOptions) {
    const kc = o.kubeConfig ?? defaultKubeConfig();
    this.api = kc.makeApiClient(AppsV1Api);
  }

  start(): void {
    const run = () => {
      this.ticking ??= this.tick().finally(() => (this.ticking = null));
    };
    run();
    this.timer = setInterval(run, this.o.intervalMs ?? 5000);
    this.timer.unref();
  }

  /** One look: count, compare, patch. Failures are logged; the next tick tries again. */
  async tick(): Promise<void> {
    try {
      const want = desiredWorkers(await pendingChunkCount(this.o.db), this.o);
      const { name, namespace } = { name: this.o.deployment, namespace: this.o.namespace };
      const scale = await this.api.readNamespacedDeploymentScale({ name, namespace });
      const now = scale.spec?.replicas ?? 0;
      if (now === want) return;
      await this.api.patchNamespacedDeploymentScale(
        { name, namespace, body: { spec: { replicas: want } }, fieldManager: 'copyfleet-splitter' },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      this.lastSet = want;
      this.o.log.info('worker deployment scaled', { deployment: name, namespace, from: now, to: want });
    } catch (err) {
      this.o.log.warn('cannot scale the worker deployment; trying again', { deployment: this.o.deployment, error: kubeError(err) });
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.ticking;
  }
}

export function defaultKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  return kc;
}

/** An API error's status and message (client-node's ApiException carries the body), never a header. */
export function kubeError(err: unknown): string {
  const e = err as { code?: number; body?: unknown; message?: string };
  if (typeof e.code === 'number') {
    let message = '';
    try {
      message = (JSON.parse(String(e.body)) as { message?: string }).message ?? '';
    } catch {
      message = '';
    }
    return `HTTP ${e.code}${message ? `: ${message}` : ''}`;
  }
  return describeError(err);
}
