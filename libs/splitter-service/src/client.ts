/**
 * The splitter service's API seen from a laptop: `copyfleet load|status|resume|cancel
 * --cluster`. The current kube context (KUBECONFIG or ~/.kube/config, read by
 * @kubernetes/client-node 1.4) says which API server and how to authenticate to it — a
 * token, a client certificate or an exec plugin, all applied by client-node's
 * applyToHTTPSOptions, never read or printed here. Requests go through the API server's
 * service proxy:
 *
 *   /api/v1/namespaces/{ns}/services/{service}:{port}/proxy/api/...
 *
 * The API server consumes the Authorization header (it authenticates the user with it), so
 * the splitter's own token (SPLITTER_TOKEN) travels in X-Copyfleet-Token, which it forwards.
 */
import { existsSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import type { RunProgress, RunRow } from '@copyfleet/db';
import type { RunStatusReport } from '@copyfleet/inspect';
import type { StartedRun } from '@copyfleet/run';
import { TOKEN_HEADER, type LoadBody } from './app.js';

export interface ClusterTarget {
  /** @defaultValue the context's namespace, else default */
  namespace?: string;
  /** The Helm release: the Service is `<release>-splitter` or `<release>-copyfleet-splitter` (the chart's fullname). @defaultValue copyfleet */
  release?: string;
  /** The Service's name, when it is not the chart's. */
  service?: string;
  /** The Service's port, by name or number. @defaultValue http */
  port?: string;
  /** SPLITTER_TOKEN. */
  token: string;
  kubeConfig?: KubeConfig;
}

/** GET /api/runs/:id */
export interface RunView {
  run: RunRow;
  progress: RunProgress;
  /** Null when asked without it. */
  report: RunStatusReport | null;
  ended: boolean;
  filesNote: string | null;
  exitCode: 0 | 1 | 2 | null;
}

export class ClusterError extends Error {
  override readonly name = 'ClusterError';
}

/** The splitter Service's name as the chart's copyfleet.fullname helper builds it (charts/copyfleet/templates/_helpers.tpl). */
export function splitterServiceName(release = 'copyfleet', chart = 'copyfleet'): string {
  // As Sprig writes them: trunc N keeps N characters, trimSuffix "-" removes one trailing "-".
  const trimDash = (v: string): string => (v.endsWith('-') ? v.slice(0, -1) : v);
  const fullname = trimDash((release.includes(chart) ? release : `${release}-${chart}`).slice(0, 63));
  return trimDash(`${fullname.slice(0, 62 - 'splitter'.length)}-splitter`);
}

export class SplitterClient {
  readonly namespace: string;
  readonly service: string;
  readonly context: string;
  private readonly kc: KubeConfig;
  private readonly base: URL;
  private readonly port: string;

  constructor(private readonly target: ClusterTarget) {
    this.kc = target.kubeConfig ?? loadKubeConfig();
    const context = this.kc.getCurrentContext();
    const cluster = this.kc.getCurrentCluster();
    if (!context || !cluster) {
      throw new ClusterError('no current kube context: set KUBECONFIG, or choose one with `kubectl config use-context NAME`');
    }
    this.context = context;
    this.namespace = target.namespace ?? this.kc.getContextObject(context)?.namespace ?? 'default';
    this.service = target.service ?? splitterServiceName(target.release);
    this.port = target.port ?? 'http';
    this.base = new URL(cluster.server);
  }

  /** Where requests go, for messages: `service copyfleet-splitter in namespace data (context prod)`. */
  get where(): string {
    return `service ${this.service} in namespace ${this.namespace} (context ${this.context})`;
  }

  startLoad(body: LoadBody): Promise<StartedRun> {
    return this.call<StartedRun>('POST', '/api/loads', body);
  }

  /** The run; without its status report (cheaper: no look at Redis) when `report` is false. */
  run(runId: string, report = true): Promise<RunView> {
    return this.call<RunView>('GET', `/api/runs/${encodeURIComponent(runId)}${report ? '' : '?report=false'}`);
  }

  cancel(runId: string): Promise<{ runId: string; status: string; removedJobs: number; inFlight: number }> {
    return this.call('POST', `/api/runs/${encodeURIComponent(runId)}/cancel`);
  }

  resume(runId: string): Promise<{ runId: string; status: string; source: string; table: string }> {
    return this.call('POST', `/api/runs/${encodeURIComponent(runId)}/resume`);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const proxy = `/api/v1/namespaces/${encodeURIComponent(this.namespace)}/services/${encodeURIComponent(this.service)}:${encodeURIComponent(this.port)}/proxy${path}`;
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const opts: RequestOptions = {
      protocol: this.base.protocol,
      hostname: this.base.hostname.replace(/^\[|\]$/g, ''),
      port: this.base.port || (this.base.protocol === 'https:' ? 443 : 80),
      path: `${this.base.pathname.replace(/\/$/, '')}${proxy}`,
      method,
      headers: {
        accept: 'application/json',
        ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
        ...(this.target.token ? { [TOKEN_HEADER]: this.target.token } : {}),
      },
    };
    // Credentials of the kube context (bearer token, client certificate, exec plugin), CA, TLS settings.
    await this.kc.applyToHTTPSOptions(opts);
    const { status, text } = await send(opts, payload, this.base.protocol === 'https:');
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    if (status >= 200 && status < 300) return json as T;
    throw new ClusterError(explain(status, json, text, this));
  }
}

function loadKubeConfig(): KubeConfig {
  // Without any of these client-node falls back to http://localhost:8080, which is no cluster of anyone's.
  if (!process.env.KUBECONFIG && !existsSync(join(homedir(), '.kube', 'config')) && !process.env.KUBERNETES_SERVICE_HOST) {
    throw new ClusterError('no kube config: set KUBECONFIG or write ~/.kube/config (e.g. `aws eks update-kubeconfig --name CLUSTER`)');
  }
  const kc = new KubeConfig();
  try {
    kc.loadFromDefault();
  } catch (err) {
    throw new ClusterError(`cannot read the kube config (${(err as Error).message}): check KUBECONFIG or ~/.kube/config`);
  }
  return kc;
}

function send(opts: RequestOptions, payload: Buffer | undefined, tls: boolean): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = (tls ? httpsRequest : httpRequest)(opts, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(600_000, () => req.destroy(new Error('no answer within 10 minutes')));
    req.on('error', (err) => reject(new ClusterError(`cannot reach the Kubernetes API server at ${opts.protocol}//${opts.hostname}:${opts.port} (${err.message}): is the kube context right and the cluster up?`)));
    req.end(payload);
  });
}

/** The splitter's own error (`{ error }`), or the API server's Status (`{ kind: Status, message }`), with what to check. */
function explain(status: number, json: unknown, text: string, c: SplitterClient): string {
  const j = (json ?? {}) as { error?: string; kind?: string; message?: string };
  if (typeof j.error === 'string') return j.error;
  const message = j.kind === 'Status' && j.message ? j.message : text.slice(0, 300) || `HTTP ${status}`;
  if (status === 401) return `the Kubernetes API server refused the kube context's credentials (${message}): log in again (kubectl get pods should work)`;
  if (status === 403) return `the kube context may not reach the ${c.where} (${message}): it needs get/create on services/proxy there`;
  if (status === 404 || status === 503) return `no splitter reachable as the ${c.where} (${message}): is copyfleet installed there? --namespace and --release choose another`;
  return `the Kubernetes API server answered HTTP ${status} for the ${c.where}: ${message}`;
}
