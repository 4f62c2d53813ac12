// The pieces that need no process: the on/off switch, service names from the command
// line, redaction, and withSpan/injectContext while tracing is off (in this test process
// the SDK is never started).
import { describe, expect, it } from 'vitest';
import { serviceFromArgv } from './attributes.js';
import { redactError, redactText, redactUrl } from './redact.js';
import { otlpMetricsEnabled, tracingEnabled } from './switch.js';
import { injectContext, traceIdOf, withParentContext, withSpan } from './tracing.js';

describe('tracingEnabled', () => {
  it('is off by default and on only with an exporter configured', () => {
    expect(tracingEnabled({})).toBe(false);
    expect(tracingEnabled({ OTEL_SDK_DISABLED: 'false' })).toBe(false);
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' })).toBe(true);
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' })).toBe(true);
    expect(tracingEnabled({ OTEL_TRACES_EXPORTER: 'console' })).toBe(true);
  });
  it('OTEL_SDK_DISABLED=true and OTEL_TRACES_EXPORTER=none win', () => {
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x', OTEL_SDK_DISABLED: 'TRUE' })).toBe(false);
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x', OTEL_TRACES_EXPORTER: 'none' })).toBe(false);
  });
  it('OTLP metrics follow tracing unless OTEL_METRICS_EXPORTER says otherwise', () => {
    expect(otlpMetricsEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x' })).toBe(true);
    expect(otlpMetricsEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x', OTEL_METRICS_EXPORTER: 'none' })).toBe(false);
    expect(otlpMetricsEnabled({})).toBe(false);
  });
});

describe('serviceFromArgv', () => {
  const node = '/usr/bin/node';
  it('names each process', () => {
    expect(serviceFromArgv([node, 'apps/worker/dist/main.js'])).toBe('worker');
    expect(serviceFromArgv([node, 'apps/cli/dist/main.js', 'worker'])).toBe('worker');
    expect(serviceFromArgv([node, 'apps/cli/dist/main.js', 'compactor'])).toBe('compactor');
    expect(serviceFromArgv([node, 'apps/cli/dist/main.js', 'reporter'])).toBe('reporter');
    expect(serviceFromArgv([node, 'apps/cli/dist/main.js', 'load', 'f.csv'])).toBe('cli'); // it starts `copyfleet split`
    expect(serviceFromArgv([node, 'apps/cli/dist/main.js', 'split', '--wait', 'f.csv'])).toBe('splitter');
    expect(serviceFromArgv([node, 'apps/cli/dist/main.js', 'dashboard'])).toBe('dashboard');
    expect(serviceFromArgv([node, 'apps/cli/dist/main.js', 'status', '8'])).toBe('cli');
    expect(serviceFromArgv([node])).toBe('cli');
  });
});

describe('redaction', () => {
  it('masks passwords in URLs and pairs, secret-looking pairs and AWS key ids', () => {
    expect(redactText('cannot reach postgres://app:p@ss:w0rd@db:5432/x now')).toBe('cannot reach postgres://app:***@db:5432/x now');
    expect(redactText('redis://:topsecret@cache:6379')).toBe('redis://:***@cache:6379');
    expect(redactText('host=db password=hunter2 user=x')).toBe('host=db password=*** user=x');
    expect(redactText('aws_secret_access_key=abc/def+ghi token: xyz')).toBe('aws_secret_access_key=*** token=***');
    expect(redactText('key AKIAABCDEFGHIJKLMNOP used')).toBe('key AKIA**************** used');
    expect(redactText('chunk 3 of run 8 failed')).toBe('chunk 3 of run 8 failed');
  });
  it('redactUrl cuts the query and, unless asked, the path (a webhook path is its token)', () => {
    expect(redactUrl('https://hooks.slack.com/services/T/B/x?y=1')).toBe('https://hooks.slack.com/…');
    expect(redactUrl('https://u:pw@h.example/a/b.csv?sig=1', { keepPath: true })).toBe('https://u:***@h.example/a/b.csv');
  });
  it('redactError keeps a PostgreSQL error\'s words and SQLSTATE, not the quoted value, and drops the message from the stack', () => {
    const pgErr = Object.assign(new Error('invalid input syntax for type bigint: "4111 1111 1111 1111"'), { code: '22P02', detail: 'row 4111' });
    const r = redactError(pgErr);
    expect(r).toMatchObject({ name: 'Error', code: '22P02', message: 'invalid input syntax for type bigint: "…"' });
    expect(JSON.stringify(r)).not.toContain('4111');
    const plain = redactError(new Error('failed on postgres://a:b@c/d'));
    expect(plain.message).toBe('failed on postgres://a:***@c/d');
    expect(plain.stack).not.toContain('a:b@');
    expect(redactError('oops').message).toBe('oops');
  });
});

describe('while tracing is off', () => {
  it('withSpan only calls its function, returns its value and rethrows its error', async () => {
    expect(await withSpan('chunk', { 'copyfleet.run_id': '1' }, (span) => (span.isRecording() ? 'recording' : 'plain'))).toBe('plain');
    await expect(withSpan('chunk', {}, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  });
  it('injectContext is null, and withParentContext ignores a traceparent', async () => {
    expect(injectContext()).toBeNull();
    expect(await withParentContext('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', () => 7)).toBe(7);
  });
  it('traceIdOf reads a traceparent', () => {
    expect(traceIdOf('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(traceIdOf('garbage')).toBeNull();
    expect(traceIdOf(null)).toBeNull();
  });
});
