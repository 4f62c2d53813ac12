// charts/copyfleet: helm lint and helm template (the real helm binary, scripts/tools.sh) for the
// default values and every ci/*-values.yaml, each rendered object validated strictly against
// the Kubernetes and KEDA schemas (manifests.ts), and the behaviour that matters asserted on the
// rendered objects. No cluster: what the API server and KEDA's operator would do is not run.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { beforeAll, describe, expect, test } from 'vitest';
import { isMap, isPair, isScalar, parse, parseDocument, type YAMLMap } from 'yaml';
import {
  chartDir,
  find,
  get,
  helmBinary,
  helmTemplate,
  podSpec,
  run,
  validateAll,
  type Container,
  type K8sObject,
} from './manifests.js';

const ciFiles = readdirSync(join(chartDir, 'ci'))
  .filter((f) => f.endsWith('-values.yaml'))
  .sort();
/** ci files whose values keep KEDA on (rendered with --api-versions keda.sh/v1alpha1). */
const kedaOn = (file: string): boolean =>
  (parse(readFileSync(join(chartDir, 'ci', file), 'utf8')) as any)?.autoscaling?.keda?.enabled !== false;

const renders = new Map<string, K8sObject[]>();
beforeAll(() => {
  helmBinary();
  renders.set('default', helmTemplate({ keda: true }));
  for (const f of ciFiles) renders.set(f, helmTemplate({ valuesFiles: [join(chartDir, 'ci', f)], keda: kedaOn(f) }));
});
const rendered = (name: string): K8sObject[] => renders.get(name)!;
const workloads = (objs: K8sObject[]) => objs.filter((o) => podSpec(o) !== undefined);
const containersOf = (o: K8sObject): Container[] => [...podSpec(o)!.containers, ...(podSpec(o)!.initContainers ?? [])];

describe('lint and render', () => {
  test('there are ci values files for the variants (keda, hpa, static, full, dev)', () => {
    expect(ciFiles).toEqual(['dev-values.yaml', 'full-values.yaml', 'hpa-values.yaml', 'keda-values.yaml', 'static-values.yaml']);
  });

  test.each(['default', ...ciFiles])('helm lint --strict passes: %s', (name) => {
    const args = ['lint', chartDir, '--strict'];
    if (name !== 'default') args.push('-f', join(chartDir, 'ci', name));
    expect(run(helmBinary(), args)).toContain('1 chart(s) linted, 0 chart(s) failed');
  });

  test.each(['default', ...ciFiles])('every object rendered from %s validates strictly', async (name) => {
    const objs = rendered(name);
    expect(objs.length).toBeGreaterThan(10);
    await validateAll(objs);
  });

  test('the strict validation refuses an indentation slip, a wrong type and an unknown kind', async () => {
    const worker = structuredClone(get(rendered('default'), 'Deployment', '-worker'));
    const c = (worker.spec as any).template.spec.containers[0];
    c.env[0].resources = c.resources; // `resources` indented one level too deep
    await expect(validateAll([worker])).rejects.toThrow(/unknown field\(s\) \/spec\/template\/spec\/containers\/0\/env\/0\/resources/);
    const typed = structuredClone(get(rendered('default'), 'Deployment', '-worker'));
    (typed.spec as any).template.spec.terminationGracePeriodSeconds = '120';
    await expect(validateAll([typed])).rejects.toThrow(/terminationGracePeriodSeconds must be integer/);
    const so = structuredClone(get(rendered('default'), 'ScaledObject', '-worker'));
    (so.spec as any).triggers[0].metdata = {};
    await expect(validateAll([so])).rejects.toThrow(/unknown field\(s\) \/spec\/triggers\/0\/metdata/);
    await expect(validateAll([{ apiVersion: 'apps/v1', kind: 'Deploymnt', metadata: { name: 'x' } }])).rejects.toThrow(/no schema/);
  });
});

describe('values', () => {
  const schema = JSON.parse(readFileSync(join(chartDir, 'values.schema.json'), 'utf8'));

  test('values.schema.json is draft-07 and closes every object (additionalProperties false or a map)', () => {
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    const open: string[] = [];
    const walk = (s: any, path: string): void => {
      if (!s || typeof s !== 'object') return;
      if (s.type === 'object' && s.properties && s.additionalProperties !== false) open.push(path);
      for (const [k, v] of Object.entries(s.properties ?? {})) walk(v, `${path}.${k}`);
      if (s.items) walk(s.items, `${path}[]`);
      for (const alt of s.anyOf ?? []) walk(alt, path);
    };
    walk(schema, '$');
    expect(open).toEqual([]);
  });

  test('the default values and every ci file validate against the schema; an unknown key does not', () => {
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    const defaults = parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8'));
    expect(validate(defaults), JSON.stringify(validate.errors)).toBe(true);
    for (const f of ciFiles) {
      // helm merges a ci file over the defaults; the merge of two valid documents is what helm checks
      const ci = parse(readFileSync(join(chartDir, 'ci', f), 'utf8'));
      expect(validate(deepMerge(structuredClone(defaults), ci)), `${f}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
    expect(validate(deepMerge(structuredClone(defaults), { worker: { replicaz: 3 } }))).toBe(false);
  });

  test('a misspelled key is refused by helm template and helm lint, naming the key', () => {
    expect(() => helmTemplate({ keda: true, set: ['worker.replicaz=3'] })).toThrow(/additional properties 'replicaz' not allowed/);
    expect(() => run(helmBinary(), ['lint', chartDir, '--set', 'autoscaling.keda.cooldownPerid=600'])).toThrow(
      /additional properties 'cooldownPerid' not allowed/,
    );
  });

  test('every key in values.yaml has a comment (kubernetes pass-through objects: the parent key)', () => {
    const doc = parseDocument(readFileSync(join(chartDir, 'values.yaml'), 'utf8'));
    const passThrough = new Set(['resources', 'podSecurityContext', 'securityContext', 'requests', 'limits']);
    const uncommented: string[] = [];
    const walk = (map: YAMLMap, path: string): void => {
      map.items.forEach((pair, i) => {
        if (!isPair(pair) || !isScalar(pair.key)) return;
        const key = String(pair.key.value);
        const commented = Boolean(pair.key.commentBefore) || (i === 0 && Boolean(map.commentBefore));
        if (!commented) uncommented.push(`${path}${key}`);
        if (isMap(pair.value) && !pair.value.flow && !passThrough.has(key)) walk(pair.value, `${path}${key}.`);
      });
    };
    walk(doc.contents as YAMLMap, '');
    expect(uncommented).toEqual([]);
  });
});

describe('workers and scaling', () => {
  test('the worker Deployment omits replicas whenever an autoscaler owns it, and sets it otherwise', () => {
    const replicas = (name: string) => (get(rendered(name), 'Deployment', '-worker').spec as any).replicas;
    expect(replicas('default')).toBeUndefined(); // KEDA
    expect(replicas('hpa-values.yaml')).toBeUndefined(); // CPU HPA
    expect(replicas('static-values.yaml')).toBe(6);
    expect(replicas('dev-values.yaml')).toBeUndefined(); // the splitter service scales it (splitter.scaleWorkers, no KEDA or HPA)
    expect((get(rendered('default'), 'Deployment', '-splitter').spec as any).replicas).toBe(1);
    expect(find(rendered('default'), 'HorizontalPodAutoscaler', '-worker')).toBeUndefined();
    expect(find(rendered('static-values.yaml'), 'HorizontalPodAutoscaler', '-worker')).toBeUndefined();
    const hpa = get(rendered('hpa-values.yaml'), 'HorizontalPodAutoscaler', '-worker').spec as any;
    expect(hpa.scaleTargetRef.name).toBe('copyfleet-worker');
    expect(hpa.metrics[0].resource).toEqual({ name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } });
  });

  test('KEDA scales the workers on the ledger query, with its own connection through a TriggerAuthentication', () => {
    const so = get(rendered('keda-values.yaml'), 'ScaledObject', '-worker').spec as any;
    expect(so.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'copyfleet-worker' });
    expect(so.minReplicaCount).toBe(0);
    expect(so.maxReplicaCount).toBe(40);
    expect(so.triggers).toHaveLength(1);
    const trigger = so.triggers[0];
    expect(trigger.type).toBe('postgresql');
    expect(trigger.metadata.query).toBe(readFileSync(join(chartDir, 'files', 'pending-chunks.sql'), 'utf8').trim());
    expect(trigger.metadata.query).toMatch(/FROM copyfleet\.chunks/);
    expect(trigger.metadata.targetQueryValue).toBe('3');
    expect(trigger.metadata.activationTargetQueryValue).toBe('1');
    expect(Object.keys(trigger.metadata).sort()).toEqual(['activationTargetQueryValue', 'query', 'targetQueryValue']);
    const auth = get(rendered('keda-values.yaml'), 'TriggerAuthentication', '-worker');
    expect(trigger.authenticationRef).toEqual({ name: auth.metadata.name });
    expect((auth.spec as any).secretTargetRef).toEqual([{ parameter: 'connection', name: 'copyfleet-keda', key: 'connection' }]);
    // default: KEDA's connection key in existingSecret
    expect((get(rendered('default'), 'TriggerAuthentication', '-worker').spec as any).secretTargetRef[0]).toMatchObject({
      name: 'copyfleet',
      key: 'KEDA_DATABASE_URL',
    });
  });

  test.each(['default', 'keda-values.yaml', 'full-values.yaml'])(
    'grace periods nest: SHUTDOWN_GRACE_MS < terminationGracePeriodSeconds < KEDA cooldownPeriod (%s)',
    (name) => {
      const d = get(rendered(name), 'Deployment', '-worker');
      const grace = podSpec(d)!.terminationGracePeriodSeconds as number;
      const env = containersOf(d)[0]!.env!;
      const shutdownMs = Number(env.find((e) => e.name === 'SHUTDOWN_GRACE_MS')!.value);
      const cooldown = (get(rendered(name), 'ScaledObject', '-worker').spec as any).cooldownPeriod;
      expect(shutdownMs).toBeLessThan(grace * 1000);
      expect(grace).toBeLessThan(cooldown);
    },
  );

  test('settings that break the nesting, and KEDA without its API, fail the render with what to change', () => {
    expect(() => helmTemplate({ keda: true, set: ['autoscaling.keda.cooldownPeriod=100'] })).toThrow(
      /cooldownPeriod \(100 s\) must exceed worker.terminationGracePeriodSeconds \(120 s\)/,
    );
    expect(() => helmTemplate({ keda: true, set: ['worker.shutdownGraceMs=120000'] })).toThrow(
      /terminationGracePeriodSeconds \(120 s\) must exceed worker.shutdownGraceMs/,
    );
    expect(() => helmTemplate({})).toThrow(/no keda.sh\/v1alpha1 API: install KEDA .* or set autoscaling.keda.enabled=false/);
  });

  test('a worker PDB exists exactly when the minimum worker count is at least 1', () => {
    expect(find(rendered('default'), 'PodDisruptionBudget', '-worker')).toBeUndefined(); // KEDA min 0
    expect(find(rendered('keda-values.yaml'), 'PodDisruptionBudget', '-worker')).toBeUndefined();
    expect(find(rendered('full-values.yaml'), 'PodDisruptionBudget', '-worker')).toBeDefined(); // KEDA min 1
    expect(find(rendered('hpa-values.yaml'), 'PodDisruptionBudget', '-worker')).toBeDefined();
    const pdb = get(rendered('static-values.yaml'), 'PodDisruptionBudget', '-worker').spec as any;
    expect(pdb.selector.matchLabels['app.kubernetes.io/component']).toBe('worker');
    expect(pdb.maxUnavailable).toBe(1);
  });
});

describe('migrations and schedules', () => {
  test('the migration Job is a pre-install/pre-upgrade hook by default, with a hook ServiceAccount', () => {
    const objs = rendered('default');
    const job = get(objs, 'Job', '-migrate');
    expect(job.metadata.annotations).toMatchObject({ 'helm.sh/hook': 'pre-install,pre-upgrade' });
    expect(containersOf(job)[0]!.args).toEqual(['migrate']);
    const sa = get(objs, 'ServiceAccount', '-migrate');
    expect(sa.metadata.annotations?.['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    expect(Number(sa.metadata.annotations?.['helm.sh/hook-weight'])).toBeLessThan(Number(job.metadata.annotations?.['helm.sh/hook-weight']));
    // a hook cannot read the release's ConfigMap (created after it): the Job uses only the existing Secret
    expect(containersOf(job)[0]!.envFrom).toBeUndefined();
  });

  test('migrations.useHelmHooks=false renders a plain Job named per revision, and no hook anywhere', () => {
    const objs = rendered('static-values.yaml');
    const job = get(objs, 'Job', '-migrate-1');
    expect(job.metadata.annotations).toBeUndefined();
    expect((job.spec as any).ttlSecondsAfterFinished).toBe(3600);
    expect(objs.filter((o) => o.metadata.annotations?.['helm.sh/hook'])).toEqual([]);
    expect(get(objs, 'ServiceAccount', '-migrate').metadata.annotations).toBeUndefined();
    expect(find(helmTemplate({ keda: true, set: ['migrations.enabled=false'] }), 'Job', '-migrate')).toBeUndefined();
  });

  test('with the dev database in the release, the hook runs post-install', () => {
    expect(get(rendered('dev-values.yaml'), 'Job', '-migrate').metadata.annotations?.['helm.sh/hook']).toBe('post-install,post-upgrade');
  });

  test('one CronJob per schedule runs `copyfleet load` on its source with its dataset spec, never two at once', () => {
    const objs = rendered('full-values.yaml');
    const cron = objs.filter((o) => o.kind === 'CronJob');
    expect(cron.map((o) => o.metadata.name)).toEqual(['copyfleet-load-landing-daily', 'copyfleet-load-door2door-hourly']);
    const daily = cron[0]!.spec as any;
    expect(daily.schedule).toBe('15 2 * * *');
    expect(daily.timeZone).toBe('Etc/UTC');
    expect(daily.concurrencyPolicy).toBe('Forbid');
    const c = containersOf(cron[0]!)[0]!;
    expect(c.args).toEqual(['load', 's3://landing/trips/', '--dataset', '/etc/copyfleet/dataset/dataset.yaml', '--table', 'trips']);
    expect(podSpec(cron[0]!)!.volumes).toContainEqual({ name: 'dataset', configMap: { name: 'trips-dataset' } });
    expect(containersOf(cron[1]!)[0]!.args).toEqual(['load', 's3://landing/door2door/']);
    expect(rendered('default').filter((o) => o.kind === 'CronJob')).toEqual([]);
  });
});

describe('network fault bounds', () => {
  test('the ConfigMap passes the bounds on dead connections and outages to every process (RELIABILITY.md, "Network faults")', () => {
    const cm = rendered('default').find((o) => o.kind === 'ConfigMap' && (o.data as Record<string, string> | undefined)?.CHUNK !== undefined)!;
    expect(cm.data).toMatchObject({ TCP_KEEPALIVE_MS: '5000', PG_DEAD_PEER_MS: '30000', SOURCE_OUTAGE_MS: '900000' });
    // Derived from CHUNK unless set.
    expect(Object.keys(cm.data as object)).not.toContain('PG_IDLE_IN_TX_MS');
  });
});

describe('COPY_FORMAT', () => {
  test('the ConfigMap passes COPY_FORMAT (auto unless set); the schema takes auto, text or binary only', () => {
    const cmOf = (objs: K8sObject[]) => objs.find((o) => o.kind === 'ConfigMap' && (o.data as Record<string, string> | undefined)?.CHUNK !== undefined)!;
    expect((cmOf(rendered('default')).data as Record<string, string>).COPY_FORMAT).toBe('auto');
    expect((cmOf(helmTemplate({ keda: true, set: ['config.copyFormat=binary'] })).data as Record<string, string>).COPY_FORMAT).toBe('binary');
    expect(() => helmTemplate({ keda: true, set: ['config.copyFormat=csv'] })).toThrow(/copyFormat/);
  });
});

describe('secrets', () => {
  const secretNames = ['DATABASE_URL', 'REDIS_URL', 'DASHBOARD_TOKEN', 'SPLITTER_TOKEN', 'KEDA_DATABASE_URL'];

  test.each(['default', 'keda-values.yaml', 'full-values.yaml', 'hpa-values.yaml', 'static-values.yaml'])(
    'with existingSecret (%s) no Secret is created and no secret is inlined in a ConfigMap or env value',
    (name) => {
      const objs = rendered(name);
      expect(objs.filter((o) => o.kind === 'Secret')).toEqual([]);
      for (const cm of objs.filter((o) => o.kind === 'ConfigMap')) {
        const data = (cm.data ?? {}) as Record<string, string>;
        expect(Object.keys(data).filter((k) => secretNames.includes(k) || /PASSWORD|TOKEN|SECRET/.test(k))).toEqual([]);
        expect(Object.values(data).filter((v) => /:\/\/[^/\s]*@/.test(v))).toEqual([]);
      }
      for (const w of workloads(objs)) {
        for (const c of containersOf(w)) {
          for (const e of c.env ?? []) {
            if (secretNames.includes(e.name)) {
              expect(e.value, `${w.metadata.name}/${c.name} ${e.name}`).toBeUndefined();
              expect((e.valueFrom as any).secretKeyRef.name).toBe(name === 'keda-values.yaml' ? 'copyfleet-prod' : 'copyfleet');
            }
            if (e.value !== undefined) expect(e.value, `${w.metadata.name} ${e.name}`).not.toMatch(/:\/\/[^/\s]*@/);
          }
        }
      }
      const dashboard = find(objs, 'Deployment', '-dashboard');
      if (dashboard) expect(containersOf(dashboard)[0]!.env!.map((e) => e.name)).toContain('DASHBOARD_TOKEN');
    },
  );

  test('config.extraEnv may not set a secret; without existingSecret or the dev services the render says what to set', () => {
    expect(() => helmTemplate({ keda: true, set: ['config.extraEnv[0].name=DATABASE_URL', 'config.extraEnv[0].value=postgres://u:p@h/db'] })).toThrow(
      /config.extraEnv must not set DATABASE_URL/,
    );
    expect(() => helmTemplate({ keda: true, set: ['existingSecret='] })).toThrow(/set existingSecret to a Secret with DATABASE_URL/);
  });

  test('the dev services are off by default; on, they bring their Secret and a Redis with appendonly + noeviction', () => {
    expect(rendered('default').filter((o) => o.kind === 'StatefulSet')).toEqual([]);
    const dev = rendered('dev-values.yaml');
    expect(dev.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name)).toEqual(['copyfleet-dev']);
    const redis = containersOf(get(dev, 'StatefulSet', '-redis'))[0]!;
    expect(redis.args).toEqual(['redis-server', '--appendonly', 'yes', '--maxmemory-policy', 'noeviction', '--dir', '/data']);
    const worker = containersOf(get(dev, 'Deployment', '-worker'))[0]!;
    expect((worker.env!.find((e) => e.name === 'DATABASE_URL')!.valueFrom as any).secretKeyRef.name).toBe('copyfleet-dev');
  });
});

describe('security and probes', () => {
  test.each(['default', ...ciFiles])('every pod and container is locked down and has resources (%s)', (name) => {
    for (const w of workloads(rendered(name))) {
      const pod = podSpec(w)! as any;
      expect(pod.securityContext.runAsNonRoot, w.metadata.name).toBe(true);
      expect(pod.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
      for (const c of containersOf(w)) {
        const sc = c.securityContext as any;
        const where = `${w.metadata.name}/${c.name}`;
        expect(sc.readOnlyRootFilesystem, where).toBe(true);
        expect(sc.allowPrivilegeEscalation, where).toBe(false);
        expect(sc.runAsNonRoot, where).toBe(true);
        expect(sc.capabilities.drop, where).toEqual(['ALL']);
        expect(sc.capabilities.add, where).toBeUndefined();
        expect((c.resources as any)?.requests?.memory, where).toBeDefined();
        expect((c.resources as any)?.limits?.memory, where).toBeDefined();
        // writable paths are volumes: /tmp everywhere
        expect((c.volumeMounts as any[]).map((m) => m.mountPath), where).toContain('/tmp');
      }
    }
  });

  test.each(['default', ...ciFiles])('every long-running container has liveness, readiness and startup probes (%s)', (name) => {
    const long = rendered(name).filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet');
    expect(long.length).toBeGreaterThanOrEqual(4);
    for (const w of long) {
      for (const c of containersOf(w)) {
        expect(c.livenessProbe, `${w.metadata.name}/${c.name}`).toBeDefined();
        expect(c.readinessProbe, `${w.metadata.name}/${c.name}`).toBeDefined();
      }
    }
    for (const d of long.filter((o) => o.kind === 'Deployment')) {
      const c = containersOf(d)[0]!;
      expect((c.livenessProbe as any).httpGet).toEqual({ path: '/healthz', port: 'metrics' });
      expect((c.readinessProbe as any).httpGet).toEqual({ path: '/readyz', port: 'metrics' });
      expect(c.ports).toContainEqual({ name: 'metrics', containerPort: 9464, protocol: 'TCP' });
      expect((c.args as string[])[0]).toMatch(/^(splitter-service|worker|compactor|reporter|dashboard)$/);
    }
  });

  test('RBAC: one Role, for the splitter, get/patch on the worker Deployment scale only, and only when it scales the workers', () => {
    // dev-values: no KEDA, no HPA, splitter.scaleWorkers (the default) → the splitter owns the worker count.
    const objs = rendered('dev-values.yaml');
    expect(objs.filter((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding')).toEqual([]);
    const roles = objs.filter((o) => o.kind === 'Role');
    expect(roles.map((r) => r.metadata.name)).toEqual(['copyfleet-splitter']);
    expect(roles[0]!.rules).toEqual([
      { apiGroups: ['apps'], resources: ['deployments/scale'], resourceNames: ['copyfleet-worker'], verbs: ['get', 'patch'] },
    ]);
    const binding = get(objs, 'RoleBinding', '-splitter') as any;
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'copyfleet-splitter', namespace: 'data' }]);
    const tokenFor = (o: K8sObject[]) => Object.fromEntries(workloads(o).filter((x) => !/-(postgres|redis)$/.test(x.metadata.name)).map((w) => [w.metadata.name, (podSpec(w) as any).automountServiceAccountToken]));
    for (const w of workloads(objs).filter((x) => !/-(postgres|redis)$/.test(x.metadata.name))) {
      const pod = podSpec(w)! as any;
      expect(pod.serviceAccountName).toBe(`copyfleet-${w.metadata.name.replace(/^copyfleet-/, '').replace(/-\d+$/, '')}`);
      expect(pod.automountServiceAccountToken, w.metadata.name).toBe(w.metadata.name === 'copyfleet-splitter');
      expect(find(objs, 'ServiceAccount', pod.serviceAccountName.replace(/^copyfleet/, '')), pod.serviceAccountName).toBeDefined();
    }
    const env = Object.fromEntries(containersOf(get(objs, 'Deployment', '-splitter'))[0]!.env!.map((e) => [e.name, e.value ?? e.valueFrom]));
    expect(env).toMatchObject({ SCALE_WORKERS: 'true', WORKER_DEPLOYMENT: 'copyfleet-worker', SCALE_WORKERS_MIN: '1', SCALE_WORKERS_MAX: '10', CHUNKS_PER_WORKER: '2' });
    expect(env.POD_NAMESPACE).toEqual({ fieldRef: { fieldPath: 'metadata.namespace' } });
    // KEDA or the HPA owns the worker count (default, hpa), or scaleWorkers is off (static): no Role, no API token, SCALE_WORKERS false.
    for (const name of ['default', 'hpa-values.yaml', 'static-values.yaml']) {
      const o = rendered(name);
      expect(o.filter((x) => x.kind === 'Role' || x.kind === 'RoleBinding'), name).toEqual([]);
      expect(Object.values(tokenFor(o)).every((v) => v === false), name).toBe(true);
      const e = containersOf(get(o, 'Deployment', '-splitter'))[0]!.env!;
      expect(e.find((x) => x.name === 'SCALE_WORKERS')?.value, name).toBe('false');
      expect(e.map((x) => x.name), name).not.toContain('WORKER_DEPLOYMENT');
    }
  });

  test('the splitter API listens on the pod address and takes SPLITTER_TOKEN from the Secret', () => {
    const e = containersOf(get(rendered('default'), 'Deployment', '-splitter'))[0]!.env!;
    expect(e.find((x) => x.name === 'SPLITTER_HOST')?.value).toBe('0.0.0.0');
    expect(e.find((x) => x.name === 'SPLITTER_PORT')?.value).toBe('8080');
    expect(e.find((x) => x.name === 'SPLITTER_TOKEN')?.valueFrom).toEqual({ secretKeyRef: { name: 'copyfleet', key: 'SPLITTER_TOKEN' } });
    const svc = get(rendered('default'), 'Service', '-splitter') as any;
    expect(svc.metadata.name).toBe('copyfleet-splitter');
    expect(svc.spec.ports).toEqual([{ name: 'http', port: 8080, targetPort: 'http', protocol: 'TCP' }]);
  });

  test('NetworkPolicies select every workload; workers may reach only DNS, PostgreSQL, Redis, HTTPS and OTLP', () => {
    const objs = rendered('full-values.yaml');
    const policies = objs.filter((o) => o.kind === 'NetworkPolicy');
    for (const w of workloads(objs)) {
      const labels = (w.kind === 'CronJob' ? (w.spec as any).jobTemplate.spec.template : (w.spec as any).template).metadata.labels;
      const selected = policies.filter((p) =>
        Object.entries((p.spec as any).podSelector.matchLabels).every(([k, v]) => labels[k] === v),
      );
      expect(selected.length, w.metadata.name).toBe(1);
    }
    const worker = get(objs, 'NetworkPolicy', '-worker').spec as any;
    expect(worker.policyTypes).toEqual(['Ingress', 'Egress']);
    const ports = worker.egress.flatMap((rule: any) => rule.ports.map((p: any) => p.port)).sort((a: number, b: number) => a - b);
    expect(ports).toEqual([53, 53, 443, 4317, 4318, 5432, 6379]);
    expect(worker.egress[1].to).toEqual([{ ipBlock: { cidr: '10.0.0.0/16' } }]);
    // workers accept only metrics scrapes
    expect(worker.ingress).toEqual([
      { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: [{ port: 'metrics', protocol: 'TCP' }] },
    ]);
  });

  test('the dashboard Ingress routes to the dashboard Service with TLS; off by default', () => {
    expect(find(rendered('default'), 'Ingress', '-dashboard')).toBeUndefined();
    const ing = get(rendered('full-values.yaml'), 'Ingress', '-dashboard').spec as any;
    expect(ing.tls).toEqual([{ hosts: ['copyfleet.example.com'], secretName: 'copyfleet-tls' }]);
    expect(ing.rules[0].http.paths[0].backend.service).toEqual({ name: 'copyfleet-dashboard', port: { name: 'http' } });
  });
});

function deepMerge(base: any, over: any): any {
  for (const [k, v] of Object.entries(over ?? {})) {
    base[k] = v && typeof v === 'object' && !Array.isArray(v) && base[k] && typeof base[k] === 'object' ? deepMerge(base[k], v) : v;
  }
  return base;
}
