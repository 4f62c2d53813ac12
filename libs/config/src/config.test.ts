// Configuration: explicit value > environment > .env in the working directory > default;
// invalid values fail with the name of the variable to fix; secrets are never printed.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, configToEnv, copyFormatFor, isLocalDatabase, loadConfig, readTracePg, sessionTimeoutDefaults } from './config.js';
import { maskUrl } from './secrets.js';
import { parseSize } from './size.js';

const URLS = { DATABASE_URL: 'postgres://u:pw@localhost:5432/db', REDIS_URL: 'redis://localhost:6379' };

// loadConfig reads .env from the working directory: run every test in an empty temp dir.
let dir: string;
let prevCwd: string;
beforeEach(() => {
  prevCwd = process.cwd();
  dir = mkdtempSync(join(tmpdir(), 'cf-config-'));
  process.chdir(dir);
});
afterEach(() => {
  process.chdir(prevCwd);
  rmSync(dir, { recursive: true, force: true });
});

function configError(env: Record<string, string>): string {
  try {
    loadConfig({}, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected loadConfig to throw');
}

describe('loadConfig', () => {
  it('prefers an explicit value, then the environment, then .env, then the default', () => {
    writeFileSync(join(dir, '.env'), `${Object.entries(URLS).map(([k, v]) => `${k}=${v}`).join('\n')}\nWORKERS=3\nPGSCHEMA=from_file\nCHUNK=1MiB\n`);
    const env = { WORKERS: '5', PGSCHEMA: '' };
    expect(loadConfig({ workers: 7 }, env).workers).toBe(7);
    expect(loadConfig({}, env).workers).toBe(5);
    expect(loadConfig({}, {}).workers).toBe(3);
    expect(loadConfig({}, env).defaultSchema).toBe('from_file'); // an empty variable counts as unset
    expect(loadConfig({}, env).chunkBytes).toBe(1024 ** 2);
    expect(loadConfig({}, env).pgPoolMax).toBe(2);
    expect(loadConfig({}, env).databaseUrl).toBe(URLS.DATABASE_URL);
  });

  it('applies defaults and parses sizes and integers from strings', () => {
    const cfg = loadConfig({}, { ...URLS, MAX_RECORD_BYTES: '1MB', CHUNK_ATTEMPTS: '3' });
    expect(cfg).toMatchObject({ chunkBytes: 64 * 1024 ** 2, maxRecordBytes: 1_000_000, attempts: 3, queuePrefix: 'copyfleet', defaultSchema: 'public' });
  });

  it('round-trips through configToEnv', () => {
    const cfg = loadConfig({ workers: 3, chunkBytes: '8MiB' }, URLS);
    expect(loadConfig({}, configToEnv(cfg))).toEqual(cfg);
  });

  it('names the variable in the error', () => {
    expect(configError({ ...URLS, CHUNK: 'abc' })).toMatch(/CHUNK: "abc" is not a size/);
    expect(configError({ ...URLS, WORKERS: '0' })).toMatch(/WORKERS/);
    expect(configError({ ...URLS, PG_POOL_MAX: 'two' })).toMatch(/PG_POOL_MAX/);
    expect(configError({ ...URLS, QUEUE_PREFIX: 'a b' })).toMatch(/QUEUE_PREFIX/);
    expect(configError({ ...URLS, MAX_RECORD_BYTES: '10' })).toMatch(/MAX_RECORD_BYTES/);
  });

  it('says how to get a database when DATABASE_URL is missing', () => {
    const msg = configError({ REDIS_URL: URLS.REDIS_URL });
    expect(msg).toMatch(/DATABASE_URL is not set/);
    expect(msg).not.toMatch(/REDIS_URL/);
  });

  it('refuses CHUNK above 512MiB', () => {
    expect(loadConfig({}, { ...URLS, CHUNK: '512MiB' }).chunkBytes).toBe(512 * 1024 ** 2);
    expect(configError({ ...URLS, CHUNK: '513MiB' })).toMatch(/CHUNK is at most 512MiB/);
    expect(() => loadConfig({ chunkBytes: 1024 ** 3 }, URLS)).toThrow(/CHUNK/);
  });
});

describe('parseSize', () => {
  it('reads plain bytes and binary and decimal units, case-insensitively', () => {
    expect(parseSize('1048576')).toBe(1048576);
    expect(parseSize('64MiB')).toBe(64 * 1024 ** 2);
    expect(parseSize('64mib')).toBe(64 * 1024 ** 2);
    expect(parseSize('1MB')).toBe(1_000_000);
    expect(parseSize('512k')).toBe(512 * 1024);
    expect(parseSize('2 KB')).toBe(2000);
    expect(parseSize(' 1.5GiB ')).toBe(1.5 * 1024 ** 3);
    expect(parseSize('10b')).toBe(10);
    expect(parseSize(4096)).toBe(4096);
  });

  it('explains what a size looks like when it cannot read one', () => {
    for (const bad of ['abc', '', '12 parsecs', '-1MB', '1,5MB', 'MB']) {
      expect(() => parseSize(bad)).toThrow(/is not a size: write bytes/);
    }
  });
});

describe('maskUrl', () => {
  it('hides the password and keeps the rest', () => {
    expect(maskUrl('postgres://user:s3cret@db.example:5432/app')).toBe('postgres://user:***@db.example:5432/app');
    expect(maskUrl('redis://:s3cret@localhost:6379')).toBe('redis://:***@localhost:6379');
    expect(maskUrl('postgres://u:p%40ss@host/db')).not.toContain('p%40ss');
  });

  it('leaves URLs without a password alone', () => {
    expect(maskUrl('postgres://user@host/db')).toBe('postgres://user@host/db');
    expect(maskUrl('redis://localhost:6379')).toBe('redis://localhost:6379');
  });

  it('hides a password given as a query parameter', () => {
    const masked = maskUrl('postgresql://host/db?user=u&password=s3cret&sslmode=require');
    expect(masked).not.toContain('s3cret');
    expect(masked).toContain('sslmode=require');
  });

  it('hides the password of strings that are not valid URLs', () => {
    expect(maskUrl('postgres://u:s3cret@host:99999/db')).toBe('postgres://u:***@host:99999/db');
    expect(maskUrl('postgres://u:s3/cret@host/db')).not.toContain('cret');
  });
});

// The observability settings: METRICS_PORT, METRICS_HOST, TRACE_PG, NOTIFY_URL, DASHBOARD_URL.
const fails = (env: Record<string, string>): string => configError({ ...URLS, ...env });

describe('observability settings', () => {
  it('defaults: ops endpoint on 9464 on all interfaces, slow and failed pg spans, no webhooks, no dashboard link', () => {
    const c = loadConfig({}, URLS);
    expect(c).toMatchObject({ metricsPort: 9464, metricsHost: '0.0.0.0', tracePg: 'slow', notifyUrls: [], dashboardUrl: '' });
  });

  it('METRICS_PORT: a port, 0, or off (null); anything else names the variable', () => {
    expect(loadConfig({}, { ...URLS, METRICS_PORT: '0' }).metricsPort).toBe(0);
    expect(loadConfig({}, { ...URLS, METRICS_PORT: 'off' }).metricsPort).toBeNull();
    expect(fails({ METRICS_PORT: '70000' })).toMatch(/METRICS_PORT: .*port number.*off/);
    expect(fails({ METRICS_PORT: 'nine' })).toMatch(/METRICS_PORT/);
  });

  it('NOTIFY_URL: comma-separated http(s) URLs; a bad entry is named by position, never echoed', () => {
    const c = loadConfig({}, { ...URLS, NOTIFY_URL: 'https://hooks.slack.com/services/T/B/x , http://127.0.0.1:9/h' });
    expect(c.notifyUrls).toEqual(['https://hooks.slack.com/services/T/B/x', 'http://127.0.0.1:9/h']);
    const msg = fails({ NOTIFY_URL: 'https://ok.example/h,ftp://secret-token-here' });
    expect(msg).toMatch(/NOTIFY_URL: entry 2 is not an http\(s\) URL/);
    expect(msg).not.toContain('secret-token-here');
  });

  it('TRACE_PG and DASHBOARD_URL are validated; readTracePg applies the same rule without the rest of the config', () => {
    expect(fails({ TRACE_PG: 'some' })).toMatch(/TRACE_PG is slow .*all or off/);
    expect(fails({ DASHBOARD_URL: 'not a url' })).toMatch(/DASHBOARD_URL is an http\(s\) URL/);
    expect(readTracePg({ TRACE_PG: 'all' })).toBe('all');
    expect(readTracePg({})).toBe('slow');
    expect(() => readTracePg({ TRACE_PG: 'x' })).toThrow(/TRACE_PG/);
  });

  it('configToEnv round-trips them for child processes', () => {
    const c = loadConfig({}, { ...URLS, METRICS_PORT: 'off', NOTIFY_URL: 'http://a.example/1,http://b.example/2' });
    const again = loadConfig({}, configToEnv(c));
    expect(again.metricsPort).toBeNull();
    expect(again.notifyUrls).toEqual(c.notifyUrls);
  });
});

describe('network fault bounds', () => {
  it('derives the workers\' session timeouts from the chunk size, with floors, unless set', () => {
    expect(sessionTimeoutDefaults(64 * 1024 ** 2)).toEqual({ idleInTxMs: 64_000, statementMs: 300_000 });
    expect(sessionTimeoutDefaults(512 * 1024 ** 2)).toEqual({ idleInTxMs: 512_000, statementMs: 2_048_000 });
    expect(sessionTimeoutDefaults(1024 ** 2)).toEqual({ idleInTxMs: 60_000, statementMs: 300_000 });
    const c = loadConfig({}, { ...URLS, CHUNK: '256MiB' });
    expect([c.tcpKeepaliveMs, c.pgDeadPeerMs, c.pgIdleInTxMs, c.pgStatementTimeoutMs, c.sourceOutageMs]).toEqual([5000, 30_000, 256_000, 1_024_000, 900_000]);
    const set = loadConfig({}, { ...URLS, PG_IDLE_IN_TX_MS: '5000', PG_STATEMENT_TIMEOUT_MS: '9000' });
    expect([set.pgIdleInTxMs, set.pgStatementTimeoutMs]).toEqual([5000, 9000]);
    expect(configToEnv(c)).toMatchObject({ PG_IDLE_IN_TX_MS: '256000', PG_STATEMENT_TIMEOUT_MS: '1024000', PG_DEAD_PEER_MS: '30000' });
  });

  it('refuses a dead-peer bound the keepalive probes cannot fit in, saying what to change', () => {
    expect(configError({ ...URLS, PG_DEAD_PEER_MS: '6000' })).toMatch(/PG_DEAD_PEER_MS: 6000 is less than TCP_KEEPALIVE_MS \(5000\) \+ 4000/);
    expect(configError({ ...URLS, TCP_KEEPALIVE_MS: '10' })).toMatch(/TCP_KEEPALIVE_MS/);
  });
});

describe('splitter service settings', () => {
  it('defaults: 127.0.0.1:8080, no token, no scaling; scale bounds 0-10, 2 chunks per worker', () => {
    const c = loadConfig({}, URLS);
    expect(c).toMatchObject({ splitterHost: '127.0.0.1', splitterPort: 8080, splitterToken: '', scaleWorkers: false, scaleWorkersMin: 0, scaleWorkersMax: 10, chunksPerWorker: 2, scaleIntervalMs: 5000 });
  });

  it('SCALE_WORKERS needs WORKER_DEPLOYMENT, bounds in order and object names Kubernetes accepts; each error names its variable', () => {
    expect(loadConfig({}, { ...URLS, SCALE_WORKERS: 'true', WORKER_DEPLOYMENT: 'copyfleet-worker', POD_NAMESPACE: 'data' })).toMatchObject({ scaleWorkers: true, workerDeployment: 'copyfleet-worker', podNamespace: 'data' });
    expect(() => loadConfig({}, { ...URLS, SCALE_WORKERS: 'true' })).toThrow(/WORKER_DEPLOYMENT: SCALE_WORKERS=true needs WORKER_DEPLOYMENT/);
    expect(() => loadConfig({}, { ...URLS, SCALE_WORKERS: 'yes' })).toThrow(/SCALE_WORKERS: SCALE_WORKERS is true or false/);
    expect(() => loadConfig({}, { ...URLS, SCALE_WORKERS_MIN: '5', SCALE_WORKERS_MAX: '2' })).toThrow(/SCALE_WORKERS_MIN: SCALE_WORKERS_MIN must not exceed SCALE_WORKERS_MAX/);
    expect(() => loadConfig({}, { ...URLS, WORKER_DEPLOYMENT: 'Copyfleet_Worker' })).toThrow(/WORKER_DEPLOYMENT: WORKER_DEPLOYMENT is a Kubernetes object name/);
    expect(() => loadConfig({}, { ...URLS, SPLITTER_PORT: '70000' })).toThrow(/SPLITTER_PORT/);
  });

  it('never prints SPLITTER_TOKEN in an error', () => {
    const token = 'tok-secret-123456';
    expect(() => loadConfig({}, { ...URLS, SPLITTER_TOKEN: token, SPLITTER_PORT: 'x' })).toThrow(ConfigError);
    try {
      loadConfig({}, { ...URLS, SPLITTER_TOKEN: token, SPLITTER_PORT: 'x' });
    } catch (err) {
      expect((err as Error).message).not.toContain(token);
    }
  });
});

describe('COPY_FORMAT', () => {
  it('is auto by default, takes text or binary, and names the variable when wrong', () => {
    expect(loadConfig({}, URLS).copyFormat).toBe('auto');
    expect(loadConfig({}, { ...URLS, COPY_FORMAT: 'binary' }).copyFormat).toBe('binary');
    expect(loadConfig({}, { ...URLS, COPY_FORMAT: 'text' }).copyFormat).toBe('text');
    expect(configError({ ...URLS, COPY_FORMAT: 'csv' })).toMatch(/COPY_FORMAT: COPY_FORMAT is auto, text or binary/);
    expect(loadConfig({}, configToEnv(loadConfig({}, { ...URLS, COPY_FORMAT: 'binary' }))).copyFormat).toBe('binary');
  });

  it('auto is text when the database is on this host and binary when it is not; text and binary are as set', () => {
    const auto = (databaseUrl: string) => copyFormatFor({ copyFormat: 'auto', databaseUrl });
    for (const local of [
      'postgres://u:pw@localhost:5432/db', 'postgres://u@127.0.0.1:54329/db', 'postgresql://u@127.1.2.3/db', 'postgres://u@[::1]:5432/db',
      'postgres:///db', 'postgresql://%2Fvar%2Frun%2Fpostgresql/db', 'postgres://u@/db?host=/var/run/postgresql', 'socket:/var/run/postgresql?db=db', 'not a url',
    ]) expect([local, auto(local)]).toEqual([local, 'text']);
    for (const remote of ['postgres://u:pw@db.example.com:5432/db', 'postgres://u@10.0.0.5/db', 'postgres://u@[2001:db8::1]/db', 'postgres://u@mydb.abc.eu-west-1.rds.amazonaws.com/db'])
      expect([remote, auto(remote)]).toEqual([remote, 'binary']);
    expect(copyFormatFor({ copyFormat: 'binary', databaseUrl: 'postgres://localhost/db' })).toBe('binary');
    expect(copyFormatFor({ copyFormat: 'text', databaseUrl: 'postgres://db.example.com/db' })).toBe('text');
    expect(isLocalDatabase('postgres://u@localhost.example.com/db')).toBe(false);
  });
});
