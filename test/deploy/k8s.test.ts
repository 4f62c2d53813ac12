// k8s/: the kustomize base is generated from the chart (k8s/generate.mjs) and must equal a fresh
// render — that is how the two cannot drift; both overlays render with the real `kubectl
// kustomize`, every object validates strictly like the chart's, and the overlays keep the
// base's components (kinds, names, containers) and change only what they say.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
// @ts-expect-error plain ESM script without types
import { basePath, renderBase } from '../../k8s/generate.mjs';
import { get, helmTemplate, kustomize, podSpec, repoRoot, validateAll, type K8sObject } from './manifests.js';

const overlays = ['dev', 'prod'] as const;
const renders = new Map<string, K8sObject[]>();
beforeAll(() => {
  renders.set('base', kustomize(join(repoRoot, 'k8s', 'base')));
  for (const o of overlays) renders.set(o, kustomize(join(repoRoot, 'k8s', 'overlays', o)));
});

/** kind/name and the containers of each workload: what "the same components" means. */
const shape = (objs: K8sObject[]) =>
  objs
    .map((o) => `${o.kind}/${o.metadata.name}${podSpec(o) ? ` [${podSpec(o)!.containers.map((c) => `${c.name}:${(c.args as string[])[0]}`).join(',')}]` : ''}`)
    .sort();

describe('kustomize', () => {
  test('the committed base is exactly the chart rendered with k8s/base/values.yaml (no drift)', () => {
    expect(readFileSync(basePath, 'utf8'), 'k8s/base/copyfleet.yaml is stale: run `node k8s/generate.mjs`').toBe(renderBase());
  });

  test('the base has the components of the chart rendered for it', () => {
    const chart = helmTemplate({ keda: true, valuesFiles: [join(repoRoot, 'k8s', 'base', 'values.yaml')] });
    expect(shape(renders.get('base')!)).toEqual(shape(chart));
    expect(shape(chart)).toEqual(expect.arrayContaining([
      'Deployment/copyfleet-splitter [splitter:splitter-service]',
      'Deployment/copyfleet-worker [worker:worker]',
      'Deployment/copyfleet-compactor [compactor:compactor]',
      'Deployment/copyfleet-reporter [reporter:reporter]',
      'Deployment/copyfleet-dashboard [dashboard:dashboard]',
      'Job/copyfleet-migrate-1 [migrate:migrate]',
      'ScaledObject/copyfleet-worker',
      'TriggerAuthentication/copyfleet-worker',
    ]));
    // no Helm leftovers: no hooks, no Helm labels
    const text = readFileSync(basePath, 'utf8');
    expect(text).not.toMatch(/helm\.sh\/(hook|chart)|managed-by: Helm/);
  });

  test.each(['base', ...overlays])('every object of %s validates strictly', async (name) => {
    await validateAll(renders.get(name)!);
  });

  test.each(overlays)('overlay %s renders the same components as the base', (o) => {
    const extra = o === 'prod' ? ['PodDisruptionBudget/copyfleet-worker'] : [];
    expect(shape(renders.get(o)!)).toEqual([...shape(renders.get('base')!), ...extra].sort());
  });

  test('the overlays change what they say: namespace, image, worker counts and resources', () => {
    const dev = renders.get('dev')!;
    const prod = renders.get('prod')!;
    expect(new Set(dev.map((o) => (o.metadata as any).namespace))).toEqual(new Set(['copyfleet-dev']));
    expect(new Set(prod.map((o) => (o.metadata as any).namespace))).toEqual(new Set(['copyfleet']));
    expect((get(dev, 'ScaledObject', '-worker').spec as any).maxReplicaCount).toBe(3);
    expect((get(prod, 'ScaledObject', '-worker').spec as any)).toMatchObject({ minReplicaCount: 1, maxReplicaCount: 50 });
    expect((get(dev, 'ConfigMap', '-config') as any).data.LOG_LEVEL).toBe('debug');
    for (const o of prod.filter((x) => podSpec(x))) {
      expect(podSpec(o)!.containers[0]!.image).toBe('123456789012.dkr.ecr.eu-west-1.amazonaws.com/copyfleet:0.1.0');
    }
    // KEDA owns the worker count: the splitter gets no Kubernetes API access at all.
    expect(prod.filter((o) => o.kind === 'Role' || o.kind === 'RoleBinding')).toEqual([]);
    // the prod PDB selects exactly the worker pods
    const pdb = get(prod, 'PodDisruptionBudget', '-worker').spec as any;
    const workerLabels = (get(prod, 'Deployment', '-worker').spec as any).template.metadata.labels;
    for (const [k, v] of Object.entries(pdb.selector.matchLabels)) expect(workerLabels[k]).toBe(v);
    // the worker Deployment still has no replicas (KEDA owns it)
    expect((get(prod, 'Deployment', '-worker').spec as any).replicas).toBeUndefined();
  });
});
