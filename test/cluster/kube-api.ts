// A test Kubernetes API server on 127.0.0.1 (plain node:http) speaking the real paths and
// shapes that cluster mode uses, recording every request:
//
//   /api/v1/namespaces/{ns}/services/{name}:{port}/proxy/{path}
//       the service proxy: forwarded to the real splitter service, without the Authorization
//       header (the real API server consumes it: it authenticates the user, then drops it)
//   GET   /apis/apps/v1/namespaces/{ns}/deployments/{name}/scale     → autoscaling/v1 Scale
//   PATCH /apis/apps/v1/namespaces/{ns}/deployments/{name}/scale     merge or strategic-merge
//       patch of spec.replicas (a JSON patch or any other content type is 415, as the real one
//       answers for an unsupported patch type)
//
// Every request must carry `Authorization: Bearer <token>` (else 401 with a Status object);
// unknown objects are 404 Status objects, as the real server writes them.
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { writeFileSync } from 'node:fs';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface TestKubeApi {
  url: string;
  requests: RecordedRequest[];
  /** Replicas of each deployment, by `ns/name`. */
  replicas: Map<string, number>;
  /** The PATCH bodies' replicas in order, with their content type. */
  patches: { replicas: number; contentType: string }[];
  close(): Promise<void>;
}

export interface KubeApiOptions {
  token: string;
  /** The splitter Service: `ns/name`, its port name and number, and where the real service listens. */
  service: { namespace: string; name: string; portName: string; port: number; target: string };
  deployments?: Record<string, number>;
}

export async function startTestKubeApi(o: KubeApiOptions): Promise<TestKubeApi> {
  const requests: RecordedRequest[] = [];
  const replicas = new Map(Object.entries(o.deployments ?? {}));
  const patches: { replicas: number; contentType: string }[] = [];
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: { ...req.headers }, body: body.toString('utf8') });
      handle(req, res, body);
    });
  });

  function handle(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    if (req.headers.authorization !== `Bearer ${o.token}`) return status(res, 401, 'Unauthorized', 'Unauthorized');
    const url = new URL(req.url ?? '/', 'http://x');
    const proxy = /^\/api\/v1\/namespaces\/([^/]+)\/services\/([^/]+)\/proxy(\/.*)?$/.exec(url.pathname);
    if (proxy) {
      const [ns, nameAndPort, rest] = [decodeURIComponent(proxy[1]!), decodeURIComponent(proxy[2]!), proxy[3] ?? '/'];
      const [name, port] = nameAndPort.split(':');
      const s = o.service;
      if (ns !== s.namespace || name !== s.name) return status(res, 404, 'NotFound', `services "${name}" not found`);
      if (port !== undefined && port !== s.portName && port !== String(s.port)) return status(res, 503, 'ServiceUnavailable', `no endpoints available for service "${name}:${port}"`);
      return forward(req, res, body, `${s.target}${rest}${url.search}`);
    }
    const scale = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments\/([^/]+)\/scale$/.exec(url.pathname);
    if (scale) {
      const [ns, name] = [scale[1]!, scale[2]!];
      const key = `${ns}/${name}`;
      if (!replicas.has(key)) return status(res, 404, 'NotFound', `deployments.apps "${name}" not found`);
      if (req.method === 'PATCH') {
        const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
        if (type !== 'application/merge-patch+json' && type !== 'application/strategic-merge-patch+json') {
          return status(res, 415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/merge-patch+json, application/strategic-merge-patch+json (got ${type})`);
        }
        let patch: { spec?: { replicas?: unknown } };
        try {
          patch = JSON.parse(body.toString('utf8')) as typeof patch;
        } catch {
          return status(res, 400, 'BadRequest', 'the patch is not JSON');
        }
        const n = patch.spec?.replicas;
        if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) return status(res, 422, 'Invalid', 'spec.replicas: Invalid value: must be a non-negative integer');
        replicas.set(key, n);
        patches.push({ replicas: n, contentType: type });
      } else if (req.method !== 'GET') {
        return status(res, 405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
      }
      return json(res, 200, scaleOf(ns, name, replicas.get(key)!));
    }
    status(res, 404, 'NotFound', 'the server could not find the requested resource');
  }

  function forward(req: IncomingMessage, res: ServerResponse, body: Buffer, target: string): void {
    const headers = { ...req.headers };
    delete headers.authorization;
    delete headers.host;
    const out = httpRequest(target, { method: req.method, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    out.on('error', (err) => status(res, 503, 'ServiceUnavailable', `error trying to reach service: ${err.message}`));
    out.end(body);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    replicas,
    patches,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function scaleOf(namespace: string, name: string, replicas: number) {
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name, namespace, uid: '00000000-0000-0000-0000-000000000001', resourceVersion: '1', creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: { replicas },
    status: { replicas, selector: `app.kubernetes.io/component=worker` },
  };
}

function json(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function status(res: ServerResponse, code: number, reason: string, message: string): void {
  json(res, code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
}

/** A kubeconfig with one context: the test API server, a bearer token, a namespace. */
export function writeKubeconfig(path: string, server: string, token: string, namespace: string): void {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'test', cluster: { server, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'tester', user: { token } }],
    contexts: [{ name: 'test', context: { cluster: 'test', user: 'tester', namespace } }],
    'current-context': 'test',
  };
  writeFileSync(path, JSON.stringify(config, null, 2));
}
