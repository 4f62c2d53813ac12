// terraform/: `terraform fmt -check`, `init` from the local provider mirror, `validate` and
// `terraform test` (mock_provider "aws": offline apply, assertions in
// terraform/aws/tests/copyfleet.tftest.hcl) for the AWS root; the helm-release root (helm and
// kubernetes providers, which cannot be installed here) is formatted and parsed only.
// Skipped, saying so, where no terraform binary is on PATH.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseHcl } from '@cdktf/hcl2json';
import { afterAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { helmTemplate, repoRoot, run } from './manifests.js';

const terraform = (() => {
  try {
    return execFileSync('bash', ['-c', 'command -v terraform'], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
})();
if (!terraform) console.warn('test/deploy/terraform.test.ts: no terraform binary on PATH; the terraform checks are skipped');

const tfDir = join(repoRoot, 'terraform');
const dataDir = mkdtempSync(join(tmpdir(), 'cf-tf-'));
// The machine image's provider mirror (shared/TOOLING.md); TF_PLUGIN_DIR overrides it.
const pluginDir = process.env.TF_PLUGIN_DIR ?? '/opt/tf-plugins';
const tf = async (dir: string, args: string[]): Promise<string> => {
  try {
    const { stdout } = await promisify(execFile)(terraform, args, {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, TF_DATA_DIR: dataDir, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' },
    });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(`terraform ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
};
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function hcl(dir: string): Promise<Record<string, any>> {
  const merged: Record<string, any> = {};
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.tf'))) {
    const json = await parseHcl(f, readFileSync(join(dir, f), 'utf8'));
    for (const [block, body] of Object.entries(json)) {
      merged[block] = Array.isArray(body) ? [...(merged[block] ?? []), ...body] : { ...merged[block], ...(body as object) };
    }
  }
  return merged;
}

describe.skipIf(!terraform)('terraform', () => {
  test('terraform fmt -check passes for both roots', () => {
    expect(() => run(terraform, ['fmt', '-check', '-recursive', tfDir])).not.toThrow();
  });

  test('the aws root initialises from the provider mirror, validates, and its terraform test assertions pass', async () => {
    const aws = join(tfDir, 'aws');
    const init = ['init', '-backend=false', '-input=false', '-no-color', '-lockfile=readonly'];
    if (existsSync(pluginDir)) init.push(`-plugin-dir=${pluginDir}`);
    await tf(aws, init);
    // both only read the initialised directory: side by side saves a provider start-up
    const [validated, out] = await Promise.all([tf(aws, ['validate', '-no-color']), tf(aws, ['test', '-no-color'])]);
    expect(validated).toContain('The configuration is valid');
    expect(out).toContain('run "copyfleet_environment"... pass');
    expect(out).toContain('run "short_storage_headroom_is_refused"... pass');
    expect(out).toMatch(/Success! 2 passed, 0 failed/);
  });

  test('Pod Identity binds the ServiceAccounts the chart creates for the pods that read S3', async () => {
    const aws = await hcl(join(tfDir, 'aws'));
    const locals = Object.assign({}, ...(aws.locals as object[]));
    const sas = (locals.s3_reading_service as string[]).map((c) => `copyfleet-${c}`);
    const chartSas = helmTemplate({ keda: true, valuesFiles: [join(repoRoot, 'charts', 'copyfleet', 'ci', 'full-values.yaml')] })
      .filter((o) => o.kind === 'ServiceAccount')
      .map((o) => o.metadata.name);
    for (const sa of sas) expect(chartSas).toContain(sa);
  });
});

describe('terraform/helm-release (parsed only: its providers cannot be installed here)', () => {
  test('it parses, installs the chart of this repository without hooks, and fills the Secret the chart expects', async () => {
    const root = await hcl(join(tfDir, 'helm-release'));
    const release = root.resource.helm_release.copyfleet[0];
    expect(release.chart).toBe('${path.module}/../../charts/copyfleet');
    expect(existsSync(join(tfDir, 'helm-release', '..', '..', 'charts', 'copyfleet', 'Chart.yaml'))).toBe(true);
    expect(release.wait).toBe(true);
    const values = release.values[0] as string;
    expect(values).toMatch(/migrations\s*=\s*\{ useHelmHooks = false \}/);
    expect(values).toMatch(/existingSecret\s*=\s*kubernetes_secret_v1\.connections/);
    // the Secret holds exactly the keys the chart reads by default (values.yaml secretKeys + KEDA's key)
    const secret = root.resource.kubernetes_secret_v1.connections[0];
    expect(Object.keys(secret.data).sort()).toEqual(['DASHBOARD_TOKEN', 'DATABASE_URL', 'KEDA_DATABASE_URL', 'REDIS_URL', 'SPLITTER_TOKEN']);
    const chartValues = parse(readFileSync(join(repoRoot, 'charts', 'copyfleet', 'values.yaml'), 'utf8')) as { secretKeys: Record<string, string>; autoscaling: { keda: { connectionSecret: { key: string } } } };
    expect(Object.keys(secret.data).sort()).toEqual([...Object.values(chartValues.secretKeys), chartValues.autoscaling.keda.connectionSecret.key].sort());
    for (const v of ['database_url', 'keda_database_url', 'redis_url', 'dashboard_token', 'splitter_token']) {
      expect(root.variable[v][0].sensitive, v).toBe(true);
    }
    expect(Object.keys(root.terraform[0].required_providers[0]).sort()).toEqual(['helm', 'kubernetes']);
  });
});
